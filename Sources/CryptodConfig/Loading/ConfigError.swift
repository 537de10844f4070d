// MARK: - One error

/// A problem with the configuration: what, where (key, file and line, or environment variable), the offending
/// value (redacted for secrets) and what was expected.
///
/// `description` reads like
/// `etc/cryptod.toml:12: gateway.rest_listen = "127.0.0.1:99999": port must be 1-65535; expected "HOST:PORT", e.g. "127.0.0.1:8000"`.
package struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of problem; stable, so tools and tests can match on it.
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String {
            case unreadableFile, syntax, duplicateDefinition, unsupportedValue
            case unknownSection, unknownKey, unknownExchange, notApplicable
            case typeMismatch, invalidValue, outOfRange, conflict
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The file could not be read.
        package static let unreadableFile = Code(.unreadableFile)
        /// The file is not valid TOML.
        package static let syntax = Code(.syntax)
        /// A key or table is defined twice.
        package static let duplicateDefinition = Code(.duplicateDefinition)
        /// Valid TOML that cryptod does not read (dates and times).
        package static let unsupportedValue = Code(.unsupportedValue)
        /// A `[section]` cryptod does not know.
        package static let unknownSection = Code(.unknownSection)
        /// A key cryptod does not know.
        package static let unknownKey = Code(.unknownKey)
        /// `[exchanges.<name>]` for an exchange cryptod does not support.
        package static let unknownExchange = Code(.unknownExchange)
        /// A known key in a place it does not apply (`category` outside Bybit).
        package static let notApplicable = Code(.notApplicable)
        /// A value of the wrong TOML type.
        package static let typeMismatch = Code(.typeMismatch)
        /// A value of the right type that does not parse or is not allowed.
        package static let invalidValue = Code(.invalidValue)
        /// A number, duration or size outside its range.
        package static let outOfRange = Code(.outOfRange)
        /// Values that are fine alone but not together.
        package static let conflict = Code(.conflict)

        package var description: String { base.rawValue }
    }

    /// What kind of problem.
    package var code: Code
    /// The key path (`gateway.rest_listen`), or nil for whole-file problems.
    package var keyPath: String?
    /// The configuration file, as given to the loader.
    package var file: String?
    /// 1-based line in ``file``.
    package var line: Int?
    /// Column, set for syntax errors only.
    package var column: Int?
    /// Set when the value came from the environment.
    package var environmentVariable: String?
    /// The offending value as TOML text; `"<redacted>"` for secrets.
    package var value: String?
    /// What is wrong.
    package var message: String
    /// What would be accepted.
    package var expected: String?
    /// A likely intended key or value.
    package var suggestion: String?

    /// Describes one problem; see the properties.
    package init(
        _ code: Code, keyPath: String? = nil, file: String? = nil, line: Int? = nil, column: Int? = nil,
        environmentVariable: String? = nil, value: String? = nil, message: String, expected: String? = nil,
        suggestion: String? = nil
    ) {
        self.code = code
        self.keyPath = keyPath
        self.file = file
        self.line = line
        self.column = column
        self.environmentVariable = environmentVariable
        self.value = value
        self.message = message
        self.expected = expected
        self.suggestion = suggestion
    }

    /// `file:line` (`file:line:column` for syntax errors), `environment CRYPTOD_X`, or nil when the problem
    /// comes from built-in defaults.
    package var location: String? {
        if let environmentVariable { return "environment \(environmentVariable)" }
        guard let file else { return nil }
        guard let line else { return file }
        return column.map { "\(file):\(line):\($0)" } ?? "\(file):\(line)"
    }

    package var description: String {
        var text = location.map { "\($0): " } ?? ""
        if let keyPath {
            text += keyPath
            if let value { text += " = \(value)" }
            text += ": "
        }
        text += message
        if let expected { text += "; expected \(expected)" }
        if let suggestion { text += "; did you mean \(suggestion)?" }
        return text
    }
}

// MARK: - All errors of one load

/// Every problem found while loading a configuration (at most ``limit``), so one run of `--check-config`
/// shows them all.
package struct ConfigErrorList: Error, Sendable, Equatable, CustomStringConvertible {
    /// More than this many errors usually means the wrong file; the rest would only bury the first ones.
    package static let limit = 50

    package private(set) var errors: [ConfigError] = []
    /// How many errors beyond ``limit`` were dropped.
    package private(set) var omitted = 0

    package init(_ errors: [ConfigError] = []) {
        for error in errors { append(error) }
    }

    /// Adds `error`, or counts it in ``omitted`` beyond the limit.
    package mutating func append(_ error: ConfigError) {
        if errors.count < Self.limit { errors.append(error) } else { omitted += 1 }
    }

    package var isEmpty: Bool { errors.isEmpty }

    /// One error per line, then how many were left out.
    package var description: String {
        var lines = errors.map(\.description)
        if omitted > 0 { lines.append("… and \(omitted) more error\(omitted == 1 ? "" : "s")") }
        return lines.joined(separator: "\n")
    }
}
