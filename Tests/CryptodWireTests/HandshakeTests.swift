import CryptodModel
import CryptodWire
import NIOCore
import Testing

@Suite("Handshake")
struct HandshakeTests {
    static func hello(_ minimum: UInt16, _ version: UInt16) -> Hello {
        Hello(minimumVersion: minimum, version: version, role: .writer, name: "writer", pid: 1, buildID: "test")
    }

    @Test(
        "the negotiated version is the highest both ranges share, or none",
        arguments: [
            (1, 1, 1, 1, 1), (1, 3, 2, 5, 3), (2, 5, 1, 3, 3), (1, 2, 3, 4, nil), (3, 4, 1, 2, nil), (1, 9, 4, 4, 4),
            (5, 5, 5, 5, 5), (0, 65_535, 65_535, 65_535, 65_535),
        ] as [(UInt16, UInt16, UInt16, UInt16, UInt16?)])
    func negotiation(_ aMin: UInt16, _ aMax: UInt16, _ bMin: UInt16, _ bMax: UInt16, _ expected: UInt16?) {
        let a = Self.hello(aMin, aMax)
        let b = Self.hello(bMin, bMax)
        #expect(a.negotiatedVersion(with: b) == expected)
        #expect(b.negotiatedVersion(with: a) == expected, "negotiation must be symmetric")
    }

    /// `hello` and `versionMismatch` are frozen forever: these bytes are written out here, not generated, so
    /// regenerating the golden files cannot change them by accident.
    @Test("hello and versionMismatch bytes are frozen")
    func frozenBytes() {
        let hello = Hello(
            minimumVersion: 1, version: 1, role: .ingestor, name: "ingestor-binance", pid: 4242,
            buildID: "0.1.0+3f2a9c1",
            maxFrameBytes: 16_777_216)
        let helloHex =
            "0001" + "0000" + "0000002e" + "0000000000000000"  // type, flags, length 46, seq
            + "0001" + "0001" + "02"  // minimumVersion, version, role ingestor
            + "0010" + Hex.string(Array("ingestor-binance".utf8))  // name
            + "00001092"  // pid 4242
            + "000d" + Hex.string(Array("0.1.0+3f2a9c1".utf8))  // buildID
            + "01000000"  // maxFrameBytes 16 MiB
        #expect(Hex.string(Hex.bytes(Samples.frameBytes(.hello(hello)))) == helloHex)

        let mismatch = VersionMismatch(minimumVersion: 2, version: 3, message: "no")
        let mismatchHex = "0002" + "0000" + "00000008" + "0000000000000000" + "0002" + "0003" + "0002" + "6e6f"
        #expect(Hex.string(Hex.bytes(Samples.frameBytes(.versionMismatch(mismatch)))) == mismatchHex)
    }

    @Test("the version range is readable from a Hello that does not decode")
    func versionRangeOfUndecodableHello() {
        // A later version's Hello: a role this build does not know, and fields it never heard of.
        var payload = ByteBuffer()
        payload.writeInteger(UInt16(4), endianness: .big)
        payload.writeInteger(UInt16(6), endianness: .big)
        payload.writeInteger(UInt8(99))
        payload.writeBytes(Array(repeating: 0xEE, count: 40))
        #expect(throws: WireError.self) { try Message(type: .hello, payload: payload) }
        #expect(Hello.versionRange(inPayload: payload) == 4...6)
        #expect(Self.hello(1, 1).negotiatedVersion(with: Self.hello(4, 6)) == nil)

        #expect(Hello.versionRange(inPayload: ByteBuffer(bytes: [0, 1, 0])) == nil)
        #expect(Hello.versionRange(inPayload: ByteBuffer(bytes: [0, 3, 0, 2])) == nil)
        var sample = ByteBuffer()
        Samples.byType[.hello]!.encodePayload(into: &sample)
        #expect(Hello.versionRange(inPayload: sample) == WireProtocol.minimumVersion...WireProtocol.version)
    }

    @Test("this build's own range is well-formed")
    func ownRange() {
        #expect(WireProtocol.minimumVersion >= 1)
        #expect(WireProtocol.minimumVersion <= WireProtocol.version)
        #expect(WireProtocol.headerSize == 16)
        #expect(WireProtocol.defaultMaxFrameBytes <= WireProtocol.absoluteMaxFrameBytes)
        #expect(WireProtocol.absoluteMaxFrameBytes <= Int(UInt32.max))
    }
}

@Suite("Validation")
struct ValidationTests {
    static let market = Samples.market

    static let invalid: [(String, Message)] = [
        ("empty trades", .trades([])),
        ("two markets", .trades([trade(market), trade(MarketKey(exchange: .bybit, symbol: "BTCUSDT"))])),
        (
            "empty symbol",
            .ticker(Ticker(market: MarketKey(exchange: .binance, symbol: ""), time: .epoch, receivedAt: .epoch))
        ),
        (
            "long symbol",
            .ticker(
                Ticker(
                    market: MarketKey(exchange: .binance, symbol: String(repeating: "A", count: 65_536)), time: .epoch,
                    receivedAt: .epoch))
        ),
        (
            "long trade id",
            .trades([
                Trade(
                    market: market, id: String(repeating: "9", count: 65_536), price: "1", quantity: "1", side: .buy,
                    time: .epoch, receivedAt: .epoch)
            ])
        ),
        (
            "update ids",
            .bookDelta(
                BookDelta(
                    market: market, firstUpdateID: 2, lastUpdateID: 1, time: nil, receivedAt: .epoch, bids: [], asks: []
                ))
        ),
        (
            "from after to",
            .jobRequest(
                JobRequest(
                    id: 1, kind: .backfillTrades, market: market, from: Timestamp(seconds: 2),
                    to: Timestamp(seconds: 1), priority: 0))
        ),
        ("hello versions", .hello(Hello(minimumVersion: 3, version: 2, role: .tool, name: "t", pid: 1, buildID: ""))),
        ("resume range", .streamResume(StreamResume(stream: "a>b", epoch: 1, firstHeld: 0, nextSequence: 1))),
        ("dropped range", .framesDropped(FramesDropped(first: 5, last: 4, reason: .spillLimit))),
        (
            "long status key",
            .statusReply(
                ProcessStatus(
                    name: "w", role: .writer, pid: 1, startedAt: .epoch, ready: true, configGeneration: 1,
                    details: [.init(String(repeating: "k", count: 70_000), "v")]))
        ),
        (
            "long child name",
            .controlReply(
                ControlReply(
                    requestID: 1, result: .ok, message: "", serverTime: .epoch,
                    children: [
                        ChildStatus(
                            name: String(repeating: "n", count: 65_536), role: .writer, state: .running, pid: 1,
                            startedAt: nil, restarts: 0, lastExit: nil, nextRestartAt: nil)
                    ]))
        ),
        ("long goodbye", .goodbye(Goodbye(reason: .rejected, message: String(repeating: "é", count: 40_000)))),
        ("empty instruments", .instruments(InstrumentList(exchange: .binance, instruments: []))),
        (
            "instrument on another exchange",
            .instruments(
                InstrumentList(
                    exchange: .bybit,
                    instruments: [
                        Instrument(
                            market: market, base: "BTC", quote: "USDT", status: .trading, tickSize: "0.01",
                            lotSize: "0.001")
                    ]))
        ),
        (
            "closed gap without closedAt",
            .streamGap(StreamGap(market: market, channel: "book", state: .closed, openedAt: .epoch))
        ),
        (
            "opened gap with closedAt",
            .streamGap(StreamGap(market: market, channel: "book", state: .opened, openedAt: .epoch, closedAt: .epoch))
        ),
        (
            "gap closed before it opened",
            .streamGap(
                StreamGap(
                    market: market, channel: "book", state: .closed, openedAt: Timestamp(seconds: 2),
                    closedAt: Timestamp(seconds: 1)))
        ),
        (
            "status of another exchange's market",
            .sourceStatus(SourceStatus(exchange: .whitebit, market: market, state: .connected, time: .epoch))
        ),
        (
            "long budget name",
            .capacityReport(
                CapacityReportMessage(
                    exchange: .binance, time: .epoch,
                    budgets: [
                        .init(
                            name: String(repeating: "b", count: 65_536), used: 0, limit: 1, budget: 1,
                            windowStart: .epoch, resetAt: .epoch)
                    ]))
        ),
    ]

    static func trade(_ market: MarketKey) -> Trade {
        Trade(market: market, id: "1", price: "1", quantity: "1", side: .buy, time: .epoch, receivedAt: .epoch)
    }

    @Test("validate() rejects what the decoder would reject", arguments: invalid.map(\.0))
    func rejects(_ name: String) throws {
        let message = try #require(Self.invalid.first { $0.0 == name }?.1)
        let error = #expect(throws: WireError.self) { try message.validate() }
        #expect(error?.code == .invalidValue)
        #expect(error?.rawType == message.type.rawValue)
    }

    @Test("a verifyKey request never shows its argument (the API secret) in a description")
    func verifyKeyRedacted() {
        let secret = "hunter2-SECRET-\u{1F511}"
        let request = ControlRequest(
            requestID: 9, command: .verifyKey, target: "ingestor-binance",
            argument: #"{"key":"abc","secret":"\#(secret)"}"#)
        let message = Message.controlRequest(request)
        var dumped = ""
        dump(request, to: &dumped)
        var dumpedMessage = ""
        dump(message, to: &dumpedMessage)
        for text in [
            request.description, request.debugDescription, String(describing: request), String(reflecting: request),
            "\(message)", String(reflecting: message), dumped, dumpedMessage, "\([request])",
        ] {
            #expect(!text.contains("hunter2"), "\(text)")
            #expect(!text.contains("abc"), "the key is as private as the secret: \(text)")
        }
        #expect(request.description.contains("verify-key"))
        #expect(request.description.contains("<redacted"))
        // Other commands show their argument.
        let subscribe = ControlRequest(requestID: 1, command: .subscribe, target: "ingestor-binance", argument: "{}")
        #expect(subscribe.description.contains(#"argument: "{}""#))
    }

    @Test("validate() accepts every sample")
    func acceptsSamples() {
        for sample in Samples.all { #expect(throws: Never.self) { try sample.validate() } }
    }

    @Test("the boundary string length is fine")
    func boundaryLength() {
        let symbol = String(repeating: "A", count: 65_535)
        let ticker = Message.ticker(
            Ticker(market: MarketKey(exchange: .binance, symbol: symbol), time: .epoch, receivedAt: .epoch))
        #expect(throws: Never.self) { try ticker.validate() }
        #expect(roundTripProblem(ticker, sequence: 1) == nil)
    }

    @Test("encoding an invalid message traps instead of sending a frame the peer must reject")
    func encodingInvalidTraps() async {
        await #expect(processExitsWith: .failure) {
            var buffer = ByteBuffer()
            Frame.write(.trades([]), sequence: 1, to: &buffer)
        }
        await #expect(processExitsWith: .failure) {
            _ = Frame(
                .bookDelta(
                    BookDelta(
                        market: Samples.market, firstUpdateID: 2, lastUpdateID: 1, time: nil, receivedAt: .epoch,
                        bids: [], asks: [])),
                sequence: 1)
        }
    }
}
