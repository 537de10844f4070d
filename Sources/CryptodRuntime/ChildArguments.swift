import ArgumentParser
import CryptodConfig
import Logging

/// The command line every child executable shares (`cryptod-writer`, `cryptod-gateway`,
/// `cryptod-scheduler`, `cryptod-ingestor`).
package struct ChildArguments: ParsableArguments {
    @Option(
        help:
            "The configuration file (default: $CRYPTOD_CONFIG, else /etc/cryptod/cryptod.toml). Ignored with --supervised."
    )
    package var config: String?

    @Flag(help: "Started by cryptod: the supervisor link is file descriptor 3 and the configuration comes over it.")
    package var supervised = false

    @Option(help: "Log format: json or text (default: $CRYPTOD_LOG_FORMAT, else json).")
    package var logFormat: String?

    @Option(help: "Log level, overriding daemon.log_level: trace, debug, info, notice, warning, error, critical.")
    package var logLevel: String?

    package init() {}

    package func validate() throws {
        if let logFormat, CryptodLogging.Format(rawValue: logFormat) == nil {
            throw ValidationError("--log-format must be json or text, not \(logFormat)")
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical, not \(logLevel)")
        }
    }

    package func options(name: ProcessName) -> ProcessOptions {
        ProcessOptions(
            name: name, configPath: config, supervised: supervised,
            logFormat: logFormat.flatMap(CryptodLogging.Format.init(rawValue:)),
            logLevel: logLevel.flatMap(Logger.Level.init(rawValue:)))
    }

    /// Help text shared by the child executables: signals and exit codes.
    package static let discussion = """
        Normally started by `cryptod`; it can also run alone (for example under its own systemd unit), \
        reading the configuration file and finding its peers by socket path in daemon.runtime_dir.

        Signals: SIGTERM or SIGINT stop it gracefully; SIGHUP reloads the configuration file (when not supervised).

        Exit codes: 0 stopped as asked; 1 failure; 2 bad command line; 69 a required peer stayed unavailable; \
        70 internal error; 73 cannot create a file or socket; 78 invalid configuration (never restarted).
        """
}

extension ExitCode {
    /// The same status as ArgumentParser's exit, for `throw` at the end of `run()`.
    package var parserExitCode: ArgumentParser.ExitCode { ArgumentParser.ExitCode(rawValue) }
}
