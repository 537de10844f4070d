import CryptodModel

/// Reads one Bybit V5 public WebSocket frame (`/v5/public/spot`, `/v5/public/linear`) into stream events.
///
/// Stateless: the market type comes from the connection (``StreamContext/type``), everything else from the
/// frame. Members are read in any order; `data` is parsed in place when `topic` came first (always, on
/// Bybit) and from a saved cursor otherwise, so no frame is scanned twice on the hot path.
///
/// What each frame becomes:
/// - `orderbook.{depth}.{s}` `snapshot` → `.bookSnapshot` (`updateID = u`, `sequence = seq`, time `cts`
///   else `ts`); `delta` → `.bookDelta` (`firstUpdateID = lastUpdateID = u`). A snapshot with `u == 1`
///   follows a service restart: it replaces the book like any snapshot (the synchroniser's job).
/// - `tickers.{s}` → `.ticker` with only the fields the frame carries: spot sends full snapshots, linear a
///   snapshot then deltas of changed fields, so `nil` means "unchanged" there; ``BybitTickerMerger`` folds
///   them into full tickers.
/// - `publicTrade.{s}` → one `.trades` batch (one market, in the frame's order: oldest first).
/// - `kline.{interval}.{s}` → one `.candle` per element (`confirm` = closed).
/// - acks → `.subscribed` / `.rejected`; pongs (spot and linear `op:"ping"`, `ret_msg:"pong"`; option
///   `op:"pong"`) → `.pong`. A successful *unsubscribe* ack is also `.subscribed(id:)`: the request with
///   that id was accepted (``StreamEvent`` has no separate case).
enum BybitStreamParser {
    /// Frames above 1 MiB are refused before parsing (Bybit's largest, a 1000-level snapshot, is ~60 KiB).
    static let maxFrameBytes = 1 << 20

    private enum MessageType {
        case snapshot
        case delta
    }

    /// `data`, read according to the topic.
    private enum Payload {
        case book(symbol: String?, bids: [BookLevel], asks: [BookLevel], updateID: UInt64, sequence: UInt64?)
        case ticker(Ticker)
        case trades([Trade])
        case candles([Candle])
    }

    static func parse(
        _ bytes: UnsafeRawBufferPointer, context: StreamContext, receivedAt: Timestamp, into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        guard bytes.count <= maxFrameBytes else {
            throw ExchangeParseError(.oversize, "frame of \(bytes.count) bytes (limit \(maxFrameBytes))")
        }
        var cursor = JSONCursor(bytes)
        guard try cursor.peek() == .object else { throw ExchangeParseError(.unknownMessage, "frame is not an object") }
        var topic: BybitTopic?
        var type: MessageType?
        var ts: Timestamp?
        var cts: Timestamp?
        var payload: Payload?
        var deferred: JSONCursor?
        var success: Bool?
        var message: String?
        var requestID: String?
        var op: String?
        try cursor.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "topic":
                let raw: UnsafeRawBufferPointer
                do throws(ExchangeParseError) {
                    raw = try c.rawString()
                } catch {
                    throw error.inField("topic")
                }
                guard let parsed = BybitTopic.parse(raw) else {
                    throw ExchangeParseError(
                        .unknownMessage, "topic \"\(String(decoding: raw.prefix(48), as: UTF8.self))\"")
                }
                topic = parsed
            case "type": type = try messageType(&c)
            case "ts": ts = try BybitField.milliseconds(&c, "ts")
            case "cts": cts = try BybitField.milliseconds(&c, "cts")
            case "data":
                if let topic {
                    payload = try readPayload(&c, topic: topic, context: context, receivedAt: receivedAt)
                } else {
                    deferred = c
                    try c.skip()
                }
            case "success": success = try BybitField.bool(&c, "success")
            case "ret_msg": if !c.null() { message = try BybitField.string(&c, "ret_msg") }
            case "req_id": requestID = try readRequestID(&c)
            case "op": op = try BybitField.string(&c, "op")
            default: try c.skip()
            }
        }
        try cursor.finish()

        guard let topic else {
            try control(success: success, message: message, requestID: requestID, op: op, into: &events)
            return
        }
        if payload == nil, var deferred {
            payload = try readPayload(&deferred, topic: topic, context: context, receivedAt: receivedAt)
        }
        guard let payload else { throw BybitField.missing("data", in: "\(topic)") }
        switch payload {
        case .book(let symbol, let bids, let asks, let updateID, let sequence):
            if let symbol, symbol != topic.symbol {
                throw ExchangeParseError(.invalidValue, "book of \(symbol.prefix(32)) on topic \(topic)")
            }
            guard let type else { throw BybitField.missing("type", in: "orderbook") }
            let market = MarketKey(exchange: .bybit, type: context.type, symbol: topic.symbol)
            switch type {
            case .snapshot:
                events.append(
                    .bookSnapshot(
                        BookSnapshot(
                            market: market, updateID: updateID, sequence: sequence, time: cts ?? ts,
                            receivedAt: receivedAt, bids: bids, asks: asks)))
            case .delta:
                events.append(
                    .bookDelta(
                        BookDelta(
                            market: market, firstUpdateID: updateID, lastUpdateID: updateID, sequence: sequence,
                            time: cts ?? ts, receivedAt: receivedAt, bids: bids, asks: asks)))
            }
        case .ticker(var ticker):
            guard let ts else { throw BybitField.missing("ts", in: "tickers") }
            ticker.time = ts
            events.append(.ticker(ticker))
        case .trades(let trades):
            if !trades.isEmpty { events.append(.trades(trades)) }
        case .candles(let candles):
            for candle in candles { events.append(.candle(candle)) }
        }
    }

    // MARK: - Control frames

    private static func control(
        success: Bool?, message: String?, requestID: String?, op: String?, into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        guard let success else {
            // Option/spread channels answer pings with `{"args":["<ms>"],"op":"pong"}`.
            if op == "pong" {
                events.append(.pong)
                return
            }
            throw ExchangeParseError(.unknownMessage, "frame without topic or op")
        }
        guard success else {
            events.append(.rejected(id: requestID, message: message ?? ""))
            return
        }
        switch op ?? "" {
        case "ping", "pong":
            events.append(.pong)
        case "subscribe", "unsubscribe":
            events.append(.subscribed(id: requestID))
        default:
            if message == "pong" {
                events.append(.pong)
            } else {
                throw ExchangeParseError(.unknownMessage, "ack for op \"\((op ?? "").prefix(16))\"")
            }
        }
    }

    /// `req_id` as sent back: a string (linear sends `""` when none was given: `nil` here) or a number.
    private static func readRequestID(_ c: inout JSONCursor) throws(ExchangeParseError) -> String? {
        if c.null() { return nil }
        if try c.peek() == .number { return String(try BybitField.int64(&c, "req_id")) }
        let text = try BybitField.string(&c, "req_id")
        return text.isEmpty ? nil : text
    }

    private static func messageType(_ c: inout JSONCursor) throws(ExchangeParseError) -> MessageType {
        let raw: UnsafeRawBufferPointer
        do throws(ExchangeParseError) {
            raw = try c.rawString()
        } catch {
            throw error.inField("type")
        }
        if BybitField.raw(raw, is: "snapshot") { return .snapshot }
        if BybitField.raw(raw, is: "delta") { return .delta }
        throw ExchangeParseError(.invalidValue, "type \"\(String(decoding: raw.prefix(16), as: UTF8.self))\"")
    }

    // MARK: - Payloads

    private static func readPayload(
        _ c: inout JSONCursor, topic: BybitTopic, context: StreamContext, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Payload {
        let market = MarketKey(exchange: .bybit, type: context.type, symbol: topic.symbol)
        switch topic {
        case .book:
            return try book(&c)
        case .ticker:
            var ticker = Ticker(market: market, time: receivedAt, receivedAt: receivedAt)
            var symbol: String?
            try c.object { (key, c) throws(ExchangeParseError) in
                try BybitTickerFields.read(key, &c, into: &ticker, symbol: &symbol)
            }
            if let symbol, symbol != market.symbol {
                throw ExchangeParseError(.invalidValue, "ticker of \(symbol.prefix(32)) on topic \(topic)")
            }
            return .ticker(ticker)
        case .trades:
            var trades: [Trade] = []
            try c.array { (c) throws(ExchangeParseError) in
                trades.append(try trade(&c, market: market, receivedAt: receivedAt))
            }
            return .trades(trades)
        case .kline(let interval, _):
            var candles: [Candle] = []
            try c.array { (c) throws(ExchangeParseError) in
                candles.append(try candle(&c, market: market, interval: interval, receivedAt: receivedAt))
            }
            return .candles(candles)
        }
    }

    /// `{s, b, a, u, seq}`.
    private static func book(_ c: inout JSONCursor) throws(ExchangeParseError) -> Payload {
        var symbol: String?
        var bids: [BookLevel]?
        var asks: [BookLevel]?
        var updateID: UInt64?
        var sequence: UInt64?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "s": symbol = try BybitField.string(&c, "s")
            case "b": bids = try BybitField.levels(&c, "b")
            case "a": asks = try BybitField.levels(&c, "a")
            case "u": updateID = try BybitField.uint64(&c, "u")
            case "seq": sequence = try BybitField.uint64(&c, "seq")
            default: try c.skip()
            }
        }
        guard let bids else { throw BybitField.missing("b", in: "orderbook") }
        guard let asks else { throw BybitField.missing("a", in: "orderbook") }
        guard let updateID else { throw BybitField.missing("u", in: "orderbook") }
        return .book(symbol: symbol, bids: bids, asks: asks, updateID: updateID, sequence: sequence)
    }

    /// `{T, s, S, v, p, L, i, BT, seq}`: `S` is the taker's side, `i` the id.
    private static func trade(
        _ c: inout JSONCursor, market: MarketKey, receivedAt: Timestamp
    )
        throws(ExchangeParseError) -> Trade
    {
        var time: Timestamp?
        var symbol: String?
        var side: TradeSide?
        var size: ExactDecimal?
        var price: ExactDecimal?
        var id: String?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "T": time = try BybitField.milliseconds(&c, "T")
            case "s": symbol = try BybitField.string(&c, "s")
            case "S": side = try BybitField.side(&c, "S")
            case "v": size = try BybitField.positive(&c, "v")
            case "p": price = try BybitField.positive(&c, "p")
            case "i": id = try BybitField.string(&c, "i")
            default: try c.skip()
            }
        }
        if let symbol, symbol != market.symbol {
            throw ExchangeParseError(.invalidValue, "trade of \(symbol.prefix(32)) on publicTrade.\(market.symbol)")
        }
        guard let time else { throw BybitField.missing("T", in: "publicTrade") }
        guard let side else { throw BybitField.missing("S", in: "publicTrade") }
        guard let size else { throw BybitField.missing("v", in: "publicTrade") }
        guard let price else { throw BybitField.missing("p", in: "publicTrade") }
        guard let id else { throw BybitField.missing("i", in: "publicTrade") }
        return Trade(
            market: market, id: id, price: price, quantity: size, side: side, time: time, receivedAt: receivedAt)
    }

    /// `{start, end, interval, open, close, high, low, volume, turnover, confirm, timestamp}`.
    private static func candle(
        _ c: inout JSONCursor, market: MarketKey, interval: CandleInterval, receivedAt: Timestamp
    ) throws(ExchangeParseError) -> Candle {
        var start: Timestamp?
        var open: ExactDecimal?
        var high: ExactDecimal?
        var low: ExactDecimal?
        var close: ExactDecimal?
        var volume: ExactDecimal?
        var turnover: ExactDecimal?
        var confirm: Bool?
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "start": start = try TimeUnits.candleOpenTime(try BybitField.milliseconds(&c, "start"))
            case "interval":
                let name = try BybitField.string(&c, "interval")
                guard TimeframeNotation.bybitInterval(name) == interval else {
                    throw ExchangeParseError(.invalidValue, "interval \"\(name.prefix(8))\" on a \(interval) topic")
                }
            case "open": open = try BybitField.nonNegative(&c, "open")
            case "high": high = try BybitField.nonNegative(&c, "high")
            case "low": low = try BybitField.nonNegative(&c, "low")
            case "close": close = try BybitField.nonNegative(&c, "close")
            case "volume": volume = try BybitField.nonNegative(&c, "volume")
            case "turnover": turnover = try BybitField.optionalNonNegative(&c, "turnover")
            case "confirm": confirm = try BybitField.bool(&c, "confirm")
            default: try c.skip()
            }
        }
        guard let start else { throw BybitField.missing("start", in: "kline") }
        guard let open else { throw BybitField.missing("open", in: "kline") }
        guard let high else { throw BybitField.missing("high", in: "kline") }
        guard let low else { throw BybitField.missing("low", in: "kline") }
        guard let close else { throw BybitField.missing("close", in: "kline") }
        guard let volume else { throw BybitField.missing("volume", in: "kline") }
        guard let confirm else { throw BybitField.missing("confirm", in: "kline") }
        return Candle(
            market: market, interval: interval, openTime: start, open: open, high: high, low: low, close: close,
            volume: volume, quoteVolume: turnover, isClosed: confirm, receivedAt: receivedAt)
    }
}
