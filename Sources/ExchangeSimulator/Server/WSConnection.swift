import NIOCore
import NIOWebSocket

/// One upgraded WebSocket connection: frames in, the venue session, frames out, and the core's
/// keepalive, lifetime and incoming-rate rules.
///
/// Lives on its channel's event loop. Sessions call `subscribe`/`unsubscribe`/`send`/`close`; the
/// loop's `LoopHub` calls `enqueue` and `flush` for stream messages and `housekeeping` on a timer.
package final class WSConnection: ChannelInboundHandler {
    package typealias InboundIn = WebSocketFrame

    /// Unflushed bytes beyond which a slow client is dropped (Binance drops slow consumers too).
    private static let maxPendingBytes = 32 << 20

    package let id: Int
    package let request: SimRequest
    let hub: LoopHub
    private let policy: WebSocketPolicy
    private let raw: RawFrameWriter
    private var session: (any WSSession)?
    private var context: ChannelHandlerContext?
    // Hot per-message state, only touched on this connection's event loop: the dynamic
    // exclusivity checks Swift adds to class properties cost ~15 % of a message otherwise.
    @exclusivity(unchecked) private var output = WSOutput()
    @exclusivity(unchecked) private var dirty = false
    /// Set by the hub while this connection waits for its end-of-tick flush.
    @exclusivity(unchecked) var isQueued = false
    /// Size of the last flush, to allocate the next output buffer once.
    private var lastFlushBytes = 4_096
    package private(set) var streams: Set<StreamKey> = []
    package private(set) var isClosed = false
    /// Simulated times.
    package let openedAt: Int64
    private var lastReceivedAt: Int64
    private var lastPingAt: Int64
    private var pingOutstandingSince: Int64?
    /// Incoming frames in the current real second.
    private var windowStart: UInt64 = 0
    private var windowCount = 0

    init(
        id: Int, request: SimRequest, hub: LoopHub, policy: WebSocketPolicy, raw: RawFrameWriter, session: any WSSession
    ) {
        self.id = id
        self.request = request
        self.hub = hub
        self.policy = policy
        self.raw = raw
        self.session = session
        let now = hub.clock.now()
        self.openedAt = now
        self.lastReceivedAt = now
        self.lastPingAt = now
    }

    package var clientIP: String { self.request.clientIP }
    package var streamCount: Int { self.streams.count }
    package var maxStreams: Int { self.policy.maxStreamsPerConnection }
    /// Simulated now.
    package var now: Int64 { self.hub.clock.now() }

    // MARK: - Channel events

    package func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.hub.register(self)
        self.session?.didOpen(self)
        self.flush()
    }

    package func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    package func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
        self.context = nil
    }

    private func finish() {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.hub.unregister(self)
        self.session = nil
    }

    package func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.flush() }
        context.fireChannelWritabilityChanged()
    }

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    package func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard !self.isClosed else { return }
        switch frame.opcode {
        case .text, .binary, .ping, .pong:
            guard self.countIncoming() else { return }
        default: break
        }
        let now = self.now
        self.lastReceivedAt = now
        switch frame.opcode {
        case .text:
            self.session?.didReceive(text: frame.unmaskedData, on: self)
        case .binary:
            self.session?.didReceive(binary: frame.unmaskedData, on: self)
        case .ping:
            self.output.frame(.pong, frame.unmaskedData)
            self.dirty = true
        case .pong:
            self.pingOutstandingSince = nil
        case .connectionClose:
            var data = frame.unmaskedData
            let code = data.readInteger(as: UInt16.self) ?? 1000
            self.close(code: code, reason: "")
            return
        default:
            break
        }
        self.flush()
    }

    /// Counts one incoming frame against the per-second limit; closes and returns false when over.
    private func countIncoming() -> Bool {
        guard let limit = self.policy.maxIncomingPerSecond else { return true }
        let wall = SimClock.monotonicNanos()
        if wall &- self.windowStart >= 1_000_000_000 {
            self.windowStart = wall
            self.windowCount = 0
        }
        self.windowCount += 1
        if self.windowCount > limit {
            self.close(code: 1008, reason: "Too many messages")
            return false
        }
        return true
    }

    // MARK: - Session API

    /// Subscribes to keys not yet held; returns the ones added.
    @discardableResult
    package func subscribe(_ keys: [StreamKey]) -> [StreamKey] {
        let added = keys.filter { self.streams.insert($0).inserted }
        self.hub.add(self, keys: added)
        return added
    }

    /// Unsubscribes; returns the keys that were held.
    @discardableResult
    package func unsubscribe(_ keys: [StreamKey]) -> [StreamKey] {
        let removed = keys.filter { self.streams.remove($0) != nil }
        self.hub.remove(self, keys: removed)
        return removed
    }

    /// Sends one text message now (control replies, snapshots).
    package func send(text payload: ByteBuffer) {
        guard !self.isClosed else { return }
        self.output.text(payload)
        self.dirty = true
        self.flush()
    }

    package func send(_ value: JSONValue) {
        self.send(text: value.buffer)
    }

    /// Sends a close frame, then closes the TCP connection once it left.
    package func close(code: UInt16, reason: String) {
        guard !self.isClosed, let context = self.context else { return }
        self.output.close(code: code, reason: reason)
        let bytes = self.output.buffer
        self.output.buffer.clear()
        self.finish()
        let promise = context.eventLoop.makePromise(of: Void.self)
        self.raw.write(bytes, promise: promise)
        let channel = context.channel
        promise.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    /// Closes the TCP connection at once, without a close frame (connection-drop fault).
    package func drop() {
        guard let context = self.context else { return }
        self.finish()
        context.close(promise: nil)
    }

    // MARK: - Hub API

    /// Frames one stream message for this connection (the session may wrap or skip it).
    func enqueue(_ message: StreamMessage) {
        guard !self.isClosed, let session = self.session else { return }
        switch message.corruption {
        case .none:
            session.encode(message, into: &self.output)
        case .truncatedJSON:
            var broken = message
            broken.payload = WSOutput.corrupt(message.payload)
            broken.corruption = .none
            session.encode(broken, into: &self.output)
        case .invalidFrame:
            self.output.invalidFrame()
        }
        self.dirty = true
    }

    /// Writes everything framed so far, unless the socket is backed up.
    func flush() {
        guard self.dirty || self.output.buffer.readableBytes > 0, let context = self.context else { return }
        self.dirty = false
        guard context.channel.isWritable else {
            if self.output.buffer.readableBytes > Self.maxPendingBytes {
                self.hub.stats.droppedSlowConsumers.wrappingAdd(1, ordering: .relaxed)
                self.drop()
            }
            return
        }
        guard self.output.buffer.readableBytes > 0 else { return }
        let bytes = self.output.buffer
        self.hub.stats.messagesSent.wrappingAdd(self.output.frames, ordering: .relaxed)
        self.hub.stats.bytesSent.wrappingAdd(bytes.readableBytes, ordering: .relaxed)
        self.output.frames = 0
        self.lastFlushBytes = min(8 << 20, max(4_096, bytes.readableBytes + bytes.readableBytes / 4))
        self.output = WSOutput(allocator: context.channel.allocator, capacity: self.lastFlushBytes)
        self.raw.write(bytes, promise: nil)
    }

    /// Keepalive, idle and lifetime rules at simulated time `now`.
    func housekeeping(now: Int64) {
        guard !self.isClosed else { return }
        if let lifetime = self.policy.maxLifetimeMs, now - self.openedAt >= lifetime {
            self.session?.lifetimeEnded(self)
            self.close(code: 1001, reason: "Connection lifetime exceeded")
            return
        }
        if let timeout = self.policy.pongTimeoutMs, let since = self.pingOutstandingSince, now - since >= timeout {
            self.close(code: 1008, reason: "Pong timeout")
            return
        }
        if let idle = self.policy.idleTimeoutMs, now - self.lastReceivedAt >= idle {
            self.close(code: 1000, reason: "Idle timeout")
            return
        }
        if let interval = self.policy.serverPingIntervalMs, now - self.lastPingAt >= interval {
            self.lastPingAt = now
            if self.pingOutstandingSince == nil { self.pingOutstandingSince = now }
            var payload = ByteBuffer()
            payload.writeString(String(now))
            self.output.frame(.ping, payload)
            self.dirty = true
            self.flush()
        }
    }
}
