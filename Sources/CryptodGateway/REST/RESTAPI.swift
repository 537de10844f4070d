import CryptodConfig
import CryptodExchanges
import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodRuntime
import Hummingbird
import Logging

/// The REST endpoints on `gateway.rest_listen`: every route of ``RouteTable`` (documented in docs/api.md and
/// in the OpenAPI document at `/openapi.json`), dispatched by ``RouteID``.
struct RESTAPI: Sendable {
    let table: RouteTable
    let state: MarketState
    let books: BookStore
    let hub: WebSocketHub
    let survey: ProcessSurvey
    let cluster: ClusterMetrics
    let metrics: GatewayMetrics
    let policy: RESTPolicy
    let limiter: RateLimiter
    /// nil when no PostgreSQL URL could be used (the ohlcv route then answers 503).
    let history: CandleHistory?
    let docs: DocsAssets
    /// Stream processing across the processes (`/api/v1/stream/*`).
    let stream: StreamMonitor
    /// The alert monitor: health, alerts and recommendations (REST/RESTAPI+Ops.swift).
    let ops: AlertMonitor
    let configuration: @Sendable () -> Configuration
    let logger: Logger

    var topology: Topology { configuration().topology }

    /// `(path, methods)` of every route, for the 404 and 405 answers.
    var endpoints: [(path: String, methods: [HTTPRequest.Method])] {
        var result: [(path: String, methods: [HTTPRequest.Method])] = []
        for route in table.routes where route.id != .docsAsset {
            if let index = result.firstIndex(where: { $0.path == route.path }) {
                result[index].methods.append(route.method)
            } else {
                result.append((route.path, [route.method]))
            }
        }
        return result.map { entry in
            (entry.path, entry.methods.contains(.get) ? entry.methods + [.head] : entry.methods)
        }
    }

    func router() -> Router<GatewayRequestContext> {
        let router = Router(context: GatewayRequestContext.self, options: .autoGenerateHeadEndpoints)
        // First, so that they wrap every route and the router's not-found answer too.
        router.add(middleware: AccessMiddleware(policy: policy, limiter: limiter, metrics: metrics))
        router.add(middleware: ErrorMiddleware(endpoints: endpoints, logger: logger))
        for route in table.routes {
            router.on(RouterPath(route.routerPath), method: route.method) { request, context in
                try await answer(route, request, context)
            }
        }
        return router
    }

    private func answer(
        _ route: RouteSpec, _ request: Request, _ context: GatewayRequestContext
    ) async throws
        -> Response
    {
        if route.auth == .admin { try authorize(request) }
        let inputs = RouteInputs(route: route, request: request, context: context)
        switch route.id {
        case .health: return await health(detailed: false)
        case .healthLive:
            return JSONBody.object { json in
                json.field("status", "ok")
                json.field("time", Timestamp(nanoseconds: WallClock.nowNanoseconds()))
            }
        case .metrics: return await prometheus()
        case .openAPI: return JSONBody.response(.ok, bytes: OpenAPIDocument.generate(table, compact: true))
        case .docs: return DocsAssets.page(DocsAssets.swaggerPage)
        case .redoc: return DocsAssets.page(DocsAssets.redocPage)
        case .docsAsset: return try await docs.asset(inputs.text("file") ?? "")
        case .dashboard: return try await DashboardAssets.shared.page()
        case .dashboardConfig: return dashboardConfig()
        case .dashboardAsset: return try await DashboardAssets.shared.asset(inputs.text("file") ?? "")
        case .exchanges: return exchanges()
        case .exchangesStatus: return await exchangesStatus()
        case .exchangeInfo: return try exchangeInfo(inputs)
        case .exchangeStatus: return try await exchangeStatus(inputs)
        case .timeframes: return try timeframes(inputs)
        case .markets: return try markets(inputs)
        case .ticker, .legacyTicker: return try ticker(inputs)
        case .orderBook: return try orderBook(inputs)
        case .ohlcv: return try await ohlcv(inputs)
        case .verifyKey: return try await verifyKey(inputs)
        case .subscribe: return try await subscribe(inputs)
        case .unsubscribe: return try await unsubscribe(inputs)
        case .subscriptions: return try await subscriptions(inputs)
        case .adminStatus, .legacyStatus: return await health(detailed: true)
        case .adminMetrics: return adminMetrics()
        case .adminWebSocketStats: return webSocketStats()
        case .streamHealth: return await streamHealth()
        case .adminHealthDetailed: return await detailedHealth()
        case .adminAlerts: return await alerts()
        case .adminRecommendations: return await recommendations()
        case .historicalOptimized: return try await historicalOptimized(inputs)
        case .historicalBulk: return try await historicalBulk(inputs)
        case .historicalSchedule: return try await historicalSchedule(inputs)
        case .historicalJobs: return try await historicalJobs(inputs)
        case .historicalJob: return try await historicalJob(inputs)
        case .historicalCapacity: return try await historicalCapacity(inputs)
        case .historicalOptimizeCapacity: return try await historicalOptimizeCapacity(inputs)
        case .historicalCoverage: return try await historicalCoverage(inputs)
        case .legacyMarkets: return legacyMarkets()
        case .legacyTrades: return try trades(inputs)
        case .legacyCandle: return try candle(inputs)
        case .streamStats: return await streamStats()
        case .streamBuffers: return await streamBuffers()
        case .streamWorkers: return await streamWorkers()
        case .streamWorkersSet: return try await setWorkers(inputs, who: context.auditName)
        case .streamClients: return webSocketClients()
        case .streamBroadcast: return try await broadcast(inputs, who: context.auditName)
        case .streamProcess: return try await process(inputs, who: context.auditName)
        case .streamThrottle, .adminEmergency: return try await throttle(inputs, who: context.auditName)
        case .adminPerformanceConfig: return try await performanceConfig(inputs, who: context.auditName)
        }
    }

    // MARK: - Admin token

    /// Admin routes need `Authorization: Bearer <gateway.admin_token>`; the token is never logged.
    private func authorize(_ request: Request) throws {
        guard let token = policy.values.adminToken else {
            throw GatewayHTTPError(
                .forbidden, .adminDisabled,
                "admin routes are disabled: set gateway.admin_token (or the environment variable "
                    + "CRYPTOD_GATEWAY_ADMIN_TOKEN) and send it as Authorization: Bearer TOKEN")
        }
        guard RESTPolicy.tokenMatches(request.headers[.authorization], token: token) else {
            let given = request.headers[.authorization] == nil ? "no Authorization header" : "a wrong token"
            throw GatewayHTTPError(
                .unauthorized, .unauthorized,
                "this route needs the admin token: send Authorization: Bearer TOKEN with gateway.admin_token; "
                    + "the request had \(given)",
                headers: [.wwwAuthenticate: "Bearer realm=\"cryptod\""])
        }
    }

    // MARK: - Processes

    private func health(detailed: Bool) async -> Response {
        let report = await survey.survey(topology)
        if !report.healthy && !detailed {
            logger.debug(
                "health check: not every process is ready",
                metadata: ["problems": "\(report.processes.compactMap(\.problem))"])
        }
        // The status routes answer 200 whenever they could look; /health's status code is the verdict.
        let status: HTTPResponse.Status = detailed || report.healthy ? .ok : .serviceUnavailable
        return JSONBody.response(status, bytes: report.json(detailed: detailed))
    }

    private func prometheus() async -> Response {
        let text = await cluster.scrape(topology)
        return Response(
            status: .ok, headers: [.contentType: CryptodMetrics.contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
