import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Synchronization

/// What a test WebSocket receives.
enum WSEvent: Sendable, Equatable {
    case text(String)
    case ping(String)
    case pong(String)
    case close(UInt16)
    /// The TCP connection ended.
    case closed
}

/// A FIFO that the channel handler fills synchronously (so order is kept) and the test drains with
/// a timeout.
final class EventQueue: Sendable {
    private struct State {
        var items: [WSEvent] = []
        var waiter: (id: Int, continuation: CheckedContinuation<WSEvent?, Never>)?
        var nextId = 0
        var finished = false
    }

    private let state = Mutex(State())

    func push(_ event: WSEvent) {
        let waiter = self.state.withLock { state -> CheckedContinuation<WSEvent?, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter.continuation
            }
            state.items.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    func finish() {
        let waiter = self.state.withLock { state -> CheckedContinuation<WSEvent?, Never>? in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter?.continuation
        }
        waiter?.resume(returning: .closed)
    }

    func next(timeout: Duration) async -> WSEvent? {
        await withCheckedContinuation { (continuation: CheckedContinuation<WSEvent?, Never>) in
            let id: Int? = self.state.withLock { state in
                if !state.items.isEmpty {
                    continuation.resume(returning: state.items.removeFirst())
                    return nil
                }
                if state.finished {
                    continuation.resume(returning: .closed)
                    return nil
                }
                state.nextId += 1
                state.waiter = (state.nextId, continuation)
                return state.nextId
            }
            guard let id else { return }
            Task {
                try? await Task.sleep(for: timeout)
                self.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        let waiter = self.state.withLock { state -> CheckedContinuation<WSEvent?, Never>? in
            guard let waiter = state.waiter, waiter.id == id else { return nil }
            state.waiter = nil
            return waiter.continuation
        }
        waiter?.resume(returning: nil)
    }
}

/// Receives frames after the upgrade and answers pings (unless told not to).
private final class FrameCollector: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let events: EventQueue
    private let autoPong: Bool

    init(events: EventQueue, autoPong: Bool) {
        self.events = events
        self.autoPong = autoPong
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        var data = frame.unmaskedData
        let text = data.readString(length: data.readableBytes) ?? ""
        switch frame.opcode {
        case .text: self.events.push(.text(text))
        case .ping:
            self.events.push(.ping(text))
            if self.autoPong {
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
            }
        case .pong: self.events.push(.pong(text))
        case .connectionClose:
            var payload = frame.unmaskedData
            self.events.push(.close(payload.readInteger(as: UInt16.self) ?? 1005))
        default: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.events.finish()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.events.finish()
        context.close(promise: nil)
    }
}

/// A WebSocket client for the tests, on NIO's client upgrader (shares no code with the simulator).
final class TestWebSocket: Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private enum Upgrade: Sendable {
        case upgraded(any Channel)
        case refused
    }

    let events: EventQueue
    private let channel: any Channel

    private init(channel: any Channel, events: EventQueue) {
        self.channel = channel
        self.events = events
    }

    /// Connects to ws://127.0.0.1:`port``path`; throws when the server refuses the upgrade.
    static func connect(port: Int, path: String, autoPong: Bool = true) async throws -> TestWebSocket {
        let events = EventQueue()
        let upgrade: EventLoopFuture<Upgrade> = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOTypedWebSocketClientUpgrader<Upgrade>(maxFrameSize: 1 << 24) { channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                FrameCollector(events: events, autoPong: autoPong))
                            return .upgraded(channel)
                        }
                    }
                    var headers = HTTPHeaders()
                    headers.add(name: "Host", value: "127.0.0.1:\(port)")
                    let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
                    let configuration = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                        upgradeRequestHead: head, upgraders: [upgrader],
                        notUpgradingCompletionHandler: { channel in
                            channel.eventLoop.makeCompletedFuture { .refused }
                        })
                    return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                        configuration: .init(upgradeConfiguration: configuration))
                }
            }
        switch try await upgrade.get() {
        case .refused: throw Failure(description: "upgrade refused for \(path)")
        case .upgraded(let channel): return TestWebSocket(channel: channel, events: events)
        }
    }

    func send(_ text: String) async throws {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text))
        try await self.channel.writeAndFlush(frame)
    }

    func sendPing(_ payload: String = "") async throws {
        let frame = WebSocketFrame(fin: true, opcode: .ping, maskKey: .random(), data: ByteBuffer(string: payload))
        try await self.channel.writeAndFlush(frame)
    }

    func sendPong(_ payload: String = "") async throws {
        let frame = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: ByteBuffer(string: payload))
        try await self.channel.writeAndFlush(frame)
    }

    /// The next event, or nil after `timeout`.
    func next(timeout: Duration = .seconds(10)) async -> WSEvent? {
        await self.events.next(timeout: timeout)
    }

    /// The next text message (skipping pings and pongs); nil on timeout or close.
    func nextText(timeout: Duration = .seconds(10)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch await self.next(timeout: deadline - ContinuousClock.now) {
            case .text(let text): return text
            case .ping, .pong: continue
            case .close, .closed, nil: return nil
            }
        }
        return nil
    }

    /// The next text message parsed as a JSON object (Foundation).
    func nextObject(timeout: Duration = .seconds(10)) async -> [String: Any]? {
        guard let text = await self.nextText(timeout: timeout) else { return nil }
        return (try? JSONShape.parse(text)) as? [String: Any]
    }

    /// True if the connection ends (close frame or TCP close) within `timeout`.
    func waitClosed(timeout: Duration = .seconds(10)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            switch await self.next(timeout: deadline - ContinuousClock.now) {
            case .close, .closed: return true
            case nil: return false
            default: continue
            }
        }
        return false
    }

    func close() {
        self.channel.close(promise: nil)
    }
}
