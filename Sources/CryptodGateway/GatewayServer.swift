import CryptodConfig
import CryptodIPC
import CryptodOps
import CryptodRuntime
import CryptodSinks
import CryptodWire
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// The gateway's servers and state, independent of the process around them (so tests run it directly):
/// the REST application on `gateway.rest_listen`, the WebSocket application on `gateway.ws_listen`, the
/// market state and the fan-out hub that ``consumer`` feeds.
package final class GatewayServer: Sendable {
    /// Tunables, from `[gateway]` plus fixed limits.
    package struct Settings: Sendable, Equatable {
        package var restListen: ListenAddress
        package var wsListen: ListenAddress
        package var limits: WebSocketHub.Limits
        /// Trades kept per market for `GET /api/v1/trades`.
        package var tradeHistory = 1000
        /// How long `/health` and `/metrics` wait for each process.
        package var probeTimeout: Duration = .seconds(2)
        /// How long a dropped or departing WebSocket client has to take its close frame.
        package var closeGrace: Duration = .seconds(2)
        /// The REST settings a reload may change.
        package var policy: RESTPolicy.Values
        /// Per-client request rate.
        package var rate: RateLimiter.Settings
        /// Most candles per `/ohlcv` page.
        package var maxPage: Int
        /// Where history is read from (nil: the ohlcv route answers 503), and with how many connections.
        package var postgresURL: String?
        package var postgresPoolSize: Int

        package init(_ gateway: GatewayConfig) {
            restListen = gateway.restListen
            wsListen = gateway.wsListen
            limits = WebSocketHub.Limits(
                maxClients: gateway.wsMaxClients, queueCapacity: gateway.wsClientQueue,
                replayBuffer: gateway.wsReplayBuffer, replayMemory: gateway.wsReplayMemory,
                heartbeatInterval: gateway.wsHeartbeatInterval)
            policy = RESTPolicy.Values(gateway)
            rate = RateLimiter.Settings(rate: gateway.rateLimit, burst: gateway.rateBurst)
            maxPage = gateway.maxPage
            postgresURL = gateway.postgresURL.revealed.isEmpty ? nil : gateway.postgresURL.revealed
            postgresPoolSize = gateway.postgresPoolSize
        }

        /// The route table these settings give (its limits appear in the OpenAPI document).
        package var routeTable: RouteTable {
            RouteTable(limits: RouteTable.Limits(maxPage: maxPage, tradeHistory: tradeHistory))
        }
    }

    /// The ports both servers listen on (the configured ones, or those the system chose for port 0).
    package struct BoundPorts: Sendable, Equatable {
        package var rest: Int
        package var webSocket: Int
    }

    package let settings: Settings
    package let state: MarketState
    package let hub: WebSocketHub
    /// The order books (REST and WebSocket read them; the hub feeds them).
    package let books: BookStore
    package let metrics: GatewayMetrics
    package let consumer: GatewayConsumer
    package let policy: RESTPolicy
    package let limiter: RateLimiter
    /// Read-only PostgreSQL sessions for candle history; nil when the URL is unusable.
    package let historyPool: PostgresReadPool?
    let docs = DocsAssets()
    /// Receives the market-data streams for the process socket (see `GatewayRole.endpoint(for:)`).
    package let receiver: StreamReceiver
    let survey: ProcessSurvey
    let cluster: ClusterMetrics
    /// Scrapes the cluster, evaluates the alert rules, health and recommendations, sends notifications.
    package let ops: AlertMonitor
    /// Stream processing of every process (`/api/v1/stream/*`, the WebSocket topic `stats`).
    package let stream: StreamMonitor
    private let configuration: Mutex<Configuration>
    private let logger: Logger

    /// - Parameters:
    ///   - configuration: The configuration in force (its topology names the processes to survey).
    ///   - name: This process's name, answered for locally in `/health`.
    ///   - metrics: The process's metrics: the gateway's counters go into its registry, and its exposition
    ///     heads `/metrics`.
    ///   - settings: Defaults to the configuration's `[gateway]` section.
    ///   - selfStatus: This process's own status for `/health`, given the gateway's status details.
    package init(
        configuration: Configuration, name: ProcessName, logger: Logger, metrics: CryptodMetrics,
        settings: Settings? = nil, streamControl: StreamControl? = nil,
        selfStatus: @escaping @Sendable ([ProcessStatus.Detail]) async -> ProcessStatus
    ) {
        let settings = settings ?? Settings(configuration.gateway)
        self.settings = settings
        self.configuration = Mutex(configuration)
        self.logger = logger
        let gatewayMetrics = GatewayMetrics(factory: metrics.factory)
        self.metrics = gatewayMetrics
        state = MarketState(tradeHistory: settings.tradeHistory)
        books = BookStore()
        hub = WebSocketHub(
            limits: settings.limits, metrics: gatewayMetrics, socketMetrics: WebSocketMetrics(factory: metrics.factory),
            books: books, logger: logger)
        let latency = StageLatency()
        consumer = GatewayConsumer(state: state, hub: hub, metrics: gatewayMetrics, latency: latency, logger: logger)
        policy = RESTPolicy(settings.policy)
        limiter = RateLimiter(settings.rate)
        var pool: PostgresReadPool?
        if let url = settings.postgresURL {
            do {
                pool = try PostgresReadPool(
                    url: url, size: settings.postgresPoolSize, applicationName: "cryptod-gateway", logger: logger)
            } catch {
                // The URL never appears in the message (it may hold a password).
                logger.error("candle history is off: \(error)")
            }
        }
        historyPool = pool
        receiver = StreamReceiver(name: name.description, consumer: consumer, logger: logger)
        let details: @Sendable () async -> [ProcessStatus.Detail] = { [receiver, hub, state, pool] in
            await Self.statusDetails(settings: settings, receiver: receiver, hub: hub, state: state, history: pool)
        }
        survey = ProcessSurvey(
            identity: LinkIdentity(role: name.role, name: name.description), timeout: settings.probeTimeout,
            logger: logger,
            selfName: name.description, selfStatus: { await selfStatus(await details()) })
        cluster = ClusterMetrics(
            survey: survey, metrics: gatewayMetrics, ownExposition: { metrics.exposition() }, logger: logger)
        ops = AlertMonitor(
            configuration: configuration, factory: metrics.factory, logger: logger,
            scrape: { [cluster] topology in await cluster.scrape(topology) })
        stream = StreamMonitor(
            survey: survey,
            own: streamControl
                ?? StreamControl(process: name.description, configuration: configuration.performance, logger: logger),
            hub: hub, state: state, latency: latency, factory: metrics.factory,
            exchangeFigures: { [ops] in Self.exchangeFigures(ops) }, logger: logger)
    }

    /// Requests per minute, success rate and reconnects per exchange, from the alert monitor's scrapes.
    static func exchangeFigures(_ ops: AlertMonitor) -> [String: StreamMonitor.ExchangeFigures] {
        func byExchange(_ expression: String) -> [String: Double] {
            var result: [String: Double] = [:]
            for element in ops.query(expression) {
                if let exchange = element.labels["exchange"] { result[exchange] = element.value }
            }
            return result
        }
        let requests = byExchange("sum by (exchange) (increase(cryptod_ingestor_rest_requests_total[1m]))")
        let errors = byExchange("sum by (exchange) (increase(cryptod_ingestor_rest_errors_total[1m]))")
        let reconnects = byExchange("sum by (exchange) (cryptod_ingestor_ws_reconnects_total)")
        var figures: [String: StreamMonitor.ExchangeFigures] = [:]
        for exchange in Set(requests.keys).union(reconnects.keys) {
            let made = requests[exchange]
            let failed = errors[exchange] ?? 0
            figures[exchange] = StreamMonitor.ExchangeFigures(
                requestsPerMinute: made,
                successRate: made.flatMap { $0 > 0 ? max(0, 1 - failed / $0) : nil },
                reconnects: reconnects[exchange])
        }
        return figures
    }

    /// The processes `/health` and `/metrics` ask, from the configuration in force.
    package var topology: Topology { configuration.withLock { $0.topology } }

    /// Applies a reloaded configuration: the topology at once, client limits to new connections.
    package func apply(_ next: Configuration) {
        configuration.withLock { $0 = next }
        ops.apply(next)
        var limits = hub.limits
        limits.maxClients = next.gateway.wsMaxClients
        limits.queueCapacity = next.gateway.wsClientQueue
        hub.limits = limits
        policy.values = RESTPolicy.Values(next.gateway)
        limiter.settings = RateLimiter.Settings(rate: next.gateway.rateLimit, burst: next.gateway.rateBurst)
    }

    /// The configuration in force.
    package var currentConfiguration: Configuration { configuration.withLock { $0 } }

    /// Listen addresses, client count, markets known and stream positions, for `status`.
    package func statusDetails() async -> [ProcessStatus.Detail] {
        await Self.statusDetails(
            settings: settings, receiver: receiver, hub: hub, state: state, history: historyPool)
    }

    private static func statusDetails(
        settings: Settings, receiver: StreamReceiver, hub: WebSocketHub, state: MarketState,
        history: PostgresReadPool?
    ) async -> [ProcessStatus.Detail] {
        var details: [ProcessStatus.Detail] = [
            .init("rest_listen", settings.restListen.description),
            .init("ws_listen", settings.wsListen.description),
            .init("ws.clients", "\(hub.clientCount)"),
            .init("ws.slow_disconnects", "\(hub.slowDisconnects)"),
            .init("markets", "\(state.summaries().count)"),
            // History reads connect on first use, so "idle" is not a failure.
            .init(
                "history",
                history.map { pool in
                    pool.connected ? "connected" : pool.lastError.map { "disconnected: \($0)" } ?? "idle"
                } ?? "off (no usable gateway.postgres_url)"),
        ]
        for (stream, position) in await receiver.positions.sorted(by: { $0.key < $1.key }) {
            details.append(.init("stream.\(stream)", "epoch \(position.epoch) delivered \(position.deliveredThrough)"))
        }
        return details
    }

    // MARK: - Applications

    /// The REST router (tests drive it with `app.test(.router)`).
    package func restRouter() -> Router<GatewayRequestContext> {
        // The routes read the configuration at request time, so a reload that enables a process applies at once.
        RESTAPI(
            table: settings.routeTable, state: state, books: books, hub: hub, survey: survey, cluster: cluster,
            metrics: metrics, policy: policy, limiter: limiter, history: historyPool.map { CandleHistory(pool: $0) },
            docs: docs, stream: stream, ops: ops, configuration: { self.currentConfiguration }, logger: logger
        ).router()
    }

    /// Runs both servers until graceful shutdown (or cancellation), then closes every WebSocket client with
    /// 1001 and returns once both servers have stopped.
    /// - Parameter onReady: Called once, when both servers are bound.
    /// - Throws: When a server cannot bind or fails.
    package func run(onReady: @escaping @Sendable (BoundPorts) -> Void) async throws {
        let bound = Mutex<(rest: Int?, webSocket: Int?)>((nil, nil))
        let logger = logger
        let settings = settings
        let announce: @Sendable (_ rest: Int?, _ webSocket: Int?) -> Void = { rest, webSocket in
            let ready = bound.withLock { bound -> BoundPorts? in
                if let rest { bound.rest = rest }
                if let webSocket { bound.webSocket = webSocket }
                guard let rest = bound.rest, let webSocket = bound.webSocket else { return nil }
                return BoundPorts(rest: rest, webSocket: webSocket)
            }
            if let ready { onReady(ready) }
        }
        let rest = Application(
            router: restRouter(),
            configuration: ApplicationConfiguration(address: Self.bindAddress(settings.restListen)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.restListen.port
                logger.info("REST API listening", metadata: ["address": "\(settings.restListen.host):\(port)"])
                announce(port, nil)
            },
            logger: logger)
        let session = ClientSession(hub: hub, metrics: metrics, logger: logger, closeGrace: settings.closeGrace)
        let webSocket = Application(
            router: Self.webSocketPortRouter(logger: logger),
            server: .http1WebSocketUpgrade(
                webSocketRouter: Self.webSocketRouter(session),
                configuration: .init(
                    ws: WebSocketServerConfiguration(
                        maxFrameSize: ClientSession.maxRequestBytes, autoPing: .enabled(timePeriod: .seconds(30)),
                        closeTimeout: settings.closeGrace))),
            configuration: ApplicationConfiguration(address: Self.bindAddress(settings.wsListen)),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.wsListen.port
                logger.info(
                    "WebSocket API listening",
                    metadata: ["address": "\(settings.wsListen.host):\(port)", "path": "/ws"])
                announce(nil, port)
            },
            logger: logger)
        // Graceful shutdown stops services in reverse order, each after the previous one returned: first
        // the WebSocket clients are told 1001 (before Hummingbird's own shutdown could close them with
        // 1000), then the WebSocket server stops, then the REST server.
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: rest, serviceName: "rest"),
                    .init(service: webSocket, serviceName: "websocket"),
                    .init(
                        service: StreamSampler(monitor: stream, pool: historyPool, topology: { self.topology }),
                        successTerminationBehavior: .ignore, serviceName: "stream-sampler"),
                    .init(
                        service: ClientCloser(hub: hub, grace: settings.closeGrace),
                        successTerminationBehavior: .ignore,
                        serviceName: "websocket-clients"),
                    .init(service: AlertMonitorService(monitor: ops), serviceName: "alerts"),
                ],
                logger: logger))
        do {
            try await group.run()
        } catch {
            await historyPool?.close()
            throw error
        }
        await historyPool?.close()
    }

    private static func bindAddress(_ address: ListenAddress) -> BindAddress {
        .hostname(address.host, port: address.port)
    }

    /// The WebSocket endpoints: `/ws` and `/`.
    private static func webSocketRouter(_ session: ClientSession) -> Router<GatewayWebSocketContext> {
        let router = Router(context: GatewayWebSocketContext.self)
        for path in ["/ws", "/"] {
            router.ws(RouterPath(path)) { inbound, outbound, context in
                try await session.run(inbound: inbound, outbound: outbound, channel: context.requestContext.channel)
            }
        }
        return router
    }

    /// Plain HTTP on the WebSocket port: say how to connect instead.
    private static func webSocketPortRouter(logger: Logger) -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        let endpoints: [(path: String, methods: [HTTPRequest.Method])] = [("/ws", [.get]), ("/", [.get])]
        router.add(middleware: ErrorMiddleware(endpoints: endpoints, logger: logger))
        for path in ["/ws", "/"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                throw GatewayHTTPError(
                    .upgradeRequired, .upgradeRequired,
                    "this port speaks WebSocket: connect a WebSocket client to ws://HOST:PORT/ws; "
                        + "the REST API is on gateway.rest_listen",
                    headers: [.upgrade: "websocket"])
            }
        }
        return router
    }
}

/// Samples the processes' stream reports and pushes `stats`, until graceful shutdown.
private struct StreamSampler: Service {
    let monitor: StreamMonitor
    /// The history pool takes the `medium` worker bounds of the mode in force.
    let pool: PostgresReadPool?
    let topology: @Sendable () -> Topology

    func run() async {
        let (changes, changed) = AsyncStream.makeStream(
            of: StreamControl.Settings.self, bufferingPolicy: .bufferingNewest(1))
        monitor.own.observe { changed.yield($0) }
        let latency = monitor.latency
        monitor.own.setReporter { [pool] in
            StreamControl.Figures(
                pools: pool.map { [$0.poolReport()] } ?? [], messagesTotal: latency.receivedTotal)
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    var applied: WorkerBounds?
                    for await settings in changes {
                        let next = settings.profile.bounds(.medium)
                        guard next != applied else { continue }
                        applied = next
                        await pool?.setWorkerBounds(next)
                    }
                }
                await monitor.run(topology: topology)
                changed.finish()
            }
        }
    }
}

/// Waits for graceful shutdown, then closes every WebSocket client with 1001 and waits (at most `grace`)
/// until their sessions have ended.
private struct ClientCloser: Service {
    let hub: WebSocketHub
    let grace: Duration

    func run() async {
        do {
            try await gracefulShutdown()
        } catch {
            // Cancelled: the servers are going down without ceremony.
            hub.shutdown()
            return
        }
        hub.shutdown()
        await hub.waitUntilEmpty(atMost: grace)
    }
}

/// The request context of the WebSocket port: Hummingbird's WebSocket context plus the connection's
/// channel, which a session closes outright when a slow client will not take its close frame.
struct GatewayWebSocketContext: RequestContext, WebSocketRequestContext {
    var coreContext: CoreRequestContextStorage
    let webSocket: WebSocketHandlerReference<Self>
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        webSocket = WebSocketHandlerReference()
        channel = source.channel
    }
}

/// Runs the alert monitor until graceful shutdown.
private struct AlertMonitorService: Service {
    let monitor: AlertMonitor

    func run() async {
        await cancelWhenGracefulShutdown { await monitor.run() }
    }
}
