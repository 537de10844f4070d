import CryptodModel
import Foundation
import Testing

@testable import CryptodConfig

/// The committed documentation must equal what the schema generates, and the etc/ files must load.
///
/// After changing the schema, regenerate with `ConfigDocumentation.regenerateCommand`:
/// `CRYPTOD_REGENERATE_CONFIG_DOCS=1 swift test --scratch-path .build-config --filter CryptodConfigTests.GeneratedFilesTests`
@Suite struct GeneratedFilesTests {
    static let regenerate = ProcessInfo.processInfo.environment["CRYPTOD_REGENERATE_CONFIG_DOCS"] == "1"
    let etcProduction = repositoryRoot.appendingPathComponent("etc/cryptod.toml")
    let etcLocal = repositoryRoot.appendingPathComponent("etc/cryptod.local.toml")
    let docs = repositoryRoot.appendingPathComponent("docs/configuration.md")

    // MARK: - Drift

    @Test func annotatedConfigMatchesSchema() throws {
        let generated = ConfigDocumentation.annotatedTOML()
        if Self.regenerate { try generated.write(to: etcProduction, atomically: true, encoding: .utf8) }
        let committed = try String(contentsOf: etcProduction, encoding: .utf8)
        let difference = Self.firstDifference(committed, generated)
        #expect(
            difference == nil,
            "etc/cryptod.toml differs from the schema (\(difference ?? "")); regenerate with: \(ConfigDocumentation.regenerateCommand)"
        )
    }

    @Test func markdownReferenceMatchesSchema() throws {
        var text = try String(contentsOf: docs, encoding: .utf8)
        let begin = try #require(
            text.range(of: ConfigDocumentation.markdownBegin), "docs/configuration.md lacks the begin marker")
        let end = try #require(
            text.range(of: ConfigDocumentation.markdownEnd), "docs/configuration.md lacks the end marker")
        let generated = "\n" + ConfigDocumentation.markdownReference() + "\n"
        if Self.regenerate {
            text.replaceSubrange(begin.upperBound..<end.lowerBound, with: generated)
            try text.write(to: docs, atomically: true, encoding: .utf8)
            return
        }
        let difference = Self.firstDifference(String(text[begin.upperBound..<end.lowerBound]), generated)
        #expect(
            difference == nil,
            "docs/configuration.md's key reference differs (\(difference ?? "")) from the schema; regenerate with: \(ConfigDocumentation.regenerateCommand)"
        )
    }

    /// "line 12: committed `…`, generated `…`" for the first line that differs, nil when equal.
    static func firstDifference(_ committed: String, _ generated: String) -> String? {
        let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let b = generated.split(separator: "\n", omittingEmptySubsequences: false)
        for i in 0..<max(a.count, b.count) where i >= a.count || i >= b.count || a[i] != b[i] {
            let old = i < a.count ? String(a[i]) : "<end of file>"
            let new = i < b.count ? String(b[i]) : "<end of file>"
            return "line \(i + 1): committed `\(old)`, generated `\(new)`"
        }
        return nil
    }

    @Test func firstDifferenceFindsTheLine() {
        #expect(Self.firstDifference("a\nb\nc", "a\nb\nc") == nil)
        #expect(Self.firstDifference("a\nb\nc", "a\nX\nc") == "line 2: committed `b`, generated `X`")
        #expect(Self.firstDifference("a", "a\nb") == "line 2: committed `<end of file>`, generated `b`")
    }

    @Test func generatedFilesMentionEveryKey() {
        let toml = ConfigDocumentation.annotatedTOML()
        let markdown = ConfigDocumentation.markdownReference()
        for key in ConfigSchema.keys {
            #expect(
                toml.contains("#\(key.name) = \(key.defaultValue.documentedText)\n"),
                "\(key.path) missing from etc/cryptod.toml")
            #expect(toml.contains(key.environmentName), "\(key.environmentName) missing from etc/cryptod.toml")
            #expect(markdown.contains("| `\(key.name)` |"), "\(key.path) missing from the reference")
        }
    }

    // MARK: - The etc/ files load

    @Test func productionConfigLoadsAsAllDefaultsWithEveryExchange() throws {
        let loaded = try ConfigLoader.load(path: etcProduction.path, environment: [:])
        let config = loaded.configuration
        #expect(config.enabledProcesses.count == 6)
        for key in ConfigSchema.keys {
            #expect(config.values[key.path] == key.defaultValue, "\(key.path) is not at its default")
        }
    }

    @Test func localConfigPointsAtTheCheckoutAndTheSimulator() throws {
        let loaded = try ConfigLoader.load(path: etcLocal.path, environment: [:])
        let config = loaded.configuration
        let root = repositoryRoot.standardizedFileURL.path
        #expect(config.daemon.runtimeDirectory == root + "/var/run")
        #expect(config.daemon.stateDirectory == root + "/var/lib")
        #expect(config.writer.jsonlDirectory == root + "/var/lib/jsonl")
        let expected: [(ExchangeID, String, String)] = [
            (.binance, "http://127.0.0.1:9101", "ws://127.0.0.1:9101"),
            (.bybit, "http://127.0.0.1:9102", "ws://127.0.0.1:9102"),
            (.whitebit, "http://127.0.0.1:9103", "ws://127.0.0.1:9103/ws"),
        ]
        for (id, rest, ws) in expected {
            let exchange = try #require(config.exchange(id))
            #expect(exchange.enabled)
            #expect(exchange.restURL.absoluteString == rest)
            #expect(exchange.webSocketURL.absoluteString == ws)
        }
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
    }
}
