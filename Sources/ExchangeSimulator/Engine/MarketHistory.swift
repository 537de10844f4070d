import Synchronization

/// The deterministic past of every market: trades, aggregate trades and candles for any range.
///
/// Nothing here depends on the clock or on what was asked before: caches only remember pure
/// functions of (seed, market, coordinates). Callers pass `now` so nothing from the future leaks.
package final class MarketHistory: Sendable {
    /// Everything needed to generate one market's history.
    package struct Market: Sendable {
        package let spec: MarketSpec
        package let key: UInt64
        package let path: PricePath
        package let activity: ActivityModel
    }

    private struct TapeKey: Hashable {
        var market: Int
        var minute: Int64
    }

    private struct SummaryKey: Hashable {
        var market: Int
        var width: Int64
        var index: Int64
    }

    /// Cumulative counts before each day since listing (element i: before `listDay + i`).
    private struct DayPrefix {
        var orders: [Int64] = [0]
        var trades: [Int64] = [0]
    }

    private struct Caches {
        var tapes: [TapeKey: MinuteTape] = [:]
        var summaries: [SummaryKey: CandleSummary] = [:]
        var prefixes: [Int: DayPrefix] = [:]
    }

    private static let tapeCacheLimit = 20_000
    private static let summaryCacheLimit = 400_000

    package let markets: [Market]
    private let caches = Mutex(Caches())

    package init(specs: [MarketSpec], seed: UInt64) {
        self.markets = specs.map { spec in
            let key = SimHash.marketKey(seed: seed, name: spec.name)
            return Market(
                spec: spec, key: key, path: PricePath(key: key, spec: spec),
                activity: ActivityModel(key: key, spec: spec))
        }
    }

    // MARK: - Counts and ids

    /// Orders and trades before UTC day `day`.
    package func countsBefore(market: Int, day: Int64) -> (orders: Int64, trades: Int64) {
        let activity = self.markets[market].activity
        let offset = Int(day - activity.listDay)
        guard offset > 0 else { return (0, 0) }
        if let cached = self.caches.withLock({ caches -> (Int64, Int64)? in
            guard let prefix = caches.prefixes[market], offset < prefix.orders.count else { return nil }
            return (prefix.orders[offset], prefix.trades[offset])
        }) {
            return cached
        }
        var prefix = self.caches.withLock { $0.prefixes[market] } ?? DayPrefix()
        while prefix.orders.count <= offset {
            let day = activity.listDay + Int64(prefix.orders.count - 1)
            let orders = activity.dayOrders(day)
            let trades = orders + activity.dayExtras(day)
            prefix.orders.append(prefix.orders[prefix.orders.count - 1] + orders)
            prefix.trades.append(prefix.trades[prefix.trades.count - 1] + trades)
        }
        let result = (prefix.orders[offset], prefix.trades[offset])
        self.caches.withLock { caches in
            if (caches.prefixes[market]?.orders.count ?? 0) < prefix.orders.count { caches.prefixes[market] = prefix }
        }
        return result
    }

    /// Trades before the start of absolute minute `minute`.
    package func tradesBefore(market: Int, minute: Int64) -> Int64 {
        let day = DetMath.floorDiv(minute, ActivityModel.minutesPerDay)
        let counts = self.markets[market].activity.minute(day: day, index: minute - day * ActivityModel.minutesPerDay)
        return self.countsBefore(market: market, day: day).trades + counts.tradesBefore
    }

    /// Orders (aggregate trades) before the start of absolute minute `minute`.
    package func ordersBefore(market: Int, minute: Int64) -> Int64 {
        let day = DetMath.floorDiv(minute, ActivityModel.minutesPerDay)
        let counts = self.markets[market].activity.minute(day: day, index: minute - day * ActivityModel.minutesPerDay)
        return self.countsBefore(market: market, day: day).orders + counts.ordersBefore
    }

    /// The minute holding trade `id` (or aggregate `id` when `aggregate`), searching up to `lastMinute`.
    package func minute(containing id: Int64, aggregate: Bool, market: Int, lastMinute: Int64) -> Int64? {
        guard id >= 0 else { return nil }
        let activity = self.markets[market].activity
        let firstMinute = activity.listDay * ActivityModel.minutesPerDay
        guard lastMinute >= firstMinute else { return nil }
        let before = { (minute: Int64) -> Int64 in
            aggregate
                ? self.ordersBefore(market: market, minute: minute) : self.tradesBefore(market: market, minute: minute)
        }
        guard before(lastMinute + 1) > id else { return nil }
        // Largest minute whose "before" count is <= id.
        var low = firstMinute
        var high = lastMinute
        while low < high {
            let middle = low + (high - low + 1) / 2
            if before(middle) <= id { low = middle } else { high = middle - 1 }
        }
        return low
    }

    // MARK: - Tapes

    /// All trades of `market` in absolute minute `minute` (including any after `now`: filter).
    package func tape(market: Int, minute: Int64) -> MinuteTape {
        let key = TapeKey(market: market, minute: minute)
        if let cached = self.caches.withLock({ $0.tapes[key] }) { return cached }
        let entry = self.markets[market]
        let day = DetMath.floorDiv(minute, ActivityModel.minutesPerDay)
        let before = self.countsBefore(market: market, day: day)
        let tape = MinuteTape.generate(
            minute: minute, key: entry.key, spec: entry.spec, activity: entry.activity, path: entry.path,
            tradesBeforeDay: before.trades, ordersBeforeDay: before.orders)
        self.caches.withLock { caches in
            if caches.tapes.count >= Self.tapeCacheLimit { caches.tapes.removeAll(keepingCapacity: true) }
            caches.tapes[key] = tape
        }
        return tape
    }

    // MARK: - Summaries

    /// Summary of trades with `from <= time < to`. Callers keep `to <= now + 1`.
    package func summary(market: Int, from: Int64, to: Int64) -> CandleSummary {
        var result = CandleSummary()
        let listedAt = self.markets[market].spec.listedAt
        var time = max(from, listedAt)
        while time < to {
            if time % CandleInterval.day == 0 && time + CandleInterval.day <= to {
                result.merge(
                    self.alignedSummary(market: market, width: CandleInterval.day, index: time / CandleInterval.day))
                time += CandleInterval.day
            } else if time % CandleInterval.hour == 0 && time + CandleInterval.hour <= to {
                result.merge(
                    self.alignedSummary(market: market, width: CandleInterval.hour, index: time / CandleInterval.hour))
                time += CandleInterval.hour
            } else if time % CandleInterval.minute == 0 && time + CandleInterval.minute <= to {
                result.merge(
                    self.alignedSummary(
                        market: market, width: CandleInterval.minute, index: time / CandleInterval.minute))
                time += CandleInterval.minute
            } else {
                let minute = DetMath.floorDiv(time, CandleInterval.minute)
                let end = min(to, (minute + 1) * CandleInterval.minute)
                result.merge(CandleSummary.of(self.tape(market: market, minute: minute), from: time, to: end))
                time = end
            }
        }
        return result
    }

    /// Cached summary of an aligned minute, hour or day.
    private func alignedSummary(market: Int, width: Int64, index: Int64) -> CandleSummary {
        let key = SummaryKey(market: market, width: width, index: index)
        if let cached = self.caches.withLock({ $0.summaries[key] }) { return cached }
        var summary = CandleSummary()
        switch width {
        case CandleInterval.minute:
            summary = CandleSummary.of(self.tape(market: market, minute: index))
        case CandleInterval.hour:
            for minute in 0..<Int64(60) {
                summary.merge(
                    self.alignedSummary(market: market, width: CandleInterval.minute, index: index * 60 + minute))
            }
        default:
            for hour in 0..<Int64(24) {
                summary.merge(self.alignedSummary(market: market, width: CandleInterval.hour, index: index * 24 + hour))
            }
        }
        self.caches.withLock { caches in
            if caches.summaries.count >= Self.summaryCacheLimit { caches.summaries.removeAll(keepingCapacity: true) }
            caches.summaries[key] = summary
        }
        return summary
    }

    /// The last trade at or before `time` (searching back at most `maxDays` days).
    package func lastTrade(market: Int, atOrBefore time: Int64, maxDays: Int64 = 30) -> TradeRecord? {
        let listedAt = self.markets[market].spec.listedAt
        guard time >= listedAt else { return nil }
        var minute = DetMath.floorDiv(time, CandleInterval.minute)
        let floorMinute = max(listedAt / CandleInterval.minute, minute - maxDays * ActivityModel.minutesPerDay)
        // The partial minute first, then whole minutes skipping empty hours through cached summaries.
        if let trade = self.tape(market: market, minute: minute).trades().last(where: { $0.time <= time }) {
            return trade
        }
        minute -= 1
        while minute >= floorMinute {
            if (minute + 1) % 60 == 0 && minute - 59 >= floorMinute
                && self.alignedSummary(market: market, width: CandleInterval.hour, index: (minute - 59) / 60).isEmpty
            {
                minute -= 60
                continue
            }
            if let trade = self.tape(market: market, minute: minute).trades().last { return trade }
            minute -= 1
        }
        return nil
    }
}
