import CryptodModel

/// One Binance stream payload, decoded member by member into the fields its event type uses.
///
/// The type comes from `e` (first in every payload Binance sends) or, for the payloads without one
/// (`@bookTicker`, `@depth<N>`), from the stream name or the members seen. Fields stay raw where that is
/// free (the symbol is a byte range until the event is built).
struct BinanceEventReader {
    enum Kind: Sendable, Hashable {
        case depthUpdate, trade, aggTrade, kline, ticker, miniTicker, bookTicker, partialDepth, serverShutdown
    }

    /// What the combined stream's name tells before the payload is read.
    struct Hint {
        var kind: Kind?
        /// The stream name's symbol (`btcusdt` in `btcusdt@depth5@100ms`), lower case.
        var symbol: UnsafeRawBufferPointer

        init(streamName: UnsafeRawBufferPointer) {
            var at = 0
            while at < streamName.count, streamName[at] != UInt8(ascii: "@") { at += 1 }
            symbol = UnsafeRawBufferPointer(rebasing: streamName[0..<at])
            kind = nil
            guard at + 1 < streamName.count else { return }
            let rest = UnsafeRawBufferPointer(rebasing: streamName[(at + 1)...])
            if JSONKey(rest) == "bookTicker" {
                kind = .bookTicker
            } else if rest.count >= 6, rest[0] == UInt8(ascii: "d"), rest[5] != UInt8(ascii: "@"),
                JSONKey(UnsafeRawBufferPointer(rebasing: rest[0..<5])) == "depth"
            {
                kind = .partialDepth  // depth5, depth10@100ms; not depth or depth@100ms (diffs carry `e`)
            }
        }
    }

    // MARK: - State

    var kind: Kind?
    /// The payload named its type after other members: read it again with ``resolvedKind``.
    var needsSecondPass = false
    var unknownType: String?
    var hintSymbol: UnsafeRawBufferPointer?
    private var sawKeys: UInt8 = 0
    private static let sawLastUpdateID: UInt8 = 1
    private static let sawU: UInt8 = 2
    private static let sawB: UInt8 = 4
    private static let sawA: UInt8 = 8

    /// `{"code":2,"msg":…}` members when this is a bare control error rather than an event.
    var controlCode: Int64?
    var controlMessage: String?

    // Fields (each event type uses some; single letters are Binance's names).
    var symbol: UnsafeRawBufferPointer?
    var eventTime: Timestamp?
    var firstUpdateID: UInt64?
    var lastUpdateID: UInt64?
    var bids: [BookLevel] = []
    var asks: [BookLevel] = []
    var sawBids = false
    var sawAsks = false
    var tradeID: UInt64?
    var price: ExactDecimal?
    var quantity: ExactDecimal?
    var tradeTime: Timestamp?
    var buyerIsMaker: Bool?
    var last: ExactDecimal?
    var lastQuantity: ExactDecimal?
    var bid: ExactDecimal?
    var bidQuantity: ExactDecimal?
    var ask: ExactDecimal?
    var askQuantity: ExactDecimal?
    var open: ExactDecimal?
    var high: ExactDecimal?
    var low: ExactDecimal?
    var volume: ExactDecimal?
    var quoteVolume: ExactDecimal?
    var changePercent: ExactDecimal?
    var candle: KlineFields?

    /// The `k` object of a kline event.
    struct KlineFields {
        var openTime: Timestamp?
        var symbol: UnsafeRawBufferPointer?
        var interval: CandleInterval?
        var open: ExactDecimal?
        var high: ExactDecimal?
        var low: ExactDecimal?
        var close: ExactDecimal?
        var volume: ExactDecimal?
        var quoteVolume: ExactDecimal?
        var tradeCount: Int64?
        var isClosed: Bool?
    }

    init(hint: Hint?) {
        kind = hint?.kind
        hintSymbol = hint?.symbol
    }

    init(preset kind: Kind?) { self.kind = kind }

    /// The kind for a second pass: the `e` seen late, or the one the members imply.
    var resolvedKind: Kind? {
        if let kind { return kind }
        if sawKeys & Self.sawLastUpdateID != 0 { return .partialDepth }
        if sawKeys & (Self.sawU | Self.sawB | Self.sawA) == Self.sawU | Self.sawB | Self.sawA { return .bookTicker }
        return nil
    }

    /// Whether this object was a market event (or the shutdown notice) rather than an envelope or ack.
    var isEvent: Bool { kind != nil }

    // MARK: - Reading

    /// Reads one payload object and appends its event.
    @inline(__always)
    static func read(
        _ c: inout JSONCursor, hint: Hint?, receivedAt: Timestamp, into events: inout [StreamEvent]
    )
        throws(ExchangeParseError)
    {
        let start = c
        var reader = BinanceEventReader(hint: hint)
        try c.object { (key, c) throws(ExchangeParseError) in try reader.member(key, &c) }
        if reader.needsSecondPass || reader.kind == nil {
            guard let kind = reader.resolvedKind else {
                if let type = reader.unknownType { throw ExchangeParseError(.unknownMessage, "event type \"\(type)\"") }
                throw ExchangeParseError(.unknownMessage, "payload without an event type")
            }
            var again = start
            let symbol = reader.hintSymbol
            reader = BinanceEventReader(preset: kind)
            reader.hintSymbol = symbol
            try again.object { (key, c) throws(ExchangeParseError) in try reader.member(key, &c) }
        }
        try reader.emit(receivedAt: receivedAt, into: &events)
    }

    /// Decodes one member into the field it stands for under the current event type.
    @inline(__always)
    mutating func member(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        if key == "e" { return try eventType(&c) }
        guard let kind else {
            // Before the type is known: remember what the member implies, read it on the second pass.
            switch key {
            case "lastUpdateId": sawKeys |= Self.sawLastUpdateID
            case "u": sawKeys |= Self.sawU
            case "b": sawKeys |= Self.sawB
            case "a": sawKeys |= Self.sawA
            case "code" where try c.peek() == .number:
                controlCode = try c.int64(field: "code")
                return
            case "msg" where try c.peek() == .string:
                controlMessage = try c.string(field: "msg")
                return
            default: break
            }
            needsSecondPass = true
            return try c.skip()
        }
        switch kind {
        case .depthUpdate: try depthMember(key, &c)
        case .trade, .aggTrade: try tradeMember(key, &c)
        case .ticker, .miniTicker: try tickerMember(key, &c)
        case .kline: try klineMember(key, &c)
        case .bookTicker: try bookTickerMember(key, &c)
        case .partialDepth: try partialDepthMember(key, &c)
        case .serverShutdown:
            if key == "E" { eventTime = try BinanceRead.milliseconds(&c, field: "E") } else { try c.skip() }
        }
    }

    @inline(__always)
    mutating func eventType(_ c: inout JSONCursor) throws(ExchangeParseError) {
        let raw = JSONKey(try c.rawString(field: "e"))
        let named: Kind?
        if raw == "depthUpdate" {
            named = .depthUpdate
        } else if raw == "trade" {
            named = .trade
        } else if raw == "24hrTicker" {
            named = .ticker
        } else if raw == "kline" {
            named = .kline
        } else if raw == "aggTrade" {
            named = .aggTrade
        } else if raw == "24hrMiniTicker" {
            named = .miniTicker
        } else if raw == "serverShutdown" {
            named = .serverShutdown
        } else {
            named = nil
        }
        guard let named else {
            unknownType = String(raw.string.prefix(40))
            throw ExchangeParseError(.unknownMessage, "event type \"\(unknownType ?? "")\"")
        }
        if kind != named {
            // Members read so far (if any) were read as another type: start over knowing this one.
            if kind != nil || needsSecondPass { needsSecondPass = true }
            kind = named
        }
    }

    // MARK: - Members per event type

    /// `depthUpdate`: `E`, `s`, `U`, `u`, `b`, `a`.
    @inline(__always)
    mutating func depthMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "E": eventTime = try BinanceRead.milliseconds(&c, field: "E")
        case "s": symbol = try c.rawString(field: "s")
        case "U": firstUpdateID = try c.uint64(field: "U")
        case "u": lastUpdateID = try c.uint64(field: "u")
        case "b":
            sawBids = true
            try BinanceRead.levels(&c, field: "b", into: &bids)
        case "a":
            sawAsks = true
            try BinanceRead.levels(&c, field: "a", into: &asks)
        default: try c.skip()
        }
    }

    /// `trade` (`t` id) and `aggTrade` (`a` id): `E`, `s`, `p`, `q`, `T`, `m`.
    @inline(__always)
    mutating func tradeMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "E": eventTime = try BinanceRead.milliseconds(&c, field: "E")
        case "s": symbol = try c.rawString(field: "s")
        case "t" where kind == .trade: tradeID = try c.uint64(field: "t")
        case "a" where kind == .aggTrade: tradeID = try c.uint64(field: "a")
        case "p": price = try c.positiveDecimal(field: "p")
        case "q": quantity = try c.nonNegativeDecimal(field: "q")
        case "T": tradeTime = try BinanceRead.milliseconds(&c, field: "T")
        case "m": buyerIsMaker = try c.bool(field: "m")
        default: try c.skip()
        }
    }

    /// `24hrTicker` and `24hrMiniTicker`: `E`, `s`, `c`, `Q`, `b`, `B`, `a`, `A`, `o`, `h`, `l`, `v`, `q`, `P`.
    @inline(__always)
    mutating func tickerMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "E": eventTime = try BinanceRead.milliseconds(&c, field: "E")
        case "s": symbol = try c.rawString(field: "s")
        case "c": last = try c.nonNegativeDecimal(field: "c")
        case "Q": lastQuantity = try c.nonNegativeDecimal(field: "Q")
        case "b": bid = try c.nonNegativeDecimal(field: "b")
        case "B": bidQuantity = try c.nonNegativeDecimal(field: "B")
        case "a": ask = try c.nonNegativeDecimal(field: "a")
        case "A": askQuantity = try c.nonNegativeDecimal(field: "A")
        case "o": open = try c.nonNegativeDecimal(field: "o")
        case "h": high = try c.nonNegativeDecimal(field: "h")
        case "l": low = try c.nonNegativeDecimal(field: "l")
        case "v": volume = try c.nonNegativeDecimal(field: "v")
        case "q": quoteVolume = try c.nonNegativeDecimal(field: "q")
        case "P": changePercent = try c.decimal(field: "P")
        default: try c.skip()
        }
    }

    /// `kline`: `E`, `s`, `k{t,s,i,o,c,h,l,v,n,x,q}`.
    mutating func klineMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "E": eventTime = try BinanceRead.milliseconds(&c, field: "E")
        case "s": symbol = try c.rawString(field: "s")
        case "k":
            var k = KlineFields()
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "t": k.openTime = try TimeUnits.candleOpenTime(try BinanceRead.milliseconds(&c, field: "k.t"))
                case "s": k.symbol = try c.rawString(field: "k.s")
                case "i":
                    let name = try c.string(field: "k.i")
                    guard let interval = TimeframeNotation.interval(named: name) else {
                        throw ExchangeParseError(.invalidValue, "\"k.i\": unknown interval \"\(name.prefix(8))\"")
                    }
                    k.interval = interval
                case "o": k.open = try c.positiveDecimal(field: "k.o")
                case "c": k.close = try c.positiveDecimal(field: "k.c")
                case "h": k.high = try c.positiveDecimal(field: "k.h")
                case "l": k.low = try c.positiveDecimal(field: "k.l")
                case "v": k.volume = try c.nonNegativeDecimal(field: "k.v")
                case "q": k.quoteVolume = try c.nonNegativeDecimal(field: "k.q")
                case "n": k.tradeCount = try c.int64(field: "k.n")
                case "x": k.isClosed = try c.bool(field: "k.x")
                default: try c.skip()
                }
            }
            candle = k
        default: try c.skip()
        }
    }

    /// `@bookTicker` (no `e`, no `E`): `u`, `s`, `b`, `B`, `a`, `A`.
    mutating func bookTickerMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "u": lastUpdateID = try c.uint64(field: "u")
        case "s": symbol = try c.rawString(field: "s")
        case "b": bid = try c.positiveDecimal(field: "b")
        case "B": bidQuantity = try c.nonNegativeDecimal(field: "B")
        case "a": ask = try c.positiveDecimal(field: "a")
        case "A": askQuantity = try c.nonNegativeDecimal(field: "A")
        default: try c.skip()
        }
    }

    /// `@depth<N>` (no `e`, no symbol): `lastUpdateId`, `bids`, `asks`.
    mutating func partialDepthMember(_ key: JSONKey, _ c: inout JSONCursor) throws(ExchangeParseError) {
        switch key {
        case "lastUpdateId": lastUpdateID = try c.uint64(field: "lastUpdateId")
        case "bids":
            sawBids = true
            try BinanceRead.levels(&c, field: "bids", into: &bids)
        case "asks":
            sawAsks = true
            try BinanceRead.levels(&c, field: "asks", into: &asks)
        default: try c.skip()
        }
    }
}
