import CryptodModel

/// Reads Binance WebSocket frames: combined-stream envelopes (`{"stream":…,"data":…}`), raw events,
/// control acks (`{"result":null,"id":1}`) and errors (`{"error":{"code":2,"msg":…},"id":1}`, or the older
/// bare `{"code":2,"msg":…}`).
///
/// One pass over the bytes with ``JSONCursor``: `stream` precedes `data` and `e` comes first in every
/// payload Binance sends, so each member is decoded straight into the event it belongs to. Should a payload
/// ever put `e` later, the members before it are skipped and the object is read a second time (the cursor
/// is a value; copying it is the rewind).
enum BinanceStreamParser {
    /// Frames above 1 MiB are refused before parsing (`.oversize`): Binance's largest, a 24 h ticker
    /// array, is far smaller, so such a frame is a fault, not data.
    static let maxFrameBytes = 1 << 20

    static func parse(
        _ bytes: UnsafeRawBufferPointer, receivedAt: Timestamp, into events: inout [StreamEvent]
    )
        throws(ExchangeParseError)
    {
        guard bytes.count <= maxFrameBytes else {
            throw ExchangeParseError(.oversize, "frame of \(bytes.count) bytes (limit \(maxFrameBytes))")
        }
        var c = JSONCursor(bytes)
        switch try c.peek() {
        case .object: break
        case .array:
            // A raw `!miniTicker@arr` frame.
            try c.array { (c) throws(ExchangeParseError) in
                try BinanceEventReader.read(&c, hint: nil, receivedAt: receivedAt, into: &events)
            }
            try c.finish()
            return
        case let other: throw ExchangeParseError(.unknownMessage, "top-level \(other), expected an object")
        }
        let start = c
        var envelope = Envelope()
        var raw = BinanceEventReader(hint: nil)
        try envelope.read(&c, raw: &raw, receivedAt: receivedAt, into: &events)
        try c.finish()

        if let error = envelope.error {
            events.append(.rejected(id: envelope.id, message: error))
            return
        }
        if envelope.sawData { return }
        if envelope.sawResult {
            events.append(.subscribed(id: envelope.id))
            return
        }
        if raw.needsSecondPass, raw.resolvedKind != nil {
            // Rare: the raw event named its type after other members. Read it again knowing the type.
            var again = start
            var second = BinanceEventReader(preset: raw.resolvedKind)
            var ignored = Envelope()
            try ignored.read(&again, raw: &second, receivedAt: receivedAt, into: &events)
            raw = second
        }
        guard raw.isEvent else {
            if let type = raw.unknownType { throw ExchangeParseError(.unknownMessage, "event type \"\(type)\"") }
            throw ExchangeParseError(.unknownMessage, "object with no event, result or error")
        }
        try raw.emit(receivedAt: receivedAt, into: &events)
    }

    /// The members around an event: stream name, payload, request id, result and error.
    struct Envelope {
        var stream: UnsafeRawBufferPointer?
        var sawData = false
        var sawResult = false
        var id: String?
        var error: String?
        var legacyCode: Int64?
        var legacyMessage: String?

        mutating func read(
            _ c: inout JSONCursor, raw: inout BinanceEventReader, receivedAt: Timestamp,
            into events: inout [StreamEvent]
        ) throws(ExchangeParseError) {
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "stream": stream = try c.rawString(field: "stream")
                case "data":
                    sawData = true
                    let hint = stream.map(BinanceEventReader.Hint.init(streamName:))
                    if try c.peek() == .array {
                        try c.array { (c) throws(ExchangeParseError) in
                            try BinanceEventReader.read(&c, hint: hint, receivedAt: receivedAt, into: &events)
                        }
                    } else {
                        try BinanceEventReader.read(&c, hint: hint, receivedAt: receivedAt, into: &events)
                    }
                case "result":
                    sawResult = true
                    try c.skip()
                case "id": id = try Self.requestID(&c)
                case "error": error = try Self.errorText(&c)
                default: try raw.member(key, &c)
                }
            }
            // `{"code":2,"msg":"Invalid request: …"}` (the form binance.md §4.4 quotes) reads as raw members.
            if error == nil, let code = raw.controlCode { error = "code \(code): \(raw.controlMessage ?? "")" }
        }

        /// `"id"`: an integer, a string or null.
        static func requestID(_ c: inout JSONCursor) throws(ExchangeParseError) -> String? {
            switch try c.peek() {
            case .null:
                _ = c.null()
                return nil
            case .string: return try c.string(field: "id")
            default: return String(try c.int64(field: "id"))
            }
        }

        /// `"error":{"code":2,"msg":"Invalid request: …"}` as `code 2: Invalid request: …`.
        static func errorText(_ c: inout JSONCursor) throws(ExchangeParseError) -> String {
            if try c.peek() == .string { return try c.string(field: "error") }
            var code: Int64?
            var message = ""
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "code": code = try c.int64(field: "code")
                case "msg": message = try c.string(field: "msg")
                default: try c.skip()
                }
            }
            return code.map { "code \($0): \(message)" } ?? message
        }
    }
}
