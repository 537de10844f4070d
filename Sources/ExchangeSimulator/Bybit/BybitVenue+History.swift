import NIOCore

/// Klines and recent trades.
extension BybitVenue {
    /// Offset of spot trade ids, so they look like Bybit's 19-digit spot execution ids.
    static let spotTradeIdBase: Int64 = 2_100_000_000_000_000_000

    /// The trade id of one trade: spot a 19-digit number, derivatives a UUID (as in the examples).
    func tradeId(_ trade: TradeRecord, market: Int, category: BybitCategory) -> String {
        guard category != .spot else { return String(Self.spotTradeIdBase + trade.id) }
        let key = self.context.engine.history.markets[market].key
        return BybitFormat.uuid(SimHash.hash(key, .market, trade.id, 9), SimHash.hash(key, .market, trade.id, 10))
    }

    /// `GET /v5/market/kline`: `category` (default linear), `symbol`, `interval` (1 3 5 15 30 60 120
    /// 240 360 720 D W M), `start`/`end` (ms), `limit` 1–1000 default 200. The newest `limit` candles
    /// of the range, newest first, as rows of seven strings.
    func kline(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let category = try self.category(request, default: .linear)
        guard category != .option else { throw .illegalCategory }
        let market = try self.requiredMarket(request, category)
        guard let name = request.parameter("interval"), let interval = BybitStream.candleInterval(name) else {
            throw .invalidPeriod
        }
        let limit = try self.integer(request, "limit", default: 200, max: 1_000)
        let start = try self.time(request, "start")
        let end = try self.time(request, "end")
        if let start, let end, start > end { throw .invalid("start") }
        let last = end ?? now
        let candles = self.context.engine.history.candles(
            market: market, interval: interval, start: nil, end: last,
            limit: start.map { Self.buckets(interval, from: $0, to: last, limit: limit) } ?? limit, now: now)
        let grid = BybitGrid(spec: self.context.engine.spec(market), category: category, trim: true)
        var w = JSONWriter(capacity: 96 + candles.count * 120)
        w.raw("{\"symbol\":\"")
        w.rawString(self.markets.symbols[market])
        w.raw("\",\"category\":\"")
        w.rawString(category.rawValue)
        w.raw("\",\"list\":[")
        var first = true
        for candle in candles.reversed() where start.map({ candle.closeTime >= $0 }) ?? true {
            if !first { w.raw(",") }
            first = false
            Self.klineRow(&w, candle, grid: grid)
        }
        w.raw("]}")
        return BybitEnvelope.ok(w.buffer, time: now)
    }

    /// How many of the newest `limit` buckets up to `end` end at or after `start` (so only those are
    /// summarised: candles cost a history scan each).
    static func buckets(_ interval: CandleInterval, from start: Int64, to end: Int64, limit: Int) -> Int {
        var open = interval.bucketStart(containing: end)
        var count = 0
        while count < limit && interval.nextStart(after: open) > start {
            count += 1
            open = interval.previousStart(before: open)
        }
        return count
    }

    /// `[startTime, open, high, low, close, volume, turnover]`, all strings, trailing zeros trimmed.
    static func klineRow(_ w: inout JSONWriter, _ candle: Candle, grid: BybitGrid) {
        let s = candle.summary
        w.raw("[\"")
        w.int(candle.openTime)
        w.raw("\",")
        grid.price(&w, s.open)
        w.raw(",")
        grid.price(&w, s.high)
        w.raw(",")
        grid.price(&w, s.low)
        w.raw(",")
        grid.price(&w, s.close)
        w.raw(",")
        w.string(grid.volumeText(s.volume))
        w.raw(",")
        w.string(BybitFormat.trimmed(s.quoteVolume, scale: 16, maxDigits: 8))
        w.raw("]")
    }

    /// `GET /v5/market/recent-trade`: `category`, `symbol` (required for spot and linear), `limit`
    /// spot 1–60 default 60, others 1–1000 default 500; newest first.
    func recentTrades(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let category = try self.category(request)
        let market = try self.requiredMarket(request, category)
        let spot = category == .spot
        let limit = try self.integer(request, "limit", default: spot ? 60 : 500, max: spot ? 60 : 1_000)
        let trades = self.context.engine.history.recentTrades(market: market, limit: limit, now: now)
        let grid = BybitGrid(spec: self.context.engine.spec(market), category: category)
        let symbol = self.markets.symbols[market]
        var w = JSONWriter(capacity: 64 + trades.count * 220)
        w.raw("{\"category\":\"")
        w.rawString(category.rawValue)
        w.raw("\",\"list\":[")
        for (index, trade) in trades.reversed().enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{\"execId\":\"")
            w.rawString(self.tradeId(trade, market: market, category: category))
            w.raw("\",\"symbol\":\"")
            w.rawString(symbol)
            w.raw("\",\"price\":")
            grid.price(&w, trade.price)
            w.raw(",\"size\":")
            grid.size(&w, trade.quantity)
            w.raw(trade.isBuyerMaker ? ",\"side\":\"Sell\",\"time\":\"" : ",\"side\":\"Buy\",\"time\":\"")
            w.int(trade.time)
            // The cross sequence of a trade is its taker order: fills of one order share it.
            w.raw("\",\"isBlockTrade\":false,\"isRPITrade\":false,\"seq\":\"")
            w.int(trade.aggregateId)
            w.raw("\"}")
        }
        w.raw("]}")
        return BybitEnvelope.ok(w.buffer, time: now)
    }
}
