import CryptodModel
import CryptodWire
import NIOCore

/// Keeps a link honest in the pipeline, below the application: answers the peer's heartbeats, sends its
/// own, and closes the channel when the peer has been silent for `timeout`.
///
/// Living in the pipeline matters: a receiver whose consumer is blocked (a sink that is down) must still
/// answer heartbeats, or the sender would tear down a healthy link and replay for nothing. Heartbeats
/// start only after both `Hello`s have passed, so `Hello` stays the first frame in each direction.
final class HeartbeatHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = [Frame]
    typealias InboundOut = [Frame]
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let interval: TimeAmount
    private let timeout: TimeAmount
    private var sawInboundHello = false
    private var sawOutboundWrite = false
    private var lastInbound = NIODeadline.now()
    private var timer: RepeatedTask?
    private var nonce: UInt64 = 0

    init(interval: Duration, timeout: Duration) {
        self.interval = .nanoseconds(interval.nanoseconds)
        self.timeout = .nanoseconds(timeout.nanoseconds)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var frames = unwrapInboundIn(data)
        lastInbound = .now()
        if !sawInboundHello, frames.first?.type == .hello {
            sawInboundHello = true
            startIfReady(context: context)
        }
        // Answer and swallow heartbeats; everything else goes up in order.
        if frames.contains(where: { $0.type == .heartbeat || $0.type == .heartbeatReply }) {
            var replies = context.channel.allocator.buffer(capacity: 0)
            frames.removeAll { frame in
                switch frame.type {
                case .heartbeat:
                    // A malformed heartbeat stays in the batch so the link reports it.
                    guard let message = try? Message(frame: frame), case .heartbeat(let beat) = message else {
                        return false
                    }
                    Frame.write(.heartbeatReply(beat), to: &replies)
                    return true
                case .heartbeatReply:
                    return true
                default:
                    return false
                }
            }
            if replies.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(replies), promise: nil) }
            if frames.isEmpty { return }
        }
        context.fireChannelRead(wrapInboundOut(frames))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // The application's first write is always its Hello (LinkSession sends it before anything else).
        if !sawOutboundWrite {
            sawOutboundWrite = true
            startIfReady(context: context)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    private func startIfReady(context: ChannelHandlerContext) {
        guard sawInboundHello, sawOutboundWrite, timer == nil else { return }
        lastInbound = .now()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            let (handler, context) = loopBound.value
            handler.tick(context: context)
        }
    }

    private func tick(context: ChannelHandlerContext) {
        if NIODeadline.now() - lastInbound > timeout {
            let silence = (NIODeadline.now() - lastInbound).nanoseconds / 1_000_000
            context.fireErrorCaught(LinkError.peerSilent(milliseconds: silence))
            context.close(promise: nil)
            return
        }
        nonce &+= 1
        let beat = Heartbeat(nonce: nonce, sentAt: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        var buffer = context.channel.allocator.buffer(capacity: 40)
        Frame.write(.heartbeat(beat), to: &buffer)
        context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
    }
}

/// Splits the byte stream into frames and hands the application one array per socket read instead of one
/// frame at a time: consumers get natural batches (one database round trip for everything that arrived
/// together) without timers, and the pipeline pays one dynamic cast per batch, not per frame.
struct FrameBatchDecoder: ByteToMessageDecoder {
    typealias InboundOut = [Frame]

    let maxPayload: Int
    let maxBatch: Int

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var batch: [Frame] = []
        while batch.count < maxBatch, let frame = try Frame.read(from: &buffer, maxPayload: maxPayload) {
            batch.append(frame)
        }
        guard !batch.isEmpty else { return .needMoreData }
        context.fireChannelRead(NIOAny(batch))
        return .continue
    }

    mutating func decodeLast(
        context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool
    ) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if seenEOF, buffer.readableBytes > 0 {
            let header = try? FrameHeader.peek(buffer, maxPayload: maxPayload)
            throw WireError(
                .truncated, rawType: header?.type.rawValue, length: header.map { Int($0.length) },
                detail: "link closed inside a frame (\(buffer.readableBytes) bytes left)")
        }
        return .needMoreData
    }
}
