/// Bybit public topics ↔ stream keys.
///
/// Topics: `orderbook.{1|50|200|1000}.{symbol}`, `tickers.{symbol}`, `kline.{interval}.{symbol}`,
/// `publicTrade.{symbol}`. The same topic exists on `/v5/public/spot` and `/v5/public/linear`, so
/// the category is part of the key (channel + 16 for linear) and of the admin stream name
/// (`spot/orderbook.50.BTCUSDT`, `linear/tickers.BTCUSDT`).
enum BybitStream {
    enum Kind: UInt16, Sendable {
        case orderbook = 1, tickers, kline, publicTrade
    }

    /// Order-book depths of spot and linear (bybit.md §4.3).
    static let depths: [UInt32] = [1, 50, 200, 1000]

    /// Kline intervals (REST and WebSocket) and the engine's names for them.
    static let intervals = ["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D", "W", "M"]
    private static let engineIntervals = [
        "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "12h", "1d", "1w", "1M",
    ]

    /// The engine interval of a Bybit interval name (`"60"` → 1 h, `"W"` → weeks from Monday).
    static func candleInterval(_ name: String) -> CandleInterval? {
        guard let position = self.intervals.firstIndex(of: name) else { return nil }
        return CandleInterval.parse(self.engineIntervals[position])
    }

    /// Push period of an order-book depth in real ms: 10 / 20 / 100 / 200 for 1 / 50 / 200 / 1000.
    static func bookPeriodMs(depth: UInt32) -> UInt64 {
        switch depth {
        case 1: return 10
        case 50: return 20
        case 200: return 100
        default: return 200
        }
    }

    static func key(_ kind: Kind, _ category: BybitCategory, market: Int, parameter: UInt32 = 0) -> StreamKey {
        StreamKey(market: market, channel: kind.rawValue + (category == .linear ? 16 : 0), parameter: parameter)
    }

    static func kind(of key: StreamKey) -> Kind? { Kind(rawValue: key.channel & 0x0F) }

    static func category(of key: StreamKey) -> BybitCategory { key.channel & 16 != 0 ? .linear : .spot }

    /// Parses a topic of `category`; nil when Bybit would answer "handler not found".
    static func parse(_ topic: String, category: BybitCategory, markets: BybitMarkets) -> StreamKey? {
        let parts = topic.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        func market(_ symbol: String) -> Int? { markets.market(category, symbol: symbol) }
        switch (parts.first, parts.count) {
        case ("orderbook", 3):
            guard let depth = UInt32(parts[1]), self.depths.contains(depth), let index = market(parts[2]) else {
                return nil
            }
            return self.key(.orderbook, category, market: index, parameter: depth)
        case ("tickers", 2):
            guard let index = market(parts[1]) else { return nil }
            return self.key(.tickers, category, market: index)
        case ("kline", 3):
            guard let position = self.intervals.firstIndex(of: parts[1]), let index = market(parts[2]) else {
                return nil
            }
            return self.key(.kline, category, market: index, parameter: UInt32(position))
        case ("publicTrade", 2):
            guard let index = market(parts[1]) else { return nil }
            return self.key(.publicTrade, category, market: index)
        default:
            return nil
        }
    }

    /// The topic of a key, as it appears in messages.
    static func topic(_ key: StreamKey, symbol: String) -> String {
        switch self.kind(of: key) {
        case .orderbook: return "orderbook.\(key.parameter).\(symbol)"
        case .tickers: return "tickers.\(symbol)"
        case .kline: return "kline.\(self.intervals[Int(key.parameter)]).\(symbol)"
        case .publicTrade: return "publicTrade.\(symbol)"
        case nil: return "unknown"
        }
    }

    /// The admin and fault-target name: `<category>/<topic>`.
    static func name(_ key: StreamKey, symbol: String) -> String {
        "\(self.category(of: key).rawValue)/\(self.topic(key, symbol: symbol))"
    }
}
