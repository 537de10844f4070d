import NIOCore
import NIOHTTP1

/// Binance spot: `/api/v3/…` REST, `/ws` and `/stream` market streams, request weights and bans.
final class BinanceVenue: Venue {
    static let descriptor = VenueDescriptor(id: "binance", defaultPort: 9101) { BinanceVenue(context: $0) }

    let context: VenueContext
    let webSocketPolicy: WebSocketPolicy
    let limiter: BinanceRateLimiter
    /// `BTCUSDT` per market index, and back.
    let symbols: [String]
    private let symbolIndex: [String: Int]
    let apiKeys: [String: APIKeyEntry]

    init(context: VenueContext) {
        self.context = context
        let options = context.options
        self.limiter = BinanceRateLimiter(limits: .init(options: options))
        // Ping every 20 s, pong within 1 min, 24 h lifetime, 5 incoming messages per second,
        // 1024 streams per connection (binance.md §4.2–4.3).
        self.webSocketPolicy = WebSocketPolicy(
            serverPingIntervalMs: options.limit("binance.ws_ping_interval_ms", default: 20_000),
            pongTimeoutMs: options.limit("binance.ws_pong_timeout_ms", default: 60_000),
            idleTimeoutMs: nil,
            maxLifetimeMs: options.limit("binance.ws_lifetime_ms", default: 86_400_000),
            maxIncomingPerSecond: Int(options.limit("binance.ws_messages_per_second", default: 5)),
            maxStreamsPerConnection: Int(options.limit("binance.ws_streams_per_connection", default: 1_024)))
        self.symbols = (0..<context.engine.marketCount).map {
            context.engine.spec($0).base + context.engine.spec($0).quote
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

    func streamName(_ key: StreamKey) -> String {
        BinanceStream.name(key) { self.symbols[$0] }
    }

    func loadKind(of key: StreamKey) -> LoadMix.Kind? {
        switch BinanceStream.Channel(rawValue: key.channel) {
        case .depthDiff: return .depth
        case .bookTicker: return .ticker
        default: return nil
        }
    }

    func limitsState() -> JSONValue { self.limiter.state(now: self.context.clock.now()) }

    func resetLimits() { self.limiter.reset() }

    func makePublisher() -> any StreamPublisher { BinancePublisher(venue: self) }

    // MARK: - REST

    /// One endpoint: its weight for a request, and the handler.
    struct Endpoint: Sendable {
        var weight: @Sendable (SimRequest) -> Int64
        var handler: @Sendable (BinanceVenue, SimRequest, Int64) throws(BinanceError) -> SimResponse
    }

    private static let endpoints: [String: Endpoint] = [
        "/api/v3/ping": Endpoint(weight: { _ in 1 }) { _, _, _ throws(BinanceError) in .json(.ok, .object([])) },
        "/api/v3/time": Endpoint(weight: { _ in 1 }) { _, _, now throws(BinanceError) in
            .json(.ok, .object([("serverTime", .int(now))]))
        },
        "/api/v3/exchangeInfo": Endpoint(weight: { _ in 20 }) { venue, request, now throws(BinanceError) in
            try venue.exchangeInfo(request, now: now)
        },
        "/api/v3/depth": Endpoint(weight: BinanceVenue.depthWeight) { venue, request, _ throws(BinanceError) in
            try venue.depth(request)
        },
        "/api/v3/trades": Endpoint(weight: { _ in 25 }) { venue, request, now throws(BinanceError) in
            try venue.recentTrades(request, now: now)
        },
        "/api/v3/historicalTrades": Endpoint(weight: { _ in 25 }) { venue, request, now throws(BinanceError) in
            try venue.historicalTrades(request, now: now)
        },
        "/api/v3/aggTrades": Endpoint(weight: { _ in 4 }) { venue, request, now throws(BinanceError) in
            try venue.aggTrades(request, now: now)
        },
        "/api/v3/klines": Endpoint(weight: { _ in 2 }) { venue, request, now throws(BinanceError) in
            try venue.klines(request, now: now)
        },
        "/api/v3/uiKlines": Endpoint(weight: { _ in 2 }) { venue, request, now throws(BinanceError) in
            try venue.klines(request, now: now)
        },
        "/api/v3/avgPrice": Endpoint(weight: { _ in 2 }) { venue, request, now throws(BinanceError) in
            try venue.averagePrice(request, now: now)
        },
        "/api/v3/ticker/24hr": Endpoint(weight: BinanceVenue.tickerWeight) { venue, request, now throws(BinanceError) in
            try venue.ticker24hr(request, now: now)
        },
        "/api/v3/ticker": Endpoint(weight: BinanceVenue.windowTickerWeight) {
            venue, request, now throws(BinanceError) in
            try venue.windowTicker(request, now: now)
        },
        "/api/v3/ticker/tradingDay": Endpoint(weight: BinanceVenue.windowTickerWeight) {
            venue, request, now throws(BinanceError) in
            try venue.tradingDayTicker(request, now: now)
        },
        "/api/v3/ticker/price": Endpoint(weight: BinanceVenue.lightTickerWeight) {
            venue, request, now throws(BinanceError) in
            try venue.priceTicker(request, now: now)
        },
        "/api/v3/ticker/bookTicker": Endpoint(weight: BinanceVenue.lightTickerWeight) {
            venue, request, _ throws(BinanceError) in
            try venue.bookTicker(request)
        },
        "/api/v3/account": Endpoint(weight: { _ in 20 }) { venue, request, now throws(BinanceError) in
            try venue.account(request, now: now)
        },
    ]

    /// Depth weight by limit: 1–100 → 5, 101–500 → 25, 501–1000 → 50, 1001–5000 → 250.
    static func depthWeight(_ request: SimRequest) -> Int64 {
        let limit = min(5_000, max(1, request.parameter("limit").flatMap { Int($0) } ?? 100))
        switch limit {
        case ...100: return 5
        case ...500: return 25
        case ...1_000: return 50
        default: return 250
        }
    }

    /// 24 h ticker: symbol → 2; symbols 1–20 → 2, 21–100 → 40, more or none → 80.
    static func tickerWeight(_ request: SimRequest) -> Int64 {
        if request.parameter("symbol") != nil { return 2 }
        guard let list = request.parameter("symbols").flatMap(BinanceVenue.symbolList) else { return 80 }
        switch list.count {
        case ...20: return 2
        case ...100: return 40
        default: return 80
        }
    }

    /// Rolling-window and trading-day tickers: 4 per symbol, capped at 200 above 50 symbols.
    static func windowTickerWeight(_ request: SimRequest) -> Int64 {
        if request.parameter("symbol") != nil { return 4 }
        let count = request.parameter("symbols").flatMap(BinanceVenue.symbolList)?.count ?? 1
        return count > 50 ? 200 : Int64(max(1, count)) * 4
    }

    /// Price and book tickers: symbol → 2, symbols or none → 4.
    static func lightTickerWeight(_ request: SimRequest) -> Int64 {
        request.parameter("symbol") != nil ? 2 : 4
    }

    func handle(_ request: SimRequest) -> SimResponse {
        let now = self.context.clock.now()
        let endpoint = Self.endpoints[request.path]
        let weight = endpoint?.weight(request) ?? 1
        switch self.limiter.admit(ip: request.clientIP, weight: weight, now: now) {
        case .limited(let used, let retryAfter):
            return self.errorResponse(
                .tooManyRequests(limit: self.limiter.limits.weightPerMinute), used: used, retryAfterMs: retryAfter)
        case .banned(let used, let until):
            return self.errorResponse(.banned(until: until), used: used, retryAfterMs: until - now)
        case .allowed(let used):
            guard let endpoint else {
                var response = SimResponse.json(.notFound, BinanceError.unknownEndpoint.body)
                response.headers += self.weightHeaders(used)
                return response
            }
            var response: SimResponse
            do {
                response = try endpoint.handler(self, request, now)
            } catch {
                response = .json(error.status, error.body)
            }
            response.headers += self.weightHeaders(used)
            return response
        }
    }

    func weightHeaders(_ used: Int64) -> [(String, String)] {
        [("X-MBX-USED-WEIGHT", String(used)), ("X-MBX-USED-WEIGHT-1M", String(used))]
    }

    /// An error with the weight headers and, for 429/418, `Retry-After` in (real) seconds.
    func errorResponse(_ error: BinanceError, used: Int64, retryAfterMs: Int64? = nil) -> SimResponse {
        var response = SimResponse.json(error.status, error.body, headers: self.weightHeaders(used))
        if let retryAfterMs {
            let realMs = self.context.clock.realMilliseconds(forSimulated: retryAfterMs) ?? retryAfterMs
            response.headers.append(("Retry-After", String(max(1, (realMs + 999) / 1_000))))
        }
        return response
    }

    func serverErrorResponse(status: Int, for request: SimRequest) -> SimResponse {
        let used = self.limiter.usedWeight(ip: request.clientIP, now: self.context.clock.now())
        return self.errorResponse(.serverError(status: status), used: used)
    }

    func rateLimitStormResponse(for request: SimRequest) -> SimResponse {
        let now = self.context.clock.now()
        let used = self.limiter.usedWeight(ip: request.clientIP, now: now)
        return self.errorResponse(
            .tooManyRequests(limit: self.limiter.limits.weightPerMinute), used: used,
            retryAfterMs: (DetMath.floorDiv(now, 60_000) + 1) * 60_000 - now)
    }

    // MARK: - Parameters

    /// The market of a mandatory `symbol` parameter.
    func requiredMarket(_ request: SimRequest) throws(BinanceError) -> Int {
        guard let symbol = request.parameter("symbol"), !symbol.isEmpty else { throw .mandatory("symbol") }
        return try self.market(named: symbol)
    }

    func market(named symbol: String) throws(BinanceError) -> Int {
        guard
            symbol.utf8.allSatisfy({
                (48...57).contains($0) || (65...90).contains($0) || $0 == 45 || $0 == 95 || $0 == 46
            }),
            symbol.count <= 20
        else { throw .illegal("symbol", range: "^[A-Z0-9-_.]{1,20}$") }
        guard let market = self.symbolIndex[symbol] else { throw .invalidSymbol }
        return market
    }

    /// An integer parameter within `range`, clamped; the default when absent.
    func integer(
        _ request: SimRequest, _ name: String, default value: Int, range: ClosedRange<Int>
    ) throws(BinanceError) -> Int {
        guard let text = request.parameter(name) else { return value }
        guard let number = Int(text) else { throw .illegal(name, range: "^[0-9]{1,20}$") }
        guard number >= 1 || range.lowerBound < 1 else { throw .invalidValue(name) }
        return min(range.upperBound, max(range.lowerBound, number))
    }

    /// A time parameter in ms (µs values, 16 digits, are converted).
    func time(_ request: SimRequest, _ name: String) throws(BinanceError) -> Int64? {
        guard let text = request.parameter(name) else { return nil }
        guard let value = Int64(text) else { throw .illegal(name, range: "^[0-9]{1,20}$") }
        return value >= 100_000_000_000_000 ? value / 1_000 : value
    }

    /// A `symbols` JSON array (`["BTCUSDT","BNBBTC"]`).
    static func symbolList(_ text: String) -> [String]? {
        guard let items = JSONValue.parse(text)?.arrayValue else { return nil }
        let names = items.compactMap(\.stringValue)
        return names.count == items.count ? names : nil
    }

    /// Markets from `symbol` / `symbols`; nil when neither was sent (all markets).
    func selectedMarkets(_ request: SimRequest) throws(BinanceError) -> (markets: [Int], single: Bool)? {
        let symbol = request.parameter("symbol")
        let list = request.parameter("symbols")
        if symbol != nil && list != nil { throw .badCombination }
        if let symbol { return ([try self.market(named: symbol)], true) }
        guard let list else { return nil }
        guard let names = Self.symbolList(list), !names.isEmpty else {
            throw .illegal("symbols", range: "^\\[(\"[A-Z0-9-_.]{1,20}\"(,\"[A-Z0-9-_.]{1,20}\"){0,}){0,1}\\]$")
        }
        var markets: [Int] = []
        for name in names { markets.append(try self.market(named: name)) }
        return (markets, false)
    }
}
