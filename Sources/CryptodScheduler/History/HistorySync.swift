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
            } catch {
                logger.warning("the history sync pass failed; trying again next pass", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: interval)
        }
    }
}
