import CryptodModel
import Logging
import Testing

@testable import CryptodSinks

@Suite(
    "PostgreSQL consolidation of derived timeframes", .serialized,
    .enabled(if: PostgresTestDatabase.isConfigured, "CRYPTOD_TEST_DATABASE_URL is not set"))
struct PostgresConsolidationTests {
    typealias T = TestData

    /// Minute `minute` of `T.start`, with prices that differ per minute so first/last/max/min are told apart.
    static func minute(_ minute: Int64, closed: Bool = true, close: ExactDecimal? = nil) -> Candle {
        let base = 100 + minute
        return Candle(
            market: T.btc, interval: .m1, openTime: Timestamp(seconds: T.start.seconds + minute * 60),
            open: ExactDecimal("\(base).1")!, high: ExactDecimal("\(base + (minute == 2 ? 50 : 1)).25")!,
            low: ExactDecimal("\(base - (minute == 3 ? 40 : 1)).005")!, close: close ?? ExactDecimal("\(base).9")!,
            volume: ExactDecimal("\(minute + 1).000000001")!, quoteVolume: "1000.0001", tradeCount: 10 + minute,
            isClosed: closed, receivedAt: T.start)
    }

    static let columns = """
        SELECT to_char(open_time AT TIME ZONE 'UTC', 'HH24:MI'), open::text, high::text, low::text, close::text,
            volume::text, quote_volume::text, trade_count::text, is_closed::text, is_derived::text, derived_from
        FROM historical_data WHERE timeframe = '5m' ORDER BY open_time
        """

    @Test("1m candles build exact 5m candles; an incomplete range stays open; a revision rebuilds")
    func consolidateAndRebuild() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            // Minutes 0–4 complete; 5–8 stored, 9 still forming.
            try await sink.write(
                T.batch((0..<10).map { .candle(Self.minute($0, closed: $0 != 9)) }))
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))

            let first = try await history.consolidate(market: T.btc, source: .m1, target: .m5)
            #expect(first == .init(written: 2, closed: 1))
            let rows = try await db.query(Self.columns)
            #expect(
                rows == [
                    [
                        "00:00", "100.1", "152.25", "63.005", "104.9", "15.000000005", "5000.0005", "60", "true",
                        "true", "1m",
                    ],
                    [
                        "00:05", "105.1", "110.25", "104.005", "109.9", "40.000000005", "5000.0005", "85", "false",
                        "true", "1m",
                    ],
                ])

            // Nothing changed: nothing is rewritten.
            #expect(
                try await history.consolidate(market: T.btc, source: .m1, target: .m5) == .init(written: 0, closed: 0))

            // The exchange revises minute 4's close and minute 9 closes: both derived candles are rebuilt.
            try await sink.write(
                T.batch([.candle(Self.minute(4, close: "104.95")), .candle(Self.minute(9))], first: 11))
            let second = try await history.consolidate(market: T.btc, source: .m1, target: .m5)
            #expect(second == .init(written: 2, closed: 2))
            let rebuilt = try await db.query(Self.columns)
            #expect(
                rebuilt.map { [$0[0], $0[4], $0[8]] } == [["00:00", "104.95", "true"], ["00:05", "109.9", "true"]])
            #expect(
                try await db.value(
                    "SELECT revisions::text FROM historical_data WHERE timeframe = '5m' AND open_time = $1",
                    ["2026-01-01T00:00:00Z"]) == "1", "a closed derived candle that changes counts a revision")
            await sink.close()
            await history.close()
        }
    }

    @Test("a range with a known-empty source slot closes; an exchange's own candle is never overwritten")
    func emptySlotsAndOwnCandles() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            // Minutes 0–3 stored, 4 known empty; 5–9 stored but a candle for 00:05 came from the exchange.
            try await sink.write(
                T.batch(
                    (0..<4).map { .candle(Self.minute($0)) } + (5..<10).map { .candle(Self.minute($0)) } + [
                        .candle(
                            Candle(
                                market: T.btc, interval: .m5, openTime: Timestamp(seconds: T.start.seconds + 300),
                                open: "1", high: "2", low: "0.5", close: "1.5", volume: "3", isClosed: true,
                                receivedAt: T.start))
                    ]))
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))
            let start = T.start.milliseconds
            #expect(
                try await history.consolidate(market: T.btc, source: .m1, target: .m5) == .init(written: 1, closed: 0))
            try await history.recordEmpty(market: T.btc, interval: .m1, start: start + 240_000, end: start + 300_000)
            #expect(
                try await history.consolidate(market: T.btc, source: .m1, target: .m5) == .init(written: 1, closed: 1))
            let rows = try await db.query(Self.columns)
            #expect(
                rows.map { [$0[0], $0[4], $0[5], $0[8], $0[9]] } == [
                    ["00:00", "103.9", "10.000000004", "true", "true"], ["00:05", "1.5", "3", "true", "false"],
                ])
            await sink.close()
            await history.close()
        }
    }
}
