import CryptodModel
import CryptodWire
import NIOCore
import Testing

@Suite("Header rejection")
struct HeaderRejectionTests {
    static let unsequencedTypes = MessageType.allCases.filter { !$0.isSequenced }
    static let sequencedTypes = MessageType.allCases.filter(\.isSequenced)

    @Test(
        "unknown message types",
        arguments: [0x0000, 0x0006, 0x000F, 0x0014, 0x00FF, 0x0100, 0x010A, 0x0206, 0x0309, 0x0403, 0x0500, 0xFFFF]
            as [UInt16])
    func unknownType(_ raw: UInt16) {
        var frame = rawHeader(type: raw, flags: 0, length: 4, sequence: 0)
        frame.writeBytes([1, 2, 3, 4])
        let error = expectHeaderRejected(frame, .unknownMessageType)
        #expect(error?.rawType == raw)
        #expect(error?.length == 4)
    }

    @Test("reserved flag bits", arguments: 1..<16)
    func reservedFlags(_ bit: Int) {
        expectHeaderRejected(rawHeader(type: 0x0001, flags: 1 << bit, length: 0, sequence: 0), .invalidFlags)
        expectHeaderRejected(rawHeader(type: 0x0102, flags: 1 | 1 << bit, length: 0, sequence: 1), .invalidFlags)
    }

    @Test("the sequenced flag on a link, supervision or control message", arguments: unsequencedTypes)
    func sequencedFlagOnUnsequencedType(_ type: MessageType) {
        expectHeaderRejected(rawHeader(type: type.rawValue, flags: 1, length: 0, sequence: 1), .invalidFlags)
    }

    @Test("a market-data or job message without the sequenced flag", arguments: sequencedTypes)
    func missingSequencedFlag(_ type: MessageType) {
        expectHeaderRejected(rawHeader(type: type.rawValue, flags: 0, length: 0, sequence: 0), .invalidFlags)
        expectHeaderRejected(rawHeader(type: type.rawValue, flags: 0, length: 0, sequence: 5), .invalidFlags)
    }

    @Test("sequence 0 on a sequenced frame, non-zero on an unsequenced one")
    func sequenceRules() {
        for type in Self.sequencedTypes {
            expectHeaderRejected(rawHeader(type: type.rawValue, flags: 1, length: 0, sequence: 0), .invalidSequence)
        }
        for type in Self.unsequencedTypes {
            for sequence: UInt64 in [1, 7, .max] {
                expectHeaderRejected(
                    rawHeader(type: type.rawValue, flags: 0, length: 0, sequence: sequence), .invalidSequence)
            }
        }
    }

    @Test("a length over the limit is rejected from the 16 header bytes alone")
    func oversizeBeforePayload() {
        // 2 GiB claimed, no payload sent: the error must come now, not after waiting for 2 GiB.
        let error = expectHeaderRejected(
            rawHeader(type: 0x0102, flags: 1, length: 0x8000_0000, sequence: 1), .frameTooLarge)
        #expect(error?.length == 2_147_483_648)
        expectHeaderRejected(rawHeader(type: 0x0001, flags: 0, length: .max, sequence: 0), .frameTooLarge)
        expectHeaderRejected(
            rawHeader(type: 0x0001, flags: 0, length: UInt32(WireProtocol.absoluteMaxFrameBytes) + 1, sequence: 0),
            .frameTooLarge, maxPayload: WireProtocol.absoluteMaxFrameBytes)
    }

    @Test("a link's own smaller limit applies; a length at the limit waits for its payload")
    func linkLimit() throws {
        expectHeaderRejected(
            rawHeader(type: 0x0301, flags: 0, length: 1_025, sequence: 0), .frameTooLarge, maxPayload: 1_024)
        var atLimit = rawHeader(type: 0x0301, flags: 0, length: 1_024, sequence: 0)
        let before = atLimit.readerIndex
        #expect(try Frame.read(from: &atLimit, maxPayload: 1_024) == nil)
        #expect(atLimit.readerIndex == before, "a partial frame must not move the reader index")
    }

    @Test("fewer than 16 bytes is not an error yet, whatever they say")
    func partialHeader() throws {
        let header = rawHeader(type: 0xFFFF, flags: 0xFFFF, length: .max, sequence: 0)
        for length in 0..<WireProtocol.headerSize {
            var partial = header.getSlice(at: 0, length: length)!
            #expect(try Frame.read(from: &partial, maxPayload: 1) == nil)
            #expect(partial.readableBytes == length)
        }
    }
}

@Suite("Payload rejection")
struct PayloadRejectionTests {
    // MARK: - Builders for malformed payloads

    static func hello(
        minimum: UInt16 = 1, version: UInt16 = 1, role: UInt8 = 2, name: [UInt8] = Array("SECRET-name".utf8)
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(minimum, endianness: .big)
        buffer.writeInteger(version, endianness: .big)
        buffer.writeInteger(role)
        buffer.rawString(name)
        buffer.writeInteger(Int32(77), endianness: .big)
        buffer.rawString(Array("build".utf8))
        buffer.writeInteger(UInt32(1 << 20), endianness: .big)
        return buffer
    }

    static func ticker(
        exchange: String = "binance", marketType: UInt8 = 1, symbol: String = "BTCUSDT", presence: UInt8 = 1,
        scale: UInt8 = 2, mantissa: Int128 = 3_716_001, origin: UInt8 = 0
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawMarket(exchange: exchange, type: marketType, symbol: symbol)
        buffer.writeInteger(Int64(1), endianness: .big)
        buffer.writeInteger(Int64(2), endianness: .big)
        buffer.writeInteger(presence)
        if presence == 1 { buffer.rawDecimal(scale: scale, mantissa: mantissa) }
        for _ in 0..<11 { buffer.writeInteger(UInt8(0)) }
        buffer.writeInteger(origin)
        return buffer
    }

    static func trades(count: UInt32, actual: Int, side: UInt8 = 1, origin: UInt8 = 0) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawMarket()
        buffer.writeInteger(count, endianness: .big)
        for _ in 0..<actual {
            buffer.rawString(Array("SECRET-trade-id".utf8))
            buffer.rawDecimal(scale: 8, mantissa: 3_716_001_000_000)
            buffer.rawDecimal(scale: 8, mantissa: 150_000)
            buffer.writeInteger(side)
            buffer.writeInteger(Int64(1), endianness: .big)
            buffer.writeInteger(Int64(2), endianness: .big)
            buffer.writeInteger(origin)
        }
        return buffer
    }

    static func candle(
        interval: UInt8 = 2, isClosed: UInt8 = 1, tradeCountPresence: UInt8 = 0, origin: UInt8 = 0
    )
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        buffer.rawMarket()
        buffer.writeInteger(interval)
        buffer.writeInteger(Int64(60_000_000_000), endianness: .big)
        for _ in 0..<5 { buffer.rawDecimal(scale: 2, mantissa: 100) }
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(tradeCountPresence)
        if tradeCountPresence == 1 { buffer.writeInteger(Int64(5), endianness: .big) }
        buffer.writeInteger(isClosed)
        buffer.writeInteger(Int64(2), endianness: .big)
        buffer.writeInteger(origin)
        return buffer
    }

    static func bookDelta(
        first: UInt64 = 5, last: UInt64 = 9, bidCount: UInt32 = 1, bids: Int = 1, scale: UInt8 = 2,
        mantissa: Int128 = 100, origin: UInt8 = 0
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawMarket()
        buffer.writeInteger(first, endianness: .big)
        buffer.writeInteger(last, endianness: .big)
        for _ in 0..<3 { buffer.writeInteger(UInt8(0)) }
        buffer.writeInteger(Int64(2), endianness: .big)
        buffer.writeInteger(bidCount, endianness: .big)
        for _ in 0..<bids {
            buffer.rawDecimal(scale: scale, mantissa: mantissa)
            buffer.rawDecimal(scale: 0, mantissa: 1)
        }
        buffer.writeInteger(UInt32(0), endianness: .big)
        buffer.writeInteger(origin)
        return buffer
    }

    static func instruments(
        count: UInt32 = 1, actual: Int = 1, exchange: String = "binance", marketExchange: String = "binance",
        status: UInt8 = 1
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawString(Array(exchange.utf8))
        buffer.writeInteger(count, endianness: .big)
        for _ in 0..<actual {
            buffer.rawMarket(exchange: marketExchange)
            buffer.rawString(Array("BTC".utf8))
            buffer.rawString(Array("SECRET".utf8))
            buffer.writeInteger(status)
            buffer.rawDecimal(scale: 2, mantissa: 1)
            buffer.rawDecimal(scale: 5, mantissa: 1)
            buffer.writeInteger(UInt8(0))
            buffer.writeInteger(UInt8(1))
            buffer.rawDecimal(scale: 0, mantissa: 5)
        }
        return buffer
    }

    static func streamGap(state: UInt8 = 2, openedAt: Int64 = 10, closedAt: Int64? = 20) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawMarket()
        buffer.rawString(Array("trades".utf8))
        buffer.writeInteger(state)
        buffer.writeInteger(openedAt, endianness: .big)
        if let closedAt {
            buffer.writeInteger(UInt8(1))
            buffer.writeInteger(closedAt, endianness: .big)
        } else {
            buffer.writeInteger(UInt8(0))
        }
        buffer.writeInteger(UInt64(3), endianness: .big)
        buffer.rawString(Array("SECRET reason".utf8))
        return buffer
    }

    static func sourceStatus(
        state: UInt8 = 1, exchange: String = "bybit", marketExchange: String? = "bybit"
    )
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        buffer.rawString(Array(exchange.utf8))
        if let marketExchange {
            buffer.writeInteger(UInt8(1))
            buffer.rawMarket(exchange: marketExchange)
        } else {
            buffer.writeInteger(UInt8(0))
        }
        buffer.writeInteger(state)
        buffer.rawString(Array("SECRET".utf8))
        buffer.writeInteger(Int64(7), endianness: .big)
        return buffer
    }

    static func capacityReport(count: UInt32 = 1, actual: Int = 1, blockedPresence: UInt8 = 1) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.rawString(Array("binance".utf8))
        buffer.writeInteger(Int64(7), endianness: .big)
        buffer.writeInteger(count, endianness: .big)
        for _ in 0..<actual {
            buffer.rawString(Array("rest.weight".utf8))
            for value: UInt64 in [10, 6_000, 4_800] { buffer.writeInteger(value, endianness: .big) }
            buffer.writeInteger(Int64(1), endianness: .big)
            buffer.writeInteger(Int64(61), endianness: .big)
            buffer.writeInteger(blockedPresence)
            if blockedPresence == 1 { buffer.writeInteger(Int64(30), endianness: .big) }
        }
        return buffer
    }

    static func jobRequest(kind: UInt8 = 1, from: Int64 = 1, to: Int64 = 2) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt64(1), endianness: .big)
        buffer.writeInteger(kind)
        buffer.rawMarket()
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(from, endianness: .big)
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(to, endianness: .big)
        buffer.writeInteger(UInt8(5))
        return buffer
    }

    static func configure(text: [UInt8], declaredLength: UInt32? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt64(3), endianness: .big)
        buffer.rawString(Array("/etc/cryptod.conf".utf8))
        buffer.writeInteger(declaredLength ?? UInt32(text.count), endianness: .big)
        buffer.writeBytes(text)
        return buffer
    }

    static func controlReply(
        result: UInt8 = 0, childCount: UInt32 = 1, state: UInt8 = 3, exitKind: UInt8 = 1
    )
        -> ByteBuffer
    {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt32(1), endianness: .big)
        buffer.writeInteger(result)
        buffer.writeInteger(UInt32(2), endianness: .big)
        buffer.writeBytes(Array("ok".utf8))
        buffer.writeInteger(Int64(5), endianness: .big)
        buffer.writeInteger(childCount, endianness: .big)
        buffer.rawString(Array("writer".utf8))
        buffer.writeInteger(UInt8(4))
        buffer.writeInteger(state)
        buffer.writeInteger(Int32(10), endianness: .big)
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt32(0), endianness: .big)
        buffer.writeInteger(UInt8(1))
        buffer.writeInteger(exitKind)
        buffer.writeInteger(Int32(9), endianness: .big)
        buffer.writeInteger(Int64(4), endianness: .big)
        buffer.writeInteger(UInt8(0))
        buffer.rawString([])
        return buffer
    }

    @Test("the builders produce valid payloads when left at their defaults")
    func buildersAreValid() throws {
        _ = try Message(type: .hello, payload: Self.hello())
        _ = try Message(type: .ticker, payload: Self.ticker())
        _ = try Message(type: .trades, payload: Self.trades(count: 2, actual: 2))
        _ = try Message(type: .candle, payload: Self.candle())
        _ = try Message(type: .bookDelta, payload: Self.bookDelta())
        _ = try Message(type: .instruments, payload: Self.instruments())
        _ = try Message(type: .streamGap, payload: Self.streamGap())
        _ = try Message(type: .streamGap, payload: Self.streamGap(state: 1, closedAt: nil))
        _ = try Message(type: .sourceStatus, payload: Self.sourceStatus())
        _ = try Message(type: .sourceStatus, payload: Self.sourceStatus(marketExchange: nil))
        _ = try Message(type: .capacityReport, payload: Self.capacityReport())
        _ = try Message(type: .capacityReport, payload: Self.capacityReport(count: 0, actual: 0))
        _ = try Message(type: .jobRequest, payload: Self.jobRequest())
        _ = try Message(type: .configure, payload: Self.configure(text: Array("a = 1".utf8)))
        _ = try Message(type: .controlReply, payload: Self.controlReply())
    }

    // MARK: - Structure

    static let typesWithPayload = MessageType.allCases.filter { type in
        var payload = ByteBuffer()
        Samples.byType[type]?.encodePayload(into: &payload)
        return payload.readableBytes > 0
    }

    @Test("every proper prefix of a payload is rejected, never accepted, never a crash", arguments: typesWithPayload)
    func everyPrefixRejected(_ type: MessageType) throws {
        var generator = MessageGenerator(seed: SeededRandom.propertySeed ^ UInt64(type.rawValue) ^ 0x7EC)
        var samples = [try #require(Samples.byType[type])]
        while samples.count < 12 {
            let candidate = generator.message(type)
            var payload = ByteBuffer()
            candidate.encodePayload(into: &payload)
            if payload.readableBytes <= 1_024 { samples.append(candidate) }
        }
        for sample in samples {
            var payload = ByteBuffer()
            sample.encodePayload(into: &payload)
            for length in 0..<payload.readableBytes {
                let prefix = payload.getSlice(at: payload.readerIndex, length: length)!
                do {
                    _ = try Message(type: type, payload: prefix)
                    Issue.record("\(type): a \(length)-byte prefix of \(payload.readableBytes) bytes was accepted")
                } catch let error as WireError {
                    #expect(error.code == .truncated || error.code == .invalidValue, "\(error)")
                    #expect(error.length == length)
                }
            }
        }
    }

    @Test("bytes after the message are rejected", arguments: MessageType.allCases)
    func trailingBytes(_ type: MessageType) throws {
        var payload = ByteBuffer()
        try #require(Samples.byType[type]).encodePayload(into: &payload)
        payload.writeBytes(Array("SECRET".utf8))
        let error = expectRejected(type, payload, .trailingBytes)
        #expect(error?.detail.contains("6 bytes") == true)
    }

    @Test(
        "invalid UTF-8 in strings and texts",
        arguments: [
            [0xFF], [0x80], [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xED, 0xA0, 0x80], [0xE2, 0x82],
            [0xF4, 0x90, 0x80, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x61, 0xFE, 0x62],
        ] as [[UInt8]])
    func invalidUTF8(_ bytes: [UInt8]) {
        expectRejected(.hello, Self.hello(name: Array("SECRET".utf8) + bytes), .invalidValue)
        expectRejected(.configure, Self.configure(text: Array("password=hunter2 ".utf8) + bytes), .invalidValue)
    }

    @Test("unknown enum raw values")
    func badEnumerations() {
        for role: UInt8 in [0, 8, 255] { expectRejected(.hello, Self.hello(role: role), .invalidValue) }
        for marketType: UInt8 in [0, 4] { expectRejected(.ticker, Self.ticker(marketType: marketType), .invalidValue) }
        expectRejected(.trades, Self.trades(count: 1, actual: 1, side: 3), .invalidValue)
        for interval: UInt8 in [0, 17, 255] { expectRejected(.candle, Self.candle(interval: interval), .invalidValue) }
        for kind: UInt8 in [0, 4] { expectRejected(.jobRequest, Self.jobRequest(kind: kind), .invalidValue) }
        expectRejected(.controlReply, Self.controlReply(result: 6), .invalidValue)
        expectRejected(.controlReply, Self.controlReply(state: 0), .invalidValue)
        expectRejected(.controlReply, Self.controlReply(state: 7), .invalidValue)
        expectRejected(.controlReply, Self.controlReply(exitKind: 3), .invalidValue)
        let tail: [(MessageType, [UInt8])] = [
            (.goodbye, [0, 0, 0]), (.goodbye, [5, 0, 0]),
            (.framesDropped, Array(repeating: 0, count: 7) + [1] + Array(repeating: 0, count: 7) + [2, 0]),
            (.jobResult, [0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            (.controlRequest, [0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]),
            (.controlRequest, [0, 0, 0, 1, UInt8(ControlCommand.allCases.count + 1), 0, 0, 0, 0, 0, 0]),
        ]
        for (type, bytes) in tail { expectRejected(type, ByteBuffer(bytes: bytes), .invalidValue) }
        // Version 2's enums.
        for origin: UInt8 in [5, 255] {
            expectRejected(.ticker, Self.ticker(origin: origin), .invalidValue)
            expectRejected(.trades, Self.trades(count: 2, actual: 2, origin: origin), .invalidValue)
            expectRejected(.candle, Self.candle(origin: origin), .invalidValue)
            expectRejected(.bookDelta, Self.bookDelta(origin: origin), .invalidValue)
        }
        for status: UInt8 in [0, 6] { expectRejected(.instruments, Self.instruments(status: status), .invalidValue) }
        for state: UInt8 in [0, 3] { expectRejected(.streamGap, Self.streamGap(state: state), .invalidValue) }
        for state: UInt8 in [0, 6] { expectRejected(.sourceStatus, Self.sourceStatus(state: state), .invalidValue) }
    }

    @Test("every origin value decodes, on each kind of market data")
    func everyOrigin() throws {
        for origin in DataOrigin.allCases {
            let raw = origin.rawValue
            guard case .ticker(let ticker) = try Message(type: .ticker, payload: Self.ticker(origin: raw)),
                case .trades(let trades) = try Message(
                    type: .trades, payload: Self.trades(count: 2, actual: 2, origin: raw)),
                case .candle(let candle) = try Message(type: .candle, payload: Self.candle(origin: raw)),
                case .bookDelta(let delta) = try Message(type: .bookDelta, payload: Self.bookDelta(origin: raw))
            else {
                Issue.record("wrong message type")
                return
            }
            #expect(ticker.origin == origin)
            #expect(trades.map(\.origin) == [origin, origin])
            #expect(candle.origin == origin)
            #expect(delta.origin == origin)
        }
    }

    @Test("decimals outside the type's domain")
    func badDecimals() {
        var limit: Int128 = 1
        for _ in 0..<38 { limit *= 10 }
        let bad: [(UInt8, Int128)] = [(39, 1), (255, 0), (0, limit), (0, -limit), (38, limit), (0, .min), (0, .max)]
        for (scale, mantissa) in bad {
            expectRejected(.ticker, Self.ticker(scale: scale, mantissa: mantissa), .invalidValue)
            expectRejected(.bookDelta, Self.bookDelta(scale: scale, mantissa: mantissa), .invalidValue)
        }
        // The edges themselves are fine.
        #expect(throws: Never.self) { try Message(type: .ticker, payload: Self.ticker(scale: 38, mantissa: limit - 1)) }
        #expect(throws: Never.self) { try Message(type: .ticker, payload: Self.ticker(scale: 0, mantissa: 1 - limit)) }
    }

    @Test("booleans and optional markers other than 0 and 1")
    func badBooleans() {
        for byte: UInt8 in [2, 0x80, 0xFF] {
            expectRejected(.candle, Self.candle(isClosed: byte), .invalidValue)
            expectRejected(.ticker, Self.ticker(presence: byte), .invalidValue)
            expectRejected(.candle, Self.candle(tradeCountPresence: byte), .invalidValue)
        }
    }

    @Test("array counts that cannot fit in the bytes left")
    func impossibleCounts() {
        expectRejected(.trades, Self.trades(count: .max, actual: 1), .truncated)
        expectRejected(.trades, Self.trades(count: 2, actual: 1), .truncated)
        expectRejected(.bookDelta, Self.bookDelta(bidCount: .max, bids: 1), .truncated)
        expectRejected(.bookDelta, Self.bookDelta(bidCount: 3, bids: 2), .truncated)
        expectRejected(.controlReply, Self.controlReply(childCount: 0x4000_0000), .truncated)
        expectRejected(.instruments, Self.instruments(count: .max), .truncated)
        expectRejected(.instruments, Self.instruments(count: 2, actual: 1), .truncated)
        expectRejected(.capacityReport, Self.capacityReport(count: .max), .truncated)
        expectRejected(.capacityReport, Self.capacityReport(count: 2, actual: 1, blockedPresence: 0), .truncated)
        expectRejected(.configure, Self.configure(text: Array("SECRET".utf8), declaredLength: .max), .truncated)
        var details = ByteBuffer()
        details.rawString(Array("writer".utf8))
        details.writeBytes([4, 0, 0, 0, 1] + Array(repeating: 0, count: 8) + [1] + Array(repeating: 0, count: 8))
        details.writeInteger(UInt32.max, endianness: .big)
        expectRejected(.statusReply, details, .truncated)
    }

    // MARK: - Rules

    @Test("an empty trades batch")
    func emptyTrades() {
        expectRejected(.trades, Self.trades(count: 0, actual: 0), .invalidValue)
    }

    @Test("an empty instrument list")
    func emptyInstruments() {
        let error = expectRejected(.instruments, Self.instruments(count: 0, actual: 0), .invalidValue)
        #expect(error?.detail.contains("empty list") == true)
    }

    @Test("source events: exchanges that disagree, gaps whose close does not fit their state")
    func sourceEventRules() {
        expectRejected(.instruments, Self.instruments(marketExchange: "bybit"), .invalidValue)
        expectRejected(.instruments, Self.instruments(exchange: "Binance"), .invalidValue)
        expectRejected(.sourceStatus, Self.sourceStatus(marketExchange: "binance"), .invalidValue)
        expectRejected(.sourceStatus, Self.sourceStatus(exchange: "", marketExchange: nil), .invalidValue)
        expectRejected(.streamGap, Self.streamGap(state: 1, closedAt: 20), .invalidValue)
        expectRejected(.streamGap, Self.streamGap(state: 2, closedAt: nil), .invalidValue)
        let error = expectRejected(.streamGap, Self.streamGap(openedAt: 21, closedAt: 20), .invalidValue)
        #expect(error?.debugDescription.contains("openedAt 21 ns, closedAt 20 ns") == true)
        #expect(throws: Never.self) {
            try Message(type: .streamGap, payload: Self.streamGap(openedAt: 20, closedAt: 20))
        }
    }

    @Test("firstUpdateID after lastUpdateID")
    func updateIDsOutOfOrder() {
        let error = expectRejected(.bookDelta, Self.bookDelta(first: 10, last: 9), .invalidValue)
        #expect(error?.debugDescription.contains("firstUpdateID 10, lastUpdateID 9") == true)
        #expect(throws: Never.self) { try Message(type: .bookDelta, payload: Self.bookDelta(first: 9, last: 9)) }
    }

    @Test("ranges and ids the protocol requires to be well-formed")
    func otherRules() {
        expectRejected(.jobRequest, Self.jobRequest(from: 3, to: 2), .invalidValue)
        expectRejected(.hello, Self.hello(minimum: 2, version: 1), .invalidValue)
        expectRejected(.ticker, Self.ticker(symbol: ""), .invalidValue)
        for exchange in ["", "Binance", "SECRET exchange", String(repeating: "a", count: 33)] {
            expectRejected(.ticker, Self.ticker(exchange: exchange), .invalidValue)
        }
        func resume(_ first: UInt64, _ next: UInt64) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.rawString(Array("SECRET>writer".utf8))
            buffer.writeInteger(UInt64(1), endianness: .big)
            buffer.writeInteger(first, endianness: .big)
            buffer.writeInteger(next, endianness: .big)
            return buffer
        }
        expectRejected(.streamResume, resume(0, 5), .invalidValue)
        expectRejected(.streamResume, resume(6, 5), .invalidValue)
        func dropped(_ first: UInt64, _ last: UInt64) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeInteger(first, endianness: .big)
            buffer.writeInteger(last, endianness: .big)
            buffer.writeInteger(UInt8(1))
            return buffer
        }
        expectRejected(.framesDropped, dropped(0, 5), .invalidValue)
        expectRejected(.framesDropped, dropped(6, 5), .invalidValue)
    }

    @Test("errors describe type, length and field, never payload contents")
    func descriptions() throws {
        let payload = Self.configure(text: Array("password=hunter2\n".utf8) + [0xFF])
        let error = try #require(expectRejected(.configure, payload, .invalidValue))
        #expect(error.description.contains("field text"))
        #expect(error.description.contains("invalid UTF-8"))
        let enumError = try #require(expectRejected(.hello, Self.hello(role: 200), .invalidValue))
        #expect(enumError.description.contains("field role"))
        #expect(!enumError.description.contains("200"), "payload values belong in debugDescription only")
        #expect(enumError.debugDescription.contains("raw value 200"))
        let headerError = WireError(.frameTooLarge, rawType: 0x0102, length: 99, detail: "limit 10 bytes")
        #expect(
            headerError.description
                == "wire protocol violation: frame too large, type 0x0102 (trades), length 99: limit 10 bytes")
        #expect(
            WireError(.unknownMessageType, rawType: 0xABCD, length: 1).description.contains("type 0xabcd, length 1"))
    }
}
