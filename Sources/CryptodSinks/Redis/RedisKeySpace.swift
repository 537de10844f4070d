import CryptodModel

/// The names of the keys the Redis sink writes (docs/redis.md): `<prefix>:<kind>:<exchange>:<market>:<symbol>`.
package struct RedisKeySpace: Sendable, Hashable {
    package var prefix: String

    package init(prefix: String) { self.prefix = prefix }

    /// `cryptod:ticker:binance:spot:BTCUSDT`
    package func ticker(_ market: MarketKey) -> String { key("ticker", market) }

    /// `cryptod:book:binance:spot:BTCUSDT`
    package func book(_ market: MarketKey) -> String { key("book", market) }

    /// `cryptod:candle:binance:spot:BTCUSDT:1m`
    package func candle(_ market: MarketKey, _ interval: CandleInterval) -> String {
        key("candle", market) + ":" + interval.description
    }

    private func key(_ kind: String, _ market: MarketKey) -> String {
        "\(prefix):\(kind):\(market.exchange.rawValue):\(market.type.description):\(market.symbol)"
    }
}
