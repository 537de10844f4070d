import CryptodModel
import Foundation
import Testing

@testable import CryptodConfig

/// Whole files: one setting every key, one full of mistakes with the exact report expected.
@Suite struct FixtureTests {
    @Test func everyKeyFixtureSetsEveryKeyFromTheFile() throws {
        let loaded = try ConfigLoader.load(
            text: try fixture("every-key.toml"), path: "/fx/every-key.toml", environment: [:], workingDirectory: "/")
        for key in ConfigSchema.keys {
            guard case .file(let path, _) = loaded.source(of: key.path) else {
                Issue.record("\(key.path) is not set by the fixture")
                continue
            }
            #expect(path == "/fx/every-key.toml")
            // Two exchanges stay enabled so that some process runs.
            let defaultOnPurpose = ["exchanges.bybit.enabled", "exchanges.whitebit.enabled"]
            if !defaultOnPurpose.contains(key.path) {
                #expect(loaded.configuration.values[key.path] != key.defaultValue, "\(key.path) is at its default")
            }
        }
        let config = loaded.configuration
        #expect(config.daemon.runtimeDirectory == "/fx/run")
        #expect(config.daemon.logLevel == .notice)
        #expect(config.daemon.binDirectory == "/opt/cryptod/bin")
        #expect(config.supervisor.restartMaxBackoff == .seconds(120))
        #expect(config.delivery.maxFrameBytes == 1 << 20)
        #expect(config.gateway.wsListen == ListenAddress(host: "::1", port: 18080))
        #expect(config.writer.jsonlDirectory == "/srv/jsonl")
        #expect(config.writer.sinks == [.jsonl, .postgres, .redis, .rabbitmq])
        #expect(config.writer.spoolDirectory == "/fx/spool")
        #expect(config.writer.postgresURL.revealed == "postgresql://writer:pg-pass@db.internal:5432/market")
        #expect(config.writer.rabbitmqURL.description == "amqps://feed:<redacted>@mq.internal:5671/market")
        #expect(config.writer.flushMaxAge == .milliseconds(50))
        #expect(config.enabledProcesses == [.ingestor(.bybit), .ingestor(.whitebit)])
        let bybit = try #require(config.exchange(.bybit))
        #expect(bybit.category == .linear)
        #expect(bybit.channels == [.book, .ticker])
        #expect(bybit.candleIntervals == [.month1])
        #expect(bybit.apiSecret.revealed == "bybit-secret")
        #expect(config.exchange(.whitebit)?.candleIntervals == [.d3, .h8])
        #expect(loaded.warnings.isEmpty, "no file mode given, so no permission warning: \(loaded.warnings)")
    }

    @Test func manyErrorsFixtureReportsEachMistakeExactly() throws {
        let expected = try fixture("many-errors.expected").split(separator: "\n").map(String.init)
        let text = try fixture("many-errors.toml")
        do {
            _ = try ConfigLoader.load(text: text, path: "many-errors.toml", environment: [:], workingDirectory: "/")
            Issue.record("the fixture loaded")
        } catch {
            let actual = error.errors.map(\.description)
            #expect(actual.count == expected.count)
            for (a, e) in zip(actual, expected) { #expect(a == e) }
            #expect(!error.description.contains("42"), "the secret's value must not appear")
        }
    }
}
