import NIOCore

/// The fixed 16-byte header in front of every frame, big-endian:
///
/// ```
/// offset  size  field
///      0     2  type     MessageType raw value
///      2     2  flags    bit 0: sequenced; bits 1-15 must be zero
///      4     4  length   payload bytes that follow the header
///      8     8  seq      per-link stream sequence number when sequenced, else 0
/// ```
///
/// The header is checked completely (known type, valid flags, length within the link's cap, seq rules)
/// before a single payload byte is read or any memory is reserved for it.
public struct FrameHeader: Sendable, Hashable {
    public var type: MessageType
    public var flags: FrameFlags
    public var length: UInt32
    public var sequence: UInt64

    public init(type: MessageType, flags: FrameFlags = [], length: UInt32, sequence: UInt64 = 0) {
        self.type = type
        self.flags = flags
        self.length = length
        self.sequence = sequence
    }

    /// Reads and validates a header without moving `buffer`'s reader index.
    /// - Returns: `nil` when fewer than 16 bytes are available.
    /// - Throws: ``WireError`` for an unknown type, reserved flag bits, a payload over `maxPayload`, or a
    ///   sequence number that contradicts the flags.
    public static func peek(_ buffer: ByteBuffer, maxPayload: Int) throws(WireError) -> FrameHeader? {
        guard buffer.readableBytes >= WireProtocol.headerSize else { return nil }
        let base = buffer.readerIndex
        guard let rawType = buffer.getInteger(at: base, endianness: .big, as: UInt16.self),
            let rawFlags = buffer.getInteger(at: base + 2, endianness: .big, as: UInt16.self),
            let length = buffer.getInteger(at: base + 4, endianness: .big, as: UInt32.self),
            let sequence = buffer.getInteger(at: base + 8, endianness: .big, as: UInt64.self)
        else { return nil }
        guard let type = MessageType(rawValue: rawType) else {
            throw WireError(.unknownMessageType, rawType: rawType, length: Int(length))
        }
        guard rawFlags & ~FrameFlags.known.rawValue == 0 else {
            throw WireError(
                .invalidFlags, rawType: rawType, length: Int(length), detail: "flags 0x\(String(rawFlags, radix: 16))")
        }
        guard Int(length) <= maxPayload else {
            throw WireError(.frameTooLarge, rawType: rawType, length: Int(length), detail: "limit \(maxPayload) bytes")
        }
        let flags = FrameFlags(rawValue: rawFlags)
        if flags.contains(.sequenced) != type.isSequenced {
            throw WireError(
                .invalidFlags, rawType: rawType, length: Int(length),
                detail: type.isSequenced
                    ? "stream message without the sequenced flag" : "sequenced flag on a link message")
        }
        if flags.contains(.sequenced) ? sequence == 0 : sequence != 0 {
            throw WireError(.invalidSequence, rawType: rawType, length: Int(length), detail: "seq \(sequence)")
        }
        return FrameHeader(type: type, flags: flags, length: length, sequence: sequence)
    }

    /// Appends the 16 header bytes.
    public func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger(type.rawValue, endianness: .big)
        buffer.writeInteger(flags.rawValue, endianness: .big)
        buffer.writeInteger(length, endianness: .big)
        buffer.writeInteger(sequence, endianness: .big)
    }
}

/// Frame header flag bits.
public struct FrameFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// The frame belongs to the sender's reliable stream on this link and carries a sequence number >= 1.
    public static let sequenced = FrameFlags(rawValue: 1 << 0)

    /// Every bit this version defines; any other bit set is a protocol violation.
    public static let known: FrameFlags = [.sequenced]
}
