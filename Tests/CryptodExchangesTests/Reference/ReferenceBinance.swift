import CryptodExchanges
import CryptodModel

/// Binance spot, read from the tree: stream frames (binance.md §4–§7) and the REST depth snapshot.
enum RefBinance {
    static func market(_ symbol: String) -> MarketKey { MarketKey(exchange: .binance, type: .spot, symbol: symbol) }

    /// `[[price, qty, …], …]`: positive prices, non-negative quantities.
    static func levels(_ value: RefJSON?, _ field: String) throws(RefReject) -> [BookLevel] {
        var levels: [BookLevel] = []
        for pair in try RefField.array(value, field) {
            let entries = try RefField.array(pair, "\(field) level")
            guard entries.count >= 2 else { throw RefReject("\(field): level with \(entries.count) entries") }
            let price = try RefField.decimal(entries[0], "\(field) price")
            let quantity = try RefField.decimal(entries[1], "\(field) quantity")
            guard price.mantissa > 0, !quantity.isNegative else { throw RefReject("\(field): bad level") }
            levels.append(BookLevel(price: price, quantity: quantity))
        }
        return levels
    }

    // MARK: - Stream

    static func stream(_ root: RefJSON, receivedAt: Timestamp) throws(RefReject) -> [StreamEvent] {
        if let elements = root.elements {
            var events: [StreamEvent] = []
            for element in elements { events.append(try payload(element, streamName: nil, receivedAt: receivedAt)) }
            return events
        }
        guard root.isObject else { throw RefReject("top level is neither an object nor an array") }
        // Kept as written: the type is read from its bytes, the symbol unescaped where it is used.
        let streamName: [UInt8]? = try RefField.optional(root["stream"]) { (v) throws(RefReject) in
            guard let raw = v?.rawString else { throw RefReject("stream: not a string") }
            return raw
        }
        let id = try requestID(root["id"])
        let error = try RefField.optional(root["error"]) { (v) throws(RefReject) in try errorText(v) }
        var events: [StreamEvent] = []
        if let data = root["data"] {
            if let elements = data.elements {
                for element in elements {
                    events.append(try payload(element, streamName: streamName, receivedAt: receivedAt))
                }
            } else {
                events.append(try payload(data, streamName: streamName, receivedAt: receivedAt))
            }
        }
        if let error { return events + [.rejected(id: id, message: error)] }
        if root["data"] != nil { return events }
        if root["result"] != nil { return [.subscribed(id: id)] }
        if root["e"] == nil, case .number = root["code"] {
            let code = try RefField.int64(root["code"], "code")
            let message = try RefField.optional(root["msg"]) { (v) throws(RefReject) in try RefField.text(v, "msg") }
            return [.rejected(id: id, message: "code \(code): \(message ?? "")")]
        }
        // The object itself is an event, less the envelope's members.
        let envelope: Set<[UInt8]> = Set(["stream", "data", "result", "id", "error"].map { Array($0.utf8) })
        let rest = RefJSON.object((root.members ?? []).filter { !envelope.contains($0.key) })
        return [try payload(rest, streamName: streamName, receivedAt: receivedAt)]
    }

    static func requestID(_ value: RefJSON?) throws(RefReject) -> String? {
        switch value {
        case nil, .null?: return nil
        case .string?: return try RefField.text(value, "id")
        default: return String(try RefField.int64(value, "id"))
        }
    }

    static func errorText(_ value: RefJSON?) throws(RefReject) -> String {
        if case .string = value { return try RefField.text(value, "error") }
        let object = try RefField.object(value, "error")
        let code = try RefField.optional(object["code"]) { (v) throws(RefReject) in try RefField.int64(v, "code") }
        let message = try RefField.optional(object["msg"]) { (v) throws(RefReject) in try RefField.text(v, "msg") }
        return code.map { "code \($0): \(message ?? "")" } ?? (message ?? "")
    }

    enum Kind: String {
        case depthUpdate, trade, aggTrade, kline, ticker, miniTicker, bookTicker, partialDepth, shutdown
    }

    static func kind(_ payload: RefJSON, streamName raw: [UInt8]?) throws(RefReject) -> Kind {
        if let e = payload["e"] {
            let names: [(String, Kind)] = [
                ("depthUpdate", .depthUpdate), ("trade", .trade), ("aggTrade", .aggTrade), ("kline", .kline),
                ("24hrTicker", .ticker), ("24hrMiniTicker", .miniTicker), ("serverShutdown", .shutdown),
            ]
            guard let found = names.first(where: { e.isLiteral($0.0) }) else { throw RefReject("unknown event") }
            return found.1
        }
        if let raw, case let streamName = String(decoding: raw, as: UTF8.self), let at = streamName.firstIndex(of: "@")
        {
            let rest = streamName[streamName.index(after: at)...]
            if rest == "bookTicker" { return .bookTicker }
            if rest.hasPrefix("depth"), rest.count >= 6, rest.dropFirst(5).first != "@" { return .partialDepth }
        }
        if payload["lastUpdateId"] != nil { return .partialDepth }
        if payload["u"] != nil, payload["b"] != nil, payload["a"] != nil { return .bookTicker }
        throw RefReject("payload without an event type")
    }

    static func symbol(_ payload: RefJSON, _ field: String = "s") throws(RefReject) -> String {
        try RefField.nonEmptyText(payload[field], field)
    }

    static func payload(_ p: RefJSON, streamName: [UInt8]?, receivedAt: Timestamp) throws(RefReject) -> StreamEvent {
        guard p.isObject else { throw RefReject("payload is not an object") }
        let kind = try kind(p, streamName: streamName)
        typealias F = RefField
        switch kind {
        case .depthUpdate:
            let time = try F.milliseconds(p["E"], "E")
            let market = market(try symbol(p))
            let first = try F.uint64(p["U"], "U")
            let last = try F.uint64(p["u"], "u")
            let bids = try levels(p["b"], "b")
            let asks = try levels(p["a"], "a")
            guard first <= last else { throw RefReject("U > u") }
            return .bookDelta(
                BookDelta(
                    market: market, firstUpdateID: first, lastUpdateID: last, time: time, receivedAt: receivedAt,
                    bids: bids, asks: asks))
        case .trade, .aggTrade:
            _ = try F.optional(p["E"]) { (v) throws(RefReject) in try F.milliseconds(v, "E") }
            let market = market(try symbol(p))
            let id = try F.uint64(p[kind == .trade ? "t" : "a"], "id")
            let price = try F.positive(p["p"], "p")
            let quantity = try F.nonNegative(p["q"], "q")
            let time = try F.milliseconds(p["T"], "T")
            let buyerIsMaker = try F.bool(p["m"], "m")
            return .trades([
                Trade(
                    market: market, id: String(id), price: price, quantity: quantity,
                    side: buyerIsMaker ? .sell : .buy, time: time, receivedAt: receivedAt)
            ])
        case .ticker, .miniTicker:
            let time = try F.milliseconds(p["E"], "E")
            var t = Ticker(market: market(try symbol(p)), time: time, receivedAt: receivedAt)
            func optional(_ field: String) throws(RefReject) -> ExactDecimal? {
                try F.optional(p[field]) { (v) throws(RefReject) in try F.nonNegative(v, field) }
            }
            t.last = try F.nonNegative(p["c"], "c")
            t.lastQuantity = try optional("Q")
            t.bid = try optional("b")
            t.bidQuantity = try optional("B")
            t.ask = try optional("a")
            t.askQuantity = try optional("A")
            t.open = try optional("o")
            t.high = try optional("h")
            t.low = try optional("l")
            t.volume = try optional("v")
            t.quoteVolume = try optional("q")
            t.changePercent = try F.optional(p["P"]) { (v) throws(RefReject) in try F.decimal(v, "P") }
            return .ticker(t)
        case .kline:
            _ = try F.optional(p["E"]) { (v) throws(RefReject) in try F.milliseconds(v, "E") }
            let k = try F.object(p["k"], "k")
            let outer = try F.optional(p["s"]) { (v) throws(RefReject) in try F.nonEmptyText(v, "s") }
            // `k.s` is only read when `s` is absent; otherwise it merely has to be a string.
            if let inner = k["s"], inner.rawString == nil { throw RefReject("k.s: not a string") }
            let symbol: String
            if let outer { symbol = outer } else { symbol = try F.nonEmptyText(k["s"], "k.s") }
            let openTime = try F.candleOpen(try F.milliseconds(k["t"], "k.t"))
            guard let interval = CandleInterval(name: try F.text(k["i"], "k.i")) else {
                throw RefReject("k.i: unknown interval")
            }
            return .candle(
                Candle(
                    market: market(symbol), interval: interval, openTime: openTime,
                    open: try F.positive(k["o"], "k.o"), high: try F.positive(k["h"], "k.h"),
                    low: try F.positive(k["l"], "k.l"), close: try F.positive(k["c"], "k.c"),
                    volume: try F.nonNegative(k["v"], "k.v"),
                    quoteVolume: try F.optional(k["q"]) { (v) throws(RefReject) in try F.nonNegative(v, "k.q") },
                    tradeCount: try F.optional(k["n"]) { (v) throws(RefReject) in try F.int64(v, "k.n") },
                    isClosed: try F.bool(k["x"], "k.x"), receivedAt: receivedAt))
        case .bookTicker:
            _ = try F.optional(p["u"]) { (v) throws(RefReject) in try F.uint64(v, "u") }
            var t = Ticker(market: market(try symbol(p)), time: receivedAt, receivedAt: receivedAt)
            t.bid = try F.positive(p["b"], "b")
            t.bidQuantity = try F.optional(p["B"]) { (v) throws(RefReject) in try F.nonNegative(v, "B") }
            t.ask = try F.positive(p["a"], "a")
            t.askQuantity = try F.optional(p["A"]) { (v) throws(RefReject) in try F.nonNegative(v, "A") }
            return .ticker(t)
        case .partialDepth:
            guard let streamName else { throw RefReject("partial depth without a stream name") }
            let raw = Array(streamName.prefix(while: { $0 != 0x40 }))
            guard !raw.isEmpty, let symbol = RefJSON.unescape(raw)?.uppercased() else {
                throw RefReject("stream: no symbol")
            }
            return .bookSnapshot(
                BookSnapshot(
                    market: market(symbol), updateID: try F.uint64(p["lastUpdateId"], "lastUpdateId"), time: nil,
                    receivedAt: receivedAt, bids: try levels(p["bids"], "bids"), asks: try levels(p["asks"], "asks")))
        case .shutdown:
            _ = try F.optional(p["E"]) { (v) throws(RefReject) in try F.milliseconds(v, "E") }
            return .serverShutdown
        }
    }

    // MARK: - REST

    /// A REST object that is an error body (`code` a number) is refused; `msg` must be text when present.
    static func checkErrorBody(_ root: RefJSON) throws(RefReject) {
        for (key, value) in root.members ?? [] {
            if key == Array("code".utf8), case .number = value { throw RefReject("error body") }
            if key == Array("msg".utf8) { _ = try RefField.text(value, "msg") }
        }
    }

    /// `GET /api/v3/depth`: `{"lastUpdateId":…,"bids":[…],"asks":[…]}`.
    static func depthSnapshot(
        _ root: RefJSON, market: MarketKey, receivedAt: Timestamp
    ) throws(RefReject)
        -> BookSnapshot
    {
        _ = try RefField.object(root, "depth")
        try checkErrorBody(root)
        return BookSnapshot(
            market: market, updateID: try RefField.uint64(root["lastUpdateId"], "lastUpdateId"), time: nil,
            receivedAt: receivedAt, bids: try levels(root["bids"], "bids"), asks: try levels(root["asks"], "asks"))
    }

    /// `GET /api/v3/trades`: `[{id, price, qty, time, isBuyerMaker, …}]`.
    static func trades(_ root: RefJSON, market: MarketKey, receivedAt: Timestamp) throws(RefReject) -> [Trade] {
        guard let elements = root.elements else { throw RefReject("trades: not an array") }
        var trades: [Trade] = []
        for t in elements {
            _ = try RefField.object(t, "trade")
            let id = try RefField.uint64(t["id"], "id")
            let price = try RefField.positive(t["price"], "price")
            let quantity = try RefField.nonNegative(t["qty"], "qty")
            let time = try RefField.milliseconds(t["time"], "time")
            let buyerIsMaker = try RefField.bool(t["isBuyerMaker"], "isBuyerMaker")
            trades.append(
                Trade(
                    market: market, id: String(id), price: price, quantity: quantity,
                    side: buyerIsMaker ? .sell : .buy, time: time, receivedAt: receivedAt))
        }
        return trades
    }
}
