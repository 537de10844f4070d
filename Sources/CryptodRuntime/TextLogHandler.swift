import CryptodModel
import Logging

/// A swift-log handler that writes human-readable lines (`log_format = "text"`), for terminals and tests.
///
/// Format: `<time> <level> <process> <component>: <message> key=value key="two words" nested={"a":"b"}`.
/// The message and string values are escaped like JSON strings when they contain spaces, quotes or control
/// characters, so every record stays on one line. Metadata keys are sorted and secret-looking keys redacted,
/// as in ``JSONLogHandler``.
package struct TextLogHandler: LogHandler {
    /// The process name written in every line.
    package let process: String
    /// The logger label, written as the component.
    package let label: String
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    private let output: LogOutput
    private let levelControl: LogLevelControl
    private var explicitLevel: Logger.Level?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger label (the component).
    ///   - process: The process name.
    ///   - levelControl: The process-wide level, used until this handler's ``logLevel`` is set.
    ///   - metadataProvider: Contextual metadata merged into every line.
    ///   - output: Where lines go.
    package init(
        label: String, process: String, levelControl: LogLevelControl,
        metadataProvider: Logger.MetadataProvider? = nil, output: LogOutput = .standardError
    ) {
        self.label = label
        self.process = process
        self.levelControl = levelControl
        self.metadataProvider = metadataProvider
        self.output = output
    }

    /// This logger's level: the process-wide level from ``LogLevelControl`` unless set on this logger.
    package var logLevel: Logger.Level {
        get { explicitLevel ?? levelControl.level }
        set { explicitLevel = newValue }
    }

    package subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    package func log(event: LogEvent) {
        output.write(encode(event, at: LogClock.now()))
    }

    /// The line for `event` at `time`, newline included.
    ///
    /// - Parameters:
    ///   - event: What was logged.
    ///   - time: The time to write.
    /// - Returns: UTF-8 bytes of one line ending in `\n`.
    package func encode(_ event: LogEvent, at time: Timestamp) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(160)
        line.append(contentsOf: time.iso8601(fractionDigits: 3).utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: event.level.rawValue.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: process.utf8)
        line.append(UInt8(ascii: " "))
        line.append(contentsOf: label.utf8)
        line.append(contentsOf: ": ".utf8)
        let message = event.message.description
        if message.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            LogEncoding.appendJSONString(message, to: &line)
        } else {
            line.append(contentsOf: message.utf8)
        }
        let merged = LogEncoding.merge(handler: metadata, provider: metadataProvider, event: event.metadata)
        for key in merged.keys.sorted() {
            line.append(UInt8(ascii: " "))
            line.append(contentsOf: key.utf8)
            line.append(UInt8(ascii: "="))
            if LogEncoding.isSecretKey(key) {
                line.append(contentsOf: LogEncoding.redacted.utf8)
            } else if let value = merged[key] {
                LogEncoding.appendTextValue(value, to: &line)
            }
        }
        if let error = event.error {
            line.append(contentsOf: " error=".utf8)
            LogEncoding.appendTextValue(.string(String(describing: error)), to: &line)
        }
        line.append(UInt8(ascii: "\n"))
        return line
    }
}
