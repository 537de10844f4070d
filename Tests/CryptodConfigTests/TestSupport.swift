import Foundation
import Testing

@testable import CryptodConfig

// MARK: - Loading helpers

/// A fixed working directory so relative environment paths resolve the same everywhere.
let testWorkingDirectory = "/work/dir"

/// Loads `toml` as if read from `test.toml` in `/cfg`, with only `environment` set.
func load(
    _ toml: String?, environment: [String: String] = [:], fileMode: Int? = nil
) throws(ConfigErrorList)
    -> LoadedConfiguration
{
    try ConfigLoader.load(
        text: toml, path: toml == nil ? nil : "/cfg/test.toml", environment: environment, fileMode: fileMode,
        workingDirectory: testWorkingDirectory)
}

/// The errors loading `toml` produces; empty when it loads.
func errors(_ toml: String?, environment: [String: String] = [:]) -> [ConfigError] {
    do {
        _ = try load(toml, environment: environment)
        return []
    } catch {
        return error.errors
    }
}

/// The single error loading `toml` produces; records a test issue when there is not exactly one.
func singleError(
    _ toml: String?, environment: [String: String] = [:], sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    let found = errors(toml, environment: environment)
    #expect(found.count == 1, "expected one error, got: \(found.map(\.description))", sourceLocation: sourceLocation)
    return found.first
}

// MARK: - Files

/// The package root, found from this file's path (Tests/CryptodConfigTests/TestSupport.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A fixture's text from Tests/CryptodConfigTests/Fixtures (copied into the test bundle as a resource).
func fixture(_ name: String) throws -> String {
    let url = try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    return try String(contentsOf: url, encoding: .utf8)
}

// MARK: - TOML helpers

/// Parses `text` and returns the value at a dotted path of plain keys.
func tomlValue(_ text: String, _ path: String) throws -> TOMLValue.Kind? {
    try TOML.parse(text).value(at: path.split(separator: ".").map(String.init))?.kind
}

/// The error parsing `text` throws, or nil (recorded as an issue) when it parses.
func tomlError(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> TOMLError? {
    do {
        let table = try TOML.parse(text)
        Issue.record("expected a TOML error, parsed \(table)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}
