import NIOCore
import NIOPosix
import Synchronization

/// A plain TCP connection for tests that need exact bytes on one socket (several HTTP requests on a
/// keep-alive connection, then a WebSocket handshake): writes text, collects everything received.
final class RawTCPConnection: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = Mutex("")

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            let text = String(buffer: buffer)
            self.received.withLock { $0 += text }
        }
    }

    private let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawTCPConnection {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawTCPConnection(channel: channel, collector: collector)
    }

    func send(_ text: String) async throws {
        try await self.sendBuffer(ByteBuffer(string: text))
    }

    func sendBuffer(_ buffer: ByteBuffer) async throws {
        try await self.channel.writeAndFlush(buffer)
    }

    /// Everything received up to and including the first `marker` (removed from the buffer), or nil
    /// if it does not arrive within `timeout`.
    func read(through marker: String, timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found: String? = self.collector.received.withLock { received in
                guard let range = received.range(of: marker) else { return nil }
                let head = String(received[..<range.upperBound])
                received.removeSubrange(..<range.upperBound)
                return head
            }
            if let found { return found }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return nil
    }

    func close() {
        self.channel.close(promise: nil)
    }
}

extension RawTCPConnection {
    func sendBytes(_ bytes: [UInt8]) async throws {
        try await self.sendBuffer(ByteBuffer(bytes: bytes))
    }
}
