import CryptodModel
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Process-wide logging setup shared by every cryptod binary.
///
/// Call ``bootstrap(process:format:level:)`` once, first thing in `main`, before any `Logger` is created.
/// It installs ``JSONLogHandler`` (or ``TextLogHandler``) for every logger, writing to stderr: under systemd
/// that is the journal, and in all-in-one mode the children inherit the supervisor's stderr, so every line
/// says which `process` wrote it.
package enum CryptodLogging {
    /// `daemon.log_format`. Raw values are the words of the configuration file.
    package enum Format: String, Sendable, Hashable, CaseIterable {
        /// One JSON object per line (the default; for the journal and log shippers).
        case json
        /// One human-readable line per record.
        case text
    }

    /// Installs the cryptod handlers as swift-log's global backend.
    ///
    /// swift-log allows exactly one bootstrap per process and traps on a second one; that is a programming
    /// error here too. Tests construct handlers directly with
    /// ``makeHandler(label:process:format:levelControl:metadataProvider:output:)`` instead of bootstrapping,
    /// because all test targets share one process.
    ///
    /// - Parameters:
    ///   - process: The process name for every line: `cryptod`, `writer`, `ingestor-binance`, ….
    ///   - format: JSON or text.
    ///   - level: The initial level for every logger (`daemon.log_level`).
    /// - Returns: The control a reload uses to change the level of every logger at once.
    @discardableResult
    package static func bootstrap(process: String, format: Format, level: Logger.Level) -> LogLevelControl {
        let control = LogLevelControl(level)
        LoggingSystem.bootstrap(
            { label, provider in
                makeHandler(
                    label: label, process: process, format: format, levelControl: control, metadataProvider: provider)
            },
            metadataProvider: nil
        )
        return control
    }

    /// A handler for one logger.
    ///
    /// - Parameters:
    ///   - label: The logger label (`component`).
    ///   - process: The process name.
    ///   - format: JSON or text.
    ///   - levelControl: The shared level.
    ///   - metadataProvider: Contextual metadata for every line.
    ///   - output: Where lines go (stderr unless a test captures them).
    /// - Returns: A ``JSONLogHandler`` or a ``TextLogHandler``.
    package static func makeHandler(
        label: String, process: String, format: Format, levelControl: LogLevelControl,
        metadataProvider: Logger.MetadataProvider? = nil, output: LogOutput = .standardError
    ) -> any LogHandler {
        switch format {
        case .json:
            JSONLogHandler(
                label: label, process: process, levelControl: levelControl, metadataProvider: metadataProvider,
                output: output)
        case .text:
            TextLogHandler(
                label: label, process: process, levelControl: levelControl, metadataProvider: metadataProvider,
                output: output)
        }
    }
}

/// The process-wide log level, shared by every handler so that a SIGHUP reload can change it in one place.
///
/// A logger whose level was set explicitly (`logger.logLevel = .trace`) keeps its own level, as swift-log's
/// value semantics require.
package final class LogLevelControl: Sendable {
    private let raw: Atomic<UInt8>

    /// Creates a control starting at `level`.
    package init(_ level: Logger.Level) {
        raw = Atomic(Self.index(of: level))
    }

    /// The current level.
    package var level: Logger.Level {
        get { Logger.Level.allCases[Int(raw.load(ordering: .relaxed))] }
        set { raw.store(Self.index(of: newValue), ordering: .relaxed) }
    }

    private static func index(of level: Logger.Level) -> UInt8 {
        // allCases is in declaration order (trace … critical) and always contains every level.
        UInt8(Logger.Level.allCases.firstIndex(of: level)!)
    }
}

/// Wall-clock time for log lines.
enum LogClock {
    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}
