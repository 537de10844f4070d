/// Binance stream names ↔ stream keys.
///
/// Channels: trade, aggTrade, kline_<i>, miniTicker, ticker, bookTicker, depth[@100ms],
/// depth<5|10|20>[@100ms], and the all-market `!miniTicker@arr`. Symbols are lowercase.
enum BinanceStream {
    enum Channel: UInt16 {
        case trade = 1, aggTrade, kline, miniTicker, ticker, bookTicker, depthDiff, partialDepth, allMiniTickers
    }

    static let klineIntervals = [
        "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
    ]

    /// Speed flag in a depth key's parameter: 1 = 100 ms, 0 = 1000 ms.
    static func depthKey(market: Int, fast: Bool) -> StreamKey {
        StreamKey(market: market, channel: Channel.depthDiff.rawValue, parameter: fast ? 1 : 0)
    }

    /// Partial depth parameter: levels × 2 + speed.
    static func partialKey(market: Int, levels: Int, fast: Bool) -> StreamKey {
        StreamKey(
            market: market, channel: Channel.partialDepth.rawValue, parameter: UInt32(levels * 2 + (fast ? 1 : 0)))
    }

    static let allMiniTickersKey = StreamKey(market: -1, channel: Channel.allMiniTickers.rawValue)

    /// Parses a stream name; nil when it is not a valid Binance stream of a listed market.
    static func parse(_ name: String, market: (String) -> Int?) -> StreamKey? {
        if name == "!miniTicker@arr" { return allMiniTickersKey }
        guard let at = name.firstIndex(of: "@") else { return nil }
        let symbol = String(name[..<at])
        guard symbol == symbol.lowercased(), let index = market(symbol.uppercased()) else { return nil }
        let rest = String(name[name.index(after: at)...])
        switch rest {
        case "trade": return StreamKey(market: index, channel: Channel.trade.rawValue)
        case "aggTrade": return StreamKey(market: index, channel: Channel.aggTrade.rawValue)
        case "miniTicker": return StreamKey(market: index, channel: Channel.miniTicker.rawValue)
        case "ticker": return StreamKey(market: index, channel: Channel.ticker.rawValue)
        case "bookTicker": return StreamKey(market: index, channel: Channel.bookTicker.rawValue)
        case "depth", "depth@1000ms": return depthKey(market: index, fast: false)
        case "depth@100ms": return depthKey(market: index, fast: true)
        default: break
        }
        if rest.hasPrefix("kline_") {
            let interval = String(rest.dropFirst("kline_".count))
            guard let position = klineIntervals.firstIndex(of: interval) else { return nil }
            return StreamKey(market: index, channel: Channel.kline.rawValue, parameter: UInt32(position))
        }
        if rest.hasPrefix("depth") {
            var body = rest.dropFirst("depth".count)
            var fast = false
            if body.hasSuffix("@100ms") {
                fast = true
                body = body.dropLast("@100ms".count)
            } else if body.hasSuffix("@1000ms") {
                body = body.dropLast("@1000ms".count)
            }
            guard let levels = Int(body), [5, 10, 20].contains(levels) else { return nil }
            return partialKey(market: index, levels: levels, fast: fast)
        }
        return nil
    }

    /// The canonical name of a key.
    static func name(_ key: StreamKey, symbol: (Int) -> String) -> String {
        guard let channel = Channel(rawValue: key.channel) else { return "unknown" }
        if channel == .allMiniTickers { return "!miniTicker@arr" }
        let prefix = symbol(key.market).lowercased()
        switch channel {
        case .trade: return prefix + "@trade"
        case .aggTrade: return prefix + "@aggTrade"
        case .kline: return prefix + "@kline_" + klineIntervals[Int(key.parameter)]
        case .miniTicker: return prefix + "@miniTicker"
        case .ticker: return prefix + "@ticker"
        case .bookTicker: return prefix + "@bookTicker"
        case .depthDiff: return prefix + (key.parameter == 1 ? "@depth@100ms" : "@depth")
        case .partialDepth:
            return prefix + "@depth\(key.parameter / 2)" + (key.parameter & 1 == 1 ? "@100ms" : "")
        case .allMiniTickers: return "!miniTicker@arr"
        }
    }
}
