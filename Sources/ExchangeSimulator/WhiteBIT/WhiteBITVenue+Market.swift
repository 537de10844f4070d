import NIOCore

/// Market list, tickers, order book and recent trades.
extension WhiteBITVenue {
    /// 24-hour (or UTC-day) statistics as the tickers and `market_update` need them.
    struct Stats: Sendable {
        var open: Int64
        var last: Int64
        var high: Int64
        var low: Int64
        /// Stock volume at 1e-8, money volume (deal) at 1e-16.
        var volume: Int128
        var deal: Int128

        /// Percent change between open and last, in hundredths of a percent (truncated).
        var changeHundredths: Int128 {
            self.open == 0 ? 0 : Int128(self.last - self.open) * 10_000 / Int128(self.open)
        }
    }

    /// Statistics of the trades with `from <= time <= to`; a market without trades there is flat at
    /// its last price.
    func stats(market: Int, from: Int64, to: Int64) -> Stats {
        let history = self.context.engine.history
        let summary = history.summary(market: market, from: from, to: to + 1)
        guard !summary.isEmpty else {
            let last = history.lastTrade(market: market, atOrBefore: to)?.price ?? 0
            return Stats(open: last, last: last, high: last, low: last, volume: 0, deal: 0)
        }
        return Stats(
            open: summary.open, last: summary.close, high: summary.high, low: summary.low, volume: summary.volume,
            deal: summary.quoteVolume)
    }

    func rolling24h(market: Int, now: Int64) -> Stats {
        self.stats(market: market, from: now - 86_400_000 + 1, to: now)
    }

    /// CoinMarketCap ids the v4 ticker reports (0 when unknown, as documented).
    static let coinMarketCapIds: [String: Int] = [
        "BTC": 1, "LTC": 2, "XRP": 52, "DOGE": 74, "USDT": 825, "ETH": 1027, "BNB": 1839, "TRX": 1958, "ADA": 2010,
        "SOL": 5426, "USDC": 3408,
    ]

    /// Smallest order value in the money currency (not derivable from the grid; a simulator choice).
    static func minTotal(quote: String) -> String {
        switch quote {
        case "USDT", "USDC", "USD", "EUR": return "5"
        case "BTC": return "0.0001"
        case "ETH": return "0.001"
        default: return "1"
        }
    }

    // MARK: - Endpoints

    /// `GET /api/v4/public/markets`. Fees are percentages (`"0.1"` = 0.1 %): the documentation's
    /// example says `"0.001"` "ratio", but live answers quoted by ccxt, ccxt's parser (÷ 100) and the
    /// official SDK's API definition agree on percent. `isTradFiFutures` and `delistedAt` (always
    /// present, null without an announced delisting) are fields of the official SDK's definition.
    func markets() -> SimResponse {
        let items: [JSONValue] = (0..<self.context.engine.marketCount).map { market in
            let spec = self.spec(market)
            return .object([
                ("name", .string(self.symbols[market])), ("stock", .string(spec.base)), ("money", .string(spec.quote)),
                ("stockPrec", .string(String(spec.quantityDigits))), ("moneyPrec", .string(String(spec.priceDigits))),
                ("feePrec", .string("4")), ("makerFee", .string("0.1")), ("takerFee", .string("0.1")),
                ("minAmount", .string(WhiteBITRender.string(spec.lotSize, digits: 8))),
                ("minTotal", .string(Self.minTotal(quote: spec.quote))), ("maxTotal", .string("10000000000")),
                ("tradesEnabled", .bool(spec.status == .trading)), ("isCollateral", .bool(Self.isCollateral(spec))),
                ("type", .string("spot")), ("isTradFiFutures", .bool(false)), ("delistedAt", .null),
            ])
        }
        return Self.json(.array(items))
    }

    func tickerV4(now: Int64) -> SimResponse {
        let asOf = Self.cacheTime(now)
        var w = JSONWriter(capacity: 64 + 220 * self.symbols.count)
        w.raw("{")
        for market in 0..<self.context.engine.marketCount {
            let spec = self.spec(market)
            let stats = self.rolling24h(market: market, now: asOf)
            if market > 0 { w.raw(",") }
            w.raw("\""); w.rawString(self.symbols[market])
            w.raw("\":{\"base_id\":"); w.int(Self.coinMarketCapIds[spec.base] ?? 0)
            w.raw(",\"quote_id\":"); w.int(Self.coinMarketCapIds[spec.quote] ?? 0)
            w.raw(",\"last_price\":"); WhiteBITRender.decimal(&w, stats.last, digits: spec.priceDigits)
            w.raw(",\"quote_volume\":")
            WhiteBITRender.decimal(&w, wide: stats.deal, scale: 16, digits: spec.priceDigits + spec.quantityDigits)
            w.raw(",\"base_volume\":")
            WhiteBITRender.decimal(&w, wide: stats.volume, scale: 8, digits: spec.quantityDigits)
            w.raw(",\"isFrozen\":"); w.bool(spec.status != .trading)
            w.raw(",\"change\":"); WhiteBITRender.decimal(&w, wide: stats.changeHundredths, scale: 2, digits: 2)
            w.raw("}")
        }
        w.raw("}")
        return Self.json(.ok, w.buffer)
    }

    /// v1 single ticker: `{"success":true,"message":null,"result":{open,bid,ask,low,high,last,volume,deal,change}}`.
    func tickerV1(_ request: SimRequest, now: Int64) throws(WhiteBITError) -> SimResponse {
        let market = try self.market(named: request.parameter("market"))
        let spec = self.spec(market)
        let stats = self.rolling24h(market: market, now: Self.cacheTime(now))
        let touch = self.context.engine.touches(markets: [market])[0]
        var w = JSONWriter(capacity: 320)
        w.raw("{\"success\":true,\"message\":null,\"result\":{\"open\":")
        WhiteBITRender.decimal(&w, stats.open, digits: spec.priceDigits)
        w.raw(",\"bid\":"); WhiteBITRender.decimal(&w, touch.bid.price, digits: spec.priceDigits)
        w.raw(",\"ask\":"); WhiteBITRender.decimal(&w, touch.ask.price, digits: spec.priceDigits)
        w.raw(",\"low\":"); WhiteBITRender.decimal(&w, stats.low, digits: spec.priceDigits)
        w.raw(",\"high\":"); WhiteBITRender.decimal(&w, stats.high, digits: spec.priceDigits)
        w.raw(",\"last\":"); WhiteBITRender.decimal(&w, stats.last, digits: spec.priceDigits)
        w.raw(",\"volume\":"); WhiteBITRender.decimal(&w, wide: stats.volume, scale: 8, digits: spec.quantityDigits)
        w.raw(",\"deal\":")
        WhiteBITRender.decimal(&w, wide: stats.deal, scale: 16, digits: spec.priceDigits + spec.quantityDigits)
        w.raw(",\"change\":"); WhiteBITRender.decimal(&w, wide: stats.changeHundredths, scale: 2, digits: 2)
        w.raw("}}")
        return Self.json(.ok, w.buffer)
    }

    /// v1 all tickers: `result[market] = {"ticker":{bid,ask,low,high,last,vol,deal,change},"at":seconds}`.
    func tickersV1(now: Int64) -> SimResponse {
        let asOf = Self.cacheTime(now)
        let markets = Array(0..<self.context.engine.marketCount)
        let touches = self.context.engine.touches(markets: markets)
        var w = JSONWriter(capacity: 64 + 260 * markets.count)
        w.raw("{\"success\":true,\"message\":null,\"result\":{")
        for market in markets {
            let spec = self.spec(market)
            let stats = self.rolling24h(market: market, now: asOf)
            if market > 0 { w.raw(",") }
            w.raw("\""); w.rawString(self.symbols[market])
            w.raw("\":{\"ticker\":{\"bid\":")
            WhiteBITRender.decimal(&w, touches[market].bid.price, digits: spec.priceDigits)
            w.raw(",\"ask\":"); WhiteBITRender.decimal(&w, touches[market].ask.price, digits: spec.priceDigits)
            w.raw(",\"low\":"); WhiteBITRender.decimal(&w, stats.low, digits: spec.priceDigits)
            w.raw(",\"high\":"); WhiteBITRender.decimal(&w, stats.high, digits: spec.priceDigits)
            w.raw(",\"last\":"); WhiteBITRender.decimal(&w, stats.last, digits: spec.priceDigits)
            w.raw(",\"vol\":"); WhiteBITRender.decimal(&w, wide: stats.volume, scale: 8, digits: spec.quantityDigits)
            w.raw(",\"deal\":")
            WhiteBITRender.decimal(&w, wide: stats.deal, scale: 16, digits: spec.priceDigits + spec.quantityDigits)
            w.raw(",\"change\":"); WhiteBITRender.decimal(&w, wide: stats.changeHundredths, scale: 2, digits: 2)
            w.raw("},\"at\":"); WhiteBITRender.wholeSeconds(&w, asOf)
            w.raw("}")
        }
        w.raw("}}")
        return Self.json(.ok, w.buffer)
    }

    /// `GET /api/v4/public/orderbook/{market}?limit=&level=`: `limit` 0–100 (0 or absent → 100),
    /// `level` 0–5 (level N groups prices into buckets of tick × 10^N). No update id, as on WhiteBIT.
    func orderbook(_ request: SimRequest, symbol: String, now: Int64) throws(WhiteBITError) -> SimResponse {
        let market = try self.market(named: symbol)
        let requested = try self.integer(request, "limit", range: 0...100) ?? 0
        let limit = requested == 0 ? 100 : Int(requested)
        let level = Int(try self.integer(request, "level", range: 0...5) ?? 0)
        let bucket = DetMath.floorDiv(now, 100)
        let cacheKey = "\(market)|\(limit)|\(level)"
        if let cached = self.orderbookCache.withLock({ $0[cacheKey] }), cached.bucket == bucket {
            return Self.json(.ok, cached.body)
        }
        let spec = self.spec(market)
        let width = spec.tickSize * Units.pow10[level]
        let book = self.context.engine.snapshot(market: market, limit: level == 0 ? limit : Int.max)
        let bids =
            level == 0
            ? book.bids : WhiteBITDepthBook.aggregate(book.bids, width: width, isBid: true, limit: limit)
        let asks =
            level == 0
            ? book.asks : WhiteBITDepthBook.aggregate(book.asks, width: width, isBid: false, limit: limit)
        var w = JSONWriter(capacity: 96 + (bids.count + asks.count) * 40)
        w.raw("{\"ticker_id\":\""); w.rawString(self.symbols[market])
        w.raw("\",\"timestamp\":"); WhiteBITRender.wholeSeconds(&w, now)
        w.raw(",\"asks\":")
        WhiteBITRender.levels(&w, asks, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        w.raw(",\"bids\":")
        WhiteBITRender.levels(&w, bids, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        w.raw("}")
        let body = w.buffer
        self.orderbookCache.withLock { cache in
            if cache.count > 4_096 { cache.removeAll(keepingCapacity: true) }
            cache[cacheKey] = (bucket, body)
        }
        return Self.json(.ok, body)
    }

    /// `GET /api/v4/public/trades/{market}?type=buy|sell`: the last 100 deals, newest first, with the
    /// documented field-name trap kept: `quote_volume` holds the *base* amount and `base_volume` the
    /// quote amount; `trade_timestamp` is in seconds.
    func trades(_ request: SimRequest, symbol: String, now: Int64) throws(WhiteBITError) -> SimResponse {
        let market = try self.market(named: symbol)
        var sellerInitiated: Bool?
        switch request.parameter("type") {
        case nil, "": sellerInitiated = nil
        case "buy": sellerInitiated = false
        case "sell": sellerInitiated = true
        default: throw .plain(.badRequest, "The selected type is invalid.")
        }
        let history = self.context.engine.history
        let asOf = Self.cacheTime(now)
        var fetch = 100
        var trades = history.recentTrades(market: market, limit: fetch, now: asOf)
        if let sellerInitiated {
            // Widen the window until 100 trades of the requested side are found (or the tape ends).
            var matching = trades.filter { $0.isBuyerMaker == sellerInitiated }
            while matching.count < 100 && trades.count == fetch && fetch < 6_400 {
                fetch *= 4
                trades = history.recentTrades(market: market, limit: fetch, now: asOf)
                matching = trades.filter { $0.isBuyerMaker == sellerInitiated }
            }
            trades = Array(matching.suffix(100))
        }
        let spec = self.spec(market)
        var w = JSONWriter(capacity: 16 + trades.count * 170)
        w.raw("[")
        for (index, trade) in trades.reversed().enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{\"tradeID\":"); w.int(trade.id)
            w.raw(",\"price\":"); WhiteBITRender.decimal(&w, trade.price, digits: spec.priceDigits)
            w.raw(",\"quote_volume\":"); WhiteBITRender.decimal(&w, trade.quantity, digits: spec.quantityDigits)
            w.raw(",\"base_volume\":")
            let notional = Units.notional(trade.price, trade.quantity)
            WhiteBITRender.decimal(&w, wide: notional, scale: 16, digits: spec.priceDigits + spec.quantityDigits)
            w.raw(",\"trade_timestamp\":"); WhiteBITRender.wholeSeconds(&w, trade.time)
            w.raw(",\"type\":\""); w.raw(WhiteBITRender.side(trade))
            w.raw("\",\"rpi\":"); w.bool(WhiteBITRender.isRPI(trade))
            w.raw("}")
        }
        w.raw("]")
        return Self.json(.ok, w.buffer)
    }
}
