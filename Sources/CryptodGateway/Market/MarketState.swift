import CryptodModel
import DequeModule
import Synchronization

/// The latest market data the gateway has seen, in memory only: the last ticker per market, the last
/// candle per (market, interval) and the last ``tradeHistory`` trades per market.
///
/// Nothing is persisted. After a restart the senders replay what this process had not acknowledged, and
/// the state fills again from live data. Markets are keyed by exchange and upper-cased symbol, the way
/// clients name them; the market type (spot, linear) is kept in each value.
package final class MarketState: Sendable {
    /// Exchange and upper-cased symbol.
    package struct SymbolKey: Sendable, Hashable, Comparable {
        package let exchange: String
        package let symbol: String

        package init(exchange: String, symbol: String) {
            self.exchange = exchange
            self.symbol = symbol.uppercased()
        }

        init(_ market: MarketKey) { self.init(exchange: market.exchange.rawValue, symbol: market.symbol) }

        package static func < (lhs: SymbolKey, rhs: SymbolKey) -> Bool {
            (lhs.exchange, lhs.symbol) < (rhs.exchange, rhs.symbol)
        }
    }

    private struct CandleKey: Hashable {
        let market: SymbolKey
        let interval: CandleInterval
    }

    private struct Storage {
        var tickers: [SymbolKey: Ticker] = [:]
        var candles: [CandleKey: Candle] = [:]
        var trades: [SymbolKey: Deque<Trade>] = [:]
    }

    /// Trades kept per market (the most `?limit=` may ask for).
    package let tradeHistory: Int
    private let storage = Mutex(Storage())

    package init(tradeHistory: Int = 1000) {
        precondition(tradeHistory > 0)
        self.tradeHistory = tradeHistory
    }

    // MARK: - Updating

    /// Records one event. Book events are only fanned out, not kept.
    package func apply(_ event: MarketEvent) {
        switch event {
        case .ticker(let ticker):
            storage.withLock { $0.tickers[SymbolKey(ticker.market)] = ticker }
        case .candle(let candle):
            let key = CandleKey(market: SymbolKey(candle.market), interval: candle.interval)
            storage.withLock { storage in
                // A late update of an older candle (a replay, a backfill) must not hide the current one.
                if let current = storage.candles[key], current.openTime > candle.openTime { return }
                storage.candles[key] = candle
            }
        case .trades(let trades):
            guard !trades.isEmpty else { return }
            let limit = tradeHistory
            // A batch is one market in practice; group anyway, so a mixed batch cannot misfile a trade.
            let batches = Dictionary(grouping: trades) { SymbolKey($0.market) }
            storage.withLock { storage in
                for (key, batch) in batches {
                    // Taken out of the dictionary while it grows, so the deque is not copied.
                    var kept = storage.trades.removeValue(forKey: key) ?? []
                    kept.append(contentsOf: batch.suffix(limit))
                    if kept.count > limit { kept.removeFirst(kept.count - limit) }
                    storage.trades[key] = kept
                }
            }
        case .bookSnapshot, .bookDelta, .instruments, .gap, .status:
            break
        }
    }

    // MARK: - Reading

    package func ticker(_ key: SymbolKey) -> Ticker? {
        storage.withLock { $0.tickers[key] }
    }

    package func candle(_ key: SymbolKey, interval: CandleInterval) -> Candle? {
        storage.withLock { $0.candles[CandleKey(market: key, interval: interval)] }
    }

    /// The newest `limit` trades, oldest first.
    package func trades(_ key: SymbolKey, limit: Int) -> [Trade] {
        storage.withLock { storage in
            guard let kept = storage.trades[key] else { return [] }
            return Array(kept.suffix(max(0, limit)))
        }
    }

    /// What is known about each market, for `/api/v1/markets` and for "nothing known" messages.
    package struct Summary: Sendable, Equatable {
        package var key: SymbolKey
        package var market: MarketType
        package var hasTicker: Bool
        package var tradeCount: Int
        package var candleIntervals: [CandleInterval]
    }

    package func summaries() -> [Summary] {
        storage.withLock { storage in
            var result: [SymbolKey: Summary] = [:]
            func entry(_ key: SymbolKey, _ type: MarketType) -> Summary {
                result[key] ?? Summary(key: key, market: type, hasTicker: false, tradeCount: 0, candleIntervals: [])
            }
            for (key, ticker) in storage.tickers {
                var summary = entry(key, ticker.market.type)
                summary.hasTicker = true
                result[key] = summary
            }
            for (key, trades) in storage.trades {
                var summary = entry(key, trades.last?.market.type ?? .spot)
                summary.tradeCount = trades.count
                result[key] = summary
            }
            for (key, candle) in storage.candles {
                var summary = entry(key.market, candle.market.type)
                summary.candleIntervals.append(key.interval)
                result[key.market] = summary
            }
            return result.values.map { summary in
                var sorted = summary
                sorted.candleIntervals.sort()
                return sorted
            }.sorted { $0.key < $1.key }
        }
    }
}
