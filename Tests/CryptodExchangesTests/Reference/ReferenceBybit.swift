import CryptodExchanges
import CryptodModel

/// Bybit V5 public stream frames (bybit.md §4), read from the tree.
enum RefBybit {
    enum Topic {
        case ticker, trades, book
        case kline(CandleInterval)
    }

    /// `tickers.S`, `publicTrade.S`, `orderbook.N.S`, `kline.I.S` (S non-empty, no dots), as written.
    static func topic(_ raw: [UInt8]) throws(RefReject) -> (Topic, String) {
        let parts = String(decoding: raw, as: UTF8.self).split(separator: ".", omittingEmptySubsequences: false)
            .map(String.init)
        func symbol(_ text: String) throws(RefReject) -> String {
            guard !text.isEmpty else { throw RefReject("topic without a symbol") }
            return text
        }
        switch parts.first {
        case "tickers" where parts.count == 2: return (.ticker, try symbol(parts[1]))
        case "publicTrade" where parts.count == 2: return (.trades, try symbol(parts[1]))
        case "orderbook" where parts.count == 3:
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let depth = Int(parts[1]),
                depth > 0
            else { throw RefReject("orderbook depth") }
            return (.book, try symbol(parts[2]))
        case "kline" where parts.count == 3:
            guard !parts[1].isEmpty, let interval = TimeframeNotation.bybitInterval(parts[1]) else {
                throw RefReject("kline interval")
            }
            return (.kline(interval), try symbol(parts[2]))
        default: throw RefReject("unknown topic")
        }
    }

    /// `null` or `""` is no value; otherwise a decimal that must not be negative.
    static func optionalDecimal(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal? {
        guard let value, !value.isNull else { return nil }
        if value.isLiteral("") { return nil }
        return try RefField.decimal(value, field)
    }

    static func optionalNonNegative(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal? {
        guard let decimal = try optionalDecimal(value, field) else { return nil }
        guard !decimal.isNegative else { throw RefReject("\(field): negative") }
        return decimal
    }

    /// `[["price","size"], …]`: exactly two entries, positive price.
    static func levels(_ value: RefJSON?, _ field: String) throws(RefReject) -> [BookLevel] {
        var levels: [BookLevel] = []
        for level in try RefField.array(value, field) {
            let entries = try RefField.array(level, field)
            guard entries.count == 2 else { throw RefReject("\(field): level with \(entries.count) entries") }
            levels.append(
                BookLevel(
                    price: try RefField.positive(entries[0], "price"),
                    quantity: try RefField.nonNegative(entries[1], "size")))
        }
        return levels
    }

    static func stream(_ root: RefJSON, type: MarketType, receivedAt: Timestamp) throws(RefReject) -> [StreamEvent] {
        guard root.isObject else { throw RefReject("not an object") }
        typealias F = RefField
        let topic: (Topic, String)? = try F.optional(root["topic"]) { (v) throws(RefReject) in
            guard let raw = v?.rawString else { throw RefReject("topic: not a string") }
            return try Self.topic(raw)
        }
        let isSnapshot: Bool? = try F.optional(root["type"]) { (v) throws(RefReject) in
            if v?.isLiteral("snapshot") == true { return true }
            if v?.isLiteral("delta") == true { return false }
            throw RefReject("type")
        }
        let ts = try F.optional(root["ts"]) { (v) throws(RefReject) in try F.milliseconds(v, "ts") }
        let cts = try F.optional(root["cts"]) { (v) throws(RefReject) in try F.milliseconds(v, "cts") }
        let success = try F.optional(root["success"]) { (v) throws(RefReject) in try F.bool(v, "success") }
        var message: String?
        if let value = root["ret_msg"], !value.isNull { message = try F.text(value, "ret_msg") }
        var requestID: String?
        switch root["req_id"] {
        case nil, .null?: break
        case .number?: requestID = String(try F.int64(root["req_id"], "req_id"))
        default:
            let text = try F.text(root["req_id"], "req_id")
            requestID = text.isEmpty ? nil : text
        }
        let op = try F.optional(root["op"]) { (v) throws(RefReject) in try F.text(v, "op") }
        guard let (topicKind, symbol) = topic else {
            guard let success else {
                if op == "pong" { return [.pong] }
                throw RefReject("no topic, no op")
            }
            guard success else { return [.rejected(id: requestID, message: message ?? "")] }
            switch op ?? "" {
            case "ping", "pong": return [.pong]
            case "subscribe", "unsubscribe": return [.subscribed(id: requestID)]
            default:
                if message == "pong" { return [.pong] }
                throw RefReject("ack for an unknown op")
            }
        }
        let market = MarketKey(exchange: .bybit, type: type, symbol: symbol)
        guard let data = root["data"] else { throw RefReject("data missing") }
        switch topicKind {
        case .book:
            _ = try F.object(data, "data")
            let s = try F.optional(data["s"]) { (v) throws(RefReject) in try F.text(v, "s") }
            let bids = try levels(data["b"], "b")
            let asks = try levels(data["a"], "a")
            let updateID = try F.uint64(data["u"], "u")
            let sequence = try F.optional(data["seq"]) { (v) throws(RefReject) in try F.uint64(v, "seq") }
            if let s, s != symbol { throw RefReject("book of another symbol") }
            guard let isSnapshot else { throw RefReject("type missing") }
            if isSnapshot {
                return [
                    .bookSnapshot(
                        BookSnapshot(
                            market: market, updateID: updateID, sequence: sequence, time: cts ?? ts,
                            receivedAt: receivedAt, bids: bids, asks: asks))
                ]
            }
            return [
                .bookDelta(
                    BookDelta(
                        market: market, firstUpdateID: updateID, lastUpdateID: updateID, sequence: sequence,
                        time: cts ?? ts, receivedAt: receivedAt, bids: bids, asks: asks))
            ]
        case .ticker:
            _ = try F.object(data, "data")
            var t = try ticker(data, market: market, receivedAt: receivedAt)
            guard let ts else { throw RefReject("ts missing") }
            t.time = ts
            return [.ticker(t)]
        case .trades:
            var trades: [Trade] = []
            for item in try F.array(data, "data") {
                _ = try F.object(item, "trade")
                let time = try F.milliseconds(item["T"], "T")
                let s = try F.optional(item["s"]) { (v) throws(RefReject) in try F.text(v, "s") }
                let sideText = try F.text(item["S"], "S")
                guard sideText == "Buy" || sideText == "Sell" else { throw RefReject("S") }
                let size = try F.positive(item["v"], "v")
                let price = try F.positive(item["p"], "p")
                let id = try F.text(item["i"], "i")
                if let s, s != symbol { throw RefReject("trade of another symbol") }
                trades.append(
                    Trade(
                        market: market, id: id, price: price, quantity: size, side: sideText == "Buy" ? .buy : .sell,
                        time: time, receivedAt: receivedAt))
            }
            return trades.isEmpty ? [] : [.trades(trades)]
        case .kline(let interval):
            var events: [StreamEvent] = []
            for item in try F.array(data, "data") {
                _ = try F.object(item, "kline")
                if let name = item["interval"] {
                    guard TimeframeNotation.bybitInterval(try F.text(name, "interval")) == interval else {
                        throw RefReject("interval differs from the topic's")
                    }
                }
                events.append(
                    .candle(
                        Candle(
                            market: market, interval: interval,
                            openTime: try F.candleOpen(try F.milliseconds(item["start"], "start")),
                            open: try F.nonNegative(item["open"], "open"),
                            high: try F.nonNegative(item["high"], "high"),
                            low: try F.nonNegative(item["low"], "low"),
                            close: try F.nonNegative(item["close"], "close"),
                            volume: try F.nonNegative(item["volume"], "volume"),
                            quoteVolume: try optionalNonNegative(item["turnover"], "turnover"),
                            isClosed: try F.bool(item["confirm"], "confirm"), receivedAt: receivedAt)))
            }
            return events
        }
    }

    /// The ticker fields REST and stream share; only those present are set.
    static func ticker(_ data: RefJSON, market: MarketKey, receivedAt: Timestamp) throws(RefReject) -> Ticker {
        var t = Ticker(market: market, time: receivedAt, receivedAt: receivedAt)
        if let s = try RefField.optional(data["symbol"], { (v) throws(RefReject) in try RefField.text(v, "symbol") }),
            s != market.symbol
        {
            throw RefReject("ticker of another symbol")
        }
        t.last = try optionalNonNegative(data["lastPrice"], "lastPrice")
        t.bid = try optionalNonNegative(data["bid1Price"], "bid1Price")
        t.bidQuantity = try optionalNonNegative(data["bid1Size"], "bid1Size")
        t.ask = try optionalNonNegative(data["ask1Price"], "ask1Price")
        t.askQuantity = try optionalNonNegative(data["ask1Size"], "ask1Size")
        t.open = try optionalNonNegative(data["prevPrice24h"], "prevPrice24h")
        t.high = try optionalNonNegative(data["highPrice24h"], "highPrice24h")
        t.low = try optionalNonNegative(data["lowPrice24h"], "lowPrice24h")
        t.volume = try optionalNonNegative(data["volume24h"], "volume24h")
        t.quoteVolume = try optionalNonNegative(data["turnover24h"], "turnover24h")
        if let fraction = try optionalDecimal(data["price24hPcnt"], "price24hPcnt") {
            // A fraction to a percent: the decimal point moves two places.
            let percent: ExactDecimal?
            if fraction.scale >= 2 {
                percent = ExactDecimal(mantissa: fraction.mantissa, scale: fraction.scale - 2)
            } else {
                let (product, overflow) = fraction.mantissa.multipliedReportingOverflow(
                    by: fraction.scale == 1 ? 10 : 100)
                percent = overflow ? nil : ExactDecimal(mantissa: product, scale: 0)
            }
            guard let percent else { throw RefReject("price24hPcnt out of range") }
            t.changePercent = percent
        }
        return t
    }
}

extension RefBybit {
    /// The REST envelope `{"retCode","retMsg","result","time",…}`: `result` when `retCode` is 0.
    static func result(_ root: RefJSON) throws(RefReject) -> RefJSON {
        guard root.isObject else { throw RefReject("response is not an object") }
        let code = try RefField.int64(root["retCode"], "retCode")
        if let message = root["retMsg"], !message.isNull { _ = try RefField.text(message, "retMsg") }
        if let time = root["time"], !time.isNull { _ = try RefField.int64(time, "time") }
        guard code == 0 else { throw RefReject("retCode \(code)") }
        guard let result = root["result"] else { throw RefReject("result missing") }
        return result
    }

    /// `GET /v5/market/orderbook`: `result` `{s, b, a, u, seq, ts, cts}`.
    static func bookSnapshot(
        _ root: RefJSON, market: MarketKey, receivedAt: Timestamp
    ) throws(RefReject)
        -> BookSnapshot
    {
        typealias F = RefField
        let book = try F.object(try result(root), "result")
        let symbol = try F.optional(book["s"]) { (v) throws(RefReject) in try F.text(v, "s") }
        let bids = try levels(book["b"], "b")
        let asks = try levels(book["a"], "a")
        let updateID = try F.uint64(book["u"], "u")
        let sequence = try F.optional(book["seq"]) { (v) throws(RefReject) in try F.uint64(v, "seq") }
        let ts = try F.optional(book["ts"]) { (v) throws(RefReject) in try F.milliseconds(v, "ts") }
        let cts = try F.optional(book["cts"]) { (v) throws(RefReject) in try F.milliseconds(v, "cts") }
        if let symbol, symbol != market.symbol { throw RefReject("book of another symbol") }
        return BookSnapshot(
            market: market, updateID: updateID, sequence: sequence, time: cts ?? ts, receivedAt: receivedAt,
            bids: bids, asks: asks)
    }
}
