import NIOCore

/// WhiteBIT's JSON-RPC protocol on one WebSocket (whitebit.md §4): `{"id","method","params"}` in,
/// `{"id","result","error"}` out, updates with `"id": null`.
///
/// Each data type holds one subscription that a new `X_subscribe` replaces (depth: per market with
/// the multi-market flag). A depth subscription forwards nothing until its first snapshot, then the
/// shared incrementals that follow it. More than 200 requests in a simulated minute, or invalid
/// JSON, closes the connection.
final class WhiteBITSession: WSSession {
    typealias Channel = WhiteBITStream.Channel

    /// JSON-RPC error codes (whitebit.md §4.1; 6 from ccxt).
    enum ErrorCode: Int {
        case invalidArgument = 1, internalError, serviceUnavailable, methodNotFound, serviceTimeout
        case requireAuthentication

        var message: String {
            switch self {
            case .invalidArgument: return "invalid argument"
            case .internalError: return "internal error"
            case .serviceUnavailable: return "service unavailable"
            case .methodNotFound: return "method not found"
            case .serviceTimeout: return "service timeout"
            case .requireAuthentication: return "require authentication"
            }
        }
    }

    /// Methods of the authenticated WebSocket API (answered with code 6).
    private static let privateMethods: Set<String> = [
        "authorize", "balanceSpot", "balanceMargin", "ordersPending", "ordersExecuted", "deals", "positionsMargin",
        "positionsAccount", "borrows",
    ]

    let venue: WhiteBITVenue
    /// Keys held per data type.
    private var subscribed: [Channel: [StreamKey]] = [:]
    /// Depth streams waiting for their first snapshot, and the update id of the last snapshot sent.
    private var awaitingSnapshot: Set<StreamKey> = []
    private var snapshotIds: [StreamKey: Int64] = [:]
    /// Requests in the current simulated minute.
    private var requestMinute: Int64 = .min
    private var requestCount: Int64 = 0

    init(venue: WhiteBITVenue) {
        self.venue = venue
    }

    func didOpen(_ connection: WSConnection) {}

    // MARK: - Outgoing stream messages

    func encode(_ message: StreamMessage, into output: inout WSOutput) {
        guard message.key.channel == Channel.depth.rawValue else {
            output.text(message.payload)
            return
        }
        let key = message.key
        switch message.kind {
        case .depthDiff:
            // Before the snapshot, and anything the snapshot already covers, is not for this client.
            if self.awaitingSnapshot.contains(key) { return }
            if let id = self.snapshotIds[key], message.lastUpdateId <= id { return }
        case WhiteBITPublisher.subscriberSnapshotKind:
            guard self.awaitingSnapshot.remove(key) != nil else { return }
            self.snapshotIds[key] = message.lastUpdateId
        default:
            // Keep-alive snapshots go to every subscriber.
            self.awaitingSnapshot.remove(key)
            self.snapshotIds[key] = message.lastUpdateId
        }
        output.text(message.payload)
    }

    // MARK: - Requests

    func didReceive(text: ByteBuffer, on connection: WSConnection) {
        let minute = DetMath.floorDiv(connection.now, 60_000)
        if minute != self.requestMinute {
            self.requestMinute = minute
            self.requestCount = 0
        }
        self.requestCount += 1
        guard self.requestCount <= self.venue.limiter.limits.requestsPerConnectionMinute else {
            connection.close(code: 1008, reason: "Too many requests")
            return
        }
        var parser = JSONParser(bytes: text.getBytes(at: text.readerIndex, length: text.readableBytes) ?? [])
        guard let message = try? parser.parseDocument() else {
            connection.close(code: 1007, reason: "Invalid JSON")
            return
        }
        let id = message["id"] ?? .null
        guard case .object = message, let method = message["method"]?.stringValue else {
            self.reply(error: .invalidArgument, id: id, on: connection)
            return
        }
        let params = message["params"]?.arrayValue ?? []
        if message["params"].map({ !$0.isNull && $0.arrayValue == nil }) == true {
            self.reply(error: .invalidArgument, id: id, on: connection)
            return
        }
        self.dispatch(method: method, params: params, id: id, on: connection)
    }

    private func dispatch(method: String, params: [JSONValue], id: JSONValue, on connection: WSConnection) {
        switch method {
        case "ping":
            self.reply(result: { $0.raw("\"pong\"") }, id: id, on: connection)
            return
        case "time":
            self.reply(result: { WhiteBITRender.wholeSeconds(&$0, connection.now) }, id: id, on: connection)
            return
        default:
            break
        }
        let parts = method.split(separator: "_", maxSplits: 1).map(String.init)
        if parts.count == 2, let channel = Channel(method: parts[0]) {
            switch parts[1] {
            case "subscribe":
                self.subscribe(channel, params: params, id: id, on: connection)
                return
            case "unsubscribe":
                self.replace(channel, with: [], on: connection)
                self.replySuccess(id: id, on: connection)
                return
            default:
                break
            }
        }
        if self.query(method: method, params: params, id: id, on: connection) { return }
        let base = String(method.prefix { $0 != "_" })
        let code: ErrorCode = Self.privateMethods.contains(base) ? .requireAuthentication : .methodNotFound
        self.reply(error: code, id: id, on: connection)
    }

    /// A market named by a parameter, or nil.
    func market(_ value: JSONValue?) -> Int? {
        value?.stringValue.flatMap { self.venue.market(forSymbol: $0) }
    }

    private func subscribe(_ channel: Channel, params: [JSONValue], id: JSONValue, on connection: WSConnection) {
        var keys: [StreamKey] = []
        switch channel {
        case .lastprice, .market, .marketToday, .trades, .bookTicker:
            if params.isEmpty && (channel == .trades || channel == .bookTicker) {
                keys = [WhiteBITStream.allKey(channel)]
            } else {
                for item in params {
                    guard let market = self.market(item) else {
                        return self.reply(error: .invalidArgument, id: id, on: connection)
                    }
                    let key = WhiteBITStream.key(channel, market: market)
                    if !keys.contains(key) { keys.append(key) }
                }
            }
        case .candles:
            guard params.count == 2, let market = self.market(params[0]), let seconds = params[1].int64Value,
                let index = WhiteBITStream.candleIntervals.firstIndex(of: seconds)
            else { return self.reply(error: .invalidArgument, id: id, on: connection) }
            keys = [WhiteBITStream.candleKey(market: market, intervalIndex: index)]
        case .depth:
            guard let key = self.depthKey(params) else {
                return self.reply(error: .invalidArgument, id: id, on: connection)
            }
            if params.count == 4, params[3].boolValue == nil {
                return self.reply(error: .invalidArgument, id: id, on: connection)
            }
            // true: add this market (replacing its previous depth subscription); false: replace all.
            let multi = params.count == 4 && params[3].boolValue == true
            keys = (multi ? (self.subscribed[.depth] ?? []).filter { $0.market != key.market } : []) + [key]
        }
        self.replace(channel, with: keys, on: connection)
        self.replySuccess(id: id, on: connection)
        if channel == .depth, let key = keys.last {
            self.awaitingSnapshot.insert(key)
            self.snapshotIds[key] = nil
            self.venue.requestSnapshot(key)
        }
    }

    /// `[market, limit, priceInterval, multiFlag]` of `depth_subscribe`.
    private func depthKey(_ params: [JSONValue]) -> StreamKey? {
        guard params.count >= 3, params.count <= 4, let market = self.market(params[0]),
            let limit = params[1].int64Value, let limitIndex = WhiteBITStream.depthLimits.firstIndex(of: Int(limit)),
            let intervalIndex = Self.priceInterval(params[2])
        else { return nil }
        return WhiteBITStream.depthKey(market: market, limitIndex: limitIndex, intervalIndex: intervalIndex)
    }

    /// Index of a price interval given as `"0"`, `"0.01"` (or as a JSON number).
    static func priceInterval(_ value: JSONValue) -> Int? {
        switch value {
        case .string(let text), .number(let text):
            guard let units = Units.parse(text) else { return nil }
            return WhiteBITStream.priceIntervals.firstIndex { $0.units == units }
        default:
            return nil
        }
    }

    /// Replaces the keys held for `channel` (an empty list unsubscribes the type).
    private func replace(_ channel: Channel, with keys: [StreamKey], on connection: WSConnection) {
        let old = self.subscribed[channel] ?? []
        let kept = Set(keys)
        let dropped = old.filter { !kept.contains($0) }
        connection.unsubscribe(dropped)
        for key in dropped {
            self.awaitingSnapshot.remove(key)
            self.snapshotIds[key] = nil
        }
        connection.subscribe(keys)
        self.subscribed[channel] = keys.isEmpty ? nil : keys
    }

    // MARK: - Replies

    func replySuccess(id: JSONValue, on connection: WSConnection) {
        self.reply(result: { $0.raw("{\"status\":\"success\"}") }, id: id, on: connection)
    }

    /// `{"id":…,"result":<written by body>,"error":null}`.
    func reply(result body: (inout JSONWriter) -> Void, id: JSONValue, on connection: WSConnection) {
        var w = JSONWriter(capacity: 128)
        w.raw("{\"id\":")
        id.write(into: &w.buffer)
        w.raw(",\"result\":")
        body(&w)
        w.raw(",\"error\":null}")
        connection.send(text: w.buffer)
    }

    /// `{"id":…,"result":null,"error":{"code":N,"message":"…"}}`.
    func reply(error code: ErrorCode, id: JSONValue, on connection: WSConnection) {
        connection.send(
            .object([
                ("id", id), ("result", .null),
                ("error", .object([("code", .int(code.rawValue)), ("message", .string(code.message))])),
            ]))
    }
}
