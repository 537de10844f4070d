import CryptodModel

/// Reads the `result` of Bybit's public REST answers (`/v5/market/*`) into CryptodModel values.
///
/// Every function goes through ``BybitEnvelope``: `retCode != 0` becomes `.exchangeError` before any result
/// field is looked at.
enum BybitRESTParser {
    // MARK: - Server time

    /// `timeNano` (exact), else `timeSecond`.
    static func serverTime(_ body: [UInt8]) throws(ExchangeParseError) -> Timestamp {
        try BybitEnvelope.result(body) { (c, _) throws(ExchangeParseError) -> Timestamp in
            var nanos: Int64?
            var seconds: Int64?
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "timeNano": nanos = try BybitField.int64(&c, "timeNano")
                case "timeSecond": seconds = try BybitField.int64(&c, "timeSecond")
                default: try c.skip()
                }
            }
            if let nanos {
                guard nanos >= 0 else { throw ExchangeParseError(.invalidValue, "timeNano \(nanos) is negative") }
                return Timestamp(nanoseconds: nanos)
            }
            guard let seconds else { throw BybitField.missing("timeNano", in: "server time") }
            return try TimeUnits.seconds(seconds)
        }
    }

    // MARK: - Instruments

    /// One page of `/v5/market/instruments-info`, and the next page's cursor (`nil` when `nextPageCursor`
    /// is `""` or absent, as on spot).
    static func instruments(
        _ body: [UInt8], type: MarketType
    ) throws(ExchangeParseError)
        -> (instruments: [Instrument], nextCursor: String?)
    {
        try BybitEnvelope.result(body) { (c, _) throws(ExchangeParseError) in
            var instruments: [Instrument] = []
            var cursor: String?
            var category: String?
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "list":
                    try c.array { (c) throws(ExchangeParseError) in
                        instruments.append(try instrument(&c, type: type))
                    }
                case "nextPageCursor":
                    if !c.null() { cursor = try BybitField.string(&c, "nextPageCursor") }
                case "category":
                    category = try BybitField.string(&c, "category")
                default: try c.skip()
                }
            }
            if let category, !category.isEmpty, category != type.description {
                throw ExchangeParseError(.invalidValue, "category \"\(category.prefix(16))\" answered for \(type)")
            }
            return (instruments, cursor.flatMap { $0.isEmpty ? nil : $0 })
        }
    }

    /// One instrument. Spot's lot is `basePrecision`, linear's `qtyStep`; minimum notional is spot
    /// `minOrderAmt`, linear `minNotionalValue`.
    static func instrument(_ c: inout JSONCursor, type: MarketType) throws(ExchangeParseError) -> Instrument {
        var symbol: String?
        var base: String?
        var quote: String?
        var status: InstrumentStatus?
        var tickSize: ExactDecimal?
        var basePrecision: ExactDecimal?
        var qtyStep: ExactDecimal?
        var minQuantity: ExactDecimal?
        var minNotional: ExactDecimal?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "symbol": symbol = try BybitField.string(&c, "symbol")
            case "baseCoin": base = try BybitField.string(&c, "baseCoin")
            case "quoteCoin": quote = try BybitField.string(&c, "quoteCoin")
            case "status": status = instrumentStatus(try BybitField.string(&c, "status"))
            case "priceFilter":
                try c.object { (key, c) throws(ExchangeParseError) in
                    if key == "tickSize" {
                        tickSize = try BybitField.optionalNonNegative(&c, "tickSize")
                    } else {
                        try c.skip()
                    }
                }
            case "lotSizeFilter":
                try c.object { (key, c) throws(ExchangeParseError) in
                    switch key {
                    case "basePrecision": basePrecision = try BybitField.optionalNonNegative(&c, "basePrecision")
                    case "qtyStep": qtyStep = try BybitField.optionalNonNegative(&c, "qtyStep")
                    case "minOrderQty": minQuantity = try BybitField.optionalNonNegative(&c, "minOrderQty")
                    case "minOrderAmt", "minNotionalValue":
                        minNotional = try BybitField.optionalNonNegative(&c, "minNotionalValue")
                    default: try c.skip()
                    }
                }
            default: try c.skip()
            }
        }
        guard let symbol, !symbol.isEmpty else { throw BybitField.missing("symbol", in: "instrument") }
        guard let base else { throw BybitField.missing("baseCoin", in: "instrument \(symbol)") }
        guard let quote else { throw BybitField.missing("quoteCoin", in: "instrument \(symbol)") }
        guard let status else { throw BybitField.missing("status", in: "instrument \(symbol)") }
        guard let tickSize else { throw BybitField.missing("priceFilter.tickSize", in: "instrument \(symbol)") }
        let lot = type == .spot ? (basePrecision ?? qtyStep) : (qtyStep ?? basePrecision)
        guard let lot else { throw BybitField.missing("lotSizeFilter.qtyStep", in: "instrument \(symbol)") }
        guard !tickSize.isZero, !lot.isZero else {
            throw ExchangeParseError(.invalidValue, "instrument \(symbol): zero tick or lot size")
        }
        return Instrument(
            market: MarketKey(exchange: .bybit, type: type, symbol: symbol), base: base, quote: quote, status: status,
            tickSize: tickSize, lotSize: lot, minQuantity: minQuantity, minNotional: minNotional)
    }

    /// `Trading`, `PreLaunch`, `Delivering`, `Closed`; a status Bybit adds later reads as halted (listed but
    /// not known to trade) rather than failing the whole list.
    static func instrumentStatus(_ text: String) -> InstrumentStatus {
        switch text {
        case "Trading": .trading
        case "PreLaunch": .preTrading
        case "Closed": .delisted
        default: .halted
        }
    }

    // MARK: - Order book

    /// `/v5/market/orderbook`: `{s, b, a, ts, u, seq, cts}`; time is `cts` (matching engine) or `ts`.
    static func bookSnapshot(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> BookSnapshot
    {
        try BybitEnvelope.result(body) { (c, _) throws(ExchangeParseError) -> BookSnapshot in
            var symbol: String?
            var bids: [BookLevel]?
            var asks: [BookLevel]?
            var updateID: UInt64?
            var sequence: UInt64?
            var ts: Timestamp?
            var cts: Timestamp?
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "s": symbol = try BybitField.string(&c, "s")
                case "b": bids = try BybitField.levels(&c, "b")
                case "a": asks = try BybitField.levels(&c, "a")
                case "u": updateID = try BybitField.uint64(&c, "u")
                case "seq": sequence = try BybitField.uint64(&c, "seq")
                case "ts": ts = try BybitField.milliseconds(&c, "ts")
                case "cts": cts = try BybitField.milliseconds(&c, "cts")
                default: try c.skip()
                }
            }
            if let symbol, symbol != market.symbol {
                throw ExchangeParseError(
                    .invalidValue, "order book for \(symbol.prefix(32)) answered for \(market.symbol)")
            }
            guard let bids else { throw BybitField.missing("b", in: "order book") }
            guard let asks else { throw BybitField.missing("a", in: "order book") }
            guard let updateID else { throw BybitField.missing("u", in: "order book") }
            return BookSnapshot(
                market: market, updateID: updateID, sequence: sequence, time: cts ?? ts, receivedAt: receivedAt,
                bids: bids, asks: asks)
        }
    }

    // MARK: - Candles

    /// `/v5/market/kline`: rows `[start, open, high, low, close, volume, turnover]`, newest first; returned
    /// oldest first. A candle is closed when its end (the next open time) is at or before `exchangeNow`.
    static func candles(
        _ body: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle] {
        try BybitEnvelope.result(body) { (c, _) throws(ExchangeParseError) -> [Candle] in
            var candles: [Candle] = []
            var symbol: String?
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "symbol": symbol = try BybitField.string(&c, "symbol")
                case "list":
                    try c.array { (c) throws(ExchangeParseError) in
                        candles.append(
                            try candleRow(
                                &c, market: market, interval: interval, receivedAt: receivedAt, now: exchangeNow))
                    }
                default: try c.skip()
                }
            }
            if let symbol, !symbol.isEmpty, symbol != market.symbol {
                throw ExchangeParseError(.invalidValue, "klines for \(symbol.prefix(32)) answered for \(market.symbol)")
            }
            candles.reverse()
            // Bybit documents newest first; should an answer ever come the other way, order it anyway.
            if !zip(candles, candles.dropFirst()).allSatisfy({ $0.openTime <= $1.openTime }) {
                candles.sort { $0.openTime < $1.openTime }
            }
            return candles
        }
    }

    static func candleRow(
        _ c: inout JSONCursor, market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, now: Timestamp
    ) throws(ExchangeParseError) -> Candle {
        var openTime: Timestamp?
        var values: [ExactDecimal] = []
        values.reserveCapacity(6)
        var index = 0
        try c.array { (c) throws(ExchangeParseError) in
            switch index {
            case 0: openTime = try TimeUnits.candleOpenTime(try BybitField.milliseconds(&c, "kline start"))
            case 1...6: values.append(try BybitField.nonNegative(&c, "kline value"))
            default: try c.skip()  // columns Bybit may add later
            }
            index += 1
        }
        guard let openTime, values.count == 6 else {
            throw ExchangeParseError(.missingField, "kline row has \(index) of 7 columns")
        }
        return Candle(
            market: market, interval: interval, openTime: openTime, open: values[0], high: values[1], low: values[2],
            close: values[3], volume: values[4], quoteVolume: values[5],
            isClosed: interval.nextOpenTime(after: openTime) <= now, receivedAt: receivedAt)
    }

    // MARK: - Trades

    /// `/v5/market/recent-trade`: newest first; returned oldest first. `execId` is the id.
    static func trades(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Trade]
    {
        try BybitEnvelope.result(body) { (c, _) throws(ExchangeParseError) -> [Trade] in
            var trades: [Trade] = []
            try c.object { (key, c) throws(ExchangeParseError) in
                guard key == "list" else { return try c.skip() }
                try c.array { (c) throws(ExchangeParseError) in
                    trades.append(try trade(&c, market: market, receivedAt: receivedAt))
                }
            }
            trades.reverse()
            return trades
        }
    }

    static func trade(
        _ c: inout JSONCursor, market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> Trade
    {
        var id: String?
        var symbol: String?
        var price: ExactDecimal?
        var size: ExactDecimal?
        var side: TradeSide?
        var time: Timestamp?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "execId": id = try BybitField.string(&c, "execId")
            case "symbol": symbol = try BybitField.string(&c, "symbol")
            case "price": price = try BybitField.positive(&c, "price")
            case "size": size = try BybitField.positive(&c, "size")
            case "side": side = try BybitField.side(&c, "side")
            case "time": time = try BybitField.milliseconds(&c, "time")
            default: try c.skip()
            }
        }
        if let symbol, symbol != market.symbol {
            throw ExchangeParseError(.invalidValue, "trade of \(symbol.prefix(32)) answered for \(market.symbol)")
        }
        guard let id else { throw BybitField.missing("execId", in: "trade") }
        guard let price else { throw BybitField.missing("price", in: "trade") }
        guard let size else { throw BybitField.missing("size", in: "trade") }
        guard let side else { throw BybitField.missing("side", in: "trade") }
        guard let time else { throw BybitField.missing("time", in: "trade") }
        return Trade(
            market: market, id: id, price: price, quantity: size, side: side, time: time, receivedAt: receivedAt)
    }

    // MARK: - Tickers

    /// `/v5/market/tickers`: every symbol of the category (no per-item time: the envelope's `time`, else
    /// `receivedAt`).
    static func tickers(
        _ body: [UInt8], type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Ticker]
    {
        try BybitEnvelope.result(body) { (c, envelopeTime) throws(ExchangeParseError) -> [Ticker] in
            var time = receivedAt
            if let envelopeTime { time = try TimeUnits.milliseconds(envelopeTime) }
            var tickers: [Ticker] = []
            try c.object { (key, c) throws(ExchangeParseError) in
                guard key == "list" else { return try c.skip() }
                try c.array { (c) throws(ExchangeParseError) in
                    var ticker = Ticker(
                        market: MarketKey(exchange: .bybit, type: type, symbol: ""), time: time, receivedAt: receivedAt)
                    var symbol: String?
                    try c.object { (key, c) throws(ExchangeParseError) in
                        try BybitTickerFields.read(key, &c, into: &ticker, symbol: &symbol)
                    }
                    guard let symbol, !symbol.isEmpty else { throw BybitField.missing("symbol", in: "ticker") }
                    ticker.market.symbol = symbol
                    tickers.append(ticker)
                }
            }
            return tickers
        }
    }
}
