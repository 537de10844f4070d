import Hummingbird

/// Which handler answers a route. The router dispatches on it with an exhaustive `switch`, so a route in
/// the table without a handler does not compile.
package enum RouteID: String, Sendable, Hashable, CaseIterable {
    case health, healthLive, metrics, openAPI, docs, redoc, docsAsset
    case dashboard, dashboardConfig, dashboardAsset
    case exchanges, exchangesStatus, exchangeInfo, exchangeStatus, verifyKey
    case ticker, ohlcv, orderBook, timeframes, markets
    case subscribe, unsubscribe, subscriptions
    case adminStatus, adminMetrics, adminWebSocketStats
    case streamHealth, adminHealthDetailed, adminAlerts, adminRecommendations
    case historicalOptimized, historicalBulk, historicalJobs, historicalJob, historicalCapacity
    case historicalOptimizeCapacity, historicalCoverage
    case historicalSchedule
    case legacyStatus, legacyMarkets, legacyTicker, legacyTrades, legacyCandle
    case streamStats, streamBuffers, streamWorkers, streamWorkersSet, streamClients, streamBroadcast, streamThrottle
    case streamProcess
    case adminEmergency, adminPerformanceConfig
}

/// One REST route: everything the router, the "unknown endpoint" answer and the OpenAPI document need.
package struct RouteSpec: Sendable {
    package enum Auth: Sendable, Hashable {
        case none
        /// `Authorization: Bearer <gateway.admin_token>`.
        case admin
    }

    /// A path or query parameter with its type and limits; handlers read it through ``RouteInputs``, so the
    /// checks are the ones documented.
    package struct Parameter: Sendable {
        package enum Location: String, Sendable { case path, query }
        package enum Kind: Sendable {
            /// An integer in `range`, `defaultValue` when absent.
            case integer(ClosedRange<Int>, defaultValue: Int?)
            /// One word of a list.
            case choice([String], defaultValue: String?)
            /// Free text, checked by the handler.
            case text
            /// RFC 3339 time or integer milliseconds since the epoch.
            case time
        }

        package var name: String
        package var location: Location
        package var kind: Kind
        package var required: Bool
        package var description: String
        /// The error code when the value is refused (`bad_limit`).
        package var errorCode: GatewayHTTPError.Code
        /// The error code when an integer is above its range, if not ``errorCode`` (`page_too_large`).
        package var aboveRangeCode: GatewayHTTPError.Code?
        /// The JSON Schema of the value (derived from `kind` unless given).
        package var schema: JSONSchema

        package init(
            _ name: String, _ location: Location, _ kind: Kind, required: Bool? = nil, errorCode: GatewayHTTPError.Code,
            aboveRangeCode: GatewayHTTPError.Code? = nil, schema: JSONSchema? = nil, _ description: String
        ) {
            self.aboveRangeCode = aboveRangeCode
            self.name = name
            self.location = location
            self.kind = kind
            self.required = required ?? (location == .path)
            self.description = description
            self.errorCode = errorCode
            self.schema = schema ?? Self.schema(for: kind)
        }

        private static func schema(for kind: Kind) -> JSONSchema {
            switch kind {
            case .integer(let range, _): .integer(minimum: Int64(range.lowerBound), maximum: Int64(range.upperBound))
            case .choice(let words, _): .choice(words)
            case .text: .string(.init(minLength: 1))
            case .time: .string(.init(minLength: 1))
            }
        }
    }

    /// What a successful answer carries.
    package enum Body: Sendable {
        case json(JSONSchema)
        /// Prometheus text format 0.0.4.
        case prometheus
        case html
        /// A static file (script, style sheet, image).
        case file
    }

    package var id: RouteID
    package var method: HTTPRequest.Method
    /// The OpenAPI path template (`/api/v1/exchanges/{exchange}/ticker/{symbol}`).
    package var path: String
    package var tag: String
    package var summary: String
    package var description: String
    package var parameters: [Parameter]
    /// The JSON request body, when the route takes one.
    package var requestBody: JSONSchema?
    package var successStatus: HTTPResponse.Status
    package var response: Body
    /// Error statuses the route documents besides the ones every route has (429, and 401/403 for admin).
    package var errors: [HTTPResponse.Status]
    package var auth: Auth
    /// Kept for the clients of the first API; the route table marks them deprecated in OpenAPI.
    package var legacy: Bool

    package init(
        _ id: RouteID, _ method: HTTPRequest.Method, _ path: String, tag: String, summary: String,
        description: String, parameters: [Parameter] = [], requestBody: JSONSchema? = nil,
        successStatus: HTTPResponse.Status = .ok, response: Body, errors: [HTTPResponse.Status] = [],
        auth: Auth = .none, legacy: Bool = false
    ) {
        self.id = id
        self.method = method
        self.path = path
        self.tag = tag
        self.summary = summary
        self.description = description
        self.parameters = parameters
        self.requestBody = requestBody
        self.successStatus = successStatus
        self.response = response
        self.errors = errors
        self.auth = auth
        self.legacy = legacy
    }

    /// Every status the route may answer with, in order.
    package var statuses: [HTTPResponse.Status] {
        var all = [successStatus] + errors
        // A parameter can be refused (400), a path parameter name nothing that exists (404).
        if !parameters.isEmpty { all.append(.badRequest) }
        if parameters.contains(where: { $0.location == .path }) { all.append(.notFound) }
        if requestBody != nil { all += [.badRequest, .contentTooLarge] }
        if auth == .admin { all += [.unauthorized, .forbidden] }
        all.append(.tooManyRequests)
        var seen = Set<Int>()
        return all.filter { seen.insert($0.code).inserted }.sorted { $0.code < $1.code }
    }

    /// The path as Hummingbird routes it: `{name}` captures, and a trailing `{symbol}` as `**` so that an
    /// unescaped unified symbol (`BTC/USDT`) still reaches the route.
    var routerPath: String {
        guard path.hasSuffix("/{symbol}") else { return path }
        return String(path.dropLast("{symbol}".count)) + "**"
    }

    /// Whether `requestPath` is this route's path.
    func matches(_ requestPath: String) -> Bool { Self.matches(template: path, path: requestPath) }

    /// Whether `path` fits `template` segment by segment (`{name}` or `:name` fits any non-empty segment,
    /// a trailing `{symbol}` one or more, since an unescaped unified symbol has a slash).
    static func matches(template: String, path: String) -> Bool {
        let want = template.split(separator: "/")
        let have = path.split(separator: "/")
        let tail = template.hasSuffix("/{symbol}")
        guard tail ? have.count >= want.count : want.count == have.count else { return false }
        return zip(want, have).allSatisfy { $0.hasPrefix(":") || $0.hasPrefix("{") || $0 == $1 }
    }
}
