// MARK: - Provenance

/// Where an effective value came from; precedence is default < file < environment.
package enum ConfigSource: Sendable, Equatable, CustomStringConvertible {
    /// The schema default.
    case defaultValue
    /// `exchanges.<name>.enabled` of an exchange the file does not mention: off.
    case sectionAbsent
    /// The configuration file, as the loader was given its path, and the line of the value.
    case file(path: String, line: Int)
    /// An environment variable.
    case environment(variable: String)

    /// `default`, `default (no [exchanges.bybit] section)`, `etc/cryptod.toml:12`, `env CRYPTOD_LOG_LEVEL`.
    package var description: String {
        switch self {
        case .defaultValue: "default"
        case .sectionAbsent: "default (section absent)"
        case .file(let path, let line): "\(path):\(line)"
        case .environment(let variable): "env \(variable)"
        }
    }

    /// False for the two default cases.
    package var isExplicit: Bool {
        switch self {
        case .defaultValue, .sectionAbsent: false
        case .file, .environment: true
        }
    }
}

// MARK: - Warnings

/// Something worth telling the operator that does not stop cryptod from running.
package struct ConfigWarning: Sendable, Equatable, CustomStringConvertible {
    /// What the warning is about.
    package enum Kind: Sendable, Equatable {
        /// A secret is set in a file that group or others can read.
        case secretInReadableFile
        /// A `CRYPTOD_…` variable that looks like a setting but sets nothing.
        case unknownEnvironmentVariable
        /// No ingestor will run.
        case noExchangeEnabled
    }

    /// What the warning is about.
    package var kind: Kind
    /// The text for the operator.
    package var message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { "warning: \(message)" }
}

// MARK: - Result of a load

/// A validated configuration together with where each value came from and any warnings.
package struct LoadedConfiguration: Sendable, Equatable {
    /// The validated configuration.
    package let configuration: Configuration
    /// The source of every key's effective value, by path.
    package let sources: [String: ConfigSource]
    /// Things worth telling the operator; none stops cryptod.
    package let warnings: [ConfigWarning]
    /// The file as given to the loader, if any.
    package let filePath: String?

    /// Where the value of `path` came from.
    package func source(of path: String) -> ConfigSource {
        sources[path] ?? .defaultValue
    }

    /// The effective configuration as TOML, each value annotated with its source and secrets redacted:
    /// what `cryptoctl config show` prints.
    package func effectiveText() -> String {
        var lines: [String] = []
        for section in ConfigSchema.sections {
            if !lines.isEmpty { lines.append("") }
            lines.append("[\(section)]")
            let keys = ConfigSchema.keys(inSection: section)
            let rendered = keys.map { key -> String in
                let value = configuration.values[key.path] ?? key.defaultValue
                return "\(key.name) = \(value.tomlText)"
            }
            let width = rendered.map(\.count).max() ?? 0
            for (key, text) in zip(keys, rendered) {
                lines.append(text.padding(to: width) + "  # " + source(of: key.path).description)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
