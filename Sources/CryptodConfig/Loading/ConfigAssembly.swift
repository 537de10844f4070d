/// The work of one load: matches the file against the schema, applies the environment, and collects every
/// error and warning on the way. ``ConfigLoader`` drives it.
struct ConfigAssembly {
    let filePath: String?
    let fileDirectory: String
    let workingDirectory: String
    let environment: [String: String]

    private var found: [ConfigError] = []
    private(set) var warnings: [ConfigWarning] = []
    private(set) var values: [String: ConfigValue] = [:]
    private(set) var sources: [String: ConfigSource] = [:]
    /// Keys whose file or environment value was rejected; relation checks skip them to avoid follow-on noise.
    private(set) var rejected: Set<String> = []
    private var fileValues: [String: TOMLValue] = [:]
    private var configuredExchanges: Set<String> = []

    init(filePath: String?, fileDirectory: String, workingDirectory: String, environment: [String: String]) {
        self.filePath = filePath
        self.fileDirectory = fileDirectory
        self.workingDirectory = workingDirectory
        self.environment = environment
    }

    // MARK: - The file

    /// Matches every table and key of the document against the schema.
    mutating func collect(_ root: TOMLTable) {
        for (name, value) in root.entries {
            guard ConfigSchema.topLevelSections.contains(name) else {
                unknownTopLevel(name, value)
                continue
            }
            guard case .table(let table) = value.kind else {
                report(
                    .typeMismatch, name, at: value, message: "found \(value.typeNameWithArticle)",
                    expected: "a [\(name)] table")
                continue
            }
            if name == "exchanges" { collectExchanges(table) } else { collectSection(name, table) }
        }
    }

    private mutating func collectExchanges(_ table: TOMLTable) {
        for (name, value) in table.entries {
            let path = "exchanges.\(name)"
            guard let profile = ExchangeProfile.named(name) else {
                report(
                    .unknownExchange, path, at: value, message: "unknown exchange \(TOMLValue.quoted(name))",
                    expected: "one of \(ExchangeProfile.knownNames)",
                    suggestion: Suggestions.closest(to: name, among: ExchangeProfile.all.map(\.name)).map {
                        "exchanges.\($0)"
                    })
                continue
            }
            guard case .table(let section) = value.kind else {
                report(
                    .typeMismatch, path, at: value, message: "found \(value.typeNameWithArticle)",
                    expected: "a [\(path)] table")
                continue
            }
            configuredExchanges.insert(profile.name)
            collectSection(path, section)
        }
    }

    private mutating func collectSection(_ section: String, _ table: TOMLTable) {
        let known = ConfigSchema.keys(inSection: section)
        for (name, value) in table.entries {
            let path = "\(section).\(name)"
            if ConfigSchema.key(path) != nil {
                fileValues[path] = value
                continue
            }
            let elsewhere = ConfigSchema.keys.filter { $0.name == name && $0.section != section }
            if section.hasPrefix("exchanges."), let other = elsewhere.first(where: { $0.exchange != nil }) {
                let owners = elsewhere.compactMap(\.exchange?.rawValue).joined(separator: ", ")
                report(.notApplicable, path, at: value, message: "\(other.name) applies only to \(owners)")
                continue
            }
            let suggestion =
                Suggestions.closest(to: name, among: known.map(\.name)).map { "\(section).\($0)" }
                ?? elsewhere.first.map(\.path)
            let isTable = if case .table = value.kind { true } else { false }
            report(
                .unknownKey, path, at: value, showValue: !isTable,
                redact: suggestion.flatMap { ConfigSchema.key($0) }?.secret == true,
                message: isTable ? "unknown table [\(path)]" : "unknown key",
                expected: suggestion == nil
                    ? "one of the [\(section)] keys: " + known.map(\.name).joined(separator: ", ") : nil,
                suggestion: suggestion)
        }
    }

    private mutating func unknownTopLevel(_ name: String, _ value: TOMLValue) {
        if case .table = value.kind {
            let suggestion =
                Suggestions.closest(to: name, among: ConfigSchema.topLevelSections).map { "[\($0)]" }
                ?? ExchangeProfile.named(name).map { "[exchanges.\($0.name)]" }
            report(
                .unknownSection, name, at: value, showValue: false, message: "unknown section [\(name)]",
                expected: suggestion == nil
                    ? "one of " + ConfigSchema.topLevelSections.map { "[\($0)]" }.joined(separator: ", ") : nil,
                suggestion: suggestion)
            return
        }
        let owner = ConfigSchema.keys.first { $0.name == name }
        report(
            .unknownKey, name, at: value, redact: owner?.secret == true,
            message: owner == nil ? "unknown key" : "keys belong inside a section",
            suggestion: owner?.path
                ?? Suggestions.closest(to: name, among: ConfigSchema.keys.map(\.name)).flatMap { n in
                    ConfigSchema.keys.first { $0.name == n }?.path
                })
    }

    // MARK: - Values

    /// Decides every key's effective value: default, then file, then environment.
    mutating func resolveValues() {
        for key in ConfigSchema.keys {
            var value = key.defaultValue
            var source = ConfigSource.defaultValue
            if let input = fileValues[key.path] {
                switch key.type.decode(.toml(input), baseDirectory: fileDirectory) {
                case .success(let decoded):
                    value = decoded
                    source = .file(path: filePath ?? "<text>", line: input.position.line)
                case .failure(let problem):
                    rejected.insert(key.path)
                    report(problem, key, input: .toml(input), line: input.position.line, variable: nil)
                }
            }
            if let text = environment[key.environmentName] {
                switch key.type.decode(.environment(text), baseDirectory: workingDirectory) {
                case .success(let decoded):
                    value = decoded
                    source = .environment(variable: key.environmentName)
                case .failure(let problem):
                    rejected.insert(key.path)
                    report(problem, key, input: .environment(text), line: nil, variable: key.environmentName)
                }
            }
            values[key.path] = value
            sources[key.path] = source
        }
        // An exchange the file does not mention stays off unless the environment says otherwise.
        for profile in ExchangeProfile.all where !configuredExchanges.contains(profile.name) {
            let path = "exchanges.\(profile.name).enabled"
            if sources[path]?.isExplicit == true { continue }
            values[path] = .bool(false)
            sources[path] = .sectionAbsent
        }
    }

    // MARK: - Reporting

    mutating func report(_ error: ConfigError) { found.append(error) }

    /// Everything reported, file errors by line first, then environment errors, then the rest; capped.
    var errors: ConfigErrorList {
        func rank(_ e: ConfigError, _ index: Int) -> (Int, Int, Int) {
            if e.environmentVariable != nil { return (1, 0, index) }
            return e.line.map { (0, $0, index) } ?? (2, 0, index)
        }
        let ordered = found.enumerated().sorted { rank($0.element, $0.offset) < rank($1.element, $1.offset) }
        return ConfigErrorList(ordered.map(\.element))
    }

    private mutating func report(
        _ problem: ValueProblem, _ key: ConfigKey, input: ConfigInput, line: Int?, variable: String?
    ) {
        report(
            ConfigError(
                problem.code, keyPath: key.path, file: variable == nil ? filePath ?? "<text>" : nil, line: line,
                environmentVariable: variable, value: key.display(input.tomlText), message: problem.message,
                expected: key.expectation, suggestion: problem.suggestion.map(TOMLValue.quoted)))
    }

    private mutating func report(
        _ code: ConfigError.Code, _ path: String, at value: TOMLValue, showValue: Bool = true, redact: Bool = false,
        message: String, expected: String? = nil, suggestion: String? = nil
    ) {
        // A misspelt secret key is still a secret: redact when it resembles one or its suggestion is one.
        let lowered = path.lowercased()
        let sensitive = redact || ["secret", "passw", "token", "private"].contains { lowered.contains($0) }
        let shown = sensitive ? TOMLValue.quoted(SecretString.placeholder) : value.tomlText
        report(
            ConfigError(
                code, keyPath: path, file: filePath ?? "<text>", line: value.position.line,
                value: showValue ? shown : nil, message: message, expected: expected, suggestion: suggestion))
    }

    mutating func warn(_ warning: ConfigWarning) { warnings.append(warning) }
}
