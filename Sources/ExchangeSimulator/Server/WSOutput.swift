import NIOCore

/// Outgoing WebSocket frames of one connection, written by hand into one buffer.
///
/// Server frames are unmasked, so a frame is a 2–10 byte header plus the payload; building them
/// here (rather than through `WebSocketFrameEncoder`) lets a tick's messages leave in one write,
/// and lets faults produce frames no encoder would.
package struct WSOutput {
    package enum Opcode: UInt8 {
        case continuation = 0x0, text = 0x1, binary = 0x2, close = 0x8, ping = 0x9, pong = 0xA
    }

    package var buffer: ByteBuffer
    /// Frames appended since the last reset (for counters).
    package var frames = 0

    package init(allocator: ByteBufferAllocator = ByteBufferAllocator(), capacity: Int = 4_096) {
        self.buffer = allocator.buffer(capacity: capacity)
    }

    @inline(__always)
    private mutating func header(opcode: UInt8, length: Int) {
        self.buffer.writeInteger(0x80 | opcode)
        if length < 126 {
            self.buffer.writeInteger(UInt8(length))
        } else if length <= 0xFFFF {
            self.buffer.writeInteger(UInt8(126))
            self.buffer.writeInteger(UInt16(length))
        } else {
            self.buffer.writeInteger(UInt8(127))
            self.buffer.writeInteger(UInt64(length))
        }
        self.frames += 1
    }

    /// A frame holding `payload`.
    package mutating func frame(_ opcode: Opcode, _ payload: ByteBuffer) {
        self.header(opcode: opcode.rawValue, length: payload.readableBytes)
        var copy = payload
        self.buffer.writeBuffer(&copy)
    }

    /// A text frame holding `payload`.
    @inline(__always)
    package mutating func text(_ payload: ByteBuffer) {
        self.frame(.text, payload)
    }

    /// A text frame holding `prefix + payload + suffix` (e.g. a combined-stream wrapper), without
    /// building the joined text first.
    package mutating func text(prefix: ByteBuffer, payload: ByteBuffer, suffix: StaticString) {
        self.header(
            opcode: Opcode.text.rawValue,
            length: prefix.readableBytes + payload.readableBytes + suffix.utf8CodeUnitCount)
        var prefixCopy = prefix
        var payloadCopy = payload
        self.buffer.writeBuffer(&prefixCopy)
        self.buffer.writeBuffer(&payloadCopy)
        self.buffer.writeStaticString(suffix)
    }

    /// A close frame with a status code and reason.
    package mutating func close(code: UInt16, reason: String) {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(String(reason.utf8.prefix(120)) ?? "")
        self.frame(.close, payload)
    }

    /// A frame with a reserved opcode (0xB): every compliant client must fail the connection.
    package mutating func invalidFrame() {
        self.buffer.writeInteger(UInt8(0x8B))
        self.buffer.writeInteger(UInt8(0))
        self.frames += 1
    }

    /// Applies a corruption fault to a message before framing it.
    package static func corrupt(_ payload: ByteBuffer) -> ByteBuffer {
        payload.getSlice(at: payload.readerIndex, length: max(1, payload.readableBytes / 2)) ?? payload
    }
}

/// Writes pre-framed bytes straight to the transport (TLS included), bypassing
/// `WebSocketFrameEncoder`, which NIO installs and cannot remove.
final class RawFrameWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes and flushes; the promise completes when the bytes left.
    func write(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.writeAndFlush(Self.wrapOutboundOut(buffer), promise: promise)
    }
}
