import CryptodModel
import CryptodWire
import NIOCore
import Testing

/// Encodes `message` as a frame, reads it back, decodes it, and checks the message and the bytes survive.
/// Returns a description of the first problem, or `nil`.
func roundTripProblem(_ message: Message, sequence: UInt64, encodedSize: UnsafeMutablePointer<Int>? = nil) -> String? {
    var wire = ByteBuffer()
    Frame.write(message, sequence: sequence, to: &wire)
    let encoded = Hex.bytes(wire)
    encodedSize?.pointee = encoded.count

    // The two encoding paths (straight into a batch buffer, or via a Frame value) agree.
    var viaFrame = ByteBuffer()
    Frame(message, sequence: sequence).write(to: &viaFrame)
    guard Hex.bytes(viaFrame) == encoded else { return "Frame(message).write and Frame.write differ" }

    let frame: Frame
    do {
        guard let read = try Frame.read(from: &wire, maxPayload: WireProtocol.defaultMaxFrameBytes) else {
            return "Frame.read wanted more bytes"
        }
        frame = read
    } catch { return "Frame.read threw \(error)" }
    guard wire.readableBytes == 0 else { return "Frame.read left \(wire.readableBytes) bytes" }
    guard frame.type == message.type, frame.sequence == sequence else { return "header changed: \(frame.header)" }
    guard frame.encodedSize == encoded.count else { return "encodedSize \(frame.encodedSize) != \(encoded.count)" }

    let decoded: Message
    do { decoded = try Message(frame: frame) } catch { return "decode threw \(error)" }
    guard decoded == message else { return "decoded message differs" }
    do { try decoded.validate() } catch { return "decoded message fails validate(): \(error)" }

    // Numeric decimal equality and Unicode canonical equivalence could hide a change; the bytes cannot.
    var again = ByteBuffer()
    Frame.write(decoded, sequence: sequence, to: &again)
    guard Hex.bytes(again) == encoded else { return "re-encoding changed the bytes" }
    return nil
}

@Suite("Round trip")
struct RoundTripTests {
    @Test("every message type has a canonical sample")
    func everyTypeHasASample() {
        for type in MessageType.allCases {
            #expect(Samples.byType[type] != nil, "no sample for \(type): add one to Samples.all")
        }
        let types = Samples.all.map(\.type)
        #expect(Set(types).count == types.count, "two samples of one type")
    }

    @Test("the canonical sample of every type survives encode, decode and re-encode", arguments: MessageType.allCases)
    func canonical(_ type: MessageType) throws {
        let sample = try #require(Samples.byType[type], "no sample for \(type)")
        #expect(sample.type == type)
        #expect(roundTripProblem(sample, sequence: Samples.sequence(for: type)) == nil)
    }

    @Test("frames carry the sequenced flag exactly for the market-data and job families")
    func sequencedFamilies() {
        for type in MessageType.allCases {
            let family = type.rawValue >> 8
            #expect(type.isSequenced == (family == 0x01 || family == 0x02), "\(type)")
            let frame = Frame(type: type, sequence: type.isSequenced ? 9 : 0, payload: ByteBuffer())
            #expect(frame.header.flags == (type.isSequenced ? .sequenced : []))
        }
    }

    @Test("message type raw values are frozen")
    func frozenTypeNumbers() {
        let expected: [(MessageType, UInt16)] = [
            (.hello, 0x0001), (.versionMismatch, 0x0002), (.goodbye, 0x0003), (.heartbeat, 0x0004),
            (.heartbeatReply, 0x0005), (.streamResume, 0x0010), (.streamResumed, 0x0011), (.ack, 0x0012),
            (.framesDropped, 0x0013), (.ticker, 0x0101), (.trades, 0x0102), (.candle, 0x0103), (.bookSnapshot, 0x0104),
            (.bookDelta, 0x0105), (.instruments, 0x0106), (.streamGap, 0x0107), (.sourceStatus, 0x0108),
            (.marketBatch, 0x0109),
            (.jobRequest, 0x0201), (.jobProgress, 0x0202), (.jobResult, 0x0203), (.jobCancel, 0x0204),
            (.capacityReport, 0x0205), (.configure, 0x0301), (.configureResult, 0x0302), (.ready, 0x0303),
            (.shutdown, 0x0304), (.statusRequest, 0x0305), (.statusReply, 0x0306), (.metricsRequest, 0x0307),
            (.metricsReply, 0x0308), (.controlRequest, 0x0401), (.controlReply, 0x0402),
        ]
        #expect(expected.count == MessageType.allCases.count, "a new type: add its number here and to docs/protocol.md")
        for (type, raw) in expected { #expect(type.rawValue == raw, "\(type)") }
    }

    @Test("market events convert to messages and back")
    func marketEvents() {
        for message in Samples.all {
            guard let event = message.marketEvent else {
                #expect(!message.type.isMarketEvent, "\(message.type) is a market event")
                continue
            }
            #expect(Message(event) == message)
            #expect(event.exchange != nil)
            switch event {
            case .instruments: #expect(event.market == nil, "an instrument list belongs to no one market")
            case .status(let status): #expect(event.market == status.market)
            default: #expect(event.market != nil, "\(message.type) belongs to a market")
            }
        }
        let wholeConnection = SourceStatus(exchange: .bybit, state: .disconnected, reason: "EOF", time: .epoch)
        #expect(MarketEvent.status(wholeConnection).market == nil)
        #expect(MarketEvent.status(wholeConnection).exchange == .bybit)
    }

    @Test("new market-data fields default so that version-1 call sites keep their meaning")
    func originDefaultsToLive() {
        let trade = Trade(
            market: Samples.market, id: "1", price: "1", quantity: "1", side: .buy, time: .epoch, receivedAt: .epoch)
        #expect(trade.origin == .live)
        #expect(Ticker(market: Samples.market, time: .epoch, receivedAt: .epoch).origin == .live)
        #expect(DataOrigin.allCases.map(\.rawValue) == [0, 1, 2, 3, 4], "origin raw values are frozen")
        // Frozen: the first sixteen keep their numbers, and new commands only ever append the next one.
        let commands = ControlCommand.allCases.map(\.rawValue)
        #expect(Array(commands.prefix(16)) == Array(1...16), "control command raw values are frozen")
        #expect(commands == Array(1...UInt8(commands.count)), "control commands are numbered without holes")
    }

    @Test("FrameEncoder writes the header and payload as one buffer")
    func frameEncoder() throws {
        for message in Samples.all {
            let frame = Frame(message, sequence: Samples.sequence(for: message.type))
            var out = ByteBuffer()
            try FrameEncoder().encode(data: frame, out: &out)
            #expect(out == Samples.frameBytes(message))
        }
    }
}

@Suite("Properties")
struct PropertyTests {
    static let valuesPerType = 2_000

    /// Types without a single string or text field: they cannot reach the 64 KiB string edge.
    static let withoutStrings: Set<MessageType> = [
        .heartbeat, .heartbeatReply, .streamResumed, .ack, .framesDropped, .jobCancel, .ready, .shutdown,
        .statusRequest, .metricsRequest,
    ]

    @Test("random messages round-trip to equal values and identical bytes", arguments: MessageType.allCases)
    func randomRoundTrip(_ type: MessageType) {
        let seed = SeededRandom.propertySeed
        var generator = MessageGenerator(seed: seed ^ (UInt64(type.rawValue) &* 0x9E37_79B9_7F4A_7C15))
        var sizes: [Int] = []
        for iteration in 0..<Self.valuesPerType {
            let message = generator.message(type)
            let sequence = type.isSequenced ? generator.sequence() : 0
            var size = 0
            if let problem = roundTripProblem(message, sequence: sequence, encodedSize: &size) {
                let reproduce = "CRYPTOD_PROPERTY_SEED=\(seed) swift test --filter PropertyTests"
                Issue.record("\(type) #\(iteration): \(problem). Reproduce with \(reproduce)")
                return
            }
            sizes.append(size - WireProtocol.headerSize)
        }
        // The run proves little unless the generator reached the edges: 65535-byte strings, and small values.
        if !Self.withoutStrings.contains(type) {
            #expect(sizes.contains { $0 > 65_535 }, "no maximal strings generated for \(type) (seed \(seed))")
        }
        #expect(sizes.contains { $0 < 300 }, "no small \(type) generated (seed \(seed))")
    }
}
