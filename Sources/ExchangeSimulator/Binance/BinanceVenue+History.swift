import NIOCore

/// Klines and trade history.
extension BinanceVenue {
    func klines(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        guard let name = request.parameter("interval") else { throw .mandatory("interval") }
        guard BinanceStream.klineIntervals.contains(name), let interval = CandleInterval.parse(name) else {
            throw .invalidInterval
        }
        let limit = try self.integer(request, "limit", default: 500, range: 1...1_000)
        let start = try self.time(request, "startTime")
        let end = try self.time(request, "endTime")
        if let start, let end, start > end { throw .invalidValue("startTime") }
        let offset = try self.timeZoneOffset(request.parameter("timeZone"))
        let candles = self.context.engine.history.candles(
            market: market, interval: interval, offset: offset, start: start, end: end, limit: limit, now: now)
        var writer = JSONWriter(capacity: 32 + candles.count * 200)
        writer.raw("[")
        for (index, candle) in candles.enumerated() {
            if index > 0 { writer.raw(",") }
            BinanceRender.klineRow(&writer, candle)
        }
        writer.raw("]")
        return .json(.ok, writer.buffer)
    }

    /// `timeZone`: hours (`8`, `-1`) or hours:minutes (`05:45`), within −12:00…+14:00.
    func timeZoneOffset(_ text: String?) throws(BinanceError) -> Int64 {
        guard let text, !text.isEmpty else { return 0 }
        let negative = text.hasPrefix("-")
        let body = text.drop { $0 == "-" || $0 == "+" }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let hours = Int64(parts[0]),
            let minutes = parts.count == 2 ? Int64(parts[1]) : 0, (0..<60).contains(minutes)
        else { throw .invalidValue("timeZone") }
        let total = (hours * 60 + minutes) * (negative ? -1 : 1)
        guard total >= -12 * 60, total <= 14 * 60 else { throw .invalidValue("timeZone") }
        return total * 60_000
    }

    private func tradeRows(_ trades: [TradeRecord]) -> SimResponse {
        var writer = JSONWriter(capacity: 32 + trades.count * 160)
        writer.raw("[")
        for (index, trade) in trades.enumerated() {
            if index > 0 { writer.raw(",") }
            BinanceRender.tradeRow(&writer, trade)
        }
        writer.raw("]")
        return .json(.ok, writer.buffer)
    }

    func recentTrades(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        let limit = try self.integer(request, "limit", default: 500, range: 1...1_000)
        return self.tradeRows(self.context.engine.history.recentTrades(market: market, limit: limit, now: now))
    }

    func historicalTrades(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        let limit = try self.integer(request, "limit", default: 500, range: 1...1_000)
        let history = self.context.engine.history
        if let text = request.parameter("fromId") {
            guard let fromId = Int64(text), fromId >= 0 else { throw .illegal("fromId", range: "^[0-9]{1,20}$") }
            return self.tradeRows(history.trades(market: market, fromId: fromId, limit: limit, now: now))
        }
        return self.tradeRows(history.recentTrades(market: market, limit: limit, now: now))
    }

    func aggTrades(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        let limit = try self.integer(request, "limit", default: 500, range: 1...1_000)
        let history = self.context.engine.history
        let start = try self.time(request, "startTime")
        let end = try self.time(request, "endTime")
        let orders: [TapeOrder]
        if let text = request.parameter("fromId") {
            guard start == nil && end == nil else { throw .badCombination }
            guard let fromId = Int64(text), fromId >= 0 else { throw .illegal("fromId", range: "^[0-9]{1,20}$") }
            orders = history.aggregates(market: market, fromId: fromId, limit: limit, now: now)
        } else if start != nil || end != nil {
            let from = start ?? ((end ?? now) - 3_600_000)
            let to = end ?? (from + 3_600_000)
            guard from <= to else { throw .invalidValue("startTime") }
            orders = history.aggregates(market: market, from: from, to: to, limit: limit, now: now)
        } else {
            orders = history.recentAggregates(market: market, limit: limit, now: now)
        }
        var writer = JSONWriter(capacity: 32 + orders.count * 140)
        writer.raw("[")
        for (index, order) in orders.enumerated() {
            if index > 0 { writer.raw(",") }
            BinanceRender.aggTradeRow(&writer, order)
        }
        writer.raw("]")
        return .json(.ok, writer.buffer)
    }
}
