import CryptodModel
import CryptodWire
import NIOCore

/// One canonical, realistic message per ``MessageType``: the golden files are these, encoded.
///
/// Changing a sample changes its golden file, so keep them stable; add one for every new type (the
/// `everyTypeHasASample` test fails until you do).
enum Samples {
    static let market = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
    /// 2023-11-14T22:13:20.123Z, as an exchange would stamp it (milliseconds).
    static let time = Timestamp(milliseconds: 1_700_000_000_123)
    static let received = Timestamp(nanoseconds: 1_700_000_000_125_456_789)

    static let all: [Message] = [
        .hello(
            Hello(
                role: .ingestor, name: "ingestor-binance", pid: 4242, buildID: "0.1.0+3f2a9c1",
                maxFrameBytes: 16_777_216)),
        .versionMismatch(VersionMismatch(message: "peer speaks 3...4, this build 2...2")),
        .goodbye(Goodbye(reason: .shuttingDown, message: "SIGTERM")),
        .heartbeat(Heartbeat(nonce: 7, sentAt: received)),
        .heartbeatReply(Heartbeat(nonce: 7, sentAt: received)),
        .streamResume(
            StreamResume(stream: "ingestor-binance>writer", epoch: 1_700_000_000, firstHeld: 40, nextSequence: 43)),
        .streamResumed(StreamResumed(epoch: 1_700_000_000, deliveredThrough: 41)),
        .ack(Ack(deliveredThrough: 42)),
        .framesDropped(FramesDropped(first: 10, last: 19, reason: .spillLimit)),
        .ticker(ticker),
        .trades([
            Trade(
                market: market, id: "3213746412", price: "37160.01000000", quantity: "0.00150000", side: .buy,
                time: time, receivedAt: received),
            Trade(
                market: market, id: "3213746413", price: "37160.00000000", quantity: "0.02400000", side: .sell,
                time: time, receivedAt: received),
        ]),
        .candle(
            Candle(
                market: market, interval: .m1, openTime: Timestamp(milliseconds: 1_699_999_980_000),
                open: "37150.00000000",
                high: "37165.20000000", low: "37149.99000000", close: "37160.01000000", volume: "12.48213000",
                quoteVolume: "463790.19302480", tradeCount: 1_207, isClosed: false, receivedAt: received)),
        .bookSnapshot(
            BookSnapshot(
                market: market, updateID: 40_123_456_789, time: nil, receivedAt: received,
                bids: [
                    BookLevel(price: "37160.00000000", quantity: "1.20000000"),
                    BookLevel(price: "37159.99000000", quantity: "0.05000000"),
                ],
                asks: [BookLevel(price: "37160.01000000", quantity: "0.30000000")], origin: .resync)),
        .bookDelta(
            BookDelta(
                market: MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT"), firstUpdateID: 40_123_456_790,
                lastUpdateID: 40_123_456_795, sequence: 9_876_543_210, time: time, receivedAt: received,
                bids: [BookLevel(price: "37160.00", quantity: "0")],
                asks: [BookLevel(price: "37160.10", quantity: "2.517")])),
        .instruments(
            InstrumentList(
                exchange: .binance,
                instruments: [
                    Instrument(
                        market: market, base: "BTC", quote: "USDT", status: .trading, tickSize: "0.01000000",
                        lotSize: "0.00001000", minQuantity: "0.00001000", minNotional: "5.00000000"),
                    Instrument(
                        market: MarketKey(exchange: .binance, type: .spot, symbol: "LUNAUSDT"), base: "LUNA",
                        quote: "USDT", status: .halted, tickSize: "0.0001", lotSize: "0.01"),
                ])),
        .streamGap(
            StreamGap(
                market: market, channel: "trades", state: .closed, openedAt: time,
                closedAt: Timestamp(milliseconds: 1_700_000_004_123), recovered: 312,
                reason: "reconnected after 4 s; filled over REST")),
        .sourceStatus(
            SourceStatus(
                exchange: .binance, market: market, state: .resyncing, reason: "update id gap 40123456790..40123456801",
                time: received)),
        // Three events of two exchanges and three kinds in one frame, applied in this order.
        .marketBatch([
            .trades([
                Trade(
                    market: market, id: "3213746414", price: "37160.02000000", quantity: "0.00100000", side: .buy,
                    time: time, receivedAt: received)
            ]),
            .bookDelta(
                BookDelta(
                    market: MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT"),
                    firstUpdateID: 40_123_456_796, lastUpdateID: 40_123_456_796, time: time, receivedAt: received,
                    bids: [BookLevel(price: "37160.00", quantity: "1.5")], asks: [])),
            .status(SourceStatus(exchange: .bybit, state: .connected, reason: "", time: received)),
        ]),
        .jobRequest(
            JobRequest(
                id: 17, kind: .backfillCandles, market: market, interval: .m1,
                from: Timestamp(milliseconds: 1_699_920_000_000),
                to: Timestamp(milliseconds: 1_700_006_400_000), priority: 10)),
        .jobProgress(JobProgress(id: 17, completed: 500, total: 1_440, note: "page 1 of 2")),
        .jobResult(JobResult(id: 17, outcome: .succeeded, items: 1_440)),
        .jobCancel(JobCancel(id: 18)),
        .capacityReport(
            CapacityReportMessage(
                exchange: .binance, time: received,
                budgets: [
                    .init(
                        name: "rest.weight", used: 1_180, limit: 6_000, budget: 4_800,
                        windowStart: Timestamp(milliseconds: 1_699_999_980_000),
                        resetAt: Timestamp(milliseconds: 1_700_000_040_000)),
                    .init(
                        name: "rest.orders", used: 0, limit: 50, budget: 40,
                        windowStart: Timestamp(milliseconds: 1_699_999_990_000),
                        resetAt: Timestamp(milliseconds: 1_700_000_000_000), blockedUntil: time),
                ])),
        .configure(Configure(generation: 3, path: "/etc/cryptod/cryptod.conf", text: "[writer]\nbatch_size = 500\n")),
        .configureResult(ConfigureResult(generation: 3, accepted: true, restartRequired: false)),
        .ready(Ready(generation: 3)),
        .shutdown(Shutdown(graceMilliseconds: 10_000)),
        .statusRequest,
        .statusReply(
            ProcessStatus(
                name: "writer", role: .writer, pid: 4243, startedAt: received, ready: true, configGeneration: 3,
                details: [.init("links.ingestor-binance", "connected"), .init("spill.bytes", "0")])),
        .metricsRequest,
        .metricsReply(MetricsReply(exposition: "# TYPE cryptod_frames_total counter\ncryptod_frames_total 42\n")),
        .controlRequest(ControlRequest(requestID: 1, command: .restart, target: "ingestor-binance")),
        .controlReply(
            ControlReply(
                requestID: 1, result: .ok, message: "restarting ingestor-binance", serverTime: received,
                children: [
                    ChildStatus(
                        name: "ingestor-binance", role: .ingestor, state: .stopping, pid: 4242, startedAt: time,
                        restarts: 2, lastExit: .init(kind: .signaled, code: 9, at: time), nextRestartAt: nil)
                ])),
    ]

    static var ticker: Ticker {
        var ticker = Ticker(market: market, time: time, receivedAt: received)
        ticker.last = "37160.01000000"
        ticker.lastQuantity = "0.00150000"
        ticker.bid = "37160.00000000"
        ticker.bidQuantity = "1.20000000"
        ticker.ask = "37160.01000000"
        ticker.askQuantity = "0.30000000"
        ticker.open = "36500.00000000"
        ticker.high = "37400.00000000"
        ticker.low = "36310.55000000"
        ticker.volume = "31522.04719000"
        ticker.quoteVolume = nil
        ticker.changePercent = "1.808"
        return ticker
    }

    /// The first sample of each type.
    static let byType: [MessageType: Message] = Dictionary(
        all.map { ($0.type, $0) }, uniquingKeysWith: { first, _ in first })

    /// The sequence number samples travel with: sequenced types need one (any non-zero value).
    static func sequence(for type: MessageType) -> UInt64 { type.isSequenced ? 42 : 0 }

    /// `message` as a complete frame (header and payload).
    static func frameBytes(_ message: Message, sequence: UInt64? = nil) -> ByteBuffer {
        var buffer = ByteBuffer()
        Frame.write(message, sequence: sequence ?? Self.sequence(for: message.type), to: &buffer)
        return buffer
    }
}
