import NIOCore

/// WhiteBIT number formatting. Prices and amounts are strings cut to the market's precision with
/// trailing zeros dropped (`"45981.3"`, `"21248"`, as the real captures show); times are seconds,
/// as integers or as floats with a fraction, depending on the field (whitebit.md §7).
enum WhiteBITRender {
    /// Fraction digits of a wide value held at `scale` digits that are not trailing zeros, at most `cap`.
    static func digits(wide value: Int128, scale: Int, cap: Int) -> Int {
        var magnitude = value.magnitude
        var digits = scale
        while digits > 0 && magnitude % 10 == 0 {
            magnitude /= 10
            digits -= 1
        }
        return min(digits, cap)
    }

    /// A quoted decimal of `units` (1e-8) with at most `digits` fraction digits, trailing zeros dropped.
    @inline(__always)
    static func decimal(_ w: inout JSONWriter, _ units: Int64, digits: Int) {
        w.decimal(units, digits: min(digits, Units.digitsNeeded(units)))
    }

    /// A quoted decimal of a wide value held at `scale` digits, cut to `digits`, trailing zeros dropped.
    static func decimal(_ w: inout JSONWriter, wide value: Int128, scale: Int, digits: Int) {
        let cut = Self.truncate(value, scale: scale, digits: digits)
        w.decimal(wide: cut, scale: scale, digits: Self.digits(wide: cut, scale: scale, cap: digits))
    }

    static func string(_ units: Int64, digits: Int) -> String {
        Units.string(units, digits: min(digits, Units.digitsNeeded(units)))
    }

    static func string(wide value: Int128, scale: Int, digits: Int) -> String {
        let cut = Self.truncate(value, scale: scale, digits: digits)
        return Units.string(wide: cut, scale: scale, digits: Self.digits(wide: cut, scale: scale, cap: digits))
    }

    /// Drops the digits finer than `digits` (toward zero), so trimming sees what is printed.
    private static func truncate(_ value: Int128, scale: Int, digits: Int) -> Int128 {
        guard digits < scale else { return value }
        let step = Int128(Units.pow10[scale - digits])
        return value / step * step
    }

    /// Milliseconds as float seconds (`1782864000.123`, `1782864000.0`): a JSON number.
    static func seconds(_ w: inout JSONWriter, _ ms: Int64) {
        let whole = DetMath.floorDiv(ms, 1_000)
        var fraction = ms - whole * 1_000
        w.int(whole)
        guard fraction != 0 else {
            w.raw(".0")
            return
        }
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        w.raw(".")
        var text = String(fraction)
        while text.count < digits { text = "0" + text }
        w.rawString(text)
    }

    /// Milliseconds as integer seconds (REST timestamps, candle times).
    @inline(__always)
    static func wholeSeconds(_ w: inout JSONWriter, _ ms: Int64) {
        w.int(DetMath.floorDiv(ms, 1_000))
    }

    /// `[["price","amount"],…]`.
    static func levels(_ w: inout JSONWriter, _ levels: [BookLevel], priceDigits: Int, amountDigits: Int) {
        w.raw("[")
        for (index, level) in levels.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("[")
            Self.decimal(&w, level.price, digits: priceDigits)
            w.raw(",")
            Self.decimal(&w, level.quantity, digits: amountDigits)
            w.raw("]")
        }
        w.raw("]")
    }

    /// A candle row `[time, open, close, high, low, stockVolume, moneyVolume]` (v1 kline order:
    /// open, **close**, high, low), plus the market as 8th element for the WebSocket.
    static func candleRow(_ w: inout JSONWriter, _ candle: Candle, market: MarketSpec, symbol: String? = nil) {
        let s = candle.summary
        let price = market.priceDigits
        w.raw("[")
        Self.wholeSeconds(&w, candle.openTime)
        w.raw(","); Self.decimal(&w, s.open, digits: price)
        w.raw(","); Self.decimal(&w, s.close, digits: price)
        w.raw(","); Self.decimal(&w, s.high, digits: price)
        w.raw(","); Self.decimal(&w, s.low, digits: price)
        w.raw(","); Self.decimal(&w, wide: s.volume, scale: 8, digits: market.quantityDigits)
        w.raw(","); Self.decimal(&w, wide: s.quoteVolume, scale: 16, digits: price + market.quantityDigits)
        if let symbol {
            w.raw(",\""); w.rawString(symbol); w.raw("\"")
        }
        w.raw("]")
    }

    /// Taker side: `buy` when an ask was taken, `sell` when a bid was taken.
    static func side(_ trade: TradeRecord) -> StaticString { trade.isBuyerMaker ? "sell" : "buy" }

    /// Whether a trade involved a Retail Price Improvement order: a fixed 1-in-16 share, hashed from
    /// the trade id so REST and WebSocket agree.
    static func isRPI(_ trade: TradeRecord) -> Bool {
        SimHash.mix(UInt64(bitPattern: trade.id) ^ 0x5250_4920_5452_4144) % 16 == 0
    }

    /// One WebSocket trade `{id,time,price,amount,type,rpi}`; `rpi` is absent in `trades_request` answers.
    static func wsTrade(_ w: inout JSONWriter, _ trade: TradeRecord, market: MarketSpec, rpi: Bool) {
        w.raw("{\"id\":"); w.int(trade.id)
        w.raw(",\"time\":"); Self.seconds(&w, trade.time)
        w.raw(",\"price\":"); Self.decimal(&w, trade.price, digits: market.priceDigits)
        w.raw(",\"amount\":"); Self.decimal(&w, trade.quantity, digits: market.quantityDigits)
        w.raw(",\"type\":\""); w.raw(Self.side(trade)); w.raw("\"")
        if rpi {
            w.raw(",\"rpi\":"); w.bool(Self.isRPI(trade))
        }
        w.raw("}")
    }
}
