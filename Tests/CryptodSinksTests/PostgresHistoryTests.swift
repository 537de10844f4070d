import CryptodModel
import Logging
import Testing

@testable import CryptodSinks

@Suite(
    "PostgreSQL history for the scheduler", .serialized,
    .enabled(if: PostgresTestDatabase.isConfigured, "CRYPTOD_TEST_DATABASE_URL is not set"))
struct PostgresHistoryTests {
    typealias T = TestData
    static let minute: Int64 = 60_000

    @Test("stored opens come from closed candles only; empty ranges and jobs round-trip")
    func ledgerAndJobs() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            try await sink.write(
                T.batch([
                    .candle(T.candle(minute: 0)), .candle(T.candle(minute: 1)),
                    .candle(T.candle(minute: 5, closed: false)),
                ]))
            await sink.close()
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))
            let start = T.start.milliseconds
            let opens = try await history.storedOpens(
                market: T.btc, interval: .m1, start: start, end: start + 10 * Self.minute)
            #expect(opens == [start, start + Self.minute], "the open candle at minute 5 is not history yet")
            #expect(
                try await history.storedOpens(market: T.btc, interval: .m5, start: start, end: start + 10 * Self.minute)
                    .isEmpty)

            try await history.recordEmpty(
                market: T.btc, interval: .m1, start: start + 20 * Self.minute, end: start + 30 * Self.minute)
            let empty = try await history.emptyRanges(
                market: T.btc, interval: .m1, start: start, end: start + 25 * Self.minute)
            #expect(empty.map { [$0.start, $0.end] } == [[start + 20 * Self.minute, start + 30 * Self.minute]])
            #expect(
                try await history.emptyRanges(market: T.eth, interval: .m1, start: start, end: start + 25 * Self.minute)
                    .isEmpty)

            var job = try await history.insert(
                BackfillJobRecord(
                    market: T.eth, interval: .h1, rangeStart: start, rangeEnd: start + 86_400_000, order: "oldest_first"
                ))
            #expect(job.id > 0)
            job.state = .running
            job.chunksTotal = 3
            job.chunksDone = 1
            job.candles = 1000
            job.storedBefore = 7
            job.startedAt = start
            try await history.update(job)
            let read = try #require(try await history.job(id: job.id))
            #expect(read.market == T.eth && read.interval == .h1 && read.state == .running)
            #expect([read.chunksTotal, read.chunksDone] == [3, 1] && read.candles == 1000 && read.storedBefore == 7)
            #expect(read.startedAt == start && read.finishedAt == nil)
            #expect(try await history.jobs(unfinished: true).map(\.id) == [job.id])
            job.state = .succeeded
            job.finishedAt = start + 1
            try await history.update(job)
            #expect(try await history.jobs(unfinished: true).isEmpty)
            #expect(try await history.jobs().map(\.state) == [.succeeded])
            await history.close()
        }
    }

    @Test("a sync row per pair and timeframe is reused, and not requeued while a pass is unfinished")
    func syncRows() async throws {
        try await PostgresTestDatabase.with { db in
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))
            _ = try await history.migrate()
            let start = T.start.milliseconds
            let first = try #require(
                try await history.queueSync(market: T.btc, interval: .m5, start: start, end: start + 3_600_000))
            #expect(first.state == .queued)
            #expect(
                try await history.queueSync(market: T.btc, interval: .m5, start: start, end: start + 7_200_000) == nil)
            var finished = first
            finished.state = .succeeded
            try await history.update(finished)
            let again = try #require(
                try await history.queueSync(
                    market: T.btc, interval: .m5, start: start + 3_600_000, end: start + 7_200_000))
            #expect(again.id == first.id && again.state == .queued && again.rangeStart == start + 3_600_000)
            _ = try #require(
                try await history.queueSync(market: T.btc, interval: .h1, start: start, end: start + 7_200_000))
            #expect(try await db.count("backfill_jobs") == 2)
            #expect(try await history.newestStored(market: T.btc, interval: .m1) == nil)
            await history.close()
        }
    }

    @Test("configured markets are switched on; pairs first seen in data start inactive")
    func activeMarkets() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            try await sink.write(T.batch([.candle(T.candle(minute: 0)), .candle(T.candle(minute: 0, market: T.eth))]))
            await sink.close()
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))
            #expect(try await history.tradingPairs(exchanges: [.binance, .bybit]) == [T.btc: false, T.eth: false])
            try await history.activate([T.btc])
            #expect(try await history.tradingPairs(exchanges: [.binance, .bybit]) == [T.btc: true, T.eth: false])
            #expect(try await history.tradingPairs(exchanges: [.bybit]) == [T.eth: false])
            await history.close()
        }
    }

    @Test("pruning deletes only what is older than the cutoff, per table and timeframe, in batches")
    func pruning() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            var hourly = T.candle(minute: 0)
            hourly.interval = .h1
            try await sink.write(
                T.batch(
                    (0..<7).map { .candle(T.candle(minute: Int64($0))) } + [.candle(hourly)]
                        + [.trades((0..<5).map { T.trade(String($0), at: Int64($0) * Self.minute) })]))
            await sink.close()
            let history = try PostgresHistory(url: db.url, logger: Logger(label: "test"))
            let cutoff = T.start.milliseconds + 3 * Self.minute
            #expect(try await history.prune(.candles1m, olderThanMilliseconds: cutoff, batch: 2) == 2)
            #expect(try await history.prune(.candles1m, olderThanMilliseconds: cutoff, batch: 2) == 1)
            #expect(try await history.prune(.candles1m, olderThanMilliseconds: cutoff, batch: 2) == 0)
            #expect(try await db.value("SELECT count(*)::text FROM historical_data WHERE timeframe = '1m'") == "4")
            #expect(
                try await db.value("SELECT count(*)::text FROM historical_data WHERE timeframe = '1h'") == "1",
                "other timeframes kept")
            #expect(try await history.prune(.trades, olderThanMilliseconds: cutoff, batch: 100) == 3)
            #expect(try await db.count("trades") == 2)
            #expect(try await history.prune(.candles, olderThanMilliseconds: cutoff, batch: 100) == 1)
            await history.close()
        }
    }
}
