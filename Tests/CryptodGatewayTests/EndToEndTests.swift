import CryptodGateway
import CryptodIPC
import CryptodModel
import CryptodWire
import HummingbirdTesting
import Testing

/// A tool peer streams market data over a real process socket into the gateway's receiver, and the data
/// comes out of both the REST API and the WebSocket feed, decimals untouched.
@Suite("Stream to REST and WebSocket", .timeLimit(.minutes(2)))
struct EndToEndTests {
    @Test("a stream over the process socket reaches REST and WebSocket clients")
    func streamToClients() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        let settings = LinkSettings(
            heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(5), handshakeTimeout: .seconds(5),
            reconnectInitialBackoff: .milliseconds(20), reconnectMaxBackoff: .milliseconds(200),
            maxBatchEvents: 1)  // one frame per event: the positions below count events
        let socket = dir.path + "/gateway.sock"
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .gateway, name: "gateway"), settings: settings,
            logger: testLogger("listener"))
        // What GatewayRole.endpoint(for:) answers for ingestors and tools.
        let receiving = Task { try await listener.run { _ in LinkEndpoint(inbound: server.receiver) } }
        defer { receiving.cancel() }
        let sender = try ReliableSender(
            stream: "replay>gateway", directory: dir.path + "/stream", settings: settings, logger: testLogger("sender"))
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .tool, name: "replay"), settings: settings,
            logger: testLogger("connector"),
            expectedRole: ProcessRoleFilter(.gateway))
        let sending = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        defer { sending.cancel() }

        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(#"{"op":"subscribe","topics":["trades.binance.BTCUSDT"]}"#)
            _ = try await messages.nextObject()

            try sender.send(Message.trades([trade(1, price: "0.00010000")]))
            try sender.send(Message.ticker(ticker(last: "0.00010000")))
            let event = try await messages.nextObject()
            #expect(event["topic"] as? String == "trades.binance.BTCUSDT")
            #expect((event["trades"] as? [[String: Any]])?.first?["price"] as? String == "0.00010000")
            #expect(await eventually { sender.stats.ackedThrough == 2 })

            let (body, status) = try await httpGet(port: ports.rest, path: "/api/v1/tickers/binance/BTCUSDT")
            #expect(status == 200)
            #expect(body.contains(#""last":"0.00010000""#), "\(body)")
            let positions = await server.receiver.positions
            #expect(positions["replay>gateway"]?.deliveredThrough == 2)
            client.close()
            _ = try? await client.done.value
        }
    }

    @Test("the REST port answers live, and plain HTTP on the WebSocket port says how to connect")
    func livePorts() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path, scheduler: false))
        try await withRunningServer(server) { ports in
            #expect(ports.rest != ports.webSocket)
            let (health, healthStatus) = try await httpGet(port: ports.rest, path: "/health")
            #expect(healthStatus == 503)
            #expect(health.contains("writer: not running: no socket at"), "\(health)")
            let (text, status) = try await httpGet(port: ports.webSocket, path: "/ws")
            #expect(status == 426)
            #expect(text.contains(#""code":"upgrade_required""#), "\(text)")
        }
    }
}

/// A GET over a fresh HTTP connection, returning the body and status code.
func httpGet(port: Int, path: String) async throws -> (body: String, status: Int) {
    try await TestClient.withClient(host: "127.0.0.1", port: port) { client in
        let response = try await client.get(path)
        return (response.body.map { String(buffer: $0) } ?? "", response.head.status.code)
    }
}
