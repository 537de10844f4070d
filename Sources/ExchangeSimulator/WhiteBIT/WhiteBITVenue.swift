import NIOCore
import NIOHTTP1
import Synchronization

/// WhiteBIT: `/api/v4/public/…` and `/api/v1/public/…` REST, the signed
/// `POST /api/v4/trade-account/balance`, and the JSON-RPC WebSocket at `/ws` (whitebit.md).
final class WhiteBITVenue: Venue {
    static let descriptor = VenueDescriptor(id: "whitebit", defaultPort: 9103) { WhiteBITVenue(context: $0) }

    let context: VenueContext
    let webSocketPolicy: WebSocketPolicy
    let limiter: WhiteBITRateLimiter
    /// `BTC_USDT` per market index, and back.
    let symbols: [String]
    private let symbolIndex: [String: Int]
    let apiKeys: [String: APIKeyEntry]
    /// Nonce bookkeeping per API key (private endpoint).
    let nonces = Mutex([String: NonceState]())
    /// Depth streams a new subscriber waits on: the publisher renders a snapshot for each on its next
    /// depth cycle (see `WhiteBITPublisher`).
    let snapshotRequests = Mutex(Set<StreamKey>())
    /// The REST order book is cached for 100 ms (whitebit.md §2.4): body per query and 100 ms bucket.
    let orderbookCache = Mutex([String: (bucket: Int64, body: ByteBuffer)]())
    /// Simulated ms without a change after which a depth stream repeats its snapshot.
    let depthKeepAliveMs: Int64
    /// `whitebit.depth_window_removals`: also send `"0"` for levels pushed out of a depth window.
    let depthWindowRemovals: Bool

    struct NonceState: Sendable {
        var last: Int64 = .min
        /// Nonces used in `nonceWindow` mode (each within ±5 s of the server time, used once).
        var windowed: Set<Int64> = []
    }

    init(context: VenueContext) {
        self.context = context
        let options = context.options
        self.limiter = WhiteBITRateLimiter(limits: .init(options: options))
        // The server closes a connection after 60 s without any client message (whitebit.md §4.1);
        // the 200-requests-a-minute rule is counted by the session (simulated minutes).
        self.webSocketPolicy = WebSocketPolicy(
            idleTimeoutMs: options.limit("whitebit.ws_idle_timeout_ms", default: 60_000),
            maxStreamsPerConnection: 1 << 20)
        self.depthKeepAliveMs = options.limit("whitebit.depth_keepalive_ms", default: 10_000)
        self.depthWindowRemovals = options.limit("whitebit.depth_window_removals", default: 0) != 0
        self.symbols = (0..<context.engine.marketCount).map { market in
            context.engine.spec(market).base + "_" + context.engine.spec(market).quote
        }
        var index: [String: Int] = [:]
        for (position, symbol) in self.symbols.enumerated() where index[symbol] == nil { index[symbol] = position }
        self.symbolIndex = index
        var keys: [String: APIKeyEntry] = [:]
        for key in options.apiKeys { keys[key.key] = key }
        self.apiKeys = keys
    }

    func symbol(of market: Int) -> String { self.symbols[market] }

    func market(forSymbol symbol: String) -> Int? { self.symbolIndex[symbol] }

    func spec(_ market: Int) -> MarketSpec { self.context.engine.spec(market) }

    func streamName(_ key: StreamKey) -> String {
        WhiteBITStream.name(key) { self.symbols[$0] }
    }

    func loadKind(of key: StreamKey) -> LoadMix.Kind? {
        switch WhiteBITStream.Channel(rawValue: key.channel) {
        case .depth: return .depth
        case .bookTicker: return .ticker
        default: return nil
        }
    }

    func limitsState() -> JSONValue { self.limiter.state(now: self.context.clock.now()) }

    func resetLimits() { self.limiter.reset() }

    func makePublisher() -> any StreamPublisher { WhiteBITPublisher(venue: self) }

    /// A JSON answer with WhiteBIT's `Content-Type`.
    static func json(_ status: HTTPResponseStatus, _ body: ByteBuffer) -> SimResponse {
        SimResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    static func json(_ value: JSONValue) -> SimResponse { json(.ok, value.buffer) }

    // MARK: - REST routing

    /// One endpoint: its rate-limit group, HTTP method and handler (`parameter` is the `{market}`
    /// path segment where the path has one).
    struct Route: Sendable {
        var template: String
        var group: WhiteBITRateLimiter.Group
        var method: HTTPMethod = .GET
        var handler:
            @Sendable (WhiteBITVenue, SimRequest, _ parameter: String, _ now: Int64) throws(WhiteBITError) ->
                SimResponse
    }

    private static let routes: [String: Route] = {
        let list: [Route] = [
            Route(template: "/api/v4/public/time", group: .v4Public) { _, _, _, now throws(WhiteBITError) in
                WhiteBITVenue.json(.object([("time", .int(DetMath.floorDiv(now, 1_000)))]))
            },
            Route(template: "/api/v4/public/ping", group: .v4Public) { _, _, _, _ throws(WhiteBITError) in
                WhiteBITVenue.json(.array([.string("pong")]))
            },
            Route(template: "/api/v4/public/platform/status", group: .v4Public) { _, _, _, _ throws(WhiteBITError) in
                WhiteBITVenue.json(.object([("status", .string("1"))]))
            },
            Route(template: "/api/v4/public/markets", group: .v4Public) { venue, _, _, _ throws(WhiteBITError) in
                venue.markets()
            },
            Route(template: "/api/v4/public/ticker", group: .v4Public) { venue, _, _, now throws(WhiteBITError) in
                venue.tickerV4(now: now)
            },
            Route(template: "/api/v4/public/assets", group: .v4Public) { venue, _, _, _ throws(WhiteBITError) in
                venue.assetList()
            },
            Route(template: "/api/v4/public/fee", group: .v4Public) { venue, _, _, _ throws(WhiteBITError) in
                venue.feeList()
            },
            Route(template: "/api/v4/public/collateral/markets", group: .v4Public) {
                venue, _, _, _ throws(WhiteBITError) in
                venue.collateralMarkets()
            },
            Route(template: "/api/v4/public/futures", group: .v4Public) { venue, _, _, _ throws(WhiteBITError) in
                venue.futuresMarkets()
            },
            Route(template: "/api/v4/public/orderbook/depth/{market}", group: .v4Public) {
                venue, _, market, now throws(WhiteBITError) in
                try venue.depthWithinTwoPercent(symbol: market, now: now)
            },
            Route(template: "/api/v4/public/orderbook/{market}", group: .orderbook) {
                venue, request, market, now throws(WhiteBITError) in
                try venue.orderbook(request, symbol: market, now: now)
            },
            Route(template: "/api/v4/public/trades/{market}", group: .v4Public) {
                venue, request, market, now throws(WhiteBITError) in
                try venue.trades(request, symbol: market, now: now)
            },
            Route(template: "/api/v1/public/kline", group: .v1Public) { venue, request, _, now throws(WhiteBITError) in
                try venue.kline(request, now: now)
            },
            Route(template: "/api/v1/public/ticker", group: .v1Public) { venue, request, _, now throws(WhiteBITError) in
                try venue.tickerV1(request, now: now)
            },
            Route(template: "/api/v1/public/tickers", group: .v1Public) { venue, _, _, now throws(WhiteBITError) in
                venue.tickersV1(now: now)
            },
            Route(template: "/api/v4/trade-account/balance", group: .balance, method: .POST) {
                venue, request, _, now throws(WhiteBITError) in
                try venue.balance(request, now: now)
            },
        ]
        return Dictionary(uniqueKeysWithValues: list.map { ($0.template, $0) })
    }()

    /// The route of a path and its `{market}` segment.
    private static func route(for path: String) -> (Route, String)? {
        if let route = routes[path] { return (route, "") }
        for prefix in ["/api/v4/public/orderbook/depth/", "/api/v4/public/orderbook/", "/api/v4/public/trades/"]
        where path.hasPrefix(prefix) {
            let parameter = String(path.dropFirst(prefix.count))
            guard !parameter.isEmpty, !parameter.contains("/"), let route = routes[prefix + "{market}"] else {
                return nil
            }
            return (route, SimRequest.percentDecode(parameter))
        }
        return nil
    }

    func handle(_ request: SimRequest) -> SimResponse {
        let now = self.context.clock.now()
        guard let (route, parameter) = Self.route(for: request.path) else { return WhiteBITError.notFound.response }
        let method = request.method == .HEAD ? .GET : request.method
        guard method == route.method else { return WhiteBITError.methodNotAllowed.response }
        guard self.limiter.admit(ip: request.clientIP, endpoint: route.template, group: route.group, now: now) else {
            return WhiteBITError.tooManyRequests.response
        }
        do {
            return try route.handler(self, request, parameter, now)
        } catch {
            return error.response
        }
    }

    /// WebSocket upgrade at `/ws`, with WhiteBIT's limit of 1000 connections a minute per IP.
    func upgrade(_ request: SimRequest) -> WebSocketDecision {
        guard request.path == "/ws" || request.path == "/ws/" else { return .reject(WhiteBITError.notFound.response) }
        guard self.limiter.admitConnection(ip: request.clientIP, now: self.context.clock.now()) else {
            return .reject(WhiteBITError.tooManyRequests.response)
        }
        return .accept { [self] in WhiteBITSession(venue: self) }
    }

    /// Asks the publisher for a snapshot of a depth stream on its next cycle (a new subscriber).
    func requestSnapshot(_ key: StreamKey) {
        self.snapshotRequests.withLock { _ = $0.insert(key) }
    }

    func serverErrorResponse(status: Int, for request: SimRequest) -> SimResponse {
        WhiteBITError.serverError(status: status).response
    }

    func rateLimitStormResponse(for request: SimRequest) -> SimResponse {
        self.limiter.recordLimited(ip: request.clientIP)
        return WhiteBITError.tooManyRequests.response
    }

    // MARK: - Parameters

    /// A market by its WhiteBIT name; the recorded field-variant error when unknown.
    func market(named symbol: String?) throws(WhiteBITError) -> Int {
        guard let symbol, !symbol.isEmpty else { throw .field("market", "The market field is required.") }
        guard let market = self.symbolIndex[symbol] else { throw .marketUnavailable }
        return market
    }

    /// An optional integer query parameter within `range`.
    func integer(_ request: SimRequest, _ name: String, range: ClosedRange<Int64>) throws(WhiteBITError) -> Int64? {
        guard let text = request.parameter(name), !text.isEmpty else { return nil }
        guard let value = Int64(text) else { throw .plain(.badRequest, "The \(name) must be an integer.") }
        guard range.contains(value) else {
            throw .plain(.badRequest, "The \(name) must be between \(range.lowerBound) and \(range.upperBound).")
        }
        return value
    }

    /// Simulated time the 1-second response caches answer for (whitebit.md: most public endpoints
    /// are cached 1 s), so polling faster gives identical data.
    static func cacheTime(_ now: Int64) -> Int64 { DetMath.floorDiv(now, 1_000) * 1_000 }
}
