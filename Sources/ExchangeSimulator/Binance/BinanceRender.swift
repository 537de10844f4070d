import NIOCore

/// Binance JSON payloads, written field by field in the exchange's key order. Every price and size
/// is a string with 8 fraction digits, every time and id an integer, as on the real API.
enum BinanceRender {
    static let digits = 8

    // MARK: - Streams

    static func trade(_ w: inout JSONWriter, symbol: String, trade: TradeRecord, eventTime: Int64) {
        w.raw("{\"e\":\"trade\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"t\":"); w.int(trade.id)
        w.raw(",\"p\":"); w.decimal(trade.price, digits: digits)
        w.raw(",\"q\":"); w.decimal(trade.quantity, digits: digits)
        w.raw(",\"T\":"); w.int(trade.time)
        w.raw(",\"m\":"); w.bool(trade.isBuyerMaker)
        w.raw(",\"M\":true}")
    }

    static func aggTrade(_ w: inout JSONWriter, symbol: String, order: TapeOrder, eventTime: Int64) {
        w.raw("{\"e\":\"aggTrade\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"a\":"); w.int(order.aggregateId)
        w.raw(",\"p\":"); w.decimal(order.price, digits: digits)
        w.raw(",\"q\":"); w.decimal(order.quantity, digits: digits)
        w.raw(",\"f\":"); w.int(order.firstTradeId)
        w.raw(",\"l\":"); w.int(order.lastTradeId)
        w.raw(",\"T\":"); w.int(order.time)
        w.raw(",\"m\":"); w.bool(order.isBuyerMaker)
        w.raw(",\"M\":true}")
    }

    static func bookTicker(_ w: inout JSONWriter, symbol: String, updateId: Int64, bid: BookLevel, ask: BookLevel) {
        w.raw("{\"u\":"); w.int(updateId)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"b\":"); w.decimal(bid.price, digits: digits)
        w.raw(",\"B\":"); w.decimal(bid.quantity, digits: digits)
        w.raw(",\"a\":"); w.decimal(ask.price, digits: digits)
        w.raw(",\"A\":"); w.decimal(ask.quantity, digits: digits)
        w.raw("}")
    }

    static func levels(_ w: inout JSONWriter, _ levels: [BookLevel]) {
        w.raw("[")
        for (index, level) in levels.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("["); w.decimal(level.price, digits: digits); w.raw(","); w.decimal(level.quantity, digits: digits);
            w.raw("]")
        }
        w.raw("]")
    }

    static func depthUpdate(
        _ w: inout JSONWriter, symbol: String, eventTime: Int64, first: Int64, last: Int64, bids: [BookLevel],
        asks: [BookLevel]
    ) {
        w.raw("{\"e\":\"depthUpdate\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"U\":"); w.int(first)
        w.raw(",\"u\":"); w.int(last)
        w.raw(",\"b\":"); levels(&w, bids)
        w.raw(",\"a\":"); levels(&w, asks)
        w.raw("}")
    }

    /// Partial depth (stream) and the REST depth snapshot share this shape.
    static func book(_ w: inout JSONWriter, lastUpdateId: Int64, bids: [BookLevel], asks: [BookLevel]) {
        w.raw("{\"lastUpdateId\":"); w.int(lastUpdateId)
        w.raw(",\"bids\":"); levels(&w, bids)
        w.raw(",\"asks\":"); levels(&w, asks)
        w.raw("}")
    }

    static func kline(
        _ w: inout JSONWriter, symbol: String, interval: String, eventTime: Int64, candle: Candle, closed: Bool
    ) {
        let s = candle.summary
        w.raw("{\"e\":\"kline\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"k\":{\"t\":"); w.int(candle.openTime)
        w.raw(",\"T\":"); w.int(candle.closeTime)
        w.raw(",\"s\":\""); w.rawString(symbol)
        w.raw("\",\"i\":\""); w.rawString(interval)
        w.raw("\",\"f\":"); w.int(s.firstTradeId)
        w.raw(",\"L\":"); w.int(s.lastTradeId)
        w.raw(",\"o\":"); w.decimal(s.open, digits: digits)
        w.raw(",\"c\":"); w.decimal(s.close, digits: digits)
        w.raw(",\"h\":"); w.decimal(s.high, digits: digits)
        w.raw(",\"l\":"); w.decimal(s.low, digits: digits)
        w.raw(",\"v\":"); w.decimal(wide: s.volume, scale: 8, digits: digits)
        w.raw(",\"n\":"); w.int(s.count)
        w.raw(",\"x\":"); w.bool(closed)
        w.raw(",\"q\":"); w.decimal(wide: s.quoteVolume, scale: 16, digits: digits)
        w.raw(",\"V\":"); w.decimal(wide: s.takerBuyVolume, scale: 8, digits: digits)
        w.raw(",\"Q\":"); w.decimal(wide: s.takerBuyQuoteVolume, scale: 16, digits: digits)
        w.raw(",\"B\":\"0\"}}")
    }

    /// Rolling 24 h statistics as both tickers need them.
    struct Rolling: Sendable {
        var symbol: String
        var summary: CandleSummary
        var openTime: Int64
        var closeTime: Int64
        /// Price of the last trade before the window (0 if none).
        var previousClose: Int64
        var bid: BookLevel
        var ask: BookLevel

        var open: Int64 { self.summary.isEmpty ? 0 : self.summary.open }
        var last: Int64 { self.summary.isEmpty ? 0 : self.summary.close }
        var change: Int64 { self.summary.isEmpty ? 0 : self.summary.close - self.summary.open }
        /// Percent change with 3 fraction digits, as an integer count of 0.001 %.
        var changePercentMilli: Int128 {
            guard !self.summary.isEmpty, self.summary.open != 0 else { return 0 }
            return Int128(self.change) * 100_000 / Int128(self.summary.open)
        }
        /// Volume-weighted average price (units).
        var weightedAverage: Int128 {
            self.summary.volume == 0 ? 0 : self.summary.quoteVolume / self.summary.volume
        }
        var firstId: Int64 { self.summary.isEmpty ? -1 : self.summary.firstTradeId }
        var lastId: Int64 { self.summary.isEmpty ? -1 : self.summary.lastTradeId }
    }

    static func ticker(_ w: inout JSONWriter, _ r: Rolling, eventTime: Int64) {
        let s = r.summary
        w.raw("{\"e\":\"24hrTicker\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(r.symbol)
        w.raw("\",\"p\":"); w.decimal(r.change, digits: digits)
        w.raw(",\"P\":"); w.decimal(wide: r.changePercentMilli, scale: 3, digits: 3)
        w.raw(",\"w\":"); w.decimal(wide: r.weightedAverage, scale: 8, digits: digits)
        w.raw(",\"x\":"); w.decimal(r.previousClose, digits: digits)
        w.raw(",\"c\":"); w.decimal(r.last, digits: digits)
        w.raw(",\"Q\":"); w.decimal(s.isEmpty ? 0 : s.lastQuantity, digits: digits)
        w.raw(",\"b\":"); w.decimal(r.bid.price, digits: digits)
        w.raw(",\"B\":"); w.decimal(r.bid.quantity, digits: digits)
        w.raw(",\"a\":"); w.decimal(r.ask.price, digits: digits)
        w.raw(",\"A\":"); w.decimal(r.ask.quantity, digits: digits)
        w.raw(",\"o\":"); w.decimal(r.open, digits: digits)
        w.raw(",\"h\":"); w.decimal(s.isEmpty ? 0 : s.high, digits: digits)
        w.raw(",\"l\":"); w.decimal(s.isEmpty ? 0 : s.low, digits: digits)
        w.raw(",\"v\":"); w.decimal(wide: s.volume, scale: 8, digits: digits)
        w.raw(",\"q\":"); w.decimal(wide: s.quoteVolume, scale: 16, digits: digits)
        w.raw(",\"O\":"); w.int(r.openTime)
        w.raw(",\"C\":"); w.int(r.closeTime)
        w.raw(",\"F\":"); w.int(r.firstId)
        w.raw(",\"L\":"); w.int(r.lastId)
        w.raw(",\"n\":"); w.int(s.count)
        w.raw("}")
    }

    static func miniTicker(_ w: inout JSONWriter, _ r: Rolling, eventTime: Int64) {
        let s = r.summary
        w.raw("{\"e\":\"24hrMiniTicker\",\"E\":"); w.int(eventTime)
        w.raw(",\"s\":\""); w.rawString(r.symbol)
        w.raw("\",\"c\":"); w.decimal(r.last, digits: digits)
        w.raw(",\"o\":"); w.decimal(r.open, digits: digits)
        w.raw(",\"h\":"); w.decimal(s.isEmpty ? 0 : s.high, digits: digits)
        w.raw(",\"l\":"); w.decimal(s.isEmpty ? 0 : s.low, digits: digits)
        w.raw(",\"v\":"); w.decimal(wide: s.volume, scale: 8, digits: digits)
        w.raw(",\"q\":"); w.decimal(wide: s.quoteVolume, scale: 16, digits: digits)
        w.raw("}")
    }

    // MARK: - REST

    /// `GET /api/v3/ticker/24hr` object, FULL or MINI.
    static func restTicker(_ w: inout JSONWriter, _ r: Rolling, full: Bool) {
        let s = r.summary
        w.raw("{\"symbol\":\""); w.rawString(r.symbol); w.raw("\"")
        if full {
            w.raw(",\"priceChange\":"); w.decimal(r.change, digits: digits)
            w.raw(",\"priceChangePercent\":"); w.decimal(wide: r.changePercentMilli, scale: 3, digits: 3)
            w.raw(",\"weightedAvgPrice\":"); w.decimal(wide: r.weightedAverage, scale: 8, digits: digits)
            w.raw(",\"prevClosePrice\":"); w.decimal(r.previousClose, digits: digits)
            w.raw(",\"lastPrice\":"); w.decimal(r.last, digits: digits)
            w.raw(",\"lastQty\":"); w.decimal(s.isEmpty ? 0 : s.lastQuantity, digits: digits)
            w.raw(",\"bidPrice\":"); w.decimal(r.bid.price, digits: digits)
            w.raw(",\"bidQty\":"); w.decimal(r.bid.quantity, digits: digits)
            w.raw(",\"askPrice\":"); w.decimal(r.ask.price, digits: digits)
            w.raw(",\"askQty\":"); w.decimal(r.ask.quantity, digits: digits)
            w.raw(",\"openPrice\":"); w.decimal(r.open, digits: digits)
        } else {
            w.raw(",\"openPrice\":"); w.decimal(r.open, digits: digits)
        }
        w.raw(",\"highPrice\":"); w.decimal(s.isEmpty ? 0 : s.high, digits: digits)
        w.raw(",\"lowPrice\":"); w.decimal(s.isEmpty ? 0 : s.low, digits: digits)
        if !full { w.raw(",\"lastPrice\":"); w.decimal(r.last, digits: digits) }
        volumeAndRange(&w, r)
    }

    /// `GET /api/v3/ticker` and `/api/v3/ticker/tradingDay` object, FULL or MINI (no bid/ask,
    /// previous close or last quantity, unlike the 24 h ticker).
    static func windowTicker(_ w: inout JSONWriter, _ r: Rolling, full: Bool) {
        let s = r.summary
        w.raw("{\"symbol\":\""); w.rawString(r.symbol); w.raw("\"")
        if full {
            w.raw(",\"priceChange\":"); w.decimal(r.change, digits: digits)
            w.raw(",\"priceChangePercent\":"); w.decimal(wide: r.changePercentMilli, scale: 3, digits: 3)
            w.raw(",\"weightedAvgPrice\":"); w.decimal(wide: r.weightedAverage, scale: 8, digits: digits)
        }
        w.raw(",\"openPrice\":"); w.decimal(r.open, digits: digits)
        w.raw(",\"highPrice\":"); w.decimal(s.isEmpty ? 0 : s.high, digits: digits)
        w.raw(",\"lowPrice\":"); w.decimal(s.isEmpty ? 0 : s.low, digits: digits)
        w.raw(",\"lastPrice\":"); w.decimal(r.last, digits: digits)
        volumeAndRange(&w, r)
    }

    /// The fields every REST ticker ends with (24 h, rolling window, trading day), and the closing brace.
    private static func volumeAndRange(_ w: inout JSONWriter, _ r: Rolling) {
        let s = r.summary
        w.raw(",\"volume\":"); w.decimal(wide: s.volume, scale: 8, digits: digits)
        w.raw(",\"quoteVolume\":"); w.decimal(wide: s.quoteVolume, scale: 16, digits: digits)
        w.raw(",\"openTime\":"); w.int(r.openTime)
        w.raw(",\"closeTime\":"); w.int(r.closeTime)
        w.raw(",\"firstId\":"); w.int(r.firstId)
        w.raw(",\"lastId\":"); w.int(r.lastId)
        w.raw(",\"count\":"); w.int(s.count)
        w.raw("}")
    }

    /// One `klines` row.
    static func klineRow(_ w: inout JSONWriter, _ candle: Candle) {
        let s = candle.summary
        w.raw("["); w.int(candle.openTime)
        w.raw(","); w.decimal(s.open, digits: digits)
        w.raw(","); w.decimal(s.high, digits: digits)
        w.raw(","); w.decimal(s.low, digits: digits)
        w.raw(","); w.decimal(s.close, digits: digits)
        w.raw(","); w.decimal(wide: s.volume, scale: 8, digits: digits)
        w.raw(","); w.int(candle.closeTime)
        w.raw(","); w.decimal(wide: s.quoteVolume, scale: 16, digits: digits)
        w.raw(","); w.int(s.count)
        w.raw(","); w.decimal(wide: s.takerBuyVolume, scale: 8, digits: digits)
        w.raw(","); w.decimal(wide: s.takerBuyQuoteVolume, scale: 16, digits: digits)
        w.raw(",\"0\"]")
    }

    /// One `trades` / `historicalTrades` row.
    static func tradeRow(_ w: inout JSONWriter, _ trade: TradeRecord) {
        w.raw("{\"id\":"); w.int(trade.id)
        w.raw(",\"price\":"); w.decimal(trade.price, digits: digits)
        w.raw(",\"qty\":"); w.decimal(trade.quantity, digits: digits)
        w.raw(",\"quoteQty\":"); w.decimal(wide: Units.notional(trade.price, trade.quantity), scale: 16, digits: digits)
        w.raw(",\"time\":"); w.int(trade.time)
        w.raw(",\"isBuyerMaker\":"); w.bool(trade.isBuyerMaker)
        w.raw(",\"isBestMatch\":true}")
    }

    /// One `aggTrades` row.
    static func aggTradeRow(_ w: inout JSONWriter, _ order: TapeOrder) {
        w.raw("{\"a\":"); w.int(order.aggregateId)
        w.raw(",\"p\":"); w.decimal(order.price, digits: digits)
        w.raw(",\"q\":"); w.decimal(order.quantity, digits: digits)
        w.raw(",\"f\":"); w.int(order.firstTradeId)
        w.raw(",\"l\":"); w.int(order.lastTradeId)
        w.raw(",\"T\":"); w.int(order.time)
        w.raw(",\"m\":"); w.bool(order.isBuyerMaker)
        w.raw(",\"M\":true}")
    }
}
