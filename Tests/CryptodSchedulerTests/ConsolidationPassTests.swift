import CryptodModel
import Foundation
import Logging
import Testing

@testable import CryptodScheduler
@testable import CryptodSinks

/// The scheduler's consolidation pass against a real PostgreSQL (`scripts/services up`): it builds only the
/// timeframes each market's exchange lacks, from the stored timeframe it chose.
@Suite(
    "Consolidation pass in PostgreSQL", .serialized,
    .enabled(
        if: ProcessInfo.processInfo.environment["CRYPTOD_TEST_DATABASE_URL"] != nil,
        "CRYPTOD_TEST_DATABASE_URL is not set"))
struct ConsolidationPassTests {
    static func url(_ url: String, database: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return url + " dbname=\(database)" }
        let authority = parts[1].prefix { $0 != "/" && $0 != "?" }
        return parts[0] + "://" + authority + "/" + database
    }

    @Test("Bybit 8h is built from stored 4h candles; Binance, which offers 8h, gets none")
    func pass() async throws {
        let server = try #require(ProcessInfo.processInfo.environment["CRYPTOD_TEST_DATABASE_URL"])
        var logger = Logger(label: "tests.consolidation")
        logger.logLevel = .warning
        let name = "cryptod_sched_test_\(UInt64.random(in: 0...UInt64.max))"
        let admin = try PostgresConnection(url: server, applicationName: "scheduler-tests", logger: logger)
        _ = try await admin.run { try $0.execute("CREATE DATABASE \(name)") }
        do {
            try await body(url: Self.url(server, database: name), logger: logger)
        } catch {
            _ = try? await admin.run { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
            await admin.close()
            throw error
        }
        _ = try? await admin.run { try $0.execute("DROP DATABASE IF EXISTS \(name) WITH (FORCE)") }
        await admin.close()
    }

    func body(url: String, logger: Logger) async throws {
        _ = try await PostgresMigrator.migrate(url: url, logger: logger)
        let bybit = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")
        let binance = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
        let history = try PostgresHistory(url: url, logger: logger)
        try await history.activate([bybit, binance])
        let writer = try PostgresConnection(url: url, applicationName: "scheduler-tests-writer", logger: logger)
        _ = try await writer.run { session in
            // Two closed 4h candles per market: 00:00 and 04:00 of 2026-01-01.
            for hours in [0, 4] {
                try session.execute(
                    """
                    INSERT INTO historical_data (trading_pair_id, timeframe, open_time, open, high, low, close, volume,
                      is_closed)
                    SELECT id, '4h', timestamptz '2026-01-01T00:00:00Z' + $1::int * interval '1 hour',
                      $2, '120.5', '90.25', $3, '2.5', true FROM trading_pairs
                    """, ["\(hours)", hours == 0 ? "100" : "110", hours == 0 ? "110" : "115.75"])
            }
        }
        await writer.close()

        let written = await Consolidation.run(
            history: history, markets: [bybit, binance], timeframes: [.h4, .h8], logger: logger)
        #expect(written == 1, "one 8h candle, for Bybit only")
        let check = try PostgresConnection(url: url, applicationName: "scheduler-tests-check", logger: logger)
        let derived = try await check.run { session in
            try session.execute(
                """
                SELECT e.name, h.open::text, h.close::text, h.volume::text, h.is_closed::text, h.derived_from
                FROM historical_data h JOIN trading_pairs tp ON tp.id = h.trading_pair_id
                JOIN exchanges e ON e.id = tp.exchange_id WHERE h.timeframe = '8h' AND h.is_derived
                """
            ).values
        }
        await check.close()
        #expect(derived == [["bybit", "100", "115.75", "5.0", "true", "4h"]])
        await history.close()
    }
}
