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
    typealias InboundIn = Frame
    typealias InboundOut = Frame
    typealias OutboundIn = Frame
    typealias OutboundOut = Frame

    private let interval: TimeAmount
    private let timeout: TimeAmount
    private var sawInboundHello = false
    private var sawOutboundHello = false
    private var lastInbound = NIODeadline.now()
    private var timer: RepeatedTask?
    private var nonce: UInt64 = 0

    init(interval: Duration, timeout: Duration) {
        self.interval = .nanoseconds(interval.nanoseconds)
        self.timeout = .nanoseconds(timeout.nanoseconds)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        lastInbound = .now()
        switch frame.type {
        case .heartbeat:
            // Echo nonce and send time back; a malformed heartbeat is passed up so the link reports it.
            if let message = try? Message(frame: frame), case .heartbeat(let beat) = message {
                context.writeAndFlush(wrapOutboundOut(Frame(.heartbeatReply(beat))), promise: nil)
                return
            }
        case .heartbeatReply:
            return
        case .hello:
            sawInboundHello = true
            startIfReady(context: context)
        default:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if !sawOutboundHello, unwrapOutboundIn(data).type == .hello {
            sawOutboundHello = true
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
        guard sawInboundHello, sawOutboundHello, timer == nil else { return }
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
        context.writeAndFlush(wrapOutboundOut(Frame(.heartbeat(beat))), promise: nil)
    }
}

/// Hands the application one array per socket read instead of one frame at a time, so consumers get
/// natural batches (one database round trip for everything that arrived together) without timers.
final class FrameBatcher: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Frame
    typealias InboundOut = [Frame]

    private var pending: [Frame] = []
    private let maxBatch: Int

    init(maxBatch: Int) { self.maxBatch = maxBatch }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(unwrapInboundIn(data))
        if pending.count >= maxBatch { flush(context: context) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        flush(context: context)
        context.fireChannelInactive()
    }

    private func flush(context: ChannelHandlerContext) {
        guard !pending.isEmpty else { return }
        let batch = pending
        pending.removeAll(keepingCapacity: true)
        context.fireChannelRead(wrapInboundOut(batch))
    }
}
