import NIOCore

/// Request/response methods (no subscription): last price, statistics, trades, depth, candles.
extension WhiteBITSession {
    /// Most rows one `candles_request` answers (the REST kline maximum).
    static let maxCandleRows = 1_440

    /// Answers a query method; false when `method` is not one.
    func query(method: String, params: [JSONValue], id: JSONValue, on connection: WSConnection) -> Bool {
        let venue = self.venue
        let now = connection.now
        switch method {
        case "lastprice_request":
            guard params.count == 1, let market = self.market(params[0]) else { break }
            let price = venue.context.engine.history.lastTrade(market: market, atOrBefore: now)?.price ?? 0
            let digits = venue.spec(market).priceDigits
            self.reply(result: { WhiteBITRender.decimal(&$0, price, digits: digits) }, id: id, on: connection)
            return true
        case "market_request":
            guard params.count == 2, let market = self.market(params[0]), let period = params[1].int64Value,
                period > 0, period <= 2_592_000
            else { break }
            let stats = venue.stats(market: market, from: now - period * 1_000 + 1, to: now)
            let spec = venue.spec(market)
            self.reply(
                result: { WhiteBITRender.marketStats(&$0, stats, spec: spec, period: period) }, id: id, on: connection)
            return true
        case "marketToday_query":
            guard params.count == 1, let market = self.market(params[0]) else { break }
            let stats = venue.stats(market: market, from: DetMath.floorDiv(now, 86_400_000) * 86_400_000, to: now)
            let spec = venue.spec(market)
            self.reply(
                result: { WhiteBITRender.marketStats(&$0, stats, spec: spec, period: nil) }, id: id, on: connection)
            return true
        case "trades_request":
            guard let answer = self.tradesAnswer(params, now: now) else { break }
            self.reply(result: { $0.raw(answer) }, id: id, on: connection)
            return true
        case "depth_request":
            guard let answer = self.depthAnswer(params) else { break }
            self.reply(result: { $0.raw(answer) }, id: id, on: connection)
            return true
        case "candles_request":
            guard let answer = self.candlesAnswer(params, now: now) else { break }
            self.reply(result: { $0.raw(answer) }, id: id, on: connection)
            return true
        default:
            return false
        }
        self.reply(error: .invalidArgument, id: id, on: connection)
        return true
    }

    /// `[market, limit, lastId]`: up to `limit` (≤ 100) of the newest trades with an id above
    /// `lastId`, newest first, `{id,time,price,amount,type}`.
    private func tradesAnswer(_ params: [JSONValue], now: Int64) -> ByteBuffer? {
        guard (2...3).contains(params.count), let market = self.market(params[0]), let limit = params[1].int64Value,
            (1...100).contains(limit)
        else { return nil }
        var lastId: Int64 = -1
        if params.count == 3 {
            guard let value = params[2].int64Value, value >= 0 else { return nil }
            lastId = value
        }
        let spec = self.venue.spec(market)
        let trades = self.venue.context.engine.history.recentTrades(market: market, limit: Int(limit), now: now)
            .filter { $0.id > lastId }
        var w = JSONWriter(capacity: 16 + trades.count * 110)
        w.raw("[")
        for (index, trade) in trades.reversed().enumerated() {
            if index > 0 { w.raw(",") }
            WhiteBITRender.wsTrade(&w, trade, market: spec, rpi: false)
        }
        w.raw("]")
        return w.buffer
    }

    /// `[market, limit (1–100), priceInterval]` → `{timestamp, asks, bids}`.
    private func depthAnswer(_ params: [JSONValue]) -> ByteBuffer? {
        guard params.count == 3, let market = self.market(params[0]), let limit = params[1].int64Value,
            (1...100).contains(limit), let intervalIndex = Self.priceInterval(params[2])
        else { return nil }
        let spec = self.venue.spec(market)
        let interval = WhiteBITStream.priceIntervals[intervalIndex].units
        let depth = interval > spec.tickSize ? Int.max : Int(limit)
        let book = self.venue.context.engine.snapshot(market: market, limit: depth)
        let view = WhiteBITDepthBook.view(of: book, limit: Int(limit), interval: interval, tickSize: spec.tickSize)
        var w = JSONWriter(capacity: 96 + (view.bids.count + view.asks.count) * 40)
        WhiteBITRender.depthData(
            &w, spec: spec, time: book.time, updateId: nil, pastUpdateId: nil, asks: view.asks, bids: view.bids,
            eventTime: nil)
        return w.buffer
    }

    /// `[market, start, end, intervalSeconds]` (seconds) → rows `[time, open, close, high, low,
    /// stockVolume, moneyVolume, market]`, oldest first, at most 1440.
    private func candlesAnswer(_ params: [JSONValue], now: Int64) -> ByteBuffer? {
        guard params.count == 4, let market = self.market(params[0]), let start = params[1].int64Value,
            let end = params[2].int64Value, start >= 0, start <= end, end <= Int64.max / 1_000,
            let seconds = params[3].int64Value, WhiteBITStream.candleIntervals.contains(seconds)
        else { return nil }
        let interval = WhiteBITStream.candleInterval(seconds: seconds)
        let candles = self.venue.context.engine.history.candles(
            market: market, interval: interval, start: start * 1_000, end: end * 1_000, limit: Self.maxCandleRows,
            now: now)
        let spec = self.venue.spec(market)
        let symbol = self.venue.symbol(of: market)
        var w = JSONWriter(capacity: 16 + candles.count * 140)
        w.raw("[")
        for (index, candle) in candles.enumerated() {
            if index > 0 { w.raw(",") }
            WhiteBITRender.candleRow(&w, candle, market: spec, symbol: symbol)
        }
        w.raw("]")
        return w.buffer
    }
}
