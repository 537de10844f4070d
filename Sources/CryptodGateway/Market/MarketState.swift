import CryptodExchanges
import CryptodModel
import DequeModule
import Synchronization

/// The latest market data the gateway has seen, in memory only: the last ticker per market, the last
/// candle per (market, interval), the last ``tradeHistory`` trades per market, each exchange's instrument
/// list and the state of its connection.
///
/// Markets are keyed by exchange, market type and the exchange's symbol (`MarketKey`), because the same
/// symbol is two markets on Bybit (spot and linear). Nothing is persisted: after a restart the senders
/// replay what this process had not acknowledged, and the state fills again from live data.
package final class MarketState: Sendable {
    private struct CandleKey: Hashable {
        let market: MarketKey
        let interval: CandleInterval
    }

    /// What the last source-status event without a market said about an exchange's connection.
    package struct Connection: Sendable, Hashable {
        package var state: SourceStatus.State
        package var reason: String
        package var time: Timestamp
    }

    private struct Storage {
        var tickers: [MarketKey: Ticker] = [:]
        var candles: [CandleKey: Candle] = [:]
        var trades: [MarketKey: Deque<Trade>] = [:]
        var instruments: [ExchangeID: [MarketKey: Instrument]] = [:]
        var directories: [ExchangeID: SymbolDirectory] = [:]
        var connections: [ExchangeID: Connection] = [:]
        var lastEvent: [ExchangeID: Timestamp] = [:]
    }

    /// Trades kept per market (the most `?limit=` may ask for).
    package let tradeHistory: Int
    private let storage = Mutex(Storage())

    package init(tradeHistory: Int = 1000) {
        precondition(tradeHistory > 0)
        self.tradeHistory = tradeHistory
    }

    // MARK: - Updating

    /// Records one event. Book events are kept by ``BookStore``, gaps only fanned out.
    package func apply(_ event: MarketEvent) {
        switch event {
        case .ticker(let ticker):
            storage.withLock { storage in
                storage.tickers[ticker.market] = ticker
                storage.lastEvent[ticker.market.exchange] = ticker.receivedAt
            }
        case .candle(let candle):
            let key = CandleKey(market: candle.market, interval: candle.interval)
            storage.withLock { storage in
                storage.lastEvent[candle.market.exchange] = candle.receivedAt
                // A late update of an older candle (a replay, a backfill) must not hide the current one.
                if let current = storage.candles[key], current.openTime > candle.openTime { return }
                storage.candles[key] = candle
            }
        case .trades(let trades):
            guard let newest = trades.last else { return }
            let limit = tradeHistory
            // A batch is one market in practice; group anyway, so a mixed batch cannot misfile a trade.
            let batches = Dictionary(grouping: trades) { $0.market }
            storage.withLock { storage in
                storage.lastEvent[newest.market.exchange] = newest.receivedAt
                for (key, batch) in batches {
                    // Taken out of the dictionary while it grows, so the deque is not copied.
                    var kept = storage.trades.removeValue(forKey: key) ?? []
                    kept.append(contentsOf: batch.suffix(limit))
                    if kept.count > limit { kept.removeFirst(kept.count - limit) }
                    storage.trades[key] = kept
                }
            }
        case .instruments(let list):
            storage.withLock { storage in
                // One event lists one market type (or all): replace the listed types only.
                let types = Set(list.instruments.map(\.market.type))
                var known = storage.instruments[list.exchange] ?? [:]
                known = known.filter { !types.contains($0.key.type) }
                for instrument in list.instruments { known[instrument.market] = instrument }
                storage.instruments[list.exchange] = known
                storage.directories[list.exchange] = SymbolDirectory(instruments: Array(known.values))
            }
        case .status(let status):
            guard status.market == nil else { return }
            storage.withLock { storage in
                storage.connections[status.exchange] = Connection(
                    state: status.state, reason: status.reason, time: status.time)
            }
        case .bookSnapshot, .bookDelta, .gap:
            break
        }
    }

    // MARK: - Reading

    package func ticker(_ key: MarketKey) -> Ticker? {
        storage.withLock { $0.tickers[key] }
    }

    package func candle(_ key: MarketKey, interval: CandleInterval) -> Candle? {
        storage.withLock { $0.candles[CandleKey(market: key, interval: interval)] }
    }

    /// The newest `limit` trades, oldest first.
    package func trades(_ key: MarketKey, limit: Int) -> [Trade] {
        storage.withLock { storage in
            guard let kept = storage.trades[key] else { return [] }
            return Array(kept.suffix(max(0, limit)))
        }
    }

    /// The instruments `exchange` listed, sorted; nil before its first instrument list arrived.
    package func instruments(_ exchange: ExchangeID) -> [Instrument]? {
        storage.withLock { storage in
            storage.instruments[exchange].map { $0.values.sorted { $0.market < $1.market } }
        }
    }

    /// The listed instrument of `market`, if any.
    package func instrument(_ market: MarketKey) -> Instrument? {
        storage.withLock { $0.instruments[market.exchange]?[market] }
    }

    /// Unified ↔ exchange symbols, from the instruments received (empty before the first list).
    package func directory(_ exchange: ExchangeID) -> SymbolDirectory {
        storage.withLock { $0.directories[exchange] ?? SymbolDirectory() }
    }

    /// The exchange's connection as its ingestor last reported it.
    package func connection(_ exchange: ExchangeID) -> Connection? {
        storage.withLock { $0.connections[exchange] }
    }

    /// When market data from `exchange` last arrived.
    package func lastEvent(_ exchange: ExchangeID) -> Timestamp? {
        storage.withLock { $0.lastEvent[exchange] }
    }

    /// What is known about each market, for the market lists and for "nothing known" messages.
    package struct Summary: Sendable, Equatable {
        package var key: MarketKey
        package var hasTicker: Bool
        package var tradeCount: Int
        package var candleIntervals: [CandleInterval]
    }

    package func summaries() -> [Summary] {
        storage.withLock { storage in
            var result: [MarketKey: Summary] = [:]
            func entry(_ key: MarketKey) -> Summary {
                result[key] ?? Summary(key: key, hasTicker: false, tradeCount: 0, candleIntervals: [])
            }
            for key in storage.tickers.keys {
                var summary = entry(key)
                summary.hasTicker = true
                result[key] = summary
            }
            for (key, trades) in storage.trades {
                var summary = entry(key)
                summary.tradeCount = trades.count
                result[key] = summary
            }
            for key in storage.candles.keys {
                var summary = entry(key.market)
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
