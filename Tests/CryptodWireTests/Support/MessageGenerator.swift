import CryptodModel
import CryptodWire

/// Random valid messages for property tests, biased toward edge values: empty and 65535-byte strings,
/// multi-byte and odd Unicode, Int64.min/max timestamps, 38-digit and negative decimals, and optionals
/// all absent or all present.
struct MessageGenerator {
    var random: SeededRandom

    /// How the message being built fills its optionals.
    enum Fill: CaseIterable { case none, all, mixed }
    var fill: Fill = .mixed

    init(seed: UInt64) { random = SeededRandom(seed: seed) }

    // MARK: - Primitives

    mutating func chance(_ probability: Double) -> Bool { Double.random(in: 0..<1, using: &random) < probability }

    mutating func pick<T>(_ values: [T]) -> T { values.randomElement(using: &random)! }

    mutating func integer<T: FixedWidthInteger>(_: T.Type = T.self) -> T {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: pick([T.min, T.max, 0, 1, T.max - 1])
        case 1...4: T.random(in: 0...T(clamping: 100_000), using: &random)
        default: T.random(in: T.min...T.max, using: &random)
        }
    }

    mutating func bool() -> Bool { Bool.random(using: &random) }

    static let scalars: [String] = [
        "a", "Z", "0", " ", "_", "-", ">", "\u{0}", "\u{7F}", "\u{80}", "é", "e\u{301}", "ß", "\u{7FF}", "\u{800}",
        "中",
        "\u{FEFF}", "\u{FFFD}", "\u{FFFF}", "\u{10000}", "😀", "🚀", "\u{10FFFF}", "\r\n", "\"", "\\",
    ]

    /// Exactly 65535 UTF-8 bytes: plain ASCII, and mixed widths ending on a character boundary.
    static let maximumStrings: [String] = {
        let ascii = String(repeating: "x", count: 65_535)
        var mixed = ""
        var bytes = 0
        var index = 0
        while bytes < 65_535 - 4 {
            let piece = scalars[index % scalars.count]
            mixed += piece
            bytes += piece.utf8.count
            index += 1
        }
        mixed += String(repeating: "y", count: 65_535 - bytes)
        return [ascii, mixed]
    }()

    /// A `u16`-prefixed string: often empty or maximal, usually short Unicode.
    mutating func string() -> String {
        if chance(0.05) { return "" }
        if chance(0.01) { return pick(Self.maximumStrings) }
        return (0..<Int.random(in: 1...24, using: &random)).map { _ in pick(Self.scalars) }.joined()
    }

    /// A `u32`-prefixed text: sometimes past the `u16` limit.
    mutating func text() -> String {
        if chance(0.02) {
            return String(repeating: "metric_line 1\n", count: Int.random(in: 5_000...20_000, using: &random))
        }
        return string()
    }

    mutating func nonEmptyString() -> String {
        let value = string()
        return value.isEmpty ? "S" : value
    }

    mutating func decimal() -> ExactDecimal {
        var largest: Int128 = 1
        for _ in 0..<38 { largest *= 10 }
        largest -= 1
        let mantissa: Int128
        switch Int.random(in: 0..<8, using: &random) {
        case 0: mantissa = pick([largest, -largest, 0, 1, -1])
        case 1...3: mantissa = Int128(Int64.random(in: -10_000_000_000...10_000_000_000, using: &random))
        default: mantissa = Int128.random(in: -largest...largest, using: &random)
        }
        let scale = chance(0.1) ? pick([0, 38]) : UInt8.random(in: 0...38, using: &random)
        return ExactDecimal(mantissa: mantissa, scale: scale)!
    }

    mutating func timestamp() -> Timestamp {
        if chance(0.15) { return Timestamp(nanoseconds: pick([.min, .max, 0, -1, 1])) }
        return Timestamp(nanoseconds: Int64.random(in: .min ... .max, using: &random))
    }

    mutating func optional<T>(_ make: (inout MessageGenerator) -> T) -> T? {
        switch fill {
        case .none: nil
        case .all: make(&self)
        case .mixed: bool() ? make(&self) : nil
        }
    }

    mutating func array<T>(upTo limit: Int, _ make: (inout MessageGenerator) -> T) -> [T] {
        let count = chance(0.1) ? 0 : Int.random(in: 1...limit, using: &random)
        return (0..<count).map { _ in make(&self) }
    }

    mutating func enumeration<T: CaseIterable>(_: T.Type = T.self) -> T { pick(Array(T.allCases)) }

    mutating func exchange() -> ExchangeID {
        let characters = Array("abcdefghijklmnopqrstuvwxyz0123456789_-")
        let length = chance(0.1) ? 32 : Int.random(in: 1...12, using: &random)
        return ExchangeID(String((0..<length).map { _ in pick(characters) }))!
    }

    mutating func market() -> MarketKey {
        MarketKey(exchange: exchange(), type: enumeration(), symbol: nonEmptyString())
    }

    /// Two values in order, for ranges the protocol requires to be ordered.
    mutating func ordered<T: Comparable>(_ make: (inout MessageGenerator) -> T) -> (T, T) {
        let a = make(&self)
        let b = make(&self)
        return a <= b ? (a, b) : (b, a)
    }

    mutating func sequence() -> UInt64 {
        chance(0.1) ? pick([1, .max]) : UInt64.random(in: 1 ... .max, using: &random)
    }

    // MARK: - Messages

    mutating func level() -> BookLevel { BookLevel(price: decimal(), quantity: decimal()) }

    /// A random valid message of `type`. The switch is exhaustive, so a new type does not compile without one.
    mutating func message(_ type: MessageType) -> Message {
        fill = pick(Fill.allCases)
        switch type {
        case .hello:
            let (minimum, version) = ordered { $0.integer(UInt16.self) }
            return .hello(
                Hello(
                    minimumVersion: minimum, version: version, role: enumeration(), name: string(), pid: integer(),
                    buildID: string(), maxFrameBytes: integer()))
        case .versionMismatch:
            return .versionMismatch(VersionMismatch(minimumVersion: integer(), version: integer(), message: string()))
        case .goodbye:
            return .goodbye(Goodbye(reason: enumeration(), message: string()))
        case .heartbeat:
            return .heartbeat(Heartbeat(nonce: integer(), sentAt: timestamp()))
        case .heartbeatReply:
            return .heartbeatReply(Heartbeat(nonce: integer(), sentAt: timestamp()))
        case .streamResume:
            let (first, next) = ordered { $0.sequence() }
            return .streamResume(StreamResume(stream: string(), epoch: integer(), firstHeld: first, nextSequence: next))
        case .streamResumed:
            return .streamResumed(StreamResumed(epoch: integer(), deliveredThrough: integer()))
        case .ack:
            return .ack(Ack(deliveredThrough: integer()))
        case .framesDropped:
            let (first, last) = ordered { $0.sequence() }
            return .framesDropped(FramesDropped(first: first, last: last, reason: enumeration()))
        case .ticker:
            var ticker = Ticker(market: market(), time: timestamp(), receivedAt: timestamp(), origin: enumeration())
            ticker.last = optional { $0.decimal() }
            ticker.lastQuantity = optional { $0.decimal() }
            ticker.bid = optional { $0.decimal() }
            ticker.bidQuantity = optional { $0.decimal() }
            ticker.ask = optional { $0.decimal() }
            ticker.askQuantity = optional { $0.decimal() }
            ticker.open = optional { $0.decimal() }
            ticker.high = optional { $0.decimal() }
            ticker.low = optional { $0.decimal() }
            ticker.volume = optional { $0.decimal() }
            ticker.quoteVolume = optional { $0.decimal() }
            ticker.changePercent = optional { $0.decimal() }
            return .ticker(ticker)
        case .trades:
            let market = market()
            // Mostly exchange-sized batches; now and then a large one (kept rare: debug builds are slow).
            let count = chance(0.5) ? 1 : Int.random(in: 2...(chance(0.01) ? 1_000 : 20), using: &random)
            return .trades(
                (0..<count).map { _ in
                    Trade(
                        market: market, id: string(), price: decimal(), quantity: decimal(), side: enumeration(),
                        time: timestamp(), receivedAt: timestamp(), origin: enumeration())
                })
        case .candle:
            return .candle(
                Candle(
                    market: market(), interval: enumeration(), openTime: timestamp(), open: decimal(), high: decimal(),
                    low: decimal(), close: decimal(), volume: decimal(), quoteVolume: optional { $0.decimal() },
                    tradeCount: optional { $0.integer() }, isClosed: bool(), receivedAt: timestamp(),
                    origin: enumeration()))
        case .bookSnapshot:
            let depth = chance(0.01) ? 1_000 : 20
            return .bookSnapshot(
                BookSnapshot(
                    market: market(), updateID: integer(), sequence: optional { $0.integer() },
                    time: optional { $0.timestamp() }, receivedAt: timestamp(), bids: array(upTo: depth) { $0.level() },
                    asks: array(upTo: depth) { $0.level() }, origin: enumeration()))
        case .bookDelta:
            let (first, last) = ordered { $0.integer(UInt64.self) }
            return .bookDelta(
                BookDelta(
                    market: market(), firstUpdateID: first, lastUpdateID: last,
                    previousUpdateID: optional { $0.integer() }, sequence: optional { $0.integer() },
                    time: optional { $0.timestamp() }, receivedAt: timestamp(), bids: array(upTo: 20) { $0.level() },
                    asks: array(upTo: 20) { $0.level() }, origin: enumeration()))
        case .instruments:
            let exchange = exchange()
            // One to a few dozen; now and then a whole exchange's list.
            let count = Int.random(in: 1...(chance(0.01) ? 2_000 : 30), using: &random)
            return .instruments(
                InstrumentList(exchange: exchange, instruments: (0..<count).map { _ in instrument(on: exchange) }))
        case .streamGap:
            let state: StreamGap.State = enumeration()
            let (openedAt, closedAt) = ordered { $0.timestamp() }
            return .streamGap(
                StreamGap(
                    market: market(), channel: string(), state: state, openedAt: openedAt,
                    closedAt: state == .closed ? closedAt : nil, recovered: integer(), reason: string()))
        case .sourceStatus:
            let exchange = exchange()
            return .sourceStatus(
                SourceStatus(
                    exchange: exchange,
                    market: optional {
                        MarketKey(exchange: exchange, type: $0.enumeration(), symbol: $0.nonEmptyString())
                    },
                    state: enumeration(), reason: string(), time: timestamp()))
        case .marketBatch:
            // Mostly a few events, now and then a long run; any kinds, any markets.
            let count = Int.random(in: 1...(chance(0.02) ? 300 : 8), using: &random)
            let kinds = MessageType.allCases.filter(\.isMarketEvent)
            return .marketBatch(
                (0..<count).map { _ in
                    guard let event = message(pick(kinds)).marketEvent else { preconditionFailure("not an event") }
                    return event
                })
        case .jobRequest:
            var from = optional { $0.timestamp() }
            var to = optional { $0.timestamp() }
            if let start = from, let end = to, start > end { (from, to) = (end, start) }
            return .jobRequest(
                JobRequest(
                    id: integer(), kind: enumeration(), market: market(), interval: optional { $0.enumeration() },
                    from: from, to: to, priority: integer()))
        case .jobProgress:
            return .jobProgress(JobProgress(id: integer(), completed: integer(), total: integer(), note: string()))
        case .jobResult:
            return .jobResult(JobResult(id: integer(), outcome: enumeration(), items: integer(), message: string()))
        case .jobCancel:
            return .jobCancel(JobCancel(id: integer()))
        case .capacityReport:
            return .capacityReport(
                CapacityReportMessage(
                    exchange: exchange(), time: timestamp(),
                    budgets: array(upTo: 8) { generator in
                        CapacityReportMessage.Budget(
                            name: generator.string(), used: generator.integer(), limit: generator.integer(),
                            budget: generator.integer(), windowStart: generator.timestamp(),
                            resetAt: generator.timestamp(), blockedUntil: generator.optional { $0.timestamp() })
                    }))
        case .configure:
            return .configure(Configure(generation: integer(), path: string(), text: text()))
        case .configureResult:
            return .configureResult(
                ConfigureResult(generation: integer(), accepted: bool(), restartRequired: bool(), message: string()))
        case .ready:
            return .ready(Ready(generation: integer()))
        case .shutdown:
            return .shutdown(Shutdown(graceMilliseconds: integer()))
        case .statusRequest:
            return .statusRequest
        case .statusReply:
            return .statusReply(
                ProcessStatus(
                    name: string(), role: enumeration(), pid: integer(), startedAt: timestamp(), ready: bool(),
                    configGeneration: integer(), details: array(upTo: 12) { .init($0.string(), $0.string()) }))
        case .metricsRequest:
            return .metricsRequest
        case .metricsReply:
            return .metricsReply(MetricsReply(exposition: text()))
        case .controlRequest:
            return .controlRequest(
                ControlRequest(requestID: integer(), command: enumeration(), target: string(), argument: text()))
        case .controlReply:
            return .controlReply(
                ControlReply(
                    requestID: integer(), result: enumeration(), message: text(), serverTime: timestamp(),
                    children: array(upTo: 8) { $0.child() }))
        }
    }

    mutating func instrument(on exchange: ExchangeID) -> Instrument {
        Instrument(
            market: MarketKey(exchange: exchange, type: enumeration(), symbol: nonEmptyString()), base: string(),
            quote: string(), status: enumeration(), tickSize: decimal(), lotSize: decimal(),
            minQuantity: optional { $0.decimal() }, minNotional: optional { $0.decimal() })
    }

    mutating func child() -> ChildStatus {
        ChildStatus(
            name: string(), role: enumeration(), state: enumeration(), pid: integer(),
            startedAt: optional { $0.timestamp() },
            restarts: integer(),
            lastExit: optional { ChildStatus.Exit(kind: $0.enumeration(), code: $0.integer(), at: $0.timestamp()) },
            nextRestartAt: optional { $0.timestamp() }, message: string())
    }
}
