import CryptodModel
import CryptodWire
import Foundation
import NIOCore
import Testing

@Suite("Market batch")
struct MarketBatchTests {
    static let status = SourceStatus(exchange: .bybit, state: .connected, reason: "", time: Samples.received)

    static func payload(_ message: Message) -> ByteBuffer {
        var buffer = ByteBuffer()
        message.encodePayload(into: &buffer)
        return buffer
    }

    /// A batch payload written entry by entry: `(raw type, event payload)`; `declared` overrides the count.
    static func rawBatch(
        _ entries: [(UInt16, ByteBuffer)], declared: UInt32? = nil, lengthDelta: Int = 0
    )
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        buffer.writeInteger(declared ?? UInt32(entries.count), endianness: .big)
        for (type, payload) in entries {
            buffer.writeInteger(type, endianness: .big)
            buffer.writeInteger(UInt32(payload.readableBytes + lengthDelta), endianness: .big)
            var payload = payload
            buffer.writeBuffer(&payload)
        }
        return buffer
    }

    static var sampleEvents: [MarketEvent] {
        guard case .marketBatch(let events) = Samples.byType[.marketBatch]! else { preconditionFailure() }
        return events
    }

    @Test("growing a batch from encoded events gives the bytes of encoding the batch")
    func builderMatchesEncoder() throws {
        let events = Self.sampleEvents
        let messages = events.map(Message.init)
        var batch = MarketBatch.start(type: messages[0].type, payload: Self.payload(messages[0]))
        for message in messages.dropFirst() {
            MarketBatch.append(type: message.type, payload: Self.payload(message), to: &batch)
        }
        #expect(batch == Self.payload(.marketBatch(events)))
        #expect(MarketBatch.eventCount(of: batch) == events.count)
        #expect(try Message(type: .marketBatch, payload: batch) == .marketBatch(events))
    }

    @Test("marketEvents yields a single message's event, a batch's in order, and nothing for other messages")
    func marketEventsAccessor() {
        let events = Self.sampleEvents
        #expect(Array(Message.marketBatch(events).marketEvents) == events)
        #expect(Message.marketBatch(events).marketEvent == nil)
        let single = Message.sourceStatus(Self.status)
        #expect(Array(single.marketEvents) == [.status(Self.status)])
        #expect(Message.statusRequest.marketEvents.isEmpty)
        #expect(Message.ack(Ack(deliveredThrough: 1)).marketEvents.isEmpty)
        for type in MessageType.allCases where type.isMarketEvent {
            #expect(Samples.byType[type]!.marketEvents.count == 1, "\(type)")
        }
    }

    @Test("an empty batch is refused by validate() and by the decoder")
    func emptyBatch() {
        #expect(throws: WireError.self) { try Message.marketBatch([]).validate() }
        let error = expectRejected(.marketBatch, Self.rawBatch([]), .invalidValue)
        #expect(error?.detail.contains("empty batch") == true)
    }

    @Test("a batch inside a batch, or a message that is no market event, is refused")
    func nestedAndForeignTypes() throws {
        let inner = Self.payload(.marketBatch(Self.sampleEvents))
        let nested = try #require(expectRejected(.marketBatch, Self.rawBatch([(0x0109, inner)]), .invalidValue))
        #expect(nested.detail.contains("a batch inside a batch"))
        // The entry's bytes are a valid event's, only its type is wrong.
        let status = Self.payload(.sourceStatus(Self.status))
        for raw: UInt16 in [0x0201, 0x0001, 0x0100, 0x010A, 0x01FF, 0xFFFF] {
            let padded = Self.rawBatch([(raw, status), (0x0108, status)])
            let error = expectRejected(.marketBatch, padded, .invalidValue)
            #expect(error?.detail.contains("event 0: not a market event type") == true, "0x\(String(raw, radix: 16))")
            let hex = String(raw, radix: 16)
            #expect(error?.debugDescription.contains("0x" + String(repeating: "0", count: 4 - hex.count) + hex) == true)
        }
    }

    @Test("a bad event is reported with the batch's type and length, its index and its own field")
    func eventErrorsNameTheBatch() throws {
        let good = Self.payload(.sourceStatus(Self.status))
        // Second event: a trades payload with no trades.
        var emptyTrades = ByteBuffer()
        emptyTrades.rawMarket()
        emptyTrades.writeInteger(UInt32(0), endianness: .big)
        let invalid = try #require(
            expectRejected(.marketBatch, Self.rawBatch([(0x0108, good), (0x0102, emptyTrades)]), .invalidValue))
        #expect(invalid.rawType == MessageType.marketBatch.rawValue)
        #expect(invalid.detail.contains("event 1 (trades): field trades: empty batch"))
        // An entry whose length runs past the payload.
        let long = Self.rawBatch([(0x0108, good)], lengthDelta: 5)
        #expect(expectRejected(.marketBatch, long, .truncated)?.detail.contains("event 0 (sourceStatus)") == true)
        // An entry longer than its event: the event's own exact-length rule, named after the batch.
        var padded = good
        padded.writeBytes([0, 0])
        let trailing = try #require(
            expectRejected(.marketBatch, Self.rawBatch([(0x0108, padded), (0x0108, good)]), .trailingBytes))
        #expect(trailing.detail.contains("event 0 (sourceStatus): 2 bytes left over"))
        // A count the bytes cannot hold, or over the bound, is refused before anything is reserved.
        expectRejected(.marketBatch, Self.rawBatch([(0x0108, good)], declared: 3), .truncated)
        expectRejected(.marketBatch, Self.rawBatch([(0x0108, good)], declared: 2), .truncated)
        expectRejected(.marketBatch, Self.rawBatch([(0x0108, good)], declared: .max), .invalidValue)
    }

    @Test("a batch holds at most MarketBatch.maxEvents events, and each event keeps its own rules")
    func bounds() throws {
        let event = MarketEvent.status(Self.status)
        #expect(throws: Never.self) {
            try Message.marketBatch(Array(repeating: event, count: MarketBatch.maxEvents)).validate()
        }
        #expect(throws: WireError.self) {
            try Message.marketBatch(Array(repeating: event, count: MarketBatch.maxEvents + 1)).validate()
        }
        // The decoder applies the same bound.
        let one = Self.payload(.sourceStatus(Self.status))
        let tooMany = Self.rawBatch(Array(repeating: (0x0108, one), count: MarketBatch.maxEvents + 1))
        #expect(expectRejected(.marketBatch, tooMany, .invalidValue)?.detail.contains("more than") == true)
        let badEvent = MarketEvent.trades([])
        let error = try #require(
            throws: WireError.self, performing: { try Message.marketBatch([event, badEvent]).validate() })
        #expect(error.detail.contains("event 1 (trades)"))
    }

    @Test("the fuzzer's extra seeds are valid, canonical frames")
    func fuzzSeeds() throws {
        let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/Seeds")
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds.path).filter { $0.hasSuffix(".hex") }
        #expect(names.contains("marketBatch-mixed.hex"))
        for name in names {
            let text = try String(contentsOf: seeds.appendingPathComponent(name), encoding: .utf8)
            var buffer = ByteBuffer(bytes: try #require(Hex.bytes(text), "\(name) is not hex"))
            let frame = try #require(try Frame.read(from: &buffer, maxPayload: WireProtocol.defaultMaxFrameBytes))
            #expect(buffer.readableBytes == 0, "\(name)")
            let message = try Message(frame: frame)
            #expect(Samples.frameBytes(message, sequence: frame.sequence) == ByteBuffer(bytes: Hex.bytes(text)!))
        }
    }
}
