import NIOCore

/// One frame as read off a link: a validated header and its payload bytes, not yet decoded.
///
/// Keeping frames undecoded lets the delivery layer spill, replay and acknowledge them without paying for
/// decoding twice, and lets a receiver log a bad payload's type and length before deciding to close.
public struct Frame: Sendable, Hashable {
    public var type: MessageType
    /// Sequence number in the sender's stream; 0 for link messages.
    public var sequence: UInt64
    public var payload: ByteBuffer

    public init(type: MessageType, sequence: UInt64 = 0, payload: ByteBuffer) {
        self.type = type
        self.sequence = sequence
        self.payload = payload
    }

    /// Encodes `message` into a frame. Sequenced types need `sequence >= 1`, others `0`.
    public init(_ message: Message, sequence: UInt64 = 0, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        precondition(message.type.isSequenced == (sequence != 0), "sequence \(sequence) does not fit \(message.type)")
        var payload = allocator.buffer(capacity: 64)
        message.encodePayload(into: &payload)
        self.init(type: message.type, sequence: sequence, payload: payload)
    }

    public var header: FrameHeader {
        FrameHeader(
            type: type, flags: type.isSequenced ? .sequenced : [], length: UInt32(payload.readableBytes),
            sequence: sequence)
    }

    /// Header and payload bytes in one buffer, ready for a single socket write.
    public func write(to buffer: inout ByteBuffer) {
        header.write(to: &buffer)
        var payload = payload
        buffer.writeBuffer(&payload)
    }

    /// The encoded size on the wire.
    public var encodedSize: Int { WireProtocol.headerSize + payload.readableBytes }

    /// Encodes `message` straight into `buffer` (header, then payload), without an intermediate payload
    /// buffer: the hot path for senders that batch many frames into one write.
    public static func write(_ message: Message, sequence: UInt64 = 0, to buffer: inout ByteBuffer) {
        let type = message.type
        precondition(type.isSequenced == (sequence != 0), "sequence \(sequence) does not fit \(type)")
        let start = buffer.writerIndex
        FrameHeader(type: type, flags: type.isSequenced ? .sequenced : [], length: 0, sequence: sequence)
            .write(to: &buffer)
        message.encodePayload(into: &buffer)
        let length = buffer.writerIndex - start - WireProtocol.headerSize
        buffer.setInteger(UInt32(length), at: start + 4, endianness: .big)
    }

    /// Reads one whole frame from the front of `buffer`.
    /// - Returns: `nil` (and leaves `buffer` untouched) when the frame is not complete yet.
    /// - Throws: ``WireError`` for a bad header, before any payload is read.
    public static func read(from buffer: inout ByteBuffer, maxPayload: Int) throws(WireError) -> Frame? {
        guard let header = try FrameHeader.peek(buffer, maxPayload: maxPayload) else { return nil }
        let total = WireProtocol.headerSize + Int(header.length)
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: WireProtocol.headerSize)
        let payload = buffer.readSlice(length: Int(header.length))!
        return Frame(type: header.type, sequence: header.sequence, payload: payload)
    }
}

/// Splits a byte stream into ``Frame``s for a NIO pipeline. A bad header is thrown as ``WireError`` (the
/// link handler logs it and closes the channel); a partial frame never moves the reader index.
public struct FrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame

    public let maxPayload: Int

    public init(maxPayload: Int = WireProtocol.defaultMaxFrameBytes) {
        self.maxPayload = maxPayload
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try Frame.read(from: &buffer, maxPayload: maxPayload) else { return .needMoreData }
        context.fireChannelRead(NIOAny(frame))
        return .continue
    }

    public mutating func decodeLast(
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

/// Writes ``Frame``s as header + payload in one buffer (one write per frame, not two).
public struct FrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = Frame

    public init() {}

    public func encode(data: Frame, out: inout ByteBuffer) throws {
        data.write(to: &out)
    }
}
