import CryptodModel

/// A protocol rule that a message breaks: which field and what rule (never the payload's contents), plus
/// the offending values for `WireError.debugDescription`.
struct Violation: Sendable {
    var detail: String
    var debugDetail: String = ""
}

extension Message {
    /// Checks the rules the decoder enforces beyond the primitive encoding: non-empty symbols, one-market
    /// trade batches, ordered update-id and time ranges, string lengths that fit their length prefix.
    ///
    /// Encoding a message that breaks one is a programming error (``encodePayload(into:)`` traps): a frame the
    /// peer rejects would close the link, and on a reliable stream it would be replayed after every
    /// reconnect, wedging the stream for good. Code that builds messages from untrusted input (exchange
    /// adapters, the control socket) calls this first and drops or reports what fails.
    /// - Throws: ``WireError`` with code `invalidValue`, naming the type and the field.
    public func validate() throws(WireError) {
        if let violation {
            throw WireError(
                .invalidValue, rawType: type.rawValue, detail: violation.detail, debugDetail: violation.debugDetail)
        }
    }

    /// The first rule this message breaks, or `nil`. The decoders call the same per-type rules.
    var violation: Violation? {
        switch self {
        case .hello(let value): value.violation
        case .versionMismatch(let value): Rules.string(value.message, "message")
        case .goodbye(let value): Rules.string(value.message, "message")
        case .heartbeat, .heartbeatReply, .streamResumed, .ack, .jobCancel, .ready, .shutdown: nil
        case .statusRequest, .metricsRequest: nil
        case .streamResume(let value): value.violation
        case .framesDropped(let value): value.violation
        case .ticker(let value): MarketDataCodec.violation(of: value)
        case .trades(let value): MarketDataCodec.violation(of: value)
        case .candle(let value): MarketDataCodec.violation(of: value)
        case .bookSnapshot(let value): MarketDataCodec.violation(of: value)
        case .bookDelta(let value): MarketDataCodec.violation(of: value)
        case .instruments(let value): SourceEventCodec.violation(of: value)
        case .streamGap(let value): SourceEventCodec.violation(of: value)
        case .sourceStatus(let value): SourceEventCodec.violation(of: value)
        case .marketBatch(let value): MarketBatch.violation(of: value)
        case .jobRequest(let value): value.violation
        case .jobProgress(let value): Rules.string(value.note, "note")
        case .jobResult(let value): Rules.string(value.message, "message")
        case .capacityReport(let value): value.violation
        case .configure(let value): Rules.string(value.path, "path") ?? Rules.text(value.text, "text")
        case .configureResult(let value): Rules.string(value.message, "message")
        case .statusReply(let value): value.violation
        case .metricsReply(let value): Rules.text(value.exposition, "exposition")
        case .controlRequest(let value): value.violation
        case .controlReply(let value): value.violation
        }
    }
}

/// Field rules shared by several messages.
enum Rules {
    /// A `string` field's UTF-8 must fit its `u16` length prefix.
    static func string(_ value: String, _ field: StaticString) -> Violation? {
        value.utf8.count <= Int(UInt16.max) ? nil : Violation(detail: "field \(field): string over 65535 bytes")
    }

    /// A `text` field's UTF-8 must fit its `u32` length prefix.
    static func text(_ value: String, _ field: StaticString) -> Violation? {
        value.utf8.count <= Int(UInt32.max) ? nil : Violation(detail: "field \(field): text over 4 GiB")
    }

    /// An array's count must fit its `u32` prefix.
    static func count(_ count: Int, _ field: StaticString) -> Violation? {
        count <= Int(UInt32.max) ? nil : Violation(detail: "field \(field): more than 2^32-1 elements")
    }

    /// A market key needs a non-empty symbol that fits a `string` (the exchange id is valid by construction).
    static func market(_ market: MarketKey, _ field: StaticString) -> Violation? {
        if market.symbol.isEmpty { return Violation(detail: "field \(field): empty symbol") }
        return string(market.symbol, field)
    }

    /// A market inside a message about one exchange must be on that exchange.
    static func market(_ market: MarketKey, on exchange: ExchangeID, _ field: StaticString) -> Violation? {
        guard market.exchange == exchange else {
            return Violation(detail: "field \(field): market on another exchange than the message's")
        }
        return self.market(market, field)
    }
}
