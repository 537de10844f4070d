import ArgumentParser
import CryptodConfig
import Foundation

/// `cryptoctl check-config [FILE]`: validates locally, no daemon needed.
struct CheckConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate a configuration file without a daemon: exit 0 when valid, 78 with every problem listed.",
        discussion: """
            FILE defaults to the configuration in use: --config, $CRYPTOD_CONFIG, the nearest \
            etc/cryptod.local.toml in the current directory or above, /etc/cryptod/cryptod.toml. Environment \
            overrides (CRYPTOD_…) of this shell apply, as they would to a cryptod started from it. Each problem \
            names the file and line, the key, the value and what is expected.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: ArgumentHelp("The file to check.", valueName: "file")) var file: String?

    func run() async throws {
        let path = file ?? options.locator.configFile().path
        let result = ConfigCheck.run(path: path, environment: ProcessInfo.processInfo.environment)
        if options.json {
            Console.output(result.json.rendered(), terminator: "")
        } else if result.exitCode == .ok {
            Console.output(result.text)
        } else {
            Console.error(result.text)
        }
        if result.exitCode != .ok { throw ExitCode(result.exitCode.rawValue) }
    }
}

/// `cryptoctl config show [FILE]`.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect configuration files.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract:
                "Print the effective configuration, each value with where it came from (default, file:line, env).",
            discussion:
                "FILE defaults to the configuration in use, as for check-config. Secrets are redacted.\n\n\(CtlExitCode.helpText)"
        )

        @OptionGroup var options: GlobalOptions
        @Argument(help: ArgumentHelp("The file to show.", valueName: "file")) var file: String?

        func run() async throws {
            let path = file ?? options.locator.configFile().path
            do {
                let loaded = try ConfigLoader.load(path: path, environment: ProcessInfo.processInfo.environment)
                Console.output(loaded.effectiveText(), terminator: "")
            } catch {
                Console.error("\(path) is invalid:\n\(error)")
                throw ExitCode(CtlExitCode.invalidConfiguration.rawValue)
            }
        }
    }
}

/// The outcome of validating one file, as text and as JSON.
package struct ConfigCheck: Sendable {
    package var path: String
    package var warnings: [String]
    package var processes: [String]
    package var errors: [ConfigError]
    /// Set when the loader reported more errors than it lists.
    package var summary: String?

    package var exitCode: CtlExitCode { errors.isEmpty ? .ok : .invalidConfiguration }

    /// Loads `path` with `environment` applied.
    package static func run(path: String, environment: [String: String]) -> ConfigCheck {
        do {
            let loaded = try ConfigLoader.load(path: path, environment: environment)
            return ConfigCheck(
                path: path, warnings: loaded.warnings.map(\.message),
                processes: loaded.configuration.enabledProcesses.map(\.description), errors: [])
        } catch {
            return ConfigCheck(
                path: path, warnings: [], processes: [], errors: error.errors,
                summary: error.omitted > 0 ? "… and \(error.omitted) more" : nil)
        }
    }

    /// `FILE: configuration is valid` with warnings and processes; or every error, one per line.
    package var text: String {
        guard !errors.isEmpty else {
            let processes = processes.isEmpty ? "none" : processes.joined(separator: ", ")
            return
                (["\(path): configuration is valid"] + warnings.map { "warning: \($0)" } + ["processes: \(processes)"])
                .joined(separator: "\n")
        }
        let count = errors.count == 1 ? "1 error" : "\(errors.count) errors"
        return
            (["\(path): configuration is invalid (\(count)):"] + errors.map(\.description)
            + (summary.map { [$0] } ?? []))
            .joined(separator: "\n")
    }

    /// `{"file", "valid", "warnings", "processes", "errors": [{"code", "location", "key", "value", "message", "expected", "text"}]}`.
    package var json: JSONValue {
        .object([
            ("file", .string(path)),
            ("valid", .bool(errors.isEmpty)),
            ("warnings", .array(warnings.map { .string($0) })),
            ("processes", .array(processes.map { .string($0) })),
            (
                "errors",
                .array(
                    errors.map { error in
                        .object([
                            ("code", .string(error.code.description)),
                            ("location", .string(error.location)),
                            ("key", .string(error.keyPath)),
                            ("value", .string(error.value)),
                            ("message", .string(error.message)),
                            ("expected", .string(error.expected)),
                            ("text", .string(error.description)),
                        ])
                    })
            ),
        ])
    }
}
