import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import Synchronization

/// Runs the scheduler's jobs for one exchange over its REST API: candle and trade backfills, book
/// resyncs. Every call goes through the exchange's governor at backfill priority (a resync at resync
/// priority), so live data always comes first.
package final class ExchangeJobs: JobExecutor, Sendable {
    private let source: ExchangeSource
    private let logger: Logger
    private let cancelled = Mutex<Set<UInt64>>([])

    package init(source: ExchangeSource, logger: Logger) {
        self.source = source
        self.logger = logger
    }

    package var kinds: Set<JobKind> { [.backfillCandles, .backfillTrades, .resyncBook] }

    package func cancel(_ id: UInt64) { _ = cancelled.withLock { $0.insert(id) } }

    private func isCancelled(_ id: UInt64) -> Bool { cancelled.withLock { $0.contains(id) } || Task.isCancelled }

    package func execute(
        _ job: JobRequest, publisher: MarketPublisher, progress: @Sendable (JobProgress) -> Void
    ) async -> JobResult {
        defer { _ = cancelled.withLock { $0.remove(job.id) } }
        do {
            switch job.kind {
            case .backfillCandles: return try await backfillCandles(job, publisher: publisher, progress: progress)
            case .backfillTrades: return try await backfillTrades(job, publisher: publisher)
            case .resyncBook:
                source.resync(job.market)
                return JobResult(id: job.id, outcome: .succeeded, items: 0, message: "resync requested")
            }
        } catch {
            return JobResult(id: job.id, outcome: .failed, items: 0, message: "\(error)")
        }
    }

    private func backfillCandles(
        _ job: JobRequest, publisher: MarketPublisher, progress: @Sendable (JobProgress) -> Void
    ) async throws -> JobResult {
        let api = source.api
        guard let interval = job.interval, let length = interval.seconds else {
            return JobResult(
                id: job.id, outcome: .failed, items: 0,
                message: "a candle backfill needs a fixed-length interval (1m…1w)")
        }
        let now = await source.rest.governor.exchangeNow
        let end = job.to ?? now
        var start = job.from ?? Timestamp(seconds: end.seconds - length * Int64(api.maxCandlesPerRequest))
        let total = UInt64(max(0, (end.seconds - start.seconds) / length))
        var items: UInt64 = 0
        while start < end {
            if isCancelled(job.id) {
                return JobResult(id: job.id, outcome: .cancelled, items: items, message: "cancelled")
            }
            // The exchanges take the end as inclusive, and Bybit answers with the *newest* `limit` candles of
            // the range: an end on the next candle's open would push the first candle of a full page out.
            let request = api.candlesRequest(
                market: job.market, interval: interval, start: start, end: end.advanced(byNanoseconds: -1_000_000),
                limit: api.maxCandlesPerRequest)
            // A row is closed only if its period had ended before the request left: the exchange may have
            // summed it just before the end and answered just after.
            let sentAt = await source.rest.governor.exchangeNow
            let response = try await source.rest.sendRetrying(request, priority: .backfill, attempts: nil)
            let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
            let candles = try api.parseCandles(
                response.body, market: job.market, interval: interval, receivedAt: receivedAt, exchangeNow: sentAt)
            let inRange = candles.filter { $0.openTime >= start && $0.openTime < end && $0.isClosed }
            for var candle in inRange {
                candle.origin = .backfill
                try publisher.publish(.candle(candle))
            }
            items += UInt64(inRange.count)
            progress(
                JobProgress(
                    id: job.id, completed: items, total: total,
                    note: "through \(inRange.last?.openTime.description ?? start.description)"))
            guard let last = candles.last, last.openTime >= start else { break }
            start = interval.nextOpenTime(after: last.openTime)
            if candles.count < api.maxCandlesPerRequest, start >= end { break }
            if candles.isEmpty { break }
        }
        return JobResult(id: job.id, outcome: .succeeded, items: items)
    }

    private func backfillTrades(_ job: JobRequest, publisher: MarketPublisher) async throws -> JobResult {
        let api = source.api
        let request = api.tradesRequest(market: job.market, fromID: nil, limit: api.maxTradesPerRequest)
        let response = try await source.rest.sendRetrying(request, priority: .backfill, attempts: nil)
        let trades = try api.parseTrades(
            response.body, market: job.market, receivedAt: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        var inRange = trades.filter { trade in
            (job.from.map { trade.time >= $0 } ?? true) && (job.to.map { trade.time < $0 } ?? true)
        }
        for index in inRange.indices { inRange[index].origin = .backfill }
        if !inRange.isEmpty { try publisher.publish(.trades(inRange)) }
        return JobResult(id: job.id, outcome: .succeeded, items: UInt64(inRange.count))
    }
}
