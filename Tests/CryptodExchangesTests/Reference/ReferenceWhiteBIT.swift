import CryptodExchanges
import CryptodModel

/// WhiteBIT JSON-RPC stream frames (whitebit.md §4), read from the tree.
enum RefWhiteBIT {
    typealias F = RefField

    static func market(_ symbol: String, _ type: MarketType) -> MarketKey {
        MarketKey(exchange: .whitebit, type: type, symbol: symbol)
    }

    /// A price or amount: never negative.
    static func amount(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal {
        try F.nonNegative(value, field)
    }

    static func seconds(_ value: RefJSON?, _ field: String) throws(RefReject) -> Timestamp {
        try F.fractionalSeconds(value, field)
    }

    static func levels(_ value: RefJSON?, _ field: String) throws(RefReject) -> [BookLevel] {
        var levels: [BookLevel] = []
        for level in try F.array(value, field) {
            let entries = try F.array(level, field)
            guard entries.count >= 2 else { throw RefReject("\(field): level needs [price, amount]") }
            levels.append(
                BookLevel(price: try amount(entries[0], "price"), quantity: try amount(entries[1], "amount")))
        }
        return levels
    }

    /// `"text"`, or `{field: ["text", …]}` as `field: text, …; …`; other kinds say nothing.
    static func messageText(_ value: RefJSON?) throws(RefReject) -> String? {
        switch value {
        case .string?: return try F.text(value, "message")
        case .object(let members)?:
            var parts: [String] = []
            for (key, item) in members {
                let name = String(decoding: key, as: UTF8.self)
                var texts: [String] = []
                switch item {
                case .string: texts.append(try F.text(item, name))
                case .array(let elements):
                    for element in elements { if case .string = element { texts.append(try F.text(element, name)) } }
                default: break
                }
                let joined = texts.filter { !$0.isEmpty }.joined(separator: ", ")
                parts.append(joined.isEmpty ? name : "\(name): \(joined)")
            }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        default: return nil
        }
    }

    static func stream(
        _ root: RefJSON, context: StreamContext, receivedAt: Timestamp
    ) throws(RefReject)
        -> [StreamEvent]
    {
        guard root.isObject else { throw RefReject("not an object") }
        let methods = [
            "depth_update", "trades_update", "market_update", "candles_update", "bookTicker_update",
            "lastprice_update", "marketToday_update",
        ]
        let method: String? = try F.optional(root["method"]) { (v) throws(RefReject) in
            guard let name = methods.first(where: { v?.isLiteral($0) == true }) else {
                throw RefReject("unknown method")
            }
            return name
        }
        var id: String?
        switch root["id"] {
        case nil, .null?: break
        case .string?: id = try F.text(root["id"], "id")
        default: id = String(try F.int64(root["id"], "id"))
        }
        enum Result {
            case none, pong, success, other
            case time(Timestamp)
        }
        var result = Result.none
        switch root["result"] {
        case nil, .null?: break
        case .string(let raw, _)?: result = raw == Array("pong".utf8) ? .pong : .other
        case .number?: result = .time(try seconds(root["result"], "result"))
        case .object(let members)?:
            let status = members.last(where: { $0.key == Array("status".utf8) })?.value
            if case .string? = status {
                result = status?.isLiteral("success") == true ? .success : .other
            } else {
                result = .other
            }
        default: result = .other
        }
        var failure: String?
        if let error = root["error"], !error.isNull {
            _ = try F.object(error, "error")
            let code = try F.optional(error["code"]) { (v) throws(RefReject) in try F.int64(v, "code") }
            let words = try messageText(error["message"]) ?? "error"
            failure = code.map { "\(words) (code \($0))" } ?? words
        }
        if let method {
            guard let params = root["params"] else { throw RefReject("params missing") }
            return try updates(method, params, context: context, receivedAt: receivedAt)
        }
        if let failure { return [.rejected(id: id, message: failure)] }
        switch result {
        case .pong: return [.pong]
        case .success: return [.subscribed(id: id)]
        case .time(let time): return [.serverTime(time)]
        case .none, .other: throw RefReject("answer without a known result")
        }
    }

    static func updates(
        _ method: String, _ params: RefJSON, context: StreamContext, receivedAt: Timestamp
    ) throws(RefReject) -> [StreamEvent] {
        let type = context.type
        let p = try F.array(params, "params")
        func at(_ index: Int) -> RefJSON? { index < p.count ? p[index] : nil }
        switch method {
        case "market_update", "marketToday_update":
            let symbol = try F.nonEmptyText(at(0), "market")
            guard let stats = at(1) else { throw RefReject("stats missing") }
            _ = try F.object(stats, "stats")
            var t = Ticker(market: market(symbol, type), time: receivedAt, receivedAt: receivedAt)
            func optional(_ field: String) throws(RefReject) -> ExactDecimal? {
                try F.optional(stats[field]) { (v) throws(RefReject) in try amount(v, field) }
            }
            t.last = try optional("last")
            t.open = try optional("open")
            t.high = try optional("high")
            t.low = try optional("low")
            t.volume = try optional("volume")
            t.quoteVolume = try optional("deal")
            guard t.last != nil else { throw RefReject("last missing") }
            return [.ticker(t)]
        case "lastprice_update":
            let symbol = try F.nonEmptyText(at(0), "market")
            var t = Ticker(market: market(symbol, type), time: receivedAt, receivedAt: receivedAt)
            t.last = try amount(at(1), "price")
            return [.ticker(t)]
        case "trades_update":
            let key = market(try F.nonEmptyText(at(0), "market"), type)
            var trades: [Trade] = []
            for item in try F.array(at(1), "trades") {
                _ = try F.object(item, "trade")
                let id = try F.int64(item["id"], "id")
                let time = try seconds(item["time"], "time")
                let price = try amount(item["price"], "price")
                let quantity = try amount(item["amount"], "amount")
                let side: TradeSide
                if item["type"]?.isLiteral("buy") == true {
                    side = .buy
                } else if item["type"]?.isLiteral("sell") == true {
                    side = .sell
                } else {
                    throw RefReject("type")
                }
                trades.append(
                    Trade(
                        market: key, id: String(id), price: price, quantity: quantity, side: side, time: time,
                        receivedAt: receivedAt))
            }
            let ordered = oldestFirst(trades)
            return ordered.isEmpty ? [] : [.trades(ordered)]
        case "candles_update":
            guard let interval = context.candleInterval else { throw RefReject("no candle interval") }
            var events: [StreamEvent] = []
            for row in p {
                let r = try F.array(row, "row")
                guard r.count >= 8 else { throw RefReject("candle row with \(r.count) columns") }
                let time = try seconds(r[0], "time")
                let open = try amount(r[1], "open")
                let close = try amount(r[2], "close")
                let high = try amount(r[3], "high")
                let low = try amount(r[4], "low")
                let volume = try amount(r[5], "volume")
                let deal = try amount(r[6], "deal")
                let symbol = try F.nonEmptyText(r[7], "market")
                _ = try F.candleOpen(time)
                events.append(
                    .candle(
                        Candle(
                            market: market(symbol, type), interval: interval, openTime: time, open: open, high: high,
                            low: low, close: close, volume: volume, quoteVolume: deal, isClosed: false,
                            receivedAt: receivedAt)))
            }
            return events
        case "depth_update":
            let fullReload = try F.bool(at(0), "isFullReload")
            var updateID: UInt64?
            var past: UInt64?
            var time: Timestamp?
            var eventTime: Timestamp?
            var bids: [BookLevel] = []
            var asks: [BookLevel] = []
            if let book = at(1) {
                _ = try F.object(book, "book")
                updateID = try F.optional(book["update_id"]) { (v) throws(RefReject) in try F.uint64(v, "update_id") }
                if let value = book["past_update_id"], !value.isNull { past = try F.uint64(value, "past_update_id") }
                time = try F.optional(book["timestamp"]) { (v) throws(RefReject) in try seconds(v, "timestamp") }
                eventTime = try F.optional(book["event_time"]) { (v) throws(RefReject) in try seconds(v, "event_time") }
                asks = try F.optional(book["asks"]) { (v) throws(RefReject) in try levels(v, "asks") } ?? []
                bids = try F.optional(book["bids"]) { (v) throws(RefReject) in try levels(v, "bids") } ?? []
            }
            let symbol = try F.nonEmptyText(at(2), "market")
            guard let updateID else { throw RefReject("update_id missing") }
            let key = market(symbol, type)
            if fullReload {
                return [
                    .bookSnapshot(
                        BookSnapshot(
                            market: key, updateID: updateID, time: time ?? eventTime, receivedAt: receivedAt,
                            bids: bids,
                            asks: asks))
                ]
            }
            return [
                .bookDelta(
                    BookDelta(
                        market: key, firstUpdateID: updateID, lastUpdateID: updateID, previousUpdateID: past,
                        time: time ?? eventTime, receivedAt: receivedAt, bids: bids, asks: asks))
            ]
        case "bookTicker_update":
            var events: [StreamEvent] = []
            for row in p {
                let r = try F.array(row, "row")
                guard r.count >= 8 else { throw RefReject("bookTicker row with \(r.count) columns") }
                let time = try seconds(r[0], "transactionTime")
                _ = try seconds(r[1], "messageTime")
                let symbol = try F.nonEmptyText(r[2], "market")
                _ = try F.uint64(r[3], "update_id")
                var t = Ticker(market: market(symbol, type), time: time, receivedAt: receivedAt)
                t.bid = try amount(r[4], "bid")
                t.bidQuantity = try amount(r[5], "bidAmount")
                t.ask = try amount(r[6], "ask")
                t.askQuantity = try amount(r[7], "askAmount")
                events.append(.ticker(t))
            }
            return events
        default: throw RefReject("unknown method")
        }
    }

    /// Oldest first by time, then numeric id: kept as sent when already ascending, reversed when descending.
    static func oldestFirst(_ trades: [Trade]) -> [Trade] {
        func order(_ a: Trade, _ b: Trade) -> Int {
            if a.time != b.time { return a.time < b.time ? -1 : 1 }
            let (x, y) = (Int64(a.id) ?? 0, Int64(b.id) ?? 0)
            return x == y ? 0 : (x < y ? -1 : 1)
        }
        let pairs = zip(trades, trades.dropFirst())
        if pairs.allSatisfy({ order($0, $1) <= 0 }) { return trades }
        if pairs.allSatisfy({ order($0, $1) >= 0 }) { return trades.reversed() }
        return trades.sorted { order($0, $1) < 0 }
    }
}
