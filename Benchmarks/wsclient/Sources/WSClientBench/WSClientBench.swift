// WebSocket client cost: swift-websocket's `WSClient` (what the ingestor uses) beside a raw NIOWebSocket
// pipeline, reading the same exchsim streams at high load. Prints frames per CPU-second of this process for
// each and their ratio. Phases alternate (WSClient, raw, WSClient, raw) so drifts in the machine's load hit
// both. Run by Benchmarks/wsclient/run-bench.sh, which starts exchsim with a depth load; never a test.
//
// Usage: WSClientBench PORT PATH SECONDS_PER_PHASE
//   PATH: the WebSocket path on 127.0.0.1:PORT, e.g. /ws/btcusdt@depth@100ms/ethusdt@depth@100ms
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization
import WSClient

#if canImport(Glibc)
import Glibc
#endif

@main
struct WSClientBench {
    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count == 4, let port = Int(arguments[1]), let seconds = Double(arguments[3]) else {
            print("usage: WSClientBench PORT PATH SECONDS_PER_PHASE")
            exit(2)
        }
        let path = arguments[2]
        // One event-loop thread for both clients: the ingestor's work sits on one core.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var results: [String: (frames: Int, bytes: Int, cpu: Double, wall: Double)] = [:]
        for round in 0..<2 {
            for name in ["WSClient", "raw NIOWebSocket"] {
                let counter = FrameCounter()
                let measured: Measurement
                if name == "WSClient" {
                    measured = try await Self.measure(seconds: seconds, counter: counter) {
                        try await WSClientReader.run(port: port, path: path, group: group, counter: counter)
                    }
                } else {
                    measured = try await Self.measure(seconds: seconds, counter: counter) {
                        try await RawReader.run(port: port, path: path, group: group, counter: counter)
                    }
                }
                var total = results[name] ?? (0, 0, 0, 0)
                total.frames += measured.frames
                total.bytes += measured.bytes
                total.cpu += measured.cpu
                total.wall += measured.wall
                results[name] = total
                print(
                    "round \(round + 1) \(name): \(measured.frames) frames in \(fixed(measured.wall, 1)) s,"
                        + " \(fixed(measured.cpu, 2)) CPU s")
            }
        }
        try await group.shutdownGracefully()
        var perCPU: [String: Double] = [:]
        for name in ["WSClient", "raw NIOWebSocket"] {
            let total = results[name]!
            let rate = total.cpu > 0 ? Double(total.frames) / total.cpu : 0
            perCPU[name] = rate
            print(
                "\(name): \(Int(Double(total.frames) / total.wall)) frames/s, \(Int(rate)) frames per CPU-second,"
                    + " \(Int(Double(total.bytes) / total.frames.nonZero)) bytes/frame")
        }
        let ratio = (perCPU["raw NIOWebSocket"] ?? 0) / max(1, perCPU["WSClient"] ?? 0)
        print("ratio raw/WSClient (frames per CPU-second): \(fixed(ratio, 2))")
    }

    struct Measurement {
        var frames: Int
        var bytes: Int
        var cpu: Double
        var wall: Double
    }

    /// Runs `reader` and measures frames and this process's CPU between the first frame and `seconds` later.
    static func measure(
        seconds: Double, counter: FrameCounter, reader: @escaping @Sendable () async throws -> Void
    ) async throws -> Measurement {
        let task = Task { try await reader() }
        // Warm-up: the handshake and the first second are not measured.
        while counter.frames.load(ordering: .relaxed) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        try await Task.sleep(for: .seconds(1))
        let frames0 = counter.frames.load(ordering: .relaxed)
        let bytes0 = counter.bytes.load(ordering: .relaxed)
        let cpu0 = processCPU()
        let wall0 = monotonic()
        try await Task.sleep(for: .seconds(seconds))
        let frames1 = counter.frames.load(ordering: .relaxed)
        let bytes1 = counter.bytes.load(ordering: .relaxed)
        let cpu1 = processCPU()
        let wall1 = monotonic()
        counter.stop.store(true, ordering: .relaxed)
        task.cancel()
        _ = try? await task.value
        return Measurement(frames: frames1 - frames0, bytes: bytes1 - bytes0, cpu: cpu1 - cpu0, wall: wall1 - wall0)
    }
}

/// Frames and payload bytes read, shared by a reader and the measurement.
final class FrameCounter: Sendable {
    let frames = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    let stop = Atomic<Bool>(false)
}

/// The ingestor's way: `WebSocketClient.connect` and `for try await frame in inbound`.
enum WSClientReader {
    static func run(port: Int, path: String, group: any EventLoopGroup, counter: FrameCounter) async throws {
        var logger = Logger(label: "wsclient-bench")
        logger.logLevel = .error
        try await WebSocketClient.connect(
            url: "ws://127.0.0.1:\(port)\(path)", configuration: WebSocketClientConfiguration(maxFrameSize: 4 << 20),
            eventLoopGroup: group, logger: logger
        ) { inbound, _, _ in
            var frames = 0
            var bytes = 0
            for try await frame in inbound {
                frames += 1
                bytes += frame.data.readableBytes
                // Published in batches: the counters are not what is measured.
                if frames & 63 == 0 {
                    counter.frames.add(64, ordering: .relaxed)
                    counter.bytes.add(bytes, ordering: .relaxed)
                    bytes = 0
                    if counter.stop.load(ordering: .relaxed) { return }
                }
            }
        }
    }
}

/// A plain NIO pipeline: HTTP/1 upgrade, then `WebSocketFrame`s into one counting handler on the event loop.
enum RawReader {
    static func run(port: Int, path: String, group: any EventLoopGroup, counter: FrameCounter) async throws {
        let closed = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelInitializer { channel in
                let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 4 << 20, automaticErrorHandling: true) {
                    channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(CountingHandler(counter: counter))
                    }
                }
                let upgrade: NIOHTTPClientUpgradeConfiguration = (
                    upgraders: [upgrader], completionHandler: { _ in }
                )
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .forwardBytes, withClientUpgrade: upgrade)
                    try channel.pipeline.syncOperations.addHandler(
                        UpgradeRequest(host: "127.0.0.1:\(port)", path: path))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        try await withTaskCancellationHandler {
            try await closed.closeFuture.get()
        } onCancel: {
            closed.close(promise: nil)
        }
    }

    /// Sends the GET that the upgrader completes with the WebSocket headers.
    final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        let host: String
        let path: String

        init(host: String, path: String) {
            self.host = host
            self.path = path
        }

        func channelActive(context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: self.host)
            headers.add(name: "Content-Length", value: "0")
            let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.path, headers: headers)
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }
    }

    /// Counts frames; answers pings (exchsim pings every 20 simulated seconds) and closes on a close frame.
    final class CountingHandler: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let counter: FrameCounter
        var frames = 0
        var bytes = 0

        init(counter: FrameCounter) { self.counter = counter }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = self.unwrapInboundIn(data)
            switch frame.opcode {
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
            case .connectionClose:
                context.close(promise: nil)
            case .text, .binary, .continuation:
                self.frames += 1
                self.bytes += frame.data.readableBytes
                if self.frames & 63 == 0 {
                    self.counter.frames.add(64, ordering: .relaxed)
                    self.counter.bytes.add(self.bytes, ordering: .relaxed)
                    self.bytes = 0
                    if self.counter.stop.load(ordering: .relaxed) { context.close(promise: nil) }
                }
            default:
                break
            }
        }
    }
}

func processCPU() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func monotonic() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

/// `value` with `digits` fraction digits, without Foundation.
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    var fraction = String(abs(scaled % Int(scale)))
    while fraction.count < digits { fraction = "0" + fraction }
    return digits == 0 ? String(whole) : "\(whole).\(fraction)"
}

extension Int {
    var nonZero: Double { self == 0 ? 1 : Double(self) }
}
