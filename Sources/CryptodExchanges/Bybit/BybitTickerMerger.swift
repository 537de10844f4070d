import CryptodModel

/// Folds Bybit ticker messages into full tickers: linear `tickers.{s}` sends a snapshot, then deltas that
/// carry only the fields that changed (a missing field means "unchanged").
///
/// The stream parser keeps no state, so the ingestor holds one merger per connection (a plain value) and
/// passes every Bybit ticker through ``merge(_:)``. Spot tickers are always complete snapshots and come out
/// unchanged. Each frame's fields overwrite the held ones; a field the frame lacks keeps its last value.
/// Call ``reset(_:)`` when a market is resubscribed (its next message is a fresh snapshot) and
/// ``removeAll()`` when the connection is replaced.
public struct BybitTickerMerger: Sendable {
    private var latest: [MarketKey: Ticker] = [:]

    public init() {}

    /// The full ticker after applying `update` (a snapshot or a delta) to what is held for its market.
    public mutating func merge(_ update: Ticker) -> Ticker {
        guard var merged = latest[update.market] else {
            latest[update.market] = update
            return update
        }
        merged.time = update.time
        merged.receivedAt = update.receivedAt
        if let value = update.last { merged.last = value }
        if let value = update.lastQuantity { merged.lastQuantity = value }
        if let value = update.bid { merged.bid = value }
        if let value = update.bidQuantity { merged.bidQuantity = value }
        if let value = update.ask { merged.ask = value }
        if let value = update.askQuantity { merged.askQuantity = value }
        if let value = update.open { merged.open = value }
        if let value = update.high { merged.high = value }
        if let value = update.low { merged.low = value }
        if let value = update.volume { merged.volume = value }
        if let value = update.quoteVolume { merged.quoteVolume = value }
        if let value = update.changePercent { merged.changePercent = value }
        latest[update.market] = merged
        return merged
    }

    /// The merged ticker held for `market`, if any.
    public func current(_ market: MarketKey) -> Ticker? { latest[market] }

    /// Forgets `market` (after an unsubscribe, or before a resubscribe's fresh snapshot).
    public mutating func reset(_ market: MarketKey) { latest[market] = nil }

    /// Forgets every market (the connection was replaced).
    public mutating func removeAll() { latest.removeAll() }
}
