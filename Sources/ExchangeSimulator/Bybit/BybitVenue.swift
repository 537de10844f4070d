import NIOCore
import NIOHTTP1

/// Bybit V5: `/v5/market/…` REST for spot and linear, two signed account endpoints, the public
/// WebSocket `/v5/public/spot` and `/v5/public/linear`, the IP and per-UID limits.
final class BybitVenue: Venue {
    static let descriptor = VenueDescriptor(id: "bybit", defaultPort: 9102) { BybitVenue(context: $0) }

    let context: VenueContext
    let webSocketPolicy: WebSocketPolicy
    let limiter: BybitRateLimiter
    let markets: BybitMarkets
    /// Last published order-book and ticker states, shared by the publisher and the sessions.
    let store = BybitTopicStore()
    let apiKeys: [String: APIKeyEntry]
    /// Characters of `args` one connection may hold, and args per spot subscribe request.
    let maxArgsCharacters: Int
    let maxSpotArgsPerRequest: Int

    init(context: VenueContext) {
        self.context = context
        let options = context.options
        self.limiter = BybitRateLimiter(limits: .init(options: options))
        // No server pings: the client sends {"op":"ping"}; silence for 10 minutes closes (bybit.md §4.1).
        // No stream count limit: only the 21,000-character `args` rule, which the session enforces.
        self.webSocketPolicy = WebSocketPolicy(
            serverPingIntervalMs: nil, pongTimeoutMs: nil,
            idleTimeoutMs: options.limit("bybit.ws_idle_timeout_ms", default: 600_000),
            maxLifetimeMs: nil, maxIncomingPerSecond: nil, maxStreamsPerConnection: 1 << 20)
        self.maxArgsCharacters = Int(options.limit("bybit.ws_args_characters", default: 21_000))
        self.maxSpotArgsPerRequest = Int(options.limit("bybit.ws_spot_args_per_request", default: 10))
        self.markets = BybitMarkets(specs: (0..<context.engine.marketCount).map { context.engine.spec($0) })
        var keys: [String: APIKeyEntry] = [:]
        for key in options.apiKeys { keys[key.key] = key }
        self.apiKeys = keys
    }

    func symbol(of market: Int) -> String { self.markets.symbols[market] }

    func market(forSymbol symbol: String) -> Int? { self.markets.market(.spot, symbol: symbol) }

    func streamName(_ key: StreamKey) -> String { BybitStream.name(key, symbol: self.markets.symbols[key.market]) }

    func loadKind(of key: StreamKey) -> LoadMix.Kind? {
        switch BybitStream.kind(of: key) {
        case .orderbook: return .depth
        case .tickers: return .ticker
        default: return nil
        }
    }

    func limitsState() -> JSONValue { self.limiter.state(now: self.context.clock.now()) }

    func resetLimits() { self.limiter.reset() }

    func makePublisher() -> any StreamPublisher { BybitPublisher(venue: self) }

    // MARK: - REST

    typealias Handler = @Sendable (BybitVenue, SimRequest, Int64) throws(BybitError) -> SimResponse

    private static let endpoints: [String: Handler] = [
        "/v5/market/time": { venue, _, now throws(BybitError) in venue.serverTime(now: now) },
        "/v5/market/instruments-info": { venue, request, now throws(BybitError) in
            try venue.instruments(request, now: now)
        },
        "/v5/market/tickers": { venue, request, now throws(BybitError) in try venue.tickers(request, now: now) },
        "/v5/market/kline": { venue, request, now throws(BybitError) in try venue.kline(request, now: now) },
        "/v5/market/orderbook": { venue, request, now throws(BybitError) in try venue.orderbook(request, now: now) },
        "/v5/market/recent-trade": { venue, request, now throws(BybitError) in try venue.recentTrades(request, now: now)
        },
        "/v5/user/query-api": { venue, request, now throws(BybitError) in try venue.queryAPI(request, now: now) },
        "/v5/account/wallet-balance": { venue, request, now throws(BybitError) in
            try venue.walletBalance(request, now: now)
        },
    ]

    func handle(_ request: SimRequest) -> SimResponse {
        let now = self.context.clock.now()
        guard self.limiter.admit(ip: request.clientIP, now: now) else { return Self.ipLimitedResponse() }
        // bybit.md §3: a GET carrying a body is refused with 403 like an IP block.
        if request.method == .GET && request.body.readableBytes > 0 { return .text(.forbidden, "Forbidden") }
        guard request.method == .GET, let handler = Self.endpoints[request.path] else {
            return BybitEnvelope.error(.routeNotFound, time: now, status: .notFound)
        }
        do {
            return try handler(self, request, now)
        } catch {
            return BybitEnvelope.error(error, time: now)
        }
    }

    /// The IP-limit answer: 403 "access too frequent" (the body is undocumented; plain text here).
    static func ipLimitedResponse() -> SimResponse {
        .text(.forbidden, "access too frequent")
    }

    func serverErrorResponse(status: Int, for request: SimRequest) -> SimResponse {
        BybitEnvelope.error(
            .serverError, time: self.context.clock.now(), status: HTTPResponseStatus(statusCode: status))
    }

    /// Bybit signals an IP over its limit with 403, so that is the storm's answer (no block is set).
    func rateLimitStormResponse(for request: SimRequest) -> SimResponse {
        Self.ipLimitedResponse()
    }

    func adminRequest(_ request: SimRequest) -> SimResponse? {
        guard request.method == .POST, request.path == "/_sim/bybit/restart" else { return nil }
        return self.restartStreams(request)
    }

    private func serverTime(now: Int64) -> SimResponse {
        BybitEnvelope.ok(
            .object([
                ("timeSecond", .string(String(DetMath.floorDiv(now, 1_000)))),
                ("timeNano", .string(String(now) + "000000")),
            ]), time: now)
    }

    // MARK: - Parameters

    /// `category`: required unless a default is given; unknown values are "Illegal category".
    func category(_ request: SimRequest, default fallback: BybitCategory? = nil) throws(BybitError) -> BybitCategory {
        guard let text = request.parameter("category"), !text.isEmpty else {
            guard let fallback else { throw .illegalCategory }
            return fallback
        }
        guard let category = BybitCategory(rawValue: text) else { throw .illegalCategory }
        return category
    }

    /// The market of a mandatory `symbol` in `category`.
    func requiredMarket(
        _ request: SimRequest, _ category: BybitCategory, error: BybitError = .symbolInvalid
    ) throws(BybitError) -> Int {
        guard let symbol = request.parameter("symbol"), let market = self.markets.market(category, symbol: symbol)
        else {
            throw error
        }
        return market
    }

    /// An integer `limit`-style parameter: default when absent, 10001 when not a positive integer,
    /// clamped to the documented maximum (Bybit documents no error for larger values).
    func integer(_ request: SimRequest, _ name: String, default value: Int, max maximum: Int) throws(BybitError) -> Int
    {
        guard let text = request.parameter(name) else { return value }
        guard let number = Int(text), number >= 1 else { throw .invalid(name) }
        return min(number, maximum)
    }

    /// A millisecond time parameter.
    func time(_ request: SimRequest, _ name: String) throws(BybitError) -> Int64? {
        guard let text = request.parameter(name) else { return nil }
        guard let value = Int64(text), value >= 0 else { throw .invalid(name) }
        return value
    }

    // MARK: - Admin

    /// `POST /_sim/bybit/restart` `{"category":"spot","symbol":"BTCUSDT"}` (both optional): the
    /// matching order-book topics behave as after a service restart: a snapshot with `u` = 1 next.
    private func restartStreams(_ request: SimRequest) -> SimResponse {
        let body = request.body.readableBytes == 0 ? JSONValue.object([]) : JSONValue.parse(request.body)
        guard let body else { return .json(.badRequest, .object([("error", .string("invalid JSON"))])) }
        let category = body["category"]?.stringValue.flatMap(BybitCategory.init(rawValue:))
        let symbol = body["symbol"]?.stringValue
        let markets = self.markets
        let count = self.store.restartBooks { key in
            (category.map { BybitStream.category(of: key) == $0 } ?? true)
                && (symbol.map { markets.symbols[key.market] == $0 } ?? true)
        }
        return .json(.ok, .object([("restarted", .int(count))]))
    }
}
