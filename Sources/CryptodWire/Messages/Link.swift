import CryptodModel
import NIOCore

// Link-family payloads (0x00xx). Bump WireProtocol.version when any encoding here changes.

/// First frame on every link, sent by both sides. Frozen forever (see ``MessageType``).
///
/// `minimumVersion...version` is the range the sender speaks; the link uses the highest version both
/// ranges share, or answers ``VersionMismatch`` and closes.
public struct Hello: Sendable, Hashable {
    public var minimumVersion: UInt16
    public var version: UInt16
    public var role: ProcessRole
    /// Process name (`writer`, `ingestor-binance`, `cryptoctl`); names streams and log lines.
    public var name: String
    public var pid: Int32
    /// Build identifier for diagnostics, e.g. the git commit.
    public var buildID: String
    /// The largest payload the sender accepts on this link.
    public var maxFrameBytes: UInt32

    public init(
        minimumVersion: UInt16 = WireProtocol.minimumVersion, version: UInt16 = WireProtocol.version,
        role: ProcessRole, name: String, pid: Int32, buildID: String,
        maxFrameBytes: UInt32 = UInt32(WireProtocol.defaultMaxFrameBytes)
    ) {
        self.minimumVersion = minimumVersion
        self.version = version
        self.role = role
        self.name = name
        self.pid = pid
        self.buildID = buildID
        self.maxFrameBytes = maxFrameBytes
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(minimumVersion)
        buffer.wireWrite(version)
        buffer.wireWrite(role.rawValue)
        buffer.wireWriteString(name)
        buffer.wireWrite(pid)
        buffer.wireWriteString(buildID)
        buffer.wireWrite(maxFrameBytes)
    }

    init(from reader: inout WireReader) throws {
        minimumVersion = try reader.u16("minimumVersion")
        version = try reader.u16("version")
        role = try reader.enumeration("role", as: ProcessRole.self)
        name = try reader.string("name")
        pid = try reader.i32("pid")
        buildID = try reader.string("buildID")
        maxFrameBytes = try reader.u32("maxFrameBytes")
        try reader.check(violation)
    }

    var violation: Violation? {
        guard minimumVersion <= version else {
            return Violation(
                detail: "field minimumVersion: above version", debugDetail: "versions \(minimumVersion)...\(version)")
        }
        return Rules.string(name, "name") ?? Rules.string(buildID, "buildID")
    }

    /// The sender's version range, read from the first four bytes of a `hello` payload, which every protocol
    /// version keeps as they are; `nil` when they are missing or out of order.
    ///
    /// A receiver that cannot decode the rest of a peer's Hello (say, a role added in a later version) still
    /// reads these to tell a version mismatch, answered with ``VersionMismatch``, from a malformed Hello.
    public static func versionRange(inPayload payload: ByteBuffer) -> ClosedRange<UInt16>? {
        guard let minimum = payload.getInteger(at: payload.readerIndex, endianness: .big, as: UInt16.self),
            let version = payload.getInteger(at: payload.readerIndex + 2, endianness: .big, as: UInt16.self),
            minimum <= version
        else { return nil }
        return minimum...version
    }

    /// The version two peers will use, or `nil` when their ranges do not overlap.
    public func negotiatedVersion(with peer: Hello) -> UInt16? {
        let common = min(version, peer.version)
        return common >= max(minimumVersion, peer.minimumVersion) ? common : nil
    }
}

/// Sent instead of continuing when the versions share nothing; the sender closes the link after it.
public struct VersionMismatch: Sendable, Hashable {
    public var minimumVersion: UInt16
    public var version: UInt16
    public var message: String

    public init(
        minimumVersion: UInt16 = WireProtocol.minimumVersion, version: UInt16 = WireProtocol.version, message: String
    ) {
        self.minimumVersion = minimumVersion
        self.version = version
        self.message = message
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(minimumVersion)
        buffer.wireWrite(version)
        buffer.wireWriteString(message)
    }

    init(from reader: inout WireReader) throws {
        minimumVersion = try reader.u16("minimumVersion")
        version = try reader.u16("version")
        message = try reader.string("message")
    }
}

/// A deliberate close, with the reason, so the peer logs why instead of "connection reset".
public struct Goodbye: Sendable, Hashable {
    public enum Reason: UInt8, Sendable, Hashable, CaseIterable {
        case shuttingDown = 1
        case protocolError = 2
        case replaced = 3
        case rejected = 4
    }

    public var reason: Reason
    public var message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(reason.rawValue)
        buffer.wireWriteString(message)
    }

    init(from reader: inout WireReader) throws {
        reason = try reader.enumeration("reason", as: Reason.self)
        message = try reader.string("message")
    }
}

/// Liveness probe; the peer answers with a `heartbeatReply` carrying the same nonce and send time.
public struct Heartbeat: Sendable, Hashable {
    public var nonce: UInt64
    public var sentAt: Timestamp

    public init(nonce: UInt64, sentAt: Timestamp) {
        self.nonce = nonce
        self.sentAt = sentAt
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(nonce)
        buffer.wireWrite(sentAt)
    }

    init(from reader: inout WireReader) throws {
        nonce = try reader.u64("nonce")
        sentAt = try reader.timestamp("sentAt")
    }
}

/// Opens (or re-opens after a reconnect) the sender's reliable stream on this link.
///
/// `epoch` identifies the sender's stream state: it changes only when the sender lost its state (spill
/// directory wiped), so the receiver knows its delivered-through mark belongs to an older stream.
public struct StreamResume: Sendable, Hashable {
    /// `<sender>><receiver>`, e.g. `ingestor-binance>writer`.
    public var stream: String
    public var epoch: UInt64
    /// The oldest sequence number the sender still holds (unacknowledged); `nextSequence` when none.
    public var firstHeld: UInt64
    /// The sequence number the next new frame will get.
    public var nextSequence: UInt64

    public init(stream: String, epoch: UInt64, firstHeld: UInt64, nextSequence: UInt64) {
        self.stream = stream
        self.epoch = epoch
        self.firstHeld = firstHeld
        self.nextSequence = nextSequence
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWriteString(stream)
        buffer.wireWrite(epoch)
        buffer.wireWrite(firstHeld)
        buffer.wireWrite(nextSequence)
    }

    init(from reader: inout WireReader) throws {
        stream = try reader.string("stream")
        epoch = try reader.u64("epoch")
        firstHeld = try reader.u64("firstHeld")
        nextSequence = try reader.u64("nextSequence")
        try reader.check(violation)
    }

    var violation: Violation? {
        guard firstHeld >= 1, firstHeld <= nextSequence else {
            return Violation(
                detail: "field firstHeld: outside 1...nextSequence",
                debugDetail: "firstHeld \(firstHeld), nextSequence \(nextSequence)")
        }
        return Rules.string(stream, "stream")
    }
}

/// The receiver's answer to ``StreamResume``: everything up to `deliveredThrough` is already delivered
/// (the sender drops it and replays the rest, in order).
public struct StreamResumed: Sendable, Hashable {
    public var epoch: UInt64
    public var deliveredThrough: UInt64

    public init(epoch: UInt64, deliveredThrough: UInt64) {
        self.epoch = epoch
        self.deliveredThrough = deliveredThrough
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(epoch)
        buffer.wireWrite(deliveredThrough)
    }

    init(from reader: inout WireReader) throws {
        epoch = try reader.u64("epoch")
        deliveredThrough = try reader.u64("deliveredThrough")
    }
}

/// Cumulative acknowledgement: every frame of the peer's stream up to `deliveredThrough` has been handed
/// to the consumer and may be forgotten by the sender.
public struct Ack: Sendable, Hashable {
    public var deliveredThrough: UInt64

    public init(deliveredThrough: UInt64) { self.deliveredThrough = deliveredThrough }

    func encode(into buffer: inout ByteBuffer) { buffer.wireWrite(deliveredThrough) }

    init(from reader: inout WireReader) throws { deliveredThrough = try reader.u64("deliveredThrough") }
}

/// The sender had to drop frames `first...last` (spill limit reached, or lost in a crash before they
/// reached the spill file). The receiver records the gap instead of waiting for them.
public struct FramesDropped: Sendable, Hashable {
    public enum Reason: UInt8, Sendable, Hashable, CaseIterable {
        case spillLimit = 1
        case senderRestart = 2
    }

    public var first: UInt64
    public var last: UInt64
    public var reason: Reason

    public init(first: UInt64, last: UInt64, reason: Reason) {
        self.first = first
        self.last = last
        self.reason = reason
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(first)
        buffer.wireWrite(last)
        buffer.wireWrite(reason.rawValue)
    }

    init(from reader: inout WireReader) throws {
        first = try reader.u64("first")
        last = try reader.u64("last")
        reason = try reader.enumeration("reason", as: Reason.self)
        try reader.check(violation)
    }

    var violation: Violation? {
        guard first >= 1, first <= last else {
            return Violation(
                detail: "fields first...last: not a range starting at 1 or above", debugDetail: "\(first)...\(last)")
        }
        return nil
    }
}
