import NIOCore
import NIOHTTP1

/// The `/_sim/` API on every venue port: ground truth for tests (books, candles, trades, faults,
/// rate-limit usage) and run-time control (clock, faults, limits, load). JSON in, JSON out.
package final class AdminAPI: Sendable {
    let venue: any Venue

    init(venue: any Venue) {
        self.venue = venue
    }

    var context: VenueContext { self.venue.context }

    package func handle(_ request: SimRequest) -> SimResponse {
        let route = (request.method, request.path)
        switch route {
        case (.GET, "/_sim/health"): return self.health()
        case (.GET, "/_sim/clock"): return self.clock()
        case (.POST, "/_sim/clock"): return self.setClock(request)
        case (.GET, "/_sim/markets"): return self.markets()
        case (.GET, "/_sim/book"): return self.book(request)
        case (.GET, "/_sim/candles"): return self.candles(request)
        case (.GET, "/_sim/trades"): return self.trades(request)
        case (.GET, "/_sim/faults"): return .json(.ok, self.context.faults.snapshot())
        case (.POST, "/_sim/faults"): return self.addFaults(request)
        case (.DELETE, "/_sim/faults"): return self.deleteFaults(request)
        case (.GET, "/_sim/limits"): return .json(.ok, self.venue.limitsState())
        case (.POST, "/_sim/limits/reset"):
            self.venue.resetLimits()
            return .json(.ok, .object([("reset", .bool(true))]))
        case (.GET, "/_sim/load"): return self.load()
        case (.POST, "/_sim/load"): return self.setLoad(request)
        case (.GET, "/_sim/stats"): return self.stats()
        case (.GET, "/_sim/connections"): return self.connections()
        case (.POST, "/_sim/connections/drop"): return self.dropConnections(request)
        default:
            if let response = self.venue.adminRequest(request) { return response }
            return Self.error(.notFound, "unknown admin endpoint \(request.method) \(request.path)")
        }
    }

    static func error(_ status: HTTPResponseStatus, _ message: String) -> SimResponse {
        .json(status, .object([("error", .string(message))]))
    }

    private func body(_ request: SimRequest) -> JSONValue? {
        request.body.readableBytes == 0 ? .object([]) : JSONValue.parse(request.body)
    }

    /// An admin request that cannot be answered, with the response saying why.
    struct Rejection: Error {
        var response: SimResponse
    }

    private func market(_ request: SimRequest) throws(Rejection) -> Int {
        guard let symbol = request.parameter("symbol") else {
            throw Rejection(response: Self.error(.badRequest, "symbol is required"))
        }
        guard let market = self.venue.market(forSymbol: symbol) else {
            throw Rejection(response: Self.error(.badRequest, "unknown symbol \(symbol)"))
        }
        return market
    }

    // MARK: - Status

    private func health() -> SimResponse {
        .json(
            .ok,
            .object([
                ("ok", .bool(true)), ("venue", .string(self.context.id)), ("now", .int(self.context.clock.now())),
                ("seed", .number(String(self.context.options.seed))),
                ("markets", .int(self.context.engine.marketCount)),
            ]))
    }

    private func clock() -> SimResponse {
        .json(
            .ok,
            .object([("now", .int(self.context.clock.now())), ("scale", .number(String(self.context.clock.scale)))]))
    }

    /// `{"advance_ms":N}`, `{"set_ms":T}` (forward only) and/or `{"scale":S}`.
    private func setClock(_ request: SimRequest) -> SimResponse {
        guard let body = self.body(request) else { return Self.error(.badRequest, "invalid JSON") }
        if let advance = body["advance_ms"]?.int64Value {
            guard advance >= 0 else { return Self.error(.badRequest, "advance_ms must be >= 0") }
            self.context.clock.advance(by: advance)
        }
        if let time = body["set_ms"]?.int64Value { self.context.clock.set(to: time) }
        if let scale = body["scale"]?.doubleValue {
            guard scale >= 0 else { return Self.error(.badRequest, "scale must be >= 0") }
            self.context.clock.setScale(scale)
        }
        self.context.engine.advance()
        return self.clock()
    }

    private func markets() -> SimResponse {
        let items: [JSONValue] = (0..<self.context.engine.marketCount).map { index in
            let spec = self.context.engine.spec(index)
            return .object([
                ("symbol", .string(self.venue.symbol(of: index))), ("base", .string(spec.base)),
                ("quote", .string(spec.quote)),
                ("tickSize", .string(Units.string(spec.tickSize, digits: spec.priceDigits))),
                ("lotSize", .string(Units.string(spec.lotSize, digits: spec.quantityDigits))),
                ("status", .string(spec.status.rawValue)), ("listedAt", .int(spec.listedAt)),
                ("ordersPerMinute", .number(String(spec.ordersPerMinute))),
            ])
        }
        return .json(.ok, .array(items))
    }

    // MARK: - Ground truth

    /// `symbol`, optional `updateId` (default: current), optional `limit`.
    private func book(_ request: SimRequest) -> SimResponse {
        let market: Int
        do { market = try self.market(request) } catch { return error.response }
        let engine = self.context.engine
        let updateId = request.parameter("updateId").flatMap { Int64($0) } ?? engine.updateId(market: market)
        let limit = request.parameter("limit").flatMap { Int($0) } ?? Int.max
        switch engine.book(market: market, at: updateId) {
        case .failure(.tooOld(let oldest)):
            return Self.error(.gone, "update id \(updateId) is older than the retained history (oldest \(oldest))")
        case .failure(.future(let current)):
            return Self.error(.badRequest, "update id \(updateId) not reached yet (current \(current))")
        case .success(let book):
            func levels(_ levels: [BookLevel]) -> JSONValue {
                .array(
                    levels.prefix(limit).map {
                        .array([.decimalString($0.price, digits: 8), .decimalString($0.quantity, digits: 8)])
                    })
            }
            return .json(
                .ok,
                .object([
                    ("symbol", .string(self.venue.symbol(of: market))), ("updateId", .int(book.updateId)),
                    ("bids", levels(book.bids)), ("asks", levels(book.asks)),
                ]))
        }
    }

    /// `symbol`, `interval` (1s…1M), optional `start`, `end` (ms) and `limit` (default 500, max 5000).
    private func candles(_ request: SimRequest) -> SimResponse {
        let market: Int
        do { market = try self.market(request) } catch { return error.response }
        guard let interval = CandleInterval.parse(request.parameter("interval") ?? "1m") else {
            return Self.error(.badRequest, "invalid interval")
        }
        let limit = min(5_000, max(1, request.parameter("limit").flatMap { Int($0) } ?? 500))
        let candles = self.context.engine.history.candles(
            market: market, interval: interval, start: request.parameter("start").flatMap { Int64($0) },
            end: request.parameter("end").flatMap { Int64($0) }, limit: limit, now: self.context.clock.now())
        let items: [JSONValue] = candles.map { candle in
            let s = candle.summary
            return .object([
                ("openTime", .int(candle.openTime)), ("closeTime", .int(candle.closeTime)),
                ("open", .decimalString(s.open, digits: 8)), ("high", .decimalString(s.high, digits: 8)),
                ("low", .decimalString(s.low, digits: 8)), ("close", .decimalString(s.close, digits: 8)),
                ("volume", .string(Units.string(wide: s.volume, scale: 8, digits: 8))),
                ("quoteVolume", .string(Units.string(wide: s.quoteVolume, scale: 16, digits: 16))),
                ("trades", .int(s.count)), ("firstTradeId", .int(s.firstTradeId)), ("lastTradeId", .int(s.lastTradeId)),
                ("takerBuyVolume", .string(Units.string(wide: s.takerBuyVolume, scale: 8, digits: 8))),
                ("takerBuyQuoteVolume", .string(Units.string(wide: s.takerBuyQuoteVolume, scale: 16, digits: 16))),
                ("closed", .bool(candle.isClosed)),
            ])
        }
        return .json(.ok, .array(items))
    }

    /// `symbol` and either `fromId` or `start`/`end` (ms); `limit` default 500, max 10000.
    private func trades(_ request: SimRequest) -> SimResponse {
        let market: Int
        do { market = try self.market(request) } catch { return error.response }
        let limit = min(10_000, max(1, request.parameter("limit").flatMap { Int($0) } ?? 500))
        let history = self.context.engine.history
        let now = self.context.clock.now()
        let trades: [TradeRecord]
        if let fromId = request.parameter("fromId").flatMap({ Int64($0) }) {
            trades = history.trades(market: market, fromId: fromId, limit: limit, now: now)
        } else if let start = request.parameter("start").flatMap({ Int64($0) }) {
            let end = request.parameter("end").flatMap { Int64($0) } ?? now
            trades = history.trades(market: market, from: start, to: end, limit: limit, now: now)
        } else {
            trades = history.recentTrades(market: market, limit: limit, now: now)
        }
        return .json(
            .ok,
            .array(
                trades.map { trade in
                    .object([
                        ("id", .int(trade.id)), ("aggregateId", .int(trade.aggregateId)), ("time", .int(trade.time)),
                        ("price", .decimalString(trade.price, digits: 8)),
                        ("qty", .decimalString(trade.quantity, digits: 8)),
                        ("isBuyerMaker", .bool(trade.isBuyerMaker)),
                    ])
                }))
    }

    // MARK: - Control

    /// One rule object or an array of them.
    private func addFaults(_ request: SimRequest) -> SimResponse {
        guard let body = self.body(request) else { return Self.error(.badRequest, "invalid JSON") }
        let items = body.arrayValue ?? [body]
        var parsed: [FaultRule] = []
        for item in items {
            switch FaultRule.parse(json: item) {
            case .success(let rule): parsed.append(rule)
            case .failure(let error): return Self.error(.badRequest, error.message)
            }
        }
        let added = parsed.map { self.context.faults.add($0).json }
        return .json(.ok, .object([("added", .array(added))]))
    }

    /// `?id=N` removes one rule; without it, every rule.
    private func deleteFaults(_ request: SimRequest) -> SimResponse {
        if let id = request.parameter("id").flatMap({ Int($0) }) {
            return .json(.ok, .object([("removed", .bool(self.context.faults.remove(id: id)))]))
        }
        self.context.faults.clear()
        return .json(.ok, .object([("removed", .string("all"))]))
    }

    private func load() -> SimResponse {
        .json(
            .ok,
            .object([
                ("rate", .number(String(self.context.load))),
                ("mix", self.context.loadMix.json),
                ("messagesSent", .int(self.context.stats.messagesSent.load(ordering: .relaxed))),
            ]))
    }

    /// `{"rate": N}` aggregate stream messages per second (0 stops), and/or the mix by kind:
    /// `{"depth": N, "ticker": N}` (kinds not named keep their rate). Nothing changes unless all is valid.
    private func setLoad(_ request: SimRequest) -> SimResponse {
        let usage = #"expected {"rate": N} and/or {"depth": N, "ticker": N} (messages per second, 0 stops)"#
        guard case .object(let members)? = self.body(request), !members.isEmpty else {
            return Self.error(.badRequest, usage)
        }
        var rate: Double?
        var mix = self.context.loadMix
        for (name, value) in members {
            if name == "rate" {
                guard let number = value.doubleValue, number.isFinite, number >= 0 else {
                    return Self.error(.badRequest, "rate must be a number ≥ 0; " + usage)
                }
                rate = number
                continue
            }
            let text: String
            switch value {
            case .number(let digits): text = digits
            case .string(let string): text = "\"\(string)\""
            default: text = "(not a number)"
            }
            switch LoadMix.parseRate(kind: name, value: text) {
            case .failure(let error): return Self.error(.badRequest, error.message + "; " + usage)
            case .success(let (kind, number)): mix.set(kind, number)
            }
        }
        if let rate { self.context.load = rate }
        self.context.loadMix = mix
        return self.load()
    }

    private func stats() -> SimResponse {
        .json(
            .ok,
            .object([
                ("venue", .string(self.context.id)), ("now", .int(self.context.clock.now())),
                ("stats", self.context.stats.json),
                ("subscriptions", .int(self.context.subscriptions.snapshot().counts.count)),
            ]))
    }

    private func connections() -> SimResponse {
        let venue = self.venue
        let future = self.context.hubs.forEach(on: self.context.hubs.anyLoop) { hub in
            hub.describe { venue.streamName($0) }
        }
        return .deferred(future.map { lists in .json(.ok, .array(lists.flatMap { $0 })) })
    }

    /// `{"target":"…"}` optional: drop matching WebSocket connections now (counted as a fault).
    private func dropConnections(_ request: SimRequest) -> SimResponse {
        let target = self.body(request)?["target"]?.stringValue
        let venue = self.venue
        let future = self.context.hubs.forEach(on: self.context.hubs.anyLoop) { hub in
            hub.dropConnections(target: target) { venue.streamName($0) }
        }
        let faults = self.context.faults
        return .deferred(
            future.map { counts in
                let dropped = counts.reduce(0, +)
                faults.record(.dropConnection, times: dropped)
                return .json(.ok, .object([("dropped", .int(dropped))]))
            })
    }
}
