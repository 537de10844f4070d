/// WhiteBIT stream keys: one channel per `*_subscribe` method, the market (or -1 for "all markets"),
/// and a parameter for candles (interval index) and depth (limit and price-interval indexes).
enum WhiteBITStream {
    enum Channel: UInt16 {
        case lastprice = 1, market, marketToday, candles, trades, depth, bookTicker

        /// The JSON-RPC method prefix (`lastprice` → `lastprice_subscribe` / `lastprice_update`).
        var method: String {
            switch self {
            case .lastprice: return "lastprice"
            case .market: return "market"
            case .marketToday: return "marketToday"
            case .candles: return "candles"
            case .trades: return "trades"
            case .depth: return "depth"
            case .bookTicker: return "bookTicker"
            }
        }

        init?(method: String) {
            switch method {
            case "lastprice": self = .lastprice
            case "market": self = .market
            case "marketToday": self = .marketToday
            case "candles": self = .candles
            case "trades": self = .trades
            case "depth": self = .depth
            case "bookTicker": self = .bookTicker
            default: return nil
            }
        }
    }

    /// `depth_subscribe` limits (whitebit.md §4.3).
    static let depthLimits = [1, 5, 10, 20, 30, 50, 100]

    /// `depth_subscribe` price intervals in units (1e-8); index 0 is `"0"` (no aggregation).
    static let priceIntervals: [(text: String, units: Int64)] = [
        ("0", 0), ("0.00000001", 1), ("0.0000001", 10), ("0.000001", 100), ("0.00001", 1_000),
        ("0.0001", 10_000), ("0.001", 100_000), ("0.01", 1_000_000), ("0.1", 10_000_000),
    ]

    /// Every interval (seconds) the WS kline rule of whitebit.md §4.3 allows, ascending: divisors of
    /// 60 below a minute, multiples of 60 dividing 3600, multiples of 3600 dividing 86400, whole days
    /// below a week, one week and 30 days.
    static let candleIntervals: [Int64] = {
        var values: [Int64] = []
        for seconds in Int64(1)..<604_800 {
            let allowed: Bool
            switch seconds {
            case ..<60: allowed = 60 % seconds == 0
            case ..<3_600: allowed = seconds % 60 == 0 && 3_600 % seconds == 0
            case ..<86_400: allowed = seconds % 3_600 == 0 && 86_400 % seconds == 0
            default: allowed = seconds % 86_400 == 0
            }
            if allowed { values.append(seconds) }
        }
        return values + [604_800, 2_592_000]
    }()

    static func allKey(_ channel: Channel) -> StreamKey {
        StreamKey(market: -1, channel: channel.rawValue)
    }

    static func key(_ channel: Channel, market: Int) -> StreamKey {
        StreamKey(market: market, channel: channel.rawValue)
    }

    static func candleKey(market: Int, intervalIndex: Int) -> StreamKey {
        StreamKey(market: market, channel: Channel.candles.rawValue, parameter: UInt32(intervalIndex))
    }

    /// Depth parameter: price-interval index × 8 + limit index.
    static func depthKey(market: Int, limitIndex: Int, intervalIndex: Int) -> StreamKey {
        StreamKey(market: market, channel: Channel.depth.rawValue, parameter: UInt32(intervalIndex * 8 + limitIndex))
    }

    static func depthLimit(_ key: StreamKey) -> Int { depthLimits[Int(key.parameter % 8)] }

    static func depthInterval(_ key: StreamKey) -> (text: String, units: Int64) {
        priceIntervals[Int(key.parameter / 8)]
    }

    /// The candle width of a WS interval: calendar-aligned weeks (Monday) and months for 604800 and
    /// 2592000 seconds, epoch-aligned fixed widths otherwise.
    static func candleInterval(seconds: Int64) -> CandleInterval {
        switch seconds {
        case 604_800: return .weeks(1)
        case 2_592_000: return .months(1)
        default: return .milliseconds(seconds * 1_000)
        }
    }

    /// The stream name used by fault targets and the admin API, e.g. `depth:BTC_USDT:100:0`,
    /// `candles:ETH_BTC:900`, `trades:*`.
    static func name(_ key: StreamKey, symbol: (Int) -> String) -> String {
        guard let channel = Channel(rawValue: key.channel) else { return "unknown" }
        let market = key.market < 0 ? "*" : symbol(key.market)
        switch channel {
        case .candles:
            let index = Int(key.parameter)
            return "candles:\(market):\(index < candleIntervals.count ? candleIntervals[index] : 0)"
        case .depth:
            return "depth:\(market):\(depthLimit(key)):\(depthInterval(key).text)"
        default:
            return "\(channel.method):\(market)"
        }
    }
}
