import CryptodModel
import Logging

/// A swift-log handler that writes one JSON object per line (`log_format = "json"`, the default).
///
/// Every line has, in this order:
///
/// | Field | Example | Notes |
/// | --- | --- | --- |
/// | `time` | `"2026-11-22T09:18:40.123Z"` | RFC 3339, UTC, milliseconds |
/// | `level` | `"info"` | swift-log level name |
/// | `process` | `"ingestor-binance"` | the process, as named by the supervisor |
/// | `component` | `"cryptod.ingestor.session"` | the `Logger` label |
/// | `message` | `"connected"` | |
/// | `metadata` | `{"symbol":"BTCUSDT","levels":["1","2"]}` | omitted when empty; nested values stay JSON |
/// | `error` | `"connection reset"` | only when the call passed an `error:` |
///
/// Metadata keys are sorted, and keys that name a secret are redacted (see ``LogEncoding``); secrets
/// themselves are redacted at source by `SecretString`. Each line is handed to ``LogOutput`` whole.
package struct JSONLogHandler: LogHandler {
    /// The process name written in every line.
    package let process: String
    /// The logger label, written as `component`.
    package let label: String
    package var metadata: Logger.Metadata = [:]
    package var metadataProvider: Logger.MetadataProvider?

    private let output: LogOutput
    private let levelControl: LogLevelControl
    private var explicitLevel: Logger.Level?

    /// Creates a handler.
    ///
    /// - Parameters:
    ///   - label: The logger label (`component`).
    ///   - process: The process name (`process`).
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
    /// - Returns: UTF-8 bytes of one JSON object followed by `\n`.
    package func encode(_ event: LogEvent, at time: Timestamp) -> [UInt8] {
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: #"{"time":"#.utf8)
        LogEncoding.appendJSONString(time.iso8601(fractionDigits: 3), to: &line)
        line.append(contentsOf: #","level":"#.utf8)
        LogEncoding.appendJSONString(event.level.rawValue, to: &line)
        line.append(contentsOf: #","process":"#.utf8)
        LogEncoding.appendJSONString(process, to: &line)
        line.append(contentsOf: #","component":"#.utf8)
        LogEncoding.appendJSONString(label, to: &line)
        line.append(contentsOf: #","message":"#.utf8)
        LogEncoding.appendJSONString(event.message.description, to: &line)
        let merged = LogEncoding.merge(handler: metadata, provider: metadataProvider, event: event.metadata)
        if !merged.isEmpty {
            line.append(contentsOf: #","metadata":"#.utf8)
            LogEncoding.appendJSONObject(merged, to: &line)
        }
        if let error = event.error {
            line.append(contentsOf: #","error":"#.utf8)
            LogEncoding.appendJSONString(String(describing: error), to: &line)
        }
        line.append(contentsOf: "}\n".utf8)
        return line
    }
}
