import NIOCore

extension BybitVenue {
    /// `/v5/public/spot` and `/v5/public/linear`; 500 connection attempts per 5 minutes per IP.
    func upgrade(_ request: SimRequest) -> WebSocketDecision {
        let category: BybitCategory
        switch request.path {
        case "/v5/public/spot": category = .spot
        case "/v5/public/linear": category = .linear
        default: return .reject(.text(.notFound, "404 page not found"))
        }
        guard self.limiter.admitConnection(ip: request.clientIP, now: self.context.clock.now()) else {
            return .reject(Self.ipLimitedResponse())
        }
        return .accept { [self] in BybitSession(venue: self, category: category) }
    }

    /// The top `depth` levels of a market now, as the order-book topics publish them.
    func bookView(market: Int, depth: UInt32) -> BybitTopicStore.BookView {
        let book = self.context.engine.snapshot(market: market, limit: Int(depth))
        return BybitTopicStore.BookView(bids: book.bids, asks: book.asks, seq: book.updateId, time: book.time)
    }
}

/// Bybit's public WebSocket protocol on one connection: `{"op":"subscribe"|"unsubscribe"|"ping",
/// "args":[…],"req_id":…}`, the per-channel ack and pong formats (bybit.md §4.1–4.2), the args limits,
/// and the first `snapshot` of order-book and ticker topics.
final class BybitSession: WSSession {
    private let venue: BybitVenue
    private let category: BybitCategory
    private var connectionId = ""
    /// Push number of the snapshot each order-book or ticker topic started from on this connection.
    @exclusivity(unchecked) private var snapshots: [StreamKey: Int64] = [:]
    /// Subscribed topics, for the 21,000-character `args` budget.
    private var topics: [StreamKey: String] = [:]
    private var argCharacters = 0

    init(venue: BybitVenue, category: BybitCategory) {
        self.venue = venue
        self.category = category
    }

    func didOpen(_ connection: WSConnection) {
        let seed = self.venue.context.options.seed ^ SimHash.fnv1a(self.category.rawValue)
        self.connectionId = BybitFormat.uuid(
            SimHash.mix(seed ^ UInt64(connection.id)), SimHash.mix(seed &+ UInt64(connection.id)))
    }

    func encode(_ message: StreamMessage, into output: inout WSOutput) {
        // Deltas the subscriber's snapshot already contains (published before it) are dropped.
        if message.firstUpdateId > 0, let start = self.snapshots[message.key], message.firstUpdateId <= start { return }
        output.text(message.payload)
    }

    // MARK: - Control messages

    func didReceive(text: ByteBuffer, on connection: WSConnection) {
        guard let message = JSONValue.parse(text), case .object = message else {
            self.reply(success: false, "error:invalid json", op: "", requestId: nil, on: connection)
            return
        }
        var requestId: String?
        switch message["req_id"] {
        case .string(let value)?: requestId = value
        case .number(let value)?: requestId = value
        default: requestId = nil
        }
        let op = message["op"]?.stringValue ?? ""
        switch op {
        case "ping":
            self.reply(success: true, "pong", op: "ping", requestId: requestId, on: connection, pong: true)
        case "subscribe", "unsubscribe":
            guard let items = message["args"]?.arrayValue, !items.isEmpty else {
                self.reply(success: false, "error:args invalid", op: op, requestId: requestId, on: connection)
                return
            }
            let names = items.compactMap(\.stringValue)
            guard names.count == items.count else {
                self.reply(success: false, "error:handler not found", op: op, requestId: requestId, on: connection)
                return
            }
            if op == "subscribe" {
                self.subscribe(names, requestId: requestId, on: connection)
            } else {
                self.unsubscribe(names, requestId: requestId, on: connection)
            }
        default:
            self.reply(success: false, "error:unknown op", op: op, requestId: requestId, on: connection)
        }
    }

    /// All or nothing: one bad topic fails the whole request.
    private func subscribe(_ names: [String], requestId: String?, on connection: WSConnection) {
        let limit = self.venue.maxSpotArgsPerRequest
        if self.category == .spot && names.count > limit {
            self.reply(
                success: false, "error:args size >\(limit)", op: "subscribe", requestId: requestId, on: connection)
            return
        }
        var keys: [(key: StreamKey, topic: String)] = []
        for name in names {
            guard let key = BybitStream.parse(name, category: self.category, markets: self.venue.markets) else {
                self.reply(
                    success: false, "error:handler not found", op: "subscribe", requestId: requestId, on: connection)
                return
            }
            if connection.streams.contains(key) || keys.contains(where: { $0.key == key }) {
                self.reply(
                    success: false, "error:already subscribed,topic:\(name)", op: "subscribe", requestId: requestId,
                    on: connection)
                return
            }
            keys.append((key, name))
        }
        let added = keys.reduce(0) { $0 + $1.topic.count }
        guard self.argCharacters + added <= self.venue.maxArgsCharacters else {
            self.reply(
                success: false, "error:args length >\(self.venue.maxArgsCharacters)", op: "subscribe",
                requestId: requestId, on: connection)
            return
        }
        connection.subscribe(keys.map(\.key))
        for (key, topic) in keys { self.topics[key] = topic }
        self.argCharacters += added
        self.reply(
            success: true, self.category == .spot ? "subscribe" : "", op: "subscribe", requestId: requestId,
            on: connection)
        for (key, topic) in keys { self.sendSnapshot(key, topic: topic, on: connection) }
    }

    private func unsubscribe(_ names: [String], requestId: String?, on connection: WSConnection) {
        var keys: [StreamKey] = []
        for name in names {
            guard let key = BybitStream.parse(name, category: self.category, markets: self.venue.markets) else {
                self.reply(
                    success: false, "error:handler not found", op: "unsubscribe", requestId: requestId, on: connection)
                return
            }
            keys.append(key)
        }
        for key in connection.unsubscribe(keys) {
            self.snapshots[key] = nil
            self.argCharacters -= self.topics.removeValue(forKey: key)?.count ?? 0
        }
        self.reply(
            success: true, self.category == .spot ? "unsubscribe" : "", op: "unsubscribe", requestId: requestId,
            on: connection)
    }

    /// The first message of an order-book or ticker topic: the stored snapshot.
    private func sendSnapshot(_ key: StreamKey, topic: String, on connection: WSConnection) {
        let venue = self.venue
        let category = self.category
        let wall = SimClock.monotonicNanos()
        let now = connection.now
        var w = JSONWriter(capacity: 512)
        switch BybitStream.kind(of: key) {
        case .orderbook:
            let message = venue.store.subscribeBook(key, wall: wall) {
                venue.bookView(market: key.market, depth: key.parameter)
            }
            let grid = BybitGrid(spec: venue.context.engine.spec(key.market), category: category)
            BybitRender.book(
                &w, topic: topic, category: category, depth: key.parameter, symbol: venue.markets.symbols[key.market],
                grid: grid,
                message: message, ts: now)
            self.snapshots[key] = message.push
        case .tickers:
            let message = venue.store.subscribeTicker(key, wall: wall) {
                venue.streamTickerValues(market: key.market, category: category, now: now)
            }
            BybitRender.ticker(&w, topic: topic, category: category, message: message, ts: now)
            self.snapshots[key] = message.push
        case .kline, .publicTrade, nil:
            return
        }
        connection.send(text: w.buffer)
    }

    /// Acks and pongs. Spot: `{success, ret_msg, conn_id, [req_id], op}` (req_id only when sent, never
    /// on pongs); linear: always with `req_id` (`""` when none was sent).
    private func reply(
        success: Bool, _ message: String, op: String, requestId: String?, on connection: WSConnection,
        pong: Bool = false
    ) {
        var members: [(String, JSONValue)] = [
            ("success", .bool(success)), ("ret_msg", .string(message)), ("conn_id", .string(self.connectionId)),
        ]
        if self.category == .linear {
            members.append(("req_id", .string(requestId ?? "")))
        } else if let requestId, !pong {
            members.append(("req_id", .string(requestId)))
        }
        members.append(("op", .string(op)))
        connection.send(.object(members))
    }
}
