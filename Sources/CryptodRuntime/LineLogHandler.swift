import CryptodModel
import Logging

/// A line format for ``LineLogHandler``: how one record becomes one line of bytes.
package protocol LogLineFormat: Sendable {
    /// The bytes of one line for `event`, newline included; `metadata` is already merged.
    static func line(
        _ event: LogEvent, at time: Timestamp, process: String, label: String, metadata: Logger.Metadata
    ) -> [UInt8]
}

/// One JSON object per line (`log_format = "json"`); see ``JSONLogFormat``.
package typealias JSONLogHandler = LineLogHandler<JSONLogFormat>
/// One human-readable line per record (`log_format = "text"`); see ``TextLogFormat``.
package typealias TextLogHandler = LineLogHandler<TextLogFormat>

/// A swift-log handler writing one line per record in `Format`, shared by both log formats: levels,
/// metadata merging and output are the same, only the line differs.
package struct LineLogHandler<Format: LogLineFormat>: LogHandler {
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
    /// - Returns: UTF-8 bytes of one line ending in `\n`.
    package func encode(_ event: LogEvent, at time: Timestamp) -> [UInt8] {
        let merged = LogEncoding.merge(handler: metadata, provider: metadataProvider, event: event.metadata)
        return Format.line(event, at: time, process: process, label: label, metadata: merged)
    }
}
