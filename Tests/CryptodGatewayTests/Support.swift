import CryptodConfig
import CryptodGateway
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A fresh private directory per test, removed afterwards. Short, because socket paths must stay under
/// 108 bytes.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = "/tmp/cgw-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["CRYPTOD_TEST_LOG"] == nil ? .critical : .debug
    return logger
}

/// Polls `condition` until it holds or `timeout` passes; the timeout only bounds a failing test.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return try await condition()
}

// MARK: - Configuration

/// A configuration whose runtime directory is `runtime`, with the writer, gateway and scheduler enabled
/// and the given exchanges; both listeners on loopback port 0.
func testConfiguration(runtime: String, exchanges: [String] = [], scheduler: Bool = true) -> Configuration {
    var values: [String: ConfigValue] = [
        "daemon.runtime_dir": .string(runtime),
        "daemon.state_dir": .string(runtime + "/state"),
        "scheduler.enabled": .bool(scheduler),
        "gateway.rest_listen": .address(ListenAddress(host: "127.0.0.1", port: 0)),
        "gateway.ws_listen": .address(ListenAddress(host: "127.0.0.1", port: 0)),
    ]
    for profile in ExchangeProfile.all {
        values["exchanges.\(profile.name).enabled"] = .bool(exchanges.contains(profile.name))
    }
    return Configuration(values: values)
}

/// A gateway server with its own metrics registry, answering for itself as ready.
func makeServer(
    _ configuration: Configuration, queue: Int? = nil, maxClients: Int? = nil, maxTopics: Int? = nil,
    closeGrace: Duration = .seconds(2)
) -> (GatewayServer, CryptodMetrics) {
    let metrics = CryptodMetrics(process: "gateway", build: .init(version: "test", commit: "test"))
    var settings = GatewayServer.Settings(configuration.gateway)
    if let queue { settings.limits.queueCapacity = queue }
    if let maxClients { settings.limits.maxClients = maxClients }
    if let maxTopics { settings.limits.maxTopicsPerClient = maxTopics }
    settings.closeGrace = closeGrace
    settings.probeTimeout = .seconds(5)
    let server = GatewayServer(
        configuration: configuration, name: .gateway, logger: testLogger("gateway"), metrics: metrics,
        settings: settings,
        selfStatus: { details in
            ProcessStatus(
                name: "gateway", role: .gateway, pid: 1, startedAt: Timestamp(seconds: 1_700_000_000), ready: true,
                configGeneration: 1, details: details)
        })
    return (server, metrics)
}

/// Runs `server` in a service group until `body` returns, then shuts it down gracefully and waits.
func withRunningServer<T: Sendable>(
    _ server: GatewayServer, _ body: @Sendable (GatewayServer.BoundPorts) async throws -> T
) async throws -> T {
    let (ports, portsContinuation) = AsyncStream.makeStream(
        of: GatewayServer.BoundPorts.self, bufferingPolicy: .bufferingNewest(1))
    let group = ServiceGroup(
        configuration: .init(
            services: [ServerService(server: server, ready: portsContinuation)], logger: testLogger("group")))
    return try await withThrowingTaskGroup(of: T?.self) { tasks in
        tasks.addTask {
            try await group.run()
            return nil
        }
        var iterator = ports.makeAsyncIterator()
        guard let bound = await iterator.next() else { throw ServerDidNotStart() }
        let result: Result<T, any Error>
        do { result = .success(try await body(bound)) } catch { result = .failure(error) }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        return try result.get()
    }
}

struct ServerDidNotStart: Error {}

private struct ServerService: Service {
    let server: GatewayServer
    let ready: AsyncStream<GatewayServer.BoundPorts>.Continuation

    func run() async throws {
        defer { ready.finish() }
        try await server.run { ports in ready.yield(ports) }
    }
}

// MARK: - Fake processes

/// Serves `path` like a cryptod process socket: answers status and metrics requests.
func fakeProcess(
    path: String, name: String, role: ProcessRole, ready: Bool = true, exposition: String? = nil
) -> Task<Void, any Error> {
    let listener = LinkListener(
        path: path, identity: LinkIdentity(role: role, name: name), settings: LinkSettings(),
        logger: testLogger("fake-\(name)"))
    let status = ProcessStatus(
        name: name, role: role, pid: 4242, startedAt: Timestamp(seconds: 1_700_000_000), ready: ready,
        configGeneration: 1,
        details: [.init("fake", "yes")])
    return Task {
        try await listener.run { _ in
            LinkEndpoint(onMessage: { message, writer in
                switch message {
                case .statusRequest: try await writer.send(.statusReply(status))
                case .metricsRequest:
                    guard let exposition else { throw LinkError.protocolViolation("no metrics here") }
                    try await writer.send(.metricsReply(MetricsReply(exposition: exposition)))
                default: throw LinkError.protocolViolation("unexpected \(message.type)")
                }
            })
        }
    }
}

/// Serves the supervisor's control socket, answering `status` with `children`.
func fakeSupervisor(path: String, children: [ChildStatus]) -> Task<Void, any Error> {
    let listener = LinkListener(
        path: path, identity: LinkIdentity(role: .supervisor, name: "cryptod"), settings: LinkSettings(),
        logger: testLogger("fake-supervisor"))
    return Task {
        try await listener.run { _ in
            LinkEndpoint(onMessage: { message, writer in
                guard case .controlRequest(let request) = message else {
                    throw LinkError.protocolViolation("not a control request")
                }
                try await writer.send(
                    .controlReply(
                        ControlReply(
                            requestID: request.requestID, result: .ok, message: "",
                            serverTime: Timestamp(seconds: 1_700_000_100),
                            children: children)))
            })
        }
    }
}

/// Waits until something accepts connections on `path`.
func waitForSocket(_ path: String) async -> Bool {
    await eventually { FileManager.default.fileExists(atPath: path) }
}

// MARK: - Market data

let btc = MarketKey(exchange: .binance, symbol: "BTCUSDT")

func trade(_ id: Int, price: ExactDecimal = "65000.10", market: MarketKey = btc) -> Trade {
    Trade(
        market: market, id: String(id), price: price, quantity: "0.00100000", side: id.isMultiple(of: 2) ? .buy : .sell,
        time: Timestamp(milliseconds: 1_700_000_000_000 + Int64(id)),
        receivedAt: Timestamp(milliseconds: 1_700_000_000_005 + Int64(id)))
}

func ticker(last: ExactDecimal, market: MarketKey = btc) -> Ticker {
    var ticker = Ticker(
        market: market, time: Timestamp(milliseconds: 1_700_000_000_000),
        receivedAt: Timestamp(milliseconds: 1_700_000_000_003))
    ticker.last = last
    ticker.bid = "0.00009999"
    ticker.ask = "0.00010001"
    return ticker
}

func candle(_ interval: CandleInterval, openSeconds: Int64, close: ExactDecimal, market: MarketKey = btc) -> Candle {
    Candle(
        market: market, interval: interval, openTime: Timestamp(seconds: openSeconds), open: "1.00", high: "2.00",
        low: "0.50",
        close: close, volume: "10.000", isClosed: false, receivedAt: Timestamp(seconds: openSeconds + 1))
}

/// Parses a JSON object (test side only; the gateway never decodes its own output).
func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not a JSON object: \(text)")
}

func jsonObject(_ bytes: [UInt8]) throws -> [String: Any] {
    try jsonObject(String(decoding: bytes, as: UTF8.self))
}
