import CryptodModel

/// Reading WebSocket frames: JSON-RPC answers (`{"id":N,"result":…,"error":…}`) and updates
/// (`{"id":null,"method":"X_update","params":[…]}`, positional params).
extension WhiteBITAPI {
    /// The update methods this adapter reads.
    enum UpdateMethod {
        case market, marketToday, lastPrice, trades, candles, depth, bookTicker

        init(_ raw: UnsafeRawBufferPointer) throws(ExchangeParseError) {
            if raw.elementsEqual("depth_update".utf8) {
                self = .depth
            } else if raw.elementsEqual("trades_update".utf8) {
                self = .trades
            } else if raw.elementsEqual("market_update".utf8) {
                self = .market
            } else if raw.elementsEqual("candles_update".utf8) {
                self = .candles
            } else if raw.elementsEqual("bookTicker_update".utf8) {
                self = .bookTicker
            } else if raw.elementsEqual("lastprice_update".utf8) {
                self = .lastPrice
            } else if raw.elementsEqual("marketToday_update".utf8) {
                self = .marketToday
            } else {
                throw ExchangeParseError(
                    .unknownMessage, "method \"\(String(decoding: raw.prefix(40), as: UTF8.self))\"")
            }
        }
    }

    /// What a JSON-RPC `result` held.
    enum ResultValue {
        case none, pong, success
        case time(Timestamp)
        case other
    }

    /// Reads one frame: market data, acks (`.subscribed`), errors (`.rejected`), `pong` and `time` answers.
    ///
    /// Candle rows never say whether the candle closed (`isClosed` is always `false`): the ingestor closes
    /// a candle when a row with a later open time arrives, and `context.candleInterval` names the interval
    /// (a connection carries one candle subscription).
    /// - Throws: `.oversize` above 1 MiB, `.unknownMessage` for other methods or answers, `.malformedJSON`,
    ///   `.missingField` and `.invalidValue` (negative or malformed numbers, times out of range).
    public func parseStreamMessage(
        _ bytes: UnsafeRawBufferPointer, context: StreamContext, receivedAt: Timestamp, into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        guard bytes.count <= Self.maxMessageBytes else {
            throw ExchangeParseError(.oversize, "\(bytes.count) bytes, limit \(Self.maxMessageBytes)")
        }
        var method: UpdateMethod?
        var sawParams = false
        var deferredParams = false
        var parsed: [StreamEvent] = []
        var id: String?
        var result = ResultValue.none
        var failure: String?
        var cursor = JSONCursor(bytes)
        if try cursor.peek() != .object {
            // Valid JSON that is not a JSON-RPC object is unknown; anything else is malformed.
            try cursor.skip()
            try cursor.finish()
            throw ExchangeParseError(.unknownMessage, "frame is not a JSON object")
        }
        try cursor.object { key, value throws(ExchangeParseError) in
            switch key {
            case "method":
                let raw: UnsafeRawBufferPointer
                do throws(ExchangeParseError) { raw = try value.rawString() } catch { throw error.inField("method") }
                method = try UpdateMethod(raw)
            case "params":
                sawParams = true
                if let method {
                    try parseParams(method, &value, context: context, receivedAt: receivedAt, into: &parsed)
                } else {
                    deferredParams = true
                    try value.skip()
                }
            case "id": id = try Self.readID(&value)
            case "result": result = try Self.readResult(&value)
            case "error": failure = try Self.readError(&value)
            default: try value.skip()
            }
        }
        try cursor.finish()

        if let method {
            guard sawParams else { throw .missing("params", in: "update") }
            if deferredParams {
                // `params` came before `method`: read it again now that the method is known.
                var again = JSONCursor(bytes)
                try again.object { key, value throws(ExchangeParseError) in
                    guard key == "params" else { return try value.skip() }
                    try parseParams(method, &value, context: context, receivedAt: receivedAt, into: &parsed)
                }
            }
            events.append(contentsOf: parsed)
            return
        }
        if let failure {
            events.append(.rejected(id: id, message: failure))
            return
        }
        switch result {
        case .pong: events.append(.pong)
        case .success: events.append(.subscribed(id: id))
        case .time(let time): events.append(.serverTime(time))
        case .none, .other:
            throw ExchangeParseError(.unknownMessage, "answer to request \(id ?? "null") without a known result")
        }
    }

    // MARK: - Answers

    private static func readID(_ cursor: inout JSONCursor) throws(ExchangeParseError) -> String? {
        if cursor.null() { return nil }
        do throws(ExchangeParseError) {
            if try cursor.peek() == .string { return try cursor.string() }
            return String(try cursor.int64())
        } catch {
            throw error.inField("id")
        }
    }

    private static func readResult(_ cursor: inout JSONCursor) throws(ExchangeParseError) -> ResultValue {
        switch try cursor.peek() {
        case .null:
            _ = cursor.null()
            return .none
        case .string:
            let raw = try cursor.rawString()
            return raw.elementsEqual("pong".utf8) ? .pong : .other
        case .number:
            return .time(try WhiteBITRead.seconds(&cursor, "result"))
        case .object:
            var success = false
            try cursor.object { key, value throws(ExchangeParseError) in
                if key == "status", try value.peek() == .string {
                    success = try value.rawString().elementsEqual("success".utf8)
                } else {
                    try value.skip()
                }
            }
            return success ? .success : .other
        case .array, .bool:
            try cursor.skip()
            return .other
        }
    }

    /// `null`, or `{"code":1,"message":"invalid argument"}` as `invalid argument (code 1)`.
    private static func readError(_ cursor: inout JSONCursor) throws(ExchangeParseError) -> String? {
        if cursor.null() { return nil }
        var code: Int64?
        var message: String?
        try cursor.object { key, value throws(ExchangeParseError) in
            switch key {
            case "code": code = try WhiteBITRead.int64(&value, "code")
            case "message": message = try WhiteBITRead.messageText(&value)
            default: try value.skip()
            }
        }
        let words = message ?? "error"
        return code.map { "\(words) (code \($0))" } ?? words
    }

    // MARK: - Updates

    private func parseParams(
        _ method: UpdateMethod, _ cursor: inout JSONCursor, context: StreamContext, receivedAt: Timestamp,
        into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        switch method {
        case .market, .marketToday:
            events.append(.ticker(try parseMarketStats(&cursor, type: context.type, receivedAt: receivedAt)))
        case .lastPrice:
            events.append(.ticker(try parseLastPrice(&cursor, type: context.type, receivedAt: receivedAt)))
        case .trades:
            let trades = try parseStreamTrades(&cursor, type: context.type, receivedAt: receivedAt)
            if !trades.isEmpty { events.append(.trades(trades)) }
        case .candles:
            guard let interval = context.candleInterval else {
                throw ExchangeParseError(
                    .unknownMessage, "candles_update on a connection without a candle subscription")
            }
            try cursor.array { row throws(ExchangeParseError) in
                events.append(
                    .candle(try parseCandleRow(&row, interval: interval, type: context.type, receivedAt: receivedAt)))
            }
        case .depth:
            events.append(try parseDepth(&cursor, type: context.type, receivedAt: receivedAt))
        case .bookTicker:
            try cursor.array { row throws(ExchangeParseError) in
                events.append(.ticker(try parseBookTicker(&row, type: context.type, receivedAt: receivedAt)))
            }
        }
    }

    /// `[market, {period, last, open, close, high, low, volume, deal}]`: `volume` is base, `deal` quote. The
    /// percent change is left `nil`: (last - open) / open is a division, not an exact figure.
    private func parseMarketStats(
        _ cursor: inout JSONCursor, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Ticker {
        var symbol: String?
        var ticker = Ticker(market: marketKey("", type), time: receivedAt, receivedAt: receivedAt)
        var sawStats = false
        _ = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: symbol = try WhiteBITRead.text(&value, "market")
            case 1:
                sawStats = true
                try value.object { key, item throws(ExchangeParseError) in
                    switch key {
                    case "last": ticker.last = try WhiteBITRead.decimal(&item, "last")
                    case "open": ticker.open = try WhiteBITRead.decimal(&item, "open")
                    case "high": ticker.high = try WhiteBITRead.decimal(&item, "high")
                    case "low": ticker.low = try WhiteBITRead.decimal(&item, "low")
                    case "volume": ticker.volume = try WhiteBITRead.decimal(&item, "volume")
                    case "deal": ticker.quoteVolume = try WhiteBITRead.decimal(&item, "deal")
                    default: try item.skip()
                    }
                }
            default: try value.skip()
            }
        }
        guard let symbol else { throw .missing("market", in: "market_update") }
        guard sawStats, ticker.last != nil else { throw .missing("last", in: "market_update") }
        ticker.market = marketKey(symbol, type)
        return ticker
    }

    /// `[market, price]`.
    private func parseLastPrice(
        _ cursor: inout JSONCursor, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Ticker {
        var symbol: String?
        var price: ExactDecimal?
        _ = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: symbol = try WhiteBITRead.text(&value, "market")
            case 1: price = try WhiteBITRead.decimal(&value, "price")
            default: try value.skip()
            }
        }
        guard let symbol else { throw .missing("market", in: "lastprice_update") }
        guard let price else { throw .missing("price", in: "lastprice_update") }
        var ticker = Ticker(market: marketKey(symbol, type), time: receivedAt, receivedAt: receivedAt)
        ticker.last = price
        return ticker
    }

    /// `[market, [{id, time (float s), price, amount, type}]]`, returned oldest first.
    private func parseStreamTrades(
        _ cursor: inout JSONCursor, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> [Trade] {
        var market: MarketKey?
        var trades: [Trade] = []
        var sawTrades = false
        _ = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: market = marketKey(try WhiteBITRead.text(&value, "market"), type)
            case 1:
                guard let market else { throw .missing("market", in: "trades_update") }
                sawTrades = true
                try value.array { item throws(ExchangeParseError) in
                    trades.append(try parseStreamTrade(&item, market: market, receivedAt: receivedAt))
                }
            default: try value.skip()
            }
        }
        guard market != nil else { throw .missing("market", in: "trades_update") }
        guard sawTrades else { throw .missing("trades", in: "trades_update") }
        return Self.oldestFirst(trades)
    }

    private func parseStreamTrade(
        _ cursor: inout JSONCursor, market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Trade {
        var id: Int64?
        var time: Timestamp?
        var price: ExactDecimal?
        var amount: ExactDecimal?
        var side: TradeSide?
        try cursor.object { key, value throws(ExchangeParseError) in
            switch key {
            case "id": id = try WhiteBITRead.int64(&value, "id")
            case "time": time = try WhiteBITRead.seconds(&value, "time")
            case "price": price = try WhiteBITRead.decimal(&value, "price")
            case "amount": amount = try WhiteBITRead.decimal(&value, "amount")
            case "type": side = try WhiteBITRead.side(&value, "type")
            default: try value.skip()
            }
        }
        guard let id else { throw .missing("id", in: "trades_update") }
        guard let time else { throw .missing("time", in: "trade \(id)") }
        guard let price else { throw .missing("price", in: "trade \(id)") }
        guard let amount else { throw .missing("amount", in: "trade \(id)") }
        guard let side else { throw .missing("type", in: "trade \(id)") }
        return Trade(
            market: market, id: String(id), price: price, quantity: amount, side: side, time: time,
            receivedAt: receivedAt)
    }

    /// `[time, open, close, high, low, volume, deal, market]`: open, **close**, high, low, as in v1 REST.
    private func parseCandleRow(
        _ cursor: inout JSONCursor, interval: CandleInterval, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Candle {
        var time: Timestamp?
        var open: ExactDecimal?
        var close: ExactDecimal?
        var high: ExactDecimal?
        var low: ExactDecimal?
        var volume: ExactDecimal?
        var deal: ExactDecimal?
        var symbol: String?
        let count = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: time = try WhiteBITRead.seconds(&value, "time")
            case 1: open = try WhiteBITRead.decimal(&value, "open")
            case 2: close = try WhiteBITRead.decimal(&value, "close")
            case 3: high = try WhiteBITRead.decimal(&value, "high")
            case 4: low = try WhiteBITRead.decimal(&value, "low")
            case 5: volume = try WhiteBITRead.decimal(&value, "volume")
            case 6: deal = try WhiteBITRead.decimal(&value, "deal")
            case 7: symbol = try WhiteBITRead.text(&value, "market")
            default: try value.skip()
            }
        }
        guard count >= 8, let time, let open, let close, let high, let low, let volume, let deal, let symbol else {
            throw ExchangeParseError(.missingField, "candles_update row has \(count) columns, expected 8")
        }
        _ = try Self.candleEnd(openTime: time, interval: interval)
        return Candle(
            market: marketKey(symbol, type), interval: interval, openTime: time, open: open, high: high, low: low,
            close: close, volume: volume, quoteVolume: deal, isClosed: false, receivedAt: receivedAt
        )
    }

    /// `[isFullReload, {timestamp, update_id, past_update_id?, asks, bids, event_time}, market]`: a full
    /// reload is a snapshot at `update_id`; otherwise changed levels (absolute amounts, `"0"` removes)
    /// chained by `past_update_id`. `time` is the book's `timestamp` (`event_time` when it is absent).
    private func parseDepth(
        _ cursor: inout JSONCursor, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> StreamEvent {
        var fullReload: Bool?
        var symbol: String?
        var updateID: UInt64?
        var pastUpdateID: UInt64?
        var time: Timestamp?
        var eventTime: Timestamp?
        var asks: [BookLevel]?
        var bids: [BookLevel]?
        _ = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: fullReload = try WhiteBITRead.bool(&value, "isFullReload")
            case 1:
                try value.object { key, item throws(ExchangeParseError) in
                    switch key {
                    case "update_id": updateID = try WhiteBITRead.uint64(&item, "update_id")
                    case "past_update_id":
                        if !item.null() { pastUpdateID = try WhiteBITRead.uint64(&item, "past_update_id") }
                    case "timestamp": time = try WhiteBITRead.seconds(&item, "timestamp")
                    case "event_time": eventTime = try WhiteBITRead.seconds(&item, "event_time")
                    case "asks": asks = try WhiteBITRead.levels(&item, "asks")
                    case "bids": bids = try WhiteBITRead.levels(&item, "bids")
                    default: try item.skip()
                    }
                }
            case 2: symbol = try WhiteBITRead.text(&value, "market")
            default: try value.skip()
            }
        }
        guard let fullReload else { throw .missing("isFullReload", in: "depth_update") }
        guard let symbol else { throw .missing("market", in: "depth_update") }
        guard let updateID else { throw .missing("update_id", in: "depth_update \(symbol)") }
        let market = marketKey(symbol, type)
        if fullReload {
            return .bookSnapshot(
                BookSnapshot(
                    market: market, updateID: updateID, time: time ?? eventTime, receivedAt: receivedAt,
                    bids: bids ?? [], asks: asks ?? []
                ))
        }
        return .bookDelta(
            BookDelta(
                market: market, firstUpdateID: updateID, lastUpdateID: updateID, previousUpdateID: pastUpdateID,
                time: time ?? eventTime, receivedAt: receivedAt, bids: bids ?? [], asks: asks ?? []
            ))
    }

    /// `[transactionTime, messageTime, market, update_id, bid, bidAmount, ask, askAmount]`: the best bid and
    /// ask as a ticker whose time is the transaction time.
    private func parseBookTicker(
        _ cursor: inout JSONCursor, type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Ticker {
        var time: Timestamp?
        var symbol: String?
        var bid: ExactDecimal?
        var bidAmount: ExactDecimal?
        var ask: ExactDecimal?
        var askAmount: ExactDecimal?
        let count = try WhiteBITRead.positional(&cursor) { index, value throws(ExchangeParseError) in
            switch index {
            case 0: time = try WhiteBITRead.seconds(&value, "transactionTime")
            case 1: _ = try WhiteBITRead.seconds(&value, "messageTime")
            case 2: symbol = try WhiteBITRead.text(&value, "market")
            case 3: _ = try WhiteBITRead.uint64(&value, "update_id")
            case 4: bid = try WhiteBITRead.decimal(&value, "bidPrice")
            case 5: bidAmount = try WhiteBITRead.decimal(&value, "bidAmount")
            case 6: ask = try WhiteBITRead.decimal(&value, "askPrice")
            case 7: askAmount = try WhiteBITRead.decimal(&value, "askAmount")
            default: try value.skip()
            }
        }
        guard count >= 8, let time, let symbol, let bid, let bidAmount, let ask, let askAmount else {
            throw ExchangeParseError(.missingField, "bookTicker_update row has \(count) columns, expected 8")
        }
        var ticker = Ticker(market: marketKey(symbol, type), time: time, receivedAt: receivedAt)
        ticker.bid = bid
        ticker.bidQuantity = bidAmount
        ticker.ask = ask
        ticker.askQuantity = askAmount
        return ticker
    }
}
