import CryptodModel
import NIOCore

// Job payloads (0x02xx, sequenced): scheduler → ingestor requests, ingestor → scheduler progress and
// results. Bump WireProtocol.version when any encoding here changes.

/// What a job asks an ingestor to do. Raw values are frozen.
public enum JobKind: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Fetch closed candles of `interval` for `from..<to` over REST.
    case backfillCandles = 1
    /// Fetch trades for `from..<to` (or from the last known id) over REST.
    case backfillTrades = 2
    /// Re-take the order-book snapshot of one market and re-join it with the live stream.
    case resyncBook = 3

    public var description: String {
        switch self {
        case .backfillCandles: "backfill_candles"
        case .backfillTrades: "backfill_trades"
        case .resyncBook: "resync_book"
        }
    }
}

/// A unit of work for the ingestor of `market.exchange`.
public struct JobRequest: Sendable, Hashable {
    public var id: UInt64
    public var kind: JobKind
    public var market: MarketKey
    public var interval: CandleInterval?
    public var from: Timestamp?
    public var to: Timestamp?
    /// Higher runs first when the exchange's request budget is short (resync > live > backfill).
    public var priority: UInt8

    public init(
        id: UInt64, kind: JobKind, market: MarketKey, interval: CandleInterval? = nil, from: Timestamp? = nil,
        to: Timestamp? = nil, priority: UInt8
    ) {
        self.id = id
        self.kind = kind
        self.market = market
        self.interval = interval
        self.from = from
        self.to = to
        self.priority = priority
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(id)
        buffer.wireWrite(kind.rawValue)
        buffer.wireWrite(market)
        buffer.wireWriteOptional(interval) { $0.wireWrite($1.rawValue) }
        buffer.wireWriteOptional(from) { $0.wireWrite($1) }
        buffer.wireWriteOptional(to) { $0.wireWrite($1) }
        buffer.wireWrite(priority)
    }

    init(from reader: inout WireReader) throws {
        id = try reader.u64("id")
        kind = try reader.enumeration("kind", as: JobKind.self)
        market = try reader.market("market")
        interval = try reader.optional("interval") { try $0.enumeration("interval", as: CandleInterval.self) }
        from = try reader.optional("from") { try $0.timestamp("from") }
        to = try reader.optional("to") { try $0.timestamp("to") }
        priority = try reader.u8("priority")
        try reader.check(violation)
    }

    var violation: Violation? {
        if let from, let to, from > to {
            return Violation(
                detail: "field from: after to", debugDetail: "from \(from.nanoseconds) ns, to \(to.nanoseconds) ns")
        }
        return Rules.market(market, "market")
    }
}

/// How far a job has come, in units the job defines (candles, trades, windows).
public struct JobProgress: Sendable, Hashable {
    public var id: UInt64
    public var completed: UInt64
    public var total: UInt64
    public var note: String

    public init(id: UInt64, completed: UInt64, total: UInt64, note: String = "") {
        self.id = id
        self.completed = completed
        self.total = total
        self.note = note
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(id)
        buffer.wireWrite(completed)
        buffer.wireWrite(total)
        buffer.wireWriteString(note)
    }

    init(from reader: inout WireReader) throws {
        id = try reader.u64("id")
        completed = try reader.u64("completed")
        total = try reader.u64("total")
        note = try reader.string("note")
    }
}

/// A job's end.
public struct JobResult: Sendable, Hashable {
    public enum Outcome: UInt8, Sendable, Hashable, CaseIterable {
        case succeeded = 1
        case failed = 2
        case cancelled = 3
    }

    public var id: UInt64
    public var outcome: Outcome
    /// Items produced (candles, trades).
    public var items: UInt64
    /// For failures: what went wrong and what to do about it.
    public var message: String

    public init(id: UInt64, outcome: Outcome, items: UInt64, message: String = "") {
        self.id = id
        self.outcome = outcome
        self.items = items
        self.message = message
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(id)
        buffer.wireWrite(outcome.rawValue)
        buffer.wireWrite(items)
        buffer.wireWriteString(message)
    }

    init(from reader: inout WireReader) throws {
        id = try reader.u64("id")
        outcome = try reader.enumeration("outcome", as: Outcome.self)
        items = try reader.u64("items")
        message = try reader.string("message")
    }
}

/// Asks the ingestor to stop a job; it answers with a ``JobResult`` (`cancelled`, or the real outcome if
/// the job had already ended).
public struct JobCancel: Sendable, Hashable {
    public var id: UInt64

    public init(id: UInt64) { self.id = id }

    func encode(into buffer: inout ByteBuffer) { buffer.wireWrite(id) }

    init(from reader: inout WireReader) throws { id = try reader.u64("id") }
}
