import CryptodModel

// MARK: - Requests

extension WhiteBITAPI {
    /// Rate-limit groups: WhiteBIT limits each endpoint template on its own (all markets share one
    /// `/orderbook/{market}` budget), so the group is the template's short name.
    public enum LimitGroup {
        public static let time = "v4/time"
        public static let markets = "v4/markets"
        public static let ticker = "v4/ticker"
        public static let trades = "v4/trades"
        public static let orderbook = "v4/orderbook"
        public static let kline = "v1/kline"
        public static let singleTicker = "v1/ticker"
        public static let balance = "v4/balance"
    }

    public func serverTimeRequest() -> RESTRequest {
        RESTRequest(path: "/api/v4/public/time", limitGroup: LimitGroup.time)
    }

    /// One request lists every market; futures entries are dropped by the parser.
    public func instrumentsRequests(type: MarketType) -> [RESTRequest] {
        guard type == .spot else { return [] }
        return [RESTRequest(path: "/api/v4/public/markets", limitGroup: LimitGroup.markets)]
    }

    /// `nil`: the REST book has no update id, so the stream's full reload is the only sync snapshot.
    public func bookSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest? { nil }

    /// The REST book for audits (compare with the local book): `limit` 1...100, no aggregation.
    public func auditSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest {
        RESTRequest(
            path: "/api/v4/public/orderbook/\(market.symbol)",
            query: [("limit", String(min(max(depth, 1), 100))), ("level", "0")],
            limitGroup: LimitGroup.orderbook
        )
    }

    /// v1 klines, times in seconds. WhiteBIT has no `1s` candles: that interval is sent as `1s` and the
    /// exchange's refusal comes back as an error body.
    public func candlesRequest(
        market: MarketKey, interval: CandleInterval, start: Timestamp?, end: Timestamp?, limit: Int
    ) -> RESTRequest {
        var query: [(name: String, value: String)] = [
            ("market", market.symbol), ("interval", TimeframeNotation.whitebit(interval) ?? interval.description),
        ]
        if let start { query.append(("start", String(start.seconds))) }
        if let end { query.append(("end", String(end.seconds))) }
        query.append(("limit", String(min(max(limit, 1), maxCandlesPerRequest))))
        return RESTRequest(path: "/api/v1/public/kline", query: query, limitGroup: LimitGroup.kline)
    }

    /// The last 100 trades; `fromID` and `limit` have no WhiteBIT equivalent (``supportsTradesFromID``).
    public func tradesRequest(market: MarketKey, fromID: String?, limit: Int) -> RESTRequest {
        RESTRequest(path: "/api/v4/public/trades/\(market.symbol)", limitGroup: LimitGroup.trades)
    }

    /// One request for every market, however many are asked for: v4 has only "all markets".
    public func tickersRequests(markets: [MarketKey]) -> [RESTRequest] {
        markets.isEmpty ? [] : [RESTRequest(path: "/api/v4/public/ticker", limitGroup: LimitGroup.ticker)]
    }

    /// The v1 single-market ticker, the only REST ticker with bid, ask, high and low.
    public func singleTickerRequest(market: MarketKey) -> RESTRequest {
        RESTRequest(
            path: "/api/v1/public/ticker", query: [("market", market.symbol)], limitGroup: LimitGroup.singleTicker)
    }
}

// MARK: - Parsers

extension WhiteBITAPI {
    /// `{"time": 1631451591}`.
    public func parseServerTime(_ body: [UInt8]) throws(ExchangeParseError) -> Timestamp {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var time: Timestamp?
            try cursor.object { key, value throws(ExchangeParseError) in
                if key == "time" { time = try WhiteBITRead.seconds(&value, "time") } else { try value.skip() }
            }
            try cursor.finish()
            guard let time else { throw .missing("time", in: "server time") }
            return time
        }
    }

    /// `[{name, stock, money, stockPrec, moneyPrec, minAmount, minTotal, tradesEnabled, type, …}]`: tick
    /// `10^-moneyPrec`, lot `10^-stockPrec`. Futures entries are skipped.
    public func parseInstruments(_ body: [UInt8], type: MarketType) throws(ExchangeParseError) -> InstrumentPage {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var instruments: [Instrument] = []
            try cursor.array { item throws(ExchangeParseError) in
                if let instrument = try parseMarket(&item, type: type) { instruments.append(instrument) }
            }
            try cursor.finish()
            return InstrumentPage(instruments: instruments)
        }
    }

    private func parseMarket(_ cursor: inout JSONCursor, type: MarketType) throws(ExchangeParseError) -> Instrument? {
        var name: String?
        var stock: String?
        var money: String?
        var stockPrec: Int64?
        var moneyPrec: Int64?
        var minAmount: ExactDecimal?
        var minTotal: ExactDecimal?
        var tradesEnabled: Bool?
        var marketType = "spot"
        try cursor.object { key, value throws(ExchangeParseError) in
            switch key {
            case "name": name = try WhiteBITRead.text(&value, "name")
            case "stock": stock = try WhiteBITRead.text(&value, "stock")
            case "money": money = try WhiteBITRead.text(&value, "money")
            case "stockPrec": stockPrec = try WhiteBITRead.int64(&value, "stockPrec")
            case "moneyPrec": moneyPrec = try WhiteBITRead.int64(&value, "moneyPrec")
            case "minAmount": minAmount = try WhiteBITRead.decimal(&value, "minAmount")
            case "minTotal": minTotal = try WhiteBITRead.decimal(&value, "minTotal")
            case "tradesEnabled": tradesEnabled = try WhiteBITRead.bool(&value, "tradesEnabled")
            case "type": marketType = try WhiteBITRead.text(&value, "type")
            default: try value.skip()
            }
        }
        guard let name else { throw .missing("name", in: "market") }
        guard let stock else { throw .missing("stock", in: "market \(name)") }
        guard let money else { throw .missing("money", in: "market \(name)") }
        guard let stockPrec else { throw .missing("stockPrec", in: "market \(name)") }
        guard let moneyPrec else { throw .missing("moneyPrec", in: "market \(name)") }
        guard let tradesEnabled else { throw .missing("tradesEnabled", in: "market \(name)") }
        guard marketType == "spot", type == .spot else { return nil }
        return Instrument(
            market: marketKey(name), base: stock, quote: money, status: tradesEnabled ? .trading : .halted,
            tickSize: try Self.step(digits: moneyPrec, "moneyPrec"),
            lotSize: try Self.step(digits: stockPrec, "stockPrec"),
            minQuantity: minAmount, minNotional: minTotal
        )
    }

    /// `10^-digits` exactly (`2` → `0.01`, `0` → `1`).
    static func step(digits: Int64, _ field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        guard (0...Int64(ExactDecimal.maxDigits)).contains(digits),
            let step = ExactDecimal(mantissa: 1, scale: UInt8(digits))
        else { throw ExchangeParseError(.invalidValue, "\"\(field)\": \(digits) digits out of range") }
        return step
    }

    /// The REST book `{ticker_id, timestamp, asks, bids}` (for audits: see ``auditSnapshotRequest(market:depth:)``).
    /// It has no update id: `updateID` is 0 and `time` the book's second.
    public func parseBookSnapshot(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> BookSnapshot {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var time: Timestamp?
            var asks: [BookLevel]?
            var bids: [BookLevel]?
            try cursor.object { key, value throws(ExchangeParseError) in
                switch key {
                case "timestamp": time = try WhiteBITRead.seconds(&value, "timestamp")
                case "asks": asks = try WhiteBITRead.levels(&value, "asks")
                case "bids": bids = try WhiteBITRead.levels(&value, "bids")
                default: try value.skip()
                }
            }
            try cursor.finish()
            guard let asks else { throw .missing("asks", in: "order book") }
            guard let bids else { throw .missing("bids", in: "order book") }
            return BookSnapshot(market: market, updateID: 0, time: time, receivedAt: receivedAt, bids: bids, asks: asks)
        }
    }

    /// `{"success":true,"result":[[time, open, close, high, low, stock volume, money volume], …]}`, oldest
    /// first. Mind the column order: open, **close**, high, low. A candle is closed when its end is at or
    /// before `exchangeNow`.
    public func parseCandles(
        _ body: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle] {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var candles: [Candle]?
            try cursor.object { key, value throws(ExchangeParseError) in
                guard key == "result" else { return try value.skip() }
                var rows: [Candle] = []
                try value.array { row throws(ExchangeParseError) in
                    rows.append(
                        try parseKlineRow(
                            &row, market: market, interval: interval, receivedAt: receivedAt,
                            exchangeNow: exchangeNow))
                }
                candles = rows
            }
            try cursor.finish()
            guard let candles else { throw .missing("result", in: "klines") }
            return candles
        }
    }

    private func parseKlineRow(
        _ cursor: inout JSONCursor, market: MarketKey, interval: CandleInterval, receivedAt: Timestamp,
        exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> Candle {
        var time: Timestamp?
        var open: ExactDecimal?
        var close: ExactDecimal?
        var high: ExactDecimal?
        var low: ExactDecimal?
        var volume: ExactDecimal?
        var deal: ExactDecimal?
        let count = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: time = try WhiteBITRead.seconds(&value, "time")
            case 1: open = try WhiteBITRead.decimal(&value, "open")
            case 2: close = try WhiteBITRead.decimal(&value, "close")
            case 3: high = try WhiteBITRead.decimal(&value, "high")
            case 4: low = try WhiteBITRead.decimal(&value, "low")
            case 5: volume = try WhiteBITRead.decimal(&value, "volume")
            case 6: deal = try WhiteBITRead.decimal(&value, "deal")
            default: try value.skip()
            }
        }
        guard count >= 7, let time, let open, let close, let high, let low, let volume, let deal else {
            throw ExchangeParseError(.missingField, "kline row has \(count) columns, expected 7")
        }
        let end = try Self.candleEnd(openTime: time, interval: interval)
        return Candle(
            market: market, interval: interval, openTime: time, open: open, high: high, low: low, close: close,
            volume: volume, quoteVolume: deal, isClosed: end <= exchangeNow, receivedAt: receivedAt
        )
    }

    /// When a candle opening at `openTime` ends; throws rather than trap for an open time in the last month
    /// `Timestamp` can hold.
    static func candleEnd(openTime: Timestamp, interval: CandleInterval) throws(ExchangeParseError) -> Timestamp {
        interval.nextOpenTime(after: try TimeUnits.candleOpenTime(openTime))
    }

    /// `[{tradeID, price, quote_volume, base_volume, trade_timestamp, type}]`, newest first; returned oldest
    /// first. The amount is `quote_volume` (WhiteBIT's naming trap: it holds the base amount).
    public func parseTrades(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> [Trade] {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var trades: [Trade] = []
            try cursor.array { item throws(ExchangeParseError) in
                var id: Int64?
                var price: ExactDecimal?
                var amount: ExactDecimal?
                var time: Timestamp?
                var side: TradeSide?
                try item.object { key, value throws(ExchangeParseError) in
                    switch key {
                    case "tradeID": id = try WhiteBITRead.int64(&value, "tradeID")
                    case "price": price = try WhiteBITRead.decimal(&value, "price")
                    case "quote_volume": amount = try WhiteBITRead.decimal(&value, "quote_volume")
                    case "trade_timestamp": time = try WhiteBITRead.seconds(&value, "trade_timestamp")
                    case "type": side = try WhiteBITRead.side(&value, "type")
                    default: try value.skip()
                    }
                }
                guard let id else { throw .missing("tradeID", in: "trade") }
                guard let price else { throw .missing("price", in: "trade \(id)") }
                guard let amount else { throw .missing("quote_volume", in: "trade \(id)") }
                guard let time else { throw .missing("trade_timestamp", in: "trade \(id)") }
                guard let side else { throw .missing("type", in: "trade \(id)") }
                trades.append(
                    Trade(
                        market: market, id: String(id), price: price, quantity: amount, side: side,
                        time: time, receivedAt: receivedAt))
            }
            try cursor.finish()
            return Self.oldestFirst(trades)
        }
    }

    /// Trades by time, then id (ids grow with time): the order REST (newest first) and the stream use
    /// differ, and the ingestor wants oldest first.
    static func oldestFirst(_ trades: [Trade]) -> [Trade] {
        var ascending = true
        var descending = true
        var index = 1
        while index < trades.count, ascending || descending {
            let order = compare(trades[index - 1], trades[index])
            if order > 0 { ascending = false }
            if order < 0 { descending = false }
            index += 1
        }
        if ascending { return trades }
        if descending { return trades.reversed() }
        return trades.sorted { compare($0, $1) < 0 }
    }

    private static func compare(_ lhs: Trade, _ rhs: Trade) -> Int {
        if lhs.time != rhs.time { return lhs.time < rhs.time ? -1 : 1 }
        let left = Int64(lhs.id) ?? 0
        let right = Int64(rhs.id) ?? 0
        return left == right ? 0 : (left < right ? -1 : 1)
    }

    /// `{"BTC_USDT": {last_price, base_volume, quote_volume, change, …}, …}`: every market in one answer.
    /// Here `quote_volume` really is the quote volume. No bid/ask, high/low or time (`time` = `receivedAt`).
    public func parseTickers(
        _ body: [UInt8], type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> [Ticker] {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var tickers: [Ticker] = []
            try cursor.object { key, value throws(ExchangeParseError) in
                let symbol = key.string
                guard !symbol.isEmpty else { throw ExchangeParseError(.invalidValue, "ticker: empty market name") }
                var ticker = Ticker(market: marketKey(symbol, type), time: receivedAt, receivedAt: receivedAt)
                try value.object { field, item throws(ExchangeParseError) in
                    switch field {
                    case "last_price": ticker.last = try WhiteBITRead.decimal(&item, "last_price")
                    case "base_volume": ticker.volume = try WhiteBITRead.decimal(&item, "base_volume")
                    case "quote_volume": ticker.quoteVolume = try WhiteBITRead.decimal(&item, "quote_volume")
                    case "change":
                        // A percent change may be negative.
                        do throws(ExchangeParseError) { ticker.changePercent = try item.decimal() } catch {
                            throw error.inField("change")
                        }
                    default: try item.skip()
                    }
                }
                guard ticker.last != nil else { throw .missing("last_price", in: "ticker \(symbol)") }
                tickers.append(ticker)
            }
            try cursor.finish()
            return tickers
        }
    }

    /// The v1 single-market ticker `{"success":true,"result":{open,bid,ask,low,high,last,volume,deal,change}}`.
    public func parseSingleTicker(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Ticker {
        try WhiteBITRead.checkError(body)
        return try JSONCursor.parse(body) { cursor throws(ExchangeParseError) in
            var ticker: Ticker?
            try cursor.object { key, value throws(ExchangeParseError) in
                guard key == "result" else { return try value.skip() }
                var result = Ticker(market: market, time: receivedAt, receivedAt: receivedAt)
                try value.object { field, item throws(ExchangeParseError) in
                    switch field {
                    case "open": result.open = try WhiteBITRead.decimal(&item, "open")
                    case "bid": result.bid = try WhiteBITRead.decimal(&item, "bid")
                    case "ask": result.ask = try WhiteBITRead.decimal(&item, "ask")
                    case "low": result.low = try WhiteBITRead.decimal(&item, "low")
                    case "high": result.high = try WhiteBITRead.decimal(&item, "high")
                    case "last": result.last = try WhiteBITRead.decimal(&item, "last")
                    case "volume": result.volume = try WhiteBITRead.decimal(&item, "volume")
                    case "deal": result.quoteVolume = try WhiteBITRead.decimal(&item, "deal")
                    case "change":
                        do throws(ExchangeParseError) { result.changePercent = try item.decimal() } catch {
                            throw error.inField("change")
                        }
                    default: try item.skip()
                    }
                }
                ticker = result
            }
            try cursor.finish()
            guard let ticker, ticker.last != nil else { throw .missing("result.last", in: "ticker") }
            return ticker
        }
    }
}
