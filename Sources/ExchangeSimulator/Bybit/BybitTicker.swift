/// The inputs of one ticker: rolling 24 h statistics, the touch and the derivatives' extras.
struct BybitTickerStats: Sendable {
    var market: Int
    var last: Int64
    var prev24h: Int64
    var prev1h: Int64
    var high: Int64
    var low: Int64
    /// Base volume (1e-8) and quote turnover (1e-16) over 24 h.
    var volume: Int128
    var turnover: Int128
    var bid: BookLevel
    var ask: BookLevel
    /// Engine update id of the touch (the ticker's cross sequence `cs`).
    var updateId: Int64
    var tickDirection: String
    var now: Int64
}

/// Bybit's tick direction of the last price change (`PlusTick`, `ZeroPlusTick`, `MinusTick`,
/// `ZeroMinusTick`).
enum BybitTickDirection {
    static func next(after previous: Int64?, _ direction: String, price: Int64) -> String {
        guard let previous else { return "ZeroPlusTick" }
        if price > previous { return "PlusTick" }
        if price < previous { return "MinusTick" }
        return direction == "PlusTick" || direction == "ZeroPlusTick" ? "ZeroPlusTick" : "ZeroMinusTick"
    }

    /// The direction after the last of `prices` (oldest first).
    static func last(of prices: [Int64]) -> String {
        var previous: Int64?
        var direction = "ZeroPlusTick"
        for price in prices {
            direction = self.next(after: previous, direction, price: price)
            previous = price
        }
        return direction
    }
}

/// Field lists and values of the four ticker shapes (REST and stream, spot and linear), in the key
/// order of the documentation's examples.
enum BybitTickerFields {
    static let spotREST = [
        "symbol", "bid1Price", "bid1Size", "ask1Price", "ask1Size", "lastPrice", "prevPrice24h", "price24hPcnt",
        "highPrice24h", "lowPrice24h", "turnover24h", "volume24h", "usdIndexPrice",
    ]
    static let linearREST = [
        "symbol", "lastPrice", "indexPrice", "markPrice", "prevPrice24h", "price24hPcnt", "highPrice24h", "lowPrice24h",
        "prevPrice1h", "openInterest", "openInterestValue", "turnover24h", "volume24h", "fundingRate",
        "nextFundingTime",
        "predictedDeliveryPrice", "basisRate", "deliveryFeeRate", "deliveryTime", "ask1Size", "bid1Price", "ask1Price",
        "bid1Size", "basis", "preOpenPrice", "preQty", "curPreListingPhase", "fundingIntervalHour", "basisRateYear",
        "fundingCap",
    ]
    static let spotStream = [
        "symbol", "lastPrice", "highPrice24h", "lowPrice24h", "prevPrice24h", "volume24h", "turnover24h",
        "price24hPcnt",
        "usdIndexPrice",
    ]
    static let linearStream = [
        "symbol", "tickDirection", "price24hPcnt", "lastPrice", "prevPrice24h", "highPrice24h", "lowPrice24h",
        "prevPrice1h",
        "markPrice", "indexPrice", "openInterest", "openInterestValue", "turnover24h", "volume24h",
        "fundingIntervalHour",
        "fundingCap", "nextFundingTime", "fundingRate", "bid1Price", "bid1Size", "ask1Price", "ask1Size",
        "preOpenPrice",
        "preQty", "curPreListingPhase",
    ]

    static let fundingPeriodMs: Int64 = 8 * 3_600_000

    /// The values of `names` for one market. Every value is a string, as on the real API; absent
    /// derivative fields are `""`.
    static func values(
        _ t: BybitTickerStats, names: [String], category: BybitCategory, spec: MarketSpec, symbol: String, key: UInt64
    ) -> [String] {
        let grid = BybitGrid(spec: spec, category: category)
        let linear = category != .spot
        let mid = (t.bid.price + t.ask.price) / 2
        let mark = mid - mid % max(1, spec.tickSize)
        let period = DetMath.floorDiv(t.now, self.fundingPeriodMs)
        // Open interest wanders hour by hour around a few hundred typical orders.
        let lots =
            spec.typicalLots * Int64(200 + SimHash.hash(key, .market, DetMath.floorDiv(t.now, 3_600_000), 7) % 800)
        let openInterest = lots * spec.lotSize
        // Funding rate per 8 h period, in [-0.0005, 0.0005] at 1e-6.
        let funding = Int128(Int64(SimHash.hash(key, .market, period, 8) % 1_001) - 500)
        return names.map { name in
            switch name {
            case "symbol": return symbol
            case "bid1Price": return grid.priceText(t.bid.price)
            case "bid1Size": return grid.sizeText(t.bid.quantity)
            case "ask1Price": return grid.priceText(t.ask.price)
            case "ask1Size": return grid.sizeText(t.ask.quantity)
            case "lastPrice": return grid.priceText(t.last)
            case "prevPrice24h": return grid.priceText(t.prev24h)
            case "prevPrice1h": return grid.priceText(t.prev1h)
            case "highPrice24h": return grid.priceText(t.high)
            case "lowPrice24h": return grid.priceText(t.low)
            case "price24hPcnt": return BybitFormat.ratio(t.last - t.prev24h, over: t.prev24h, digits: linear ? 6 : 4)
            case "turnover24h":
                return linear
                    ? Units.string(wide: t.turnover, scale: 16, digits: 4)
                    : BybitFormat.trimmed(t.turnover, scale: 16, maxDigits: 8)
            case "volume24h": return grid.volumeText(t.volume)
            case "usdIndexPrice":
                return ["USDT", "USDC"].contains(spec.quote)
                    ? BybitFormat.trimmed(Int128(t.bid.price + t.ask.price) * 5, scale: 9, maxDigits: 8) : ""
            case "markPrice", "indexPrice": return grid.priceText(mark)
            case "openInterest": return grid.sizeText(openInterest)
            case "openInterestValue":
                return Units.string(wide: Units.notional(openInterest, mark), scale: 16, digits: 2)
            case "fundingRate": return BybitFormat.trimmed(funding, scale: 6, maxDigits: 6)
            case "nextFundingTime": return String((period + 1) * self.fundingPeriodMs)
            case "fundingIntervalHour": return "8"
            case "fundingCap": return "0.005"
            case "deliveryTime": return "0"
            case "tickDirection": return t.tickDirection
            default: return ""
            }
        }
    }

    /// `{"name":"value",…}` for the given names and values.
    static func object(_ w: inout JSONWriter, names: [String], values: [String], only indexes: [Int]? = nil) {
        w.raw("{")
        for (position, index) in (indexes ?? Array(names.indices)).enumerated() {
            if position > 0 { w.raw(",") }
            w.raw("\"")
            w.rawString(names[index])
            w.raw("\":")
            w.string(values[index])
        }
        w.raw("}")
    }
}

extension BybitVenue {
    /// Ticker inputs for several markets at `now` (one engine lock for the touches).
    func tickerStats(_ markets: [Int], now: Int64, withDirection: Bool) -> [BybitTickerStats] {
        let touches = self.context.engine.touches(markets: markets)
        let history = self.context.engine.history
        return markets.enumerated().map { position, market in
            let touch = touches[position]
            let summary = history.summary(market: market, from: now - 86_400_000, to: now + 1)
            let last = history.lastTrade(market: market, atOrBefore: now)?.price ?? touch.bid.price
            let prev24h =
                history.lastTrade(market: market, atOrBefore: now - 86_400_000)?.price
                ?? (summary.isEmpty ? last : summary.open)
            let prev1h = history.lastTrade(market: market, atOrBefore: now - 3_600_000)?.price ?? prev24h
            let direction =
                withDirection
                ? BybitTickDirection.last(of: history.recentTrades(market: market, limit: 64, now: now).map(\.price))
                : ""
            return BybitTickerStats(
                market: market, last: last, prev24h: prev24h, prev1h: prev1h,
                high: summary.isEmpty ? last : summary.high, low: summary.isEmpty ? last : summary.low,
                volume: summary.volume, turnover: summary.quoteVolume, bid: touch.bid, ask: touch.ask,
                updateId: touch.updateId, tickDirection: direction, now: now)
        }
    }

    /// The values of a stream ticker (spot or linear field list).
    func streamTickerValues(market: Int, category: BybitCategory, now: Int64) -> (values: [String], cs: Int64) {
        let stats = self.tickerStats([market], now: now, withDirection: category == .linear)[0]
        let names = category == .linear ? BybitTickerFields.linearStream : BybitTickerFields.spotStream
        return (self.tickerValues(stats, names: names, category: category), stats.updateId)
    }

    func tickerValues(_ stats: BybitTickerStats, names: [String], category: BybitCategory) -> [String] {
        BybitTickerFields.values(
            stats, names: names, category: category, spec: self.context.engine.spec(stats.market),
            symbol: self.markets.symbols[stats.market], key: self.context.engine.history.markets[stats.market].key)
    }

    /// `GET /v5/market/tickers`: `category` (required), `symbol` (optional: every symbol when absent).
    func tickers(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let category = try self.category(request)
        var markets = self.markets.markets(category)
        if let symbol = request.parameter("symbol") {
            guard let market = self.markets.market(category, symbol: symbol) else { throw .notSupportedSymbols }
            markets = [market]
        }
        let names = category == .spot ? BybitTickerFields.spotREST : BybitTickerFields.linearREST
        var w = JSONWriter(capacity: 64 + markets.count * 700)
        w.raw("{\"category\":\"")
        w.rawString(category.rawValue)
        w.raw("\",\"list\":[")
        for (index, stats) in self.tickerStats(markets, now: now, withDirection: false).enumerated() {
            if index > 0 { w.raw(",") }
            BybitTickerFields.object(
                &w, names: names, values: self.tickerValues(stats, names: names, category: category))
        }
        w.raw("]}")
        return BybitEnvelope.ok(w.buffer, time: now)
    }
}
