import CryptodExchanges
import CryptodModel
import CryptodSinks
import Logging
import Metrics

/// Consolidation: timeframes an exchange does not offer (Bybit has no 8h or 3d), built from smaller stored
/// candles of the same market. The building itself is one SQL statement
/// (``PostgresHistory/consolidate(market:source:target:)``, exact NUMERIC arithmetic); this type decides what
/// is built from what, and holds the same rule in Swift for the tests and for anyone aggregating in memory.
package enum Consolidation {
    /// One timeframe to build for an exchange, and the stored timeframe it is built from.
    package struct Plan: Sendable, Hashable {
        package var target: CandleInterval
        package var source: CandleInterval
    }

    /// Whether `target` candles can be built from `source` candles: both of fixed length, `source` shorter
    /// and dividing `target`, and `target`'s grid offset (weeks open on Monday) a whole number of `source`s.
    package static func canBuild(_ target: CandleInterval, from source: CandleInterval) -> Bool {
        guard let t = target.seconds, let s = source.seconds, t > s, t % s == 0 else { return false }
        let offset: Int64 = target == .w1 ? 3 * 86_400 : 0
        return offset % s == 0
    }

    /// For each of `timeframes` that `exchange` does not offer, the largest other timeframe it offers and that
    /// the history sync keeps stored (one of `timeframes`) that can build it: fewer rows to read per candle.
    /// A timeframe nothing can build (1s, a month) is left out.
    package static func plans(exchange: ExchangeID, timeframes: [CandleInterval]) -> [Plan] {
        let stored = timeframes.filter { ExchangeIntervals.supports(exchange, $0) }
        return timeframes.filter { !ExchangeIntervals.supports(exchange, $0) }.sorted().compactMap { target in
            stored.filter { canBuild(target, from: $0) }.max().map { Plan(target: target, source: $0) }
        }
    }

    /// The candle of `target` built from `candles` (one market, one source timeframe, all inside the one
    /// `target` range opening at `openTime`; any order): open of the first, high the maximum, low the
    /// minimum, close of the last, volumes and trade counts summed (quote volume and trade count only when
    /// every source has one). Closed only when `expected` closed sources are there. `nil` for no candles or
    /// a sum that does not fit 38 digits.
    package static func aggregate(
        _ candles: [Candle], into target: CandleInterval, openTime: Timestamp, expected: Int
    ) -> Candle? {
        let sorted = candles.sorted { $0.openTime < $1.openTime }
        guard let first = sorted.first, let last = sorted.last else { return nil }
        var high = first.high
        var low = first.low
        var volume = ExactDecimal.zero
        var quoteVolume: ExactDecimal? = .zero
        var tradeCount: Int64? = 0
        for candle in sorted {
            high = max(high, candle.high)
            low = min(low, candle.low)
            guard let sum = volume.adding(candle.volume) else { return nil }
            volume = sum
            if let total = quoteVolume, let value = candle.quoteVolume {
                guard let sum = total.adding(value) else { return nil }
                quoteVolume = sum
            } else {
                quoteVolume = nil
            }
            if let total = tradeCount, let value = candle.tradeCount {
                let (sum, overflow) = total.addingReportingOverflow(value)
                tradeCount = overflow ? nil : sum
            } else {
                tradeCount = nil
            }
        }
        let closed = sorted.filter(\.isClosed).count
        return Candle(
            market: first.market, interval: target, openTime: openTime, open: first.open, high: high, low: low,
            close: last.close, volume: volume, quoteVolume: quoteVolume, tradeCount: tradeCount,
            isClosed: closed >= expected, receivedAt: last.receivedAt, origin: first.origin)
    }

    /// One consolidation pass over `markets`: every plan of each market's exchange. Returns the candles
    /// written. A failure of one market is logged and the others go on.
    package static func run(
        history: PostgresHistory, markets: [MarketKey], timeframes: [CandleInterval], logger: Logger
    ) async -> Int {
        let written = Counter(label: "cryptod_scheduler_consolidated_candles_total")
        var total = 0
        for market in markets {
            for plan in plans(exchange: market.exchange, timeframes: timeframes) {
                do {
                    let result = try await history.consolidate(
                        market: market, source: plan.source, target: plan.target)
                    total += result.written
                    if result.written > 0 { written.increment(by: result.written) }
                } catch {
                    logger.warning(
                        "consolidating candles failed; trying again next pass",
                        metadata: [
                            "market": "\(market)", "timeframe": "\(plan.target)", "source": "\(plan.source)",
                            "error": "\(error)",
                        ])
                }
            }
        }
        return total
    }
}
