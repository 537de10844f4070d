import CryptodConfig
import CryptodFormats
import CryptodGateway
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// WebSocket fan-out: `clients` connections subscribed to one topic, `rounds` bursts of `burst` events each.
///
/// 1. **Bare NIO**: a minimal NIOWebSocket server writes each burst's frames (the same bytes the gateway
///    sends for such an event) to every connection. What the kernel and NIO alone can do.
/// 2. **Gateway**: a tool peer publishes each burst as market events into the gateway's process socket (a
///    reliable stream, as an ingestor does); the gateway numbers, buffers and fans them out.
///
/// Both are measured by the same clients in this process: a round ends when every client has every message
/// of the burst, so no queue grows without bound and no client is dropped. Prints messages/s delivered to
/// clients and the ratio gateway / bare.
@main
struct WSBench {
    static func main() async throws {
        let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
        let clients = arguments.first ?? 1000
        let rounds = arguments.dropFirst().first ?? 40
        let burst = arguments.dropFirst(2).first ?? 100
        var logger = Logger(label: "bench")
        logger.logLevel = .error
        let group = MultiThreadedEventLoopGroup.singleton
        let payload = sampleMessage()
        print(
            "WebSocket fan-out to \(clients) clients, \(rounds) rounds of \(burst) trade events "
                + "(\(payload.readableBytes)-byte messages), \(System.coreCount) cores")

        let bare = try await BareServer.start(group: group)
        let bareRate = try await measure(
            name: "bare NIO WebSocket server", port: bare.port, subscribe: nil, clients: clients, rounds: rounds,
            burst: burst, group: group
        ) { _ in bare.publish(payload, count: burst) }
        try await bare.stop()

        let gatewayRate = try await withGateway(clients: clients, logger: logger) { port, sender in
            try await measure(
                name: "cryptod gateway", port: port,
                subscribe: #"{"op":"subscribe","topics":["trades.binance.BTCUSDT"]}"#,
                clients: clients, rounds: rounds, burst: burst, group: group
            ) { round in
                for index in 0..<burst { try sender.send(Message.trades([trade(round * burst + index)])) }
            }
        }
        print(String(format: "ratio gateway / bare: %.2f", gatewayRate / bareRate))
    }

    /// Connects `clients`, runs one warm-up round and `rounds` measured ones, and prints messages/s.
    static func measure(
        name: String, port: Int, subscribe: String?, clients: Int, rounds: Int, burst: Int,
        group: MultiThreadedEventLoopGroup, publish: @Sendable (Int) async throws -> Void
    ) async throws -> Double {
        let counter = Counter()
        var channels: [any Channel] = []
        for _ in 0..<clients {
            channels.append(
                try await CountingClient.connect(port: port, subscribe: subscribe, counter: counter, group: group))
        }
        // Every client has its handshake (and its subscribe reply) before the first event.
        let ready = subscribe == nil ? 0 : clients
        try await waitFor { counter.value >= ready }
        try await waitFor { counter.upgraded >= clients }
        var expected = counter.value
        func round(_ index: Int) async throws {
            try await publish(index)
            expected += clients * burst
            try await waitFor { counter.value >= expected }
        }
        try await round(0)
        let started = ContinuousClock.now
        for index in 1...rounds { try await round(index) }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(clients * burst * rounds) / seconds
        print(String(format: "%@: %.0f messages/s to clients (%.2f s)", name, rate, seconds))
        for channel in channels { channel.close(promise: nil) }
        return rate
    }

    static func waitFor(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw BenchFailure("timed out: messages did not arrive") }
            try await Task.sleep(for: .microseconds(200))
        }
    }

    /// Runs a gateway fed by a tool peer over its process socket, as EndToEndTests does.
    static func withGateway(
        clients: Int, logger: Logger, _ body: @Sendable (Int, ReliableSender) async throws -> Double
    ) async throws -> Double {
        let root = "/tmp/wsbench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: root) }
        var values: [String: ConfigValue] = [
            "daemon.runtime_dir": .string(root), "daemon.state_dir": .string(root + "/state"),
            "gateway.rest_listen": .address(ListenAddress(host: "127.0.0.1", port: 0)),
            "gateway.ws_listen": .address(ListenAddress(host: "127.0.0.1", port: 0)),
        ]
        for profile in ExchangeProfile.all { values["exchanges.\(profile.name).enabled"] = .bool(false) }
        let configuration = Configuration(values: values)
        var settings = GatewayServer.Settings(configuration.gateway)
        settings.limits.maxClients = clients + 10
        // No heartbeat during the run: the clients count every text frame.
        settings.limits.heartbeatInterval = .seconds(3600)
        let metrics = CryptodMetrics(process: "gateway", build: .init(version: "bench", commit: "bench"))
        let server = GatewayServer(
            configuration: configuration, name: .gateway, logger: logger, metrics: metrics, settings: settings,
            selfStatus: { details in
                ProcessStatus(
                    name: "gateway", role: .gateway, pid: getpid(), startedAt: Timestamp(seconds: 0), ready: true,
                    configGeneration: 1, details: details)
            })
        let (ports, portsContinuation) = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        let running = Task { try await server.run { ports in portsContinuation.yield(ports.webSocket) } }
        defer { running.cancel() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw BenchFailure("the gateway did not start") }

        let link = LinkSettings(memoryLimit: 256 << 20, spillLimit: 8 << 30)
        let socket = root + "/gateway.sock"
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .gateway, name: "gateway"), settings: link, logger: logger)
        let receiving = Task { try await listener.run { _ in LinkEndpoint(inbound: server.receiver) } }
        defer { receiving.cancel() }
        let sender = try ReliableSender(
            stream: "bench>gateway", directory: root + "/stream", settings: link, logger: logger)
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .tool, name: "bench"), settings: link, logger: logger,
            expectedRole: ProcessRoleFilter(.gateway))
        let sending = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        defer { sending.cancel() }
        return try await body(port, sender)
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")

func trade(_ id: Int) -> Trade {
    Trade(
        market: market, id: String(id), price: "65000.10", quantity: "0.00100000",
        side: id.isMultiple(of: 2) ? .buy : .sell,
        time: Timestamp(milliseconds: 1_700_000_000_000 + Int64(id)),
        receivedAt: Timestamp(milliseconds: 1_700_000_000_005 + Int64(id)))
}

/// The bytes the gateway sends for one trade event (same shape and size), for the bare server.
func sampleMessage() -> ByteBuffer {
    var json = JSONWriter(capacity: 512)
    MarketEventJSON.write(.trades([trade(1_000_000)]), into: &json) { json in
        json.field("topic", "trades.binance.BTCUSDT")
        json.field("seq", UInt64(1_000_000))
    }
    return ByteBuffer(bytes: json.bytes)
}

/// Messages received by all clients, and handshakes completed.
final class Counter: Sendable {
    private let messages = Atomic<Int>(0)
    private let handshakes = Atomic<Int>(0)
    var value: Int { messages.load(ordering: .relaxed) }
    var upgraded: Int { handshakes.load(ordering: .relaxed) }
    func add(_ count: Int) { messages.add(count, ordering: .relaxed) }
    func handshake() { handshakes.add(1, ordering: .relaxed) }
}

// MARK: - Clients

/// A minimal WebSocket client: sends the upgrade request (and a subscribe), then only counts the text
/// frames it receives, parsing frame headers and skipping payloads.
final class CountingClient: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let counter: Counter
    private let port: Int
    private let subscribe: String?
    private var pending = ByteBuffer()
    private var upgraded = false

    init(port: Int, subscribe: String?, counter: Counter) {
        self.port = port
        self.subscribe = subscribe
        self.counter = counter
    }

    static func connect(
        port: Int, subscribe: String?, counter: Counter, group: MultiThreadedEventLoopGroup
    ) async throws -> any Channel {
        try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        CountingClient(port: port, subscribe: subscribe, counter: counter))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    func channelActive(context: ChannelHandlerContext) {
        let request =
            "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: request)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        pending.writeBuffer(&bytes)
        if !upgraded {
            let view = pending.readableBytesView
            guard let end = view.firstRange(of: Array("\r\n\r\n".utf8)) else { return }
            pending.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
            upgraded = true
            counter.handshake()
            if let subscribe { context.writeAndFlush(wrapOutboundOut(Self.maskedText(subscribe)), promise: nil) }
        }
        var frames = 0
        while pending.readableBytes >= 2 {
            let start = pending.readerIndex
            let first = pending.getInteger(at: start, as: UInt8.self)!
            let second = pending.getInteger(at: start + 1, as: UInt8.self)!
            var header = 2
            var length = Int(second & 0x7F)
            if length == 126 {
                guard pending.readableBytes >= 4 else { break }
                length = Int(pending.getInteger(at: start + 2, as: UInt16.self)!)
                header = 4
            } else if length == 127 {
                guard pending.readableBytes >= 10 else { break }
                length = Int(pending.getInteger(at: start + 2, as: UInt64.self)!)
                header = 10
            }
            guard pending.readableBytes >= header + length else { break }
            pending.moveReaderIndex(forwardBy: header + length)
            if first & 0x0F == 1 { frames += 1 }
        }
        if frames > 0 { counter.add(frames) }
        pending.discardReadBytes()
    }

    static func maskedText(_ text: String) -> ByteBuffer {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame += [0x80 | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        }
        let mask: [UInt8] = [1, 2, 3, 4]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return ByteBuffer(bytes: frame)
    }
}

// MARK: - The bare server

/// A NIOWebSocket server that does nothing but write frames to every connection it has upgraded.
final class BareServer: Sendable {
    let port: Int
    private let channel: any Channel
    private let connections: ConnectionList

    private init(port: Int, channel: any Channel, connections: ConnectionList) {
        self.port = port
        self.channel = channel
        self.connections = connections
    }

    static func start(group: MultiThreadedEventLoopGroup) async throws -> BareServer {
        let connections = ConnectionList()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                let upgrader = NIOWebSocketServerUpgrader(
                    shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
                    upgradePipelineHandler: { channel, _ in
                        connections.add(channel)
                        return channel.pipeline.addHandler(Discard())
                    })
                return channel.pipeline.configureHTTPServerPipeline(
                    withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return BareServer(port: channel.localAddress?.port ?? 0, channel: channel, connections: connections)
    }

    /// Writes `count` text frames of `payload` to every connection, on each connection's event loop.
    func publish(_ payload: ByteBuffer, count: Int) {
        for target in connections.all {
            target.eventLoop.execute {
                for _ in 0..<count {
                    target.write(WebSocketFrame(fin: true, opcode: .text, data: payload), promise: nil)
                }
                target.flush()
            }
        }
    }

    func stop() async throws {
        for connection in connections.all { connection.close(promise: nil) }
        try await channel.close()
    }
}

/// The upgraded connections of the bare server, shared with its channel initializer.
final class ConnectionList: Sendable {
    private let list = Mutex<[any Channel]>([])
    var all: [any Channel] { list.withLock { $0 } }
    func add(_ channel: any Channel) { list.withLock { $0.append(channel) } }
}

/// Drops whatever a bare-server client sends.
final class Discard: ChannelInboundHandler, Sendable {
    typealias InboundIn = WebSocketFrame
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
