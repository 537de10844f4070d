import CryptodModel

/// Binance spot REST answers to CryptodModel values (binance.md §2). Every reader first recognises an error
/// body (`{"code":-1121,"msg":"Invalid symbol."}`) and throws it as `.exchangeError` with code and message.
enum BinanceRESTParser {
    // MARK: - Envelope

    /// Runs `body` over a top-level array; an object in its place is an error body (or unexpected).
    static func topLevelArray(
        _ bytes: [UInt8], _ what: StaticString, _ element: (inout JSONCursor) throws(ExchangeParseError) -> Void
    ) throws(ExchangeParseError) {
        try JSONCursor.parse(bytes) { (c) throws(ExchangeParseError) in
            if try c.peek() == .object {
                if let error = BinanceRead.errorBody(bytes) {
                    throw BinanceRead.exchangeError(code: error.code, message: error.message)
                }
                throw ExchangeParseError(.invalidValue, "\(what): expected an array, found an object")
            }
            try c.array(element)
            try c.finish()
        }
    }

    /// Runs `member` over a top-level object's members, then throws the error body if `code` was present.
    static func topLevelObject(
        _ bytes: [UInt8], _ member: (JSONKey, inout JSONCursor) throws(ExchangeParseError) -> Void
    ) throws(ExchangeParseError) {
        try JSONCursor.parse(bytes) { (c) throws(ExchangeParseError) in
            var code: Int64?
            var message = ""
            try c.object { (key, c) throws(ExchangeParseError) in
                if key == "code", code == nil, try c.peek() == .number {
                    code = try c.int64(field: "code")
                } else if key == "msg" {
                    message = try c.string(field: "msg")
                } else {
                    try member(key, &c)
                }
            }
            try c.finish()
            if let code { throw BinanceRead.exchangeError(code: code, message: message) }
        }
    }

    // MARK: - Time

    /// `{"serverTime":1499827319559}`.
    static func serverTime(_ bytes: [UInt8]) throws(ExchangeParseError) -> Timestamp {
        var time: Timestamp?
        try topLevelObject(bytes) { (key, c) throws(ExchangeParseError) in
            if key == "serverTime" {
                time = try BinanceRead.milliseconds(&c, field: "serverTime")
            } else {
                try c.skip()
            }
        }
        guard let time else { throw .missing("serverTime", in: "time") }
        return time
    }

    // MARK: - Instruments

    /// `exchangeInfo.symbols[]`: status, assets, `PRICE_FILTER.tickSize`, `LOT_SIZE.stepSize/minQty`,
    /// `NOTIONAL`/`MIN_NOTIONAL.minNotional`.
    static func instruments(_ bytes: [UInt8]) throws(ExchangeParseError) -> [Instrument] {
        var instruments: [Instrument] = []
        var sawSymbols = false
        try topLevelObject(bytes) { (key, c) throws(ExchangeParseError) in
            guard key == "symbols" else { return try c.skip() }
            sawSymbols = true
            try c.array { (c) throws(ExchangeParseError) in instruments.append(try instrument(&c)) }
        }
        guard sawSymbols else { throw .missing("symbols", in: "exchangeInfo") }
        return instruments
    }

    static func instrument(_ c: inout JSONCursor) throws(ExchangeParseError) -> Instrument {
        var symbol: String?
        var status: InstrumentStatus?
        var base: String?
        var quote: String?
        var tickSize: ExactDecimal?
        var stepSize: ExactDecimal?
        var minQuantity: ExactDecimal?
        var minNotional: ExactDecimal?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "symbol": symbol = try BinanceRead.symbol(try c.rawString(field: "symbol"), field: "symbol")
            case "status": status = instrumentStatus(try c.string(field: "status"))
            case "baseAsset": base = try c.string(field: "baseAsset")
            case "quoteAsset": quote = try c.string(field: "quoteAsset")
            case "filters":
                try c.array { (c) throws(ExchangeParseError) in
                    var type = ""
                    var values:
                        (tick: ExactDecimal?, step: ExactDecimal?, minQty: ExactDecimal?, notional: ExactDecimal?) =
                            (nil, nil, nil, nil)
                    try c.object { (key, c) throws(ExchangeParseError) in
                        switch key {
                        case "filterType": type = try c.string(field: "filterType")
                        case "tickSize": values.tick = try c.nonNegativeDecimal(field: "tickSize")
                        case "stepSize": values.step = try c.nonNegativeDecimal(field: "stepSize")
                        case "minQty": values.minQty = try c.nonNegativeDecimal(field: "minQty")
                        case "minNotional": values.notional = try c.nonNegativeDecimal(field: "minNotional")
                        default: try c.skip()
                        }
                    }
                    switch type {
                    case "PRICE_FILTER": tickSize = values.tick
                    case "LOT_SIZE":
                        stepSize = values.step
                        minQuantity = values.minQty
                    // NOTIONAL replaced MIN_NOTIONAL; prefer it when both are listed.
                    case "NOTIONAL": minNotional = values.notional
                    case "MIN_NOTIONAL": minNotional = minNotional ?? values.notional
                    default: break
                    }
                }
            default: try c.skip()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "exchangeInfo symbol") }
        let context = "exchangeInfo \(symbol)"
        guard let status else { throw .missing("status", in: context) }
        guard let base, !base.isEmpty else { throw .missing("baseAsset", in: context) }
        guard let quote, !quote.isEmpty else { throw .missing("quoteAsset", in: context) }
        guard let tickSize else { throw .missing("PRICE_FILTER.tickSize", in: context) }
        guard let stepSize else { throw .missing("LOT_SIZE.stepSize", in: context) }
        return Instrument(
            market: MarketKey(exchange: .binance, type: .spot, symbol: symbol), base: base, quote: quote,
            status: status, tickSize: tickSize, lotSize: stepSize, minQuantity: minQuantity, minNotional: minNotional
        )
    }

    /// Binance's symbol statuses (enums.md). A status added later reads as halted: not tradable until
    /// someone looks, rather than a whole instrument list refused.
    static func instrumentStatus(_ text: String) -> InstrumentStatus {
        switch text {
        case "TRADING": .trading
        case "PRE_TRADING", "AUCTION_MATCH": .preTrading
        case "CANCEL_ONLY": .cancelOnly
        case "HALT", "BREAK", "POST_TRADING", "END_OF_DAY": .halted
        default: .halted
        }
    }

    // MARK: - Book

    /// `{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[…]}`.
    static func bookSnapshot(
        _ bytes: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> BookSnapshot
    {
        var updateID: UInt64?
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []
        var sawBids = false
        var sawAsks = false
        try topLevelObject(bytes) { (key, c) throws(ExchangeParseError) in
            switch key {
            case "lastUpdateId": updateID = try c.uint64(field: "lastUpdateId")
            case "bids":
                sawBids = true
                try BinanceRead.levels(&c, field: "bids", into: &bids)
            case "asks":
                sawAsks = true
                try BinanceRead.levels(&c, field: "asks", into: &asks)
            default: try c.skip()
            }
        }
        guard let updateID else { throw .missing("lastUpdateId", in: "depth") }
        guard sawBids else { throw .missing("bids", in: "depth") }
        guard sawAsks else { throw .missing("asks", in: "depth") }
        return BookSnapshot(
            market: market, updateID: updateID, time: nil, receivedAt: receivedAt, bids: bids, asks: asks)
    }

    // MARK: - Candles

    /// Rows `[openTime, o, h, l, c, v, closeTime, quoteVolume, trades, takerBase, takerQuote, "0"]`, oldest
    /// first. Closed when `openTime + interval <= exchangeNow` (its close time is before the exchange's now).
    static func candles(
        _ bytes: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle] {
        var candles: [Candle] = []
        try topLevelArray(bytes, "klines") { (c) throws(ExchangeParseError) in
            var openTime = Timestamp.epoch
            var prices = [ExactDecimal](repeating: .zero, count: 5)
            var quoteVolume: ExactDecimal?
            var count: Int64?
            var index = 0
            let at = c.offset
            try c.array { (c) throws(ExchangeParseError) in
                switch index {
                case 0: openTime = try TimeUnits.candleOpenTime(try BinanceRead.milliseconds(&c, field: "openTime"))
                case 1, 2, 3, 4: prices[index - 1] = try c.positiveDecimal(field: "kline price")
                case 5: prices[4] = try c.nonNegativeDecimal(field: "volume")
                case 7: quoteVolume = try c.nonNegativeDecimal(field: "quoteVolume")
                case 8: count = try c.int64(field: "trades")
                default: try c.skip()
                }
                index += 1
            }
            guard index >= 9 else {
                throw ExchangeParseError(.missingField, "klines: row with \(index) of 12 columns at byte \(at)")
            }
            candles.append(
                Candle(
                    market: market, interval: interval, openTime: openTime, open: prices[0], high: prices[1],
                    low: prices[2], close: prices[3], volume: prices[4], quoteVolume: quoteVolume, tradeCount: count,
                    isClosed: interval.nextOpenTime(after: openTime) <= exchangeNow, receivedAt: receivedAt
                )
            )
        }
        return candles
    }

    // MARK: - Trades

    /// `[{"id":28457,"price":"4.00000100","qty":"12.00000000","time":…,"isBuyerMaker":true,…}]`, oldest
    /// first. The buyer being the maker means the taker sold.
    static func trades(_ bytes: [UInt8], market: MarketKey, receivedAt: Timestamp) throws(ExchangeParseError) -> [Trade]
    {
        var trades: [Trade] = []
        try topLevelArray(bytes, "trades") { (c) throws(ExchangeParseError) in
            var id: UInt64?
            var price: ExactDecimal?
            var quantity: ExactDecimal?
            var time: Timestamp?
            var buyerMaker: Bool?
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "id": id = try c.uint64(field: "id")
                case "price": price = try c.positiveDecimal(field: "price")
                case "qty": quantity = try c.nonNegativeDecimal(field: "qty")
                case "time": time = try BinanceRead.milliseconds(&c, field: "time")
                case "isBuyerMaker": buyerMaker = try c.bool(field: "isBuyerMaker")
                default: try c.skip()
                }
            }
            guard let id else { throw .missing("id", in: "trade") }
            guard let price else { throw .missing("price", in: "trade \(id)") }
            guard let quantity else { throw .missing("qty", in: "trade \(id)") }
            guard let time else { throw .missing("time", in: "trade \(id)") }
            guard let buyerMaker else { throw .missing("isBuyerMaker", in: "trade \(id)") }
            trades.append(
                Trade(
                    market: market, id: String(id), price: price, quantity: quantity, side: buyerMaker ? .sell : .buy,
                    time: time, receivedAt: receivedAt
                )
            )
        }
        return trades
    }

    // MARK: - Tickers

    /// An array (`symbols=`) or a single object (`symbol=`) of 24 h tickers (FULL or MINI).
    static func tickers(_ bytes: [UInt8], receivedAt: Timestamp) throws(ExchangeParseError) -> [Ticker] {
        try JSONCursor.parse(bytes) { (c) throws(ExchangeParseError) -> [Ticker] in
            var tickers: [Ticker] = []
            if try c.peek() == .object {
                if let error = BinanceRead.errorBody(bytes) {
                    throw BinanceRead.exchangeError(code: error.code, message: error.message)
                }
                tickers.append(try ticker(&c, receivedAt: receivedAt))
            } else {
                try c.array { (c) throws(ExchangeParseError) in tickers.append(try ticker(&c, receivedAt: receivedAt)) }
            }
            try c.finish()
            return tickers
        }
    }

    /// One REST 24 h ticker; its time is `closeTime` (the end of the rolling window).
    static func ticker(_ c: inout JSONCursor, receivedAt: Timestamp) throws(ExchangeParseError) -> Ticker {
        var symbol: String?
        var time: Timestamp?
        var ticker = Ticker(market: MarketKey(exchange: .binance, symbol: ""), time: .epoch, receivedAt: receivedAt)
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "symbol": symbol = try BinanceRead.symbol(try c.rawString(field: "symbol"), field: "symbol")
            case "closeTime": time = try BinanceRead.milliseconds(&c, field: "closeTime")
            case "lastPrice": ticker.last = try c.nonNegativeDecimal(field: "lastPrice")
            case "lastQty": ticker.lastQuantity = try c.nonNegativeDecimal(field: "lastQty")
            case "bidPrice": ticker.bid = try c.nonNegativeDecimal(field: "bidPrice")
            case "bidQty": ticker.bidQuantity = try c.nonNegativeDecimal(field: "bidQty")
            case "askPrice": ticker.ask = try c.nonNegativeDecimal(field: "askPrice")
            case "askQty": ticker.askQuantity = try c.nonNegativeDecimal(field: "askQty")
            case "openPrice": ticker.open = try c.nonNegativeDecimal(field: "openPrice")
            case "highPrice": ticker.high = try c.nonNegativeDecimal(field: "highPrice")
            case "lowPrice": ticker.low = try c.nonNegativeDecimal(field: "lowPrice")
            case "volume": ticker.volume = try c.nonNegativeDecimal(field: "volume")
            case "quoteVolume": ticker.quoteVolume = try c.nonNegativeDecimal(field: "quoteVolume")
            case "priceChangePercent": ticker.changePercent = try c.decimal(field: "priceChangePercent")
            default: try c.skip()
            }
        }
        guard let symbol else { throw .missing("symbol", in: "ticker") }
        guard let time else { throw .missing("closeTime", in: "ticker \(symbol)") }
        ticker.market = MarketKey(exchange: .binance, type: .spot, symbol: symbol)
        ticker.time = time
        return ticker
    }
}
