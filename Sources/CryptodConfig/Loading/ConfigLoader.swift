import Foundation

/// Loads, checks and types cryptod's configuration: defaults, then the TOML file, then the environment.
///
/// ```swift
/// let loaded = try ConfigLoader.load(path: "/etc/cryptod.toml", environment: ProcessInfo.processInfo.environment)
/// let config = loaded.configuration
/// loaded.warnings.forEach { logger.warning("\($0)") }
/// ```
///
/// Rules:
/// - Precedence is default < file < environment. Each key's variable is ``ConfigKey/environmentName``; lists
///   are comma-separated there.
/// - An exchange runs when the file has an `[exchanges.<name>]` section (and `enabled` is not false), or when
///   `CRYPTOD_EXCHANGES_<NAME>_ENABLED=true`.
/// - Relative paths in the file are resolved against the directory containing the file; relative paths from
///   the environment against the working directory.
/// - Every problem is collected (up to ``ConfigErrorList/limit``) and thrown together.
package enum ConfigLoader {
    /// Loads the file at `path` (or only defaults and environment when `path` is nil).
    /// - Parameters:
    ///   - path: the configuration file; messages name it as given.
    ///   - environment: the process environment (a parameter so tests can pass their own).
    /// - Returns: the configuration, where each value came from, and warnings.
    /// - Throws: ``ConfigErrorList`` with every problem found.
    package static func load(
        path: String?, environment: [String: String]
    ) throws(ConfigErrorList) -> LoadedConfiguration {
        guard let path else {
            return try load(text: nil, path: nil, environment: environment)
        }
        let text: String
        switch readFile(path) {
        case .success(let contents): text = contents
        case .failure(let error): throw ConfigErrorList([error])
        }
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue
        return try load(text: text, path: path, environment: environment, fileMode: mode)
    }

    /// Loads configuration text that came from `path` (for instance the text a child receives in `Configure`).
    /// - Parameters:
    ///   - text: the TOML document, or nil for none.
    ///   - path: where the text came from: names it in messages and anchors relative paths.
    ///   - environment: the process environment.
    ///   - fileMode: the file's permission bits, to warn about secrets in files others can read.
    ///   - workingDirectory: anchors relative paths from the environment; defaults to the process's.
    package static func load(
        text: String?, path: String?, environment: [String: String], fileMode: Int? = nil,
        workingDirectory: String? = nil
    ) throws(ConfigErrorList) -> LoadedConfiguration {
        let cwd = workingDirectory ?? FileManager.default.currentDirectoryPath
        let fileDirectory = path.map { ConfigValueType.resolve($0 + "/..", against: cwd) } ?? cwd
        var assembly = ConfigAssembly(
            filePath: path, fileDirectory: fileDirectory, workingDirectory: cwd, environment: environment)
        if let text {
            do {
                assembly.collect(try TOML.parse(text))
            } catch {
                throw ConfigErrorList([syntaxError(error, path: path)])
            }
        }
        assembly.resolveValues()
        let configuration = Configuration(values: assembly.values)
        assembly.checkRelations(of: configuration)
        guard assembly.errors.isEmpty else { throw assembly.errors }
        assembly.warn(about: configuration, fileMode: fileMode)
        return LoadedConfiguration(
            configuration: configuration, sources: assembly.sources, warnings: assembly.warnings, filePath: path)
    }

    // MARK: - Helpers

    private static func readFile(_ path: String) -> Result<String, ConfigError> {
        func failure(_ why: String) -> Result<String, ConfigError> {
            .failure(ConfigError(.unreadableFile, file: path, message: "cannot read the configuration file: \(why)"))
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return failure("no such file")
        }
        if isDirectory.boolValue { return failure("it is a directory") }
        guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path)
        else {
            return failure("permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else { return failure("it is not UTF-8 text") }
        return .success(text)
    }

    private static func syntaxError(_ error: TOMLError, path: String?) -> ConfigError {
        let code: ConfigError.Code =
            switch error.kind {
            case .syntax: .syntax
            case .duplicate: .duplicateDefinition
            case .unsupported: .unsupportedValue
            }
        return ConfigError(
            code, file: path ?? "<text>", line: error.position.line, column: error.position.column,
            message: error.message)
    }
}
