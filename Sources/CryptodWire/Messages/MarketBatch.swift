import CryptodModel
import NIOCore

// The market-event batch (0x0109, sequenced; since version 3): an ordered list of market events of any kind
// and any markets in one frame, so one header, one sequence number and one acknowledgement carry many small
// events. Each event is its own message's payload unchanged, behind a 6-byte entry header:
//
//     u32 count (1...MarketBatch.maxEvents), then count × { u16 type (0x0101...0x0108), u32 length, payload }
//
// A batch never holds a batch. Bump WireProtocol.version when this encoding changes.

/// Limits and byte-level building of `marketBatch` payloads.
///
/// ``append(type:payload:to:)`` lets a sender grow a batch from events it has already encoded (and
/// validated) one by one, without decoding them again; the bytes are exactly what encoding
/// `Message.marketBatch(events)` writes.
public enum MarketBatch {
    /// The most events one batch may carry: bounds what a receiver does for one frame, and keeps a frame's
    /// work (one sink transaction, one acknowledgement) small enough to retry.
    public static let maxEvents = 65_535
    /// Bytes in front of each event: its type and payload length.
    public static let entryHeaderSize = 6
    /// Bytes in front of the entries: the event count.
    public static let countSize = 4
    /// The smallest encoded market event (a connection's `sourceStatus`: 1-byte exchange id, absent market,
    /// state, empty reason, time), which bounds the count by the bytes left before anything is reserved.
    static let minimumEventSize = 3 + 1 + 1 + 2 + 8

    /// The events of `payload` (a `marketBatch` payload), read from its count; `nil` when it is too short.
    public static func eventCount(of payload: ByteBuffer) -> Int? {
        payload.getInteger(at: payload.readerIndex, endianness: .big, as: UInt32.self).map(Int.init)
    }

    /// A batch payload holding the single event `payload` of `type`, with room to grow to `capacity` bytes.
    /// - Precondition: `type.isMarketEvent`.
    public static func start(type: MessageType, payload: ByteBuffer, capacity: Int = 0) -> ByteBuffer {
        var batch = ByteBufferAllocator().buffer(
            capacity: max(capacity, countSize + entryHeaderSize + payload.readableBytes))
        batch.writeInteger(UInt32(0), endianness: .big)
        append(type: type, payload: payload, to: &batch)
        return batch
    }

    /// Appends the event `payload` of `type` to the batch payload `batch` and counts it.
    /// - Precondition: `type.isMarketEvent`, the payload was validated as a message of `type`, and the batch
    ///   holds fewer than ``maxEvents`` events.
    public static func append(type: MessageType, payload: ByteBuffer, to batch: inout ByteBuffer) {
        precondition(type.isMarketEvent, "\(type) cannot go into a market batch")
        let count = eventCount(of: batch)!
        precondition(count < maxEvents, "market batch already holds \(maxEvents) events")
        batch.setInteger(UInt32(count + 1), at: batch.readerIndex, endianness: .big)
        batch.writeInteger(type.rawValue, endianness: .big)
        batch.writeInteger(UInt32(payload.readableBytes), endianness: .big)
        batch.writeImmutableBuffer(payload)
    }

    // MARK: - Codec

    static func encode(_ events: [MarketEvent], into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt32(events.count), endianness: .big)
        for event in events {
            let message = Message(event)
            buffer.writeInteger(message.type.rawValue, endianness: .big)
            let lengthAt = buffer.writerIndex
            buffer.writeInteger(UInt32(0), endianness: .big)
            message.encodeEventPayload(into: &buffer)
            buffer.setInteger(UInt32(buffer.writerIndex - lengthAt - 4), at: lengthAt, endianness: .big)
        }
    }

    static func decode(from reader: inout WireReader) throws -> [MarketEvent] {
        if let count = eventCount(of: reader.buffer), count > maxEvents {
            throw reader.error(
                .invalidValue, "field events: more than \(maxEvents) events in a batch", debug: "\(count) events")
        }
        var index = 0
        let events = try reader.array("events", minimumElementSize: entryHeaderSize + minimumEventSize) { reader in
            defer { index += 1 }
            let raw = try reader.u16("event.type")
            guard let type = MessageType(rawValue: raw), type.isMarketEvent else {
                throw reader.error(
                    .invalidValue,
                    raw == MessageType.marketBatch.rawValue
                        ? "event \(index): a batch inside a batch" : "event \(index): not a market event type",
                    debug: "type 0x" + String(raw, radix: 16).leftPadded(to: 4))
            }
            let length = Int(try reader.u32("event.length"))
            guard length <= reader.buffer.readableBytes else {
                throw reader.error(
                    .truncated, "event \(index) (\(type)): \(length) bytes, \(reader.buffer.readableBytes) left")
            }
            let payload = reader.buffer.readSlice(length: length)!
            do {
                guard let event = try Message(type: type, payload: payload).marketEvent else {
                    preconditionFailure("\(type) decoded to a message that is not a market event")
                }
                return event
            } catch let error as WireError {
                // Named after the batch frame (its type and length), with the event's place and field.
                throw reader.error(error.code, "event \(index) (\(type)): \(error.detail)", debug: error.debugDetail)
            }
        }
        try reader.check(violation(of: events))
        return events
    }

    /// One to ``maxEvents`` events, each valid as its own message. (A batch inside a batch cannot be
    /// expressed: ``MarketEvent`` has no batch case, and the decoder refuses type 0x0109 inside.)
    static func violation(of events: [MarketEvent]) -> Violation? {
        if events.isEmpty { return Violation(detail: "field events: empty batch") }
        if events.count > maxEvents {
            return Violation(
                detail: "field events: more than \(maxEvents) events in a batch", debugDetail: "\(events.count) events")
        }
        for (index, event) in events.enumerated() {
            let message = Message(event)
            if let violation = message.violation {
                return Violation(
                    detail: "event \(index) (\(message.type)): \(violation.detail)", debugDetail: violation.debugDetail)
            }
        }
        return nil
    }
}

/// Every market event a message carries: none, the one of a single-event message, or a batch's, in order.
/// A collection over the message's own storage, so reading a single event allocates nothing.
public struct MarketEvents: RandomAccessCollection, Sendable, Hashable {
    private enum Storage: Sendable, Hashable {
        case none
        case one(MarketEvent)
        case many([MarketEvent])
    }

    private let storage: Storage

    init(_ message: Message) {
        if case .marketBatch(let events) = message {
            storage = .many(events)
        } else if let event = message.marketEvent {
            storage = .one(event)
        } else {
            storage = .none
        }
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .none: 0
        case .one: 1
        case .many(let events): events.count
        }
    }

    public subscript(position: Int) -> MarketEvent {
        switch storage {
        case .none: preconditionFailure("no market events")
        case .one(let event):
            precondition(position == 0, "index \(position) out of range")
            return event
        case .many(let events): return events[position]
        }
    }
}

extension Message {
    /// Every market event this message carries, in order: one for a single market-data message (`ticker`,
    /// `trades`, …), all of a `marketBatch`'s, none for any other message. Consumers of market-data streams
    /// read this rather than ``marketEvent``, so batched and single frames are handled alike.
    public var marketEvents: MarketEvents { MarketEvents(self) }
}
