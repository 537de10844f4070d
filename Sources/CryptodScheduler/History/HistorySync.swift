import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodSinks
import Logging
import Metrics

/// The periodic history pass (the seed's "historical sync every 5 minutes"): for every active market and
/// every configured timeframe the exchange offers, queue a catch-up from the newest stored candle (or
/// `lookback` ago, for a market with nothing stored) to now. This is the incremental fill after the service
/// was down, and what keeps timeframes that are not streamed (5m…1d) complete.
/// Timeframes the exchange does not offer are then built from the stored smaller ones (``Consolidation``).
///
/// Each (market, timeframe) has one `sync` row in `backfill_jobs`, reused by every pass, so the table does
/// not grow with time; a pass whose previous one has not finished skips that pair. The first pass waits a
/// minute after start: live data comes before backfill.
package struct HistorySync: Sendable {
    let history: PostgresHistory
    let backfills: BackfillManager
    let exchanges: [ExchangeID]
    let timeframes: [CandleInterval]
    let interval: Duration
    let lookback: Duration
    let logger: Logger

    package init(
        history: PostgresHistory, backfills: BackfillManager, exchanges: [ExchangeID], timeframes: [CandleInterval],
        interval: Duration, lookback: Duration, logger: Logger
    ) {
        self.history = history
        self.backfills = backfills
        self.exchanges = exchanges
        self.timeframes = timeframes
        self.interval = interval
        self.lookback = lookback
        self.logger = logger
    }

    /// Where a pass starts for one timeframe: after the newest stored candle, but never further back than
    /// `lookback`; `nil` when nothing closed is missing.
    package static func range(newestStored: Int64?, grid: CandleGrid, now: Int64, lookback: Int64) -> TimeRange? {
        let earliest = grid.open(containing: now - lookback)
        let start = max(earliest, newestStored.map { grid.next(after: $0) } ?? earliest)
        return TimeRange(start: start, end: grid.open(containing: now))
    }

    /// The share of `[now − lookback, now − interval)` known (closed candles stored, or answered empty) per
    /// exchange and timeframe over `markets`; the last pass interval is left out (its candles are being
    /// fetched now). 0…1.
    package static func coverageRatio(known: Int, expected: Int) -> Double {
        expected == 0 ? 1 : min(1, Double(known) / Double(expected))
    }

    private func recordCoverage(markets: [MarketKey], now: Int64, lookback: Int64) async throws {
        let recent = interval.components.seconds * 1000
        var sums: [ExchangeID: [CandleInterval: (known: Int, expected: Int)]] = [:]
        for market in markets {
            let derived = Set(Consolidation.plans(exchange: market.exchange, timeframes: timeframes).map(\.target))
            for timeframe in timeframes
            where ExchangeIntervals.supports(market.exchange, timeframe) || derived.contains(timeframe) {
                let grid = CandleGrid(timeframe)
                guard
                    let range = TimeRange(
                        start: grid.open(containing: now - lookback), end: grid.open(containing: now - recent))
                else { continue }
                var known = try await history.closedCount(
                    market: market, interval: timeframe, start: range.start, end: range.end)
                for empty in try await history.emptyRanges(
                    market: market, interval: timeframe, start: range.start, end: range.end)
                {
                    if let clipped = TimeRange(start: max(empty.start, range.start), end: min(empty.end, range.end)) {
                        known += grid.count(in: clipped)
                    }
                }
                var sum = sums[market.exchange, default: [:]][timeframe] ?? (0, 0)
                sum.known += known
                sum.expected += grid.count(in: range)
                sums[market.exchange, default: [:]][timeframe] = sum
            }
        }
        for (exchange, byTimeframe) in sums {
            for (timeframe, sum) in byTimeframe {
                Gauge(
                    label: "cryptod_scheduler_coverage_ratio",
                    dimensions: [("exchange", exchange.rawValue), ("timeframe", timeframe.description)]
                ).record(Self.coverageRatio(known: sum.known, expected: sum.expected))
            }
        }
    }

    package func run() async {
        guard lookback > .zero, !timeframes.isEmpty else { return }
        let queued = Counter(label: "cryptod_scheduler_history_sync_jobs_total")
        try? await Task.sleep(for: min(interval, .seconds(60)))
        let lookbackMilliseconds = lookback.components.seconds * 1000
        while !Task.isCancelled {
            do {
                let active = try await history.tradingPairs(exchanges: exchanges).filter(\.value).keys.sorted()
                let now = WallClock.nowNanoseconds() / 1_000_000
                for market in active {
                    for timeframe in timeframes where ExchangeIntervals.supports(market.exchange, timeframe) {
                        let newest = try await history.newestStored(market: market, interval: timeframe)
                        guard
                            let range = Self.range(
                                newestStored: newest, grid: CandleGrid(timeframe), now: now,
                                lookback: lookbackMilliseconds)
                        else { continue }
                        if let job = try await history.queueSync(
                            market: market, interval: timeframe, start: range.start, end: range.end)
                        {
                            backfills.queue(job.id)
                            queued.increment()
                        }
                    }
                }
                // Timeframes the exchange lacks are built from the ones just synced (their previous pass).
                _ = await Consolidation.run(history: history, markets: active, timeframes: timeframes, logger: logger)
                try await recordCoverage(markets: active, now: now, lookback: lookbackMilliseconds)
            } catch {
                logger.warning("the history sync pass failed; trying again next pass", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
