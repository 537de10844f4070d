/// The routing keys of the events cryptod publishes on its topic exchange (docs/events.md).
package enum RabbitMQRoutingKey: String, Sendable, Hashable, CaseIterable {
    /// A ticker (conflated per market).
    case priceUpdated = "crypto.price.updated"
    /// The top of a book (conflated per market).
    case orderbookUpdated = "crypto.orderbook.updated"
    /// A live candle, forming or closed.
    case klineUpdated = "crypto.kline.updated"
    /// A closed candle fetched over REST: origin `backfill` or `gap_fill`.
    case historicalUpdated = "crypto.historical.updated"
    /// One public trade.
    case tradeCreated = "crypto.trade.created"
    /// A hole in one market's stream was detected.
    case gapOpened = "crypto.gap.opened"
    /// The hole was filled (or given up on).
    case gapClosed = "crypto.gap.closed"
    /// A connection or a market changed state (connected, resyncing, degraded…).
    case sourceStatus = "crypto.source.status"
}
