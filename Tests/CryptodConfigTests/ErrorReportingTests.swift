import Foundation
import Testing

@testable import CryptodConfig

/// What errors say: format, suggestions for unknown names, collection and capping, file problems.
@Suite struct ErrorReportingTests {
    @Test func descriptionHasFileLineKeyValueProblemAndExpectation() throws {
        let doc = "# comment\n\n[gateway]\n\nrest_listen = \"127.0.0.1:99999\"\n"
        let error = try #require(singleError(doc))
        #expect(
            error.description
                == #"/cfg/test.toml:5: gateway.rest_listen = "127.0.0.1:99999": port must be 1-65535; expected "HOST:PORT", e.g. "127.0.0.1:8000""#
        )
        #expect(error.code == .invalidValue)
        #expect(error.file == "/cfg/test.toml")
        #expect(error.line == 5)
    }

    // MARK: - Unknown names

    @Test(arguments: [
        (
            "[gateway]\nrest_lisen = \"127.0.0.1:1\"", "gateway.rest_lisen", ConfigError.Code.unknownKey,
            "gateway.rest_listen"
        ),
        ("[daemon]\nloglevel = \"debug\"", "daemon.loglevel", .unknownKey, "daemon.log_level"),
        ("[daemon]\nmax_frame_bytes = 1", "daemon.max_frame_bytes", .unknownKey, "delivery.max_frame_bytes"),
        ("[exchanges.binance]\nmarket = []", "exchanges.binance.market", .unknownKey, "exchanges.binance.markets"),
        ("[gatway]\nenabled = true", "gatway", .unknownSection, "[gateway]"),
        ("[binance]\nenabled = true", "binance", .unknownSection, "[exchanges.binance]"),
        ("[exchanges.binanse]", "exchanges.binanse", .unknownExchange, "exchanges.binance"),
        ("log_level = \"debug\"", "log_level", .unknownKey, "daemon.log_level"),
        ("log_levle = \"debug\"", "log_levle", .unknownKey, "daemon.log_level"),
    ])
    func unknownNamesSuggestTheIntendedOne(doc: String, path: String, code: ConfigError.Code, suggestion: String) throws
    {
        let error = try #require(singleError(doc))
        #expect(error.keyPath == path)
        #expect(error.code == code)
        #expect(error.suggestion == suggestion)
        #expect(error.description.hasSuffix("; did you mean \(suggestion)?"), "\(error)")
    }

    @Test func unknownNamesWithoutACloseMatchListWhatExists() throws {
        let section = try #require(singleError("[metrics]\nport = 1"))
        #expect(section.description.contains("unknown section [metrics]; expected one of [daemon], [supervisor]"))
        let exchange = try #require(singleError("[exchanges.kraken]\nenabled = true"))
        #expect(
            exchange.description
                == #"/cfg/test.toml:1: exchanges.kraken = { enabled = true }: unknown exchange "kraken"; expected one of binance, bybit, whitebit"#
        )
        let key = try #require(singleError("[scheduler]\ninterval = \"1s\""))
        #expect(
            key.description
                == #"/cfg/test.toml:2: scheduler.interval = "1s": unknown key; expected one of the [scheduler] keys: enabled, markets_poll_interval, timeframes, history_interval, history_lookback, retention_trades, retention_ticker_snapshots, retention_candles_1m, retention_candles"#
        )
        let table = try #require(singleError("[gateway.tls]\ncert = \"x\""))
        #expect(table.description.contains("gateway.tls: unknown table [gateway.tls]"))
        #expect(table.line == 1)
    }

    @Test func misplacedValuesAreTypeErrors() throws {
        let section = try #require(singleError("gateway = 5"))
        #expect(section.description == "/cfg/test.toml:1: gateway = 5: found an integer; expected a [gateway] table")
        let exchanges = try #require(singleError("[[exchanges]]\nname = \"binance\""))
        #expect(exchanges.description.contains("found an array of tables; expected a [exchanges] table"))
        let exchange = try #require(singleError("[exchanges]\nbybit = true"))
        #expect(
            exchange.description.contains("exchanges.bybit = true: found a boolean; expected a [exchanges.bybit] table")
        )
    }

    // MARK: - Collection

    @Test func everyProblemIsReportedInLineOrder() {
        let doc = """
            [supervisor]
            restart_budget = 0
            bogus = 1
            [gateway]
            enabled = "no"
            ws_listen = "nowhere"
            """
        let found = errors(doc, environment: ["CRYPTOD_LOG_LEVEL": "loud"])
        #expect(
            found.map(\.keyPath) == [
                "supervisor.restart_budget", "supervisor.bogus", "gateway.enabled", "gateway.ws_listen",
                "daemon.log_level",
            ])
        #expect(found.map(\.line) == [2, 3, 5, 6, nil])
    }

    @Test func errorsAreCappedAtFifty() throws {
        let doc = "[gateway]\n" + (1...60).map { "unknown_\($0) = 1" }.joined(separator: "\n")
        do {
            _ = try load(doc)
            Issue.record("loaded")
        } catch {
            #expect(error.errors.count == ConfigErrorList.limit)
            #expect(error.omitted == 10)
            #expect(error.errors.first?.keyPath == "gateway.unknown_1")
            #expect(error.description.hasSuffix("\n… and 10 more errors"))
            #expect(error.description.split(separator: "\n").count == 51)
        }
    }

    // MARK: - Syntax and files

    @Test(arguments: [
        ("[a]\nx = 1\n[a]", ConfigError.Code.duplicateDefinition, "/cfg/test.toml:3:1: table [a] is defined twice"),
        ("[gateway]\nenabled = tru", .syntax, "/cfg/test.toml:2:11: expected a value"),
        ("when = 2024-01-01", .unsupportedValue, "/cfg/test.toml:1:8: dates and times are not supported"),
    ])
    func syntaxErrorsCarryLineAndColumn(doc: String, code: ConfigError.Code, prefix: String) throws {
        let error = try #require(singleError(doc))
        #expect(error.code == code)
        #expect(error.description.hasPrefix(prefix), "\(error)")
    }

    @Test func unreadableFilesSayWhy() throws {
        let missing = "/nonexistent/cryptod-\(UUID().uuidString).toml"
        let cases = [(missing, "no such file"), (NSTemporaryDirectory(), "it is a directory")]
        for (path, why) in cases {
            do {
                _ = try ConfigLoader.load(path: path, environment: [:])
                Issue.record("\(path) loaded")
            } catch {
                #expect(error.errors.first?.code == .unreadableFile)
                #expect(error.description == "\(path): cannot read the configuration file: \(why)")
            }
        }
    }

    @Test func loadsARealFileAndNamesItAsGiven() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cryptod-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("c.toml")
        try "[daemon]\nruntime_dir = \"run\"\nlog_level = \"nope\"\n".write(to: file, atomically: true, encoding: .utf8)
        do {
            _ = try ConfigLoader.load(path: file.path, environment: [:])
            Issue.record("loaded")
        } catch {
            #expect(error.description.hasPrefix("\(file.path):3: daemon.log_level = \"nope\""))
        }
        try "[daemon]\nruntime_dir = \"run\"\n".write(to: file, atomically: true, encoding: .utf8)
        let loaded = try ConfigLoader.load(path: file.path, environment: [:])
        #expect(loaded.configuration.daemon.runtimeDirectory == dir.standardizedFileURL.path + "/run")
        #expect(loaded.filePath == file.path)
    }
}
