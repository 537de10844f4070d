import CryptodConfig
import CryptodGateway
import CryptodModel
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import CryptodSinks

// Real PostgreSQL: CRYPTOD_TEST_DATABASE_URL (scripts/test sets it; scripts/services up prints one). Without it
// the suite is reported as skipped by name.
private let serverURL: String? = ProcessInfo.processInfo.environment["CRYPTOD_TEST_DATABASE_URL"].flatMap {
    $0.isEmpty ? nil : $0
}

@Suite(
    "REST: candle history from PostgreSQL", .enabled(if: serverURL != nil, "CRYPTOD_TEST_DATABASE_URL is not set"),
    .timeLimit(.minutes(2)))
struct RESTHistoryTests {
    /// A fresh, migrated database with 10 one-minute candles of binance BTCUSDT from 2026-01-01T00:00Z, an
    /// hour of coverage: 00:00–00:05 present, 00:05–00:07 empty, 00:30–01:00 missing.
    func withHistory(_ body: (String) async throws -> Void) async throws {
        let server = try #require(serverURL)
        let name = "cryptod_gw_test_\(UInt64.random(in: 0...UInt64.max))"
        var logger = Logger(label: "tests.history")
        logger.logLevel = .warning
        let admin = try PostgresConnection(url: server, applicationName: "gateway-tests", logger: logger)
        _ = try await admin.run { try $0.execute("CREATE DATABASE \(name)") }
        let url = Self.url(server, database: name)
        do {
            _ = try await PostgresMigrator.migrate(url: url, logger: logger)
            let writer = try PostgresConnection(url: url, applicationName: "gateway-tests-writer", logger: logger)
            _ = try await writer.run { session in
                try session.execute("INSERT INTO exchanges (name) VALUES ('binance')")
                try session.execute(
                    "INSERT INTO trading_pairs (exchange_id, market_type, symbol) SELECT id, 'spot', 'BTCUSDT' FROM exchanges"
                )
                for minute in 0..<10 {
                    try session.execute(
                        """
                        INSERT INTO historical_data (trading_pair_id, timeframe, open_time, open, high, low, close, volume,
                          quote_volume, trade_count, is_closed)
                        SELECT id, '1m', timestamptz '2026-01-01T00:00:00Z' + $1::int * interval '1 minute',
                          '0.00010000', '0.00020000', '0.00005000', $2, '1.5', NULL, $3, true FROM trading_pairs
                        """, ["\(minute)", "0.0001000\(minute)", minute == 0 ? nil : "\(minute * 10)"])
                }
                // A 5m candle the scheduler built from the 1m ones (derived).
                try session.execute(
                    """
                    INSERT INTO historical_data (trading_pair_id, timeframe, open_time, open, high, low, close, volume,
                      is_closed, is_derived, derived_from)
                    SELECT id, '5m', timestamptz '2026-01-01T00:00:00Z', '0.00010000', '0.00020000', '0.00005000',
                      '0.00010004', '7.5', true, true, '1m' FROM trading_pairs
                    """)
                try session.execute(
                    """
                    INSERT INTO candle_coverage (trading_pair_id, timeframe, range_start, range_end, state)
                    SELECT id, '1m', s, e, st FROM trading_pairs, (VALUES
                      (timestamptz '2026-01-01T00:00:00Z', timestamptz '2026-01-01T00:05:00Z', 'present'),
                      (timestamptz '2026-01-01T00:05:00Z', timestamptz '2026-01-01T00:07:00Z', 'empty'),
                      (timestamptz '2026-01-01T00:30:00Z', timestamptz '2026-01-01T01:00:00Z', 'missing')) AS c(s, e, st)
                    """)
            }
            await writer.close()
            try await body(url)
        } catch {
            _ = try? await admin.run { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            await admin.close()
            throw error
        }
        _ = try? await admin.run { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        await admin.close()
    }

    static func url(_ url: String, database: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return url + " dbname=\(database)" }
        let authority = parts[1].prefix { $0 != "/" && $0 != "?" }
        return parts[0] + "://" + authority + "/" + database
    }

    @Test("pages forward from start with an opaque cursor; decimals exact; coverage of each page")
    func forwardPages() async throws {
        try await withHistory { url in
            let dir = try TemporaryDirectory()
            try await withREST(restConfiguration(runtime: dir.path, postgres: url)) { _, client in
                let first = try await client.execute(
                    uri: "/api/v1/exchanges/binance/ohlcv/BTC%2FUSDT?timeframe=1m&start=2026-01-01T00:00:00Z"
                        + "&end=2026-01-01T00:10:00Z&limit=4", method: .get
                ) { response in
                    #expect(response.status == .ok)
                    return try jsonObject(String(buffer: response.body))
                }
                let candles = try #require(first["candles"] as? [[String: Any]])
                #expect(candles.count == 4)
                #expect(candles.first?["open_time"] as? String == "2026-01-01T00:00:00.000Z")
                #expect(candles.first?["open"] as? String == "0.00010000")
                #expect(candles[1]["close"] as? String == "0.00010001")
                #expect(candles.first?["trade_count"] is NSNull)
                #expect(candles[1]["trade_count"] as? Int == 10)
                #expect(candles.allSatisfy { $0["derived"] as? Bool == false }, "the exchange's own candles")
                let coverage = try #require(first["coverage"] as? [String: Any])
                #expect(coverage["state"] as? String == "complete")
                let cursor = try #require(first["next_cursor"] as? String)
                var seen = candles.compactMap { $0["open_time"] as? String }
                var next: String? = cursor
                var pages = 1
                while let token = next {
                    let page = try await client.execute(
                        uri: "/api/v1/exchanges/binance/ohlcv/BTCUSDT?timeframe=1m&limit=4&cursor=\(token)",
                        method: .get
                    ) { response in
                        #expect(response.status == .ok)
                        return try jsonObject(String(buffer: response.body))
                    }
                    seen += (page["candles"] as? [[String: Any]] ?? []).compactMap { $0["open_time"] as? String }
                    next = page["next_cursor"] as? String
                    pages += 1
                    let coverage = page["coverage"] as? [String: Any]
                    let states = (coverage?["ranges"] as? [[String: Any]] ?? []).compactMap { $0["state"] as? String }
                    if pages == 2 {
                        // 00:04–00:08: stored, then empty, then not in the ledger.
                        #expect(states == ["present", "empty", "unknown"])
                        #expect(coverage?["state"] as? String == "partial")
                    } else if pages == 3 {
                        #expect(states == ["unknown"])
                        #expect(coverage?["state"] as? String == "none")
                    }
                }
                #expect(pages == 3)
                #expect(seen.count == 10 && Set(seen).count == 10, "every candle once: \(seen)")
                // A cursor is bound to its market and timeframe.
                try await client.execute(
                    uri: "/api/v1/exchanges/binance/ohlcv/BTCUSDT?timeframe=5m&cursor=\(cursor)", method: .get
                ) { response in
                    #expect(response.status == .badRequest)
                    try expectError(
                        response, code: "bad_cursor", mentioning: "this cursor pages binance:spot:BTCUSDT 1m")
                }
            }
        }
    }

    @Test("a consolidated timeframe is served with derived: true")
    func derivedCandles() async throws {
        try await withHistory { url in
            let dir = try TemporaryDirectory()
            try await withREST(restConfiguration(runtime: dir.path, postgres: url)) { _, client in
                let page = try await client.execute(
                    uri: "/api/v1/exchanges/binance/ohlcv/BTCUSDT?timeframe=5m&start=2026-01-01T00:00:00Z"
                        + "&end=2026-01-01T00:10:00Z", method: .get
                ) { response in
                    #expect(response.status == .ok)
                    return try jsonObject(String(buffer: response.body))
                }
                let candles = try #require(page["candles"] as? [[String: Any]])
                #expect(candles.count == 1)
                #expect(candles.first?["derived"] as? Bool == true)
                #expect(
                    candles.first?["close"] as? String == "0.00010004" && candles.first?["volume"] as? String == "7.5")
            }
        }
    }

    @Test("without start: the newest candles before end, oldest first, paging backwards; unknown markets 404")
    func newestAndBackwards() async throws {
        try await withHistory { url in
            let dir = try TemporaryDirectory()
            try await withREST(restConfiguration(runtime: dir.path, postgres: url)) { _, client in
                let page = try await client.execute(
                    uri: "/api/v1/exchanges/binance/ohlcv/BTCUSDT?limit=3&end=2026-01-01T00:09:00Z", method: .get
                ) { response in
                    #expect(response.status == .ok)
                    return try jsonObject(String(buffer: response.body))
                }
                let times = (page["candles"] as? [[String: Any]] ?? []).compactMap { $0["open_time"] as? String }
                #expect(times == ["2026-01-01T00:06:00.000Z", "2026-01-01T00:07:00.000Z", "2026-01-01T00:08:00.000Z"])
                let ranges = (page["coverage"] as? [String: Any])?["ranges"] as? [[String: Any]] ?? []
                #expect(ranges.compactMap { $0["state"] as? String } == ["empty", "unknown"])
                let cursor = try #require(page["next_cursor"] as? String)
                let older = try await client.execute(
                    uri: "/api/v1/exchanges/binance/ohlcv/BTCUSDT?limit=3&cursor=\(cursor)", method: .get
                ) { response in
                    #expect(response.status == .ok)
                    return try jsonObject(String(buffer: response.body))
                }
                let olderCandles = try #require(older["candles"] as? [[String: Any]], "\(older)")
                #expect(olderCandles.count == 3)
                #expect(olderCandles.last?["open_time"] as? String == "2026-01-01T00:05:00.000Z")
                try await client.execute(uri: "/api/v1/exchanges/binance/ohlcv/ETHUSDT", method: .get) { response in
                    #expect(response.status == .notFound)
                    try expectError(
                        response, code: "no_data", mentioning: "no candles of binance spot ETHUSDT are stored")
                }
            }
        }
    }
}
