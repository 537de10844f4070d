import CryptodModel
import NIOCore

// Job payloads (0x02xx, sequenced): scheduler → ingestor requests, ingestor → scheduler progress, results
// and capacity reports. Bump WireProtocol.version when any encoding here changes.

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

/// An ingestor's request budgets at the exchange (rate-limit windows), so the scheduler can plan jobs
/// within them. Sent when a budget changes noticeably and at a steady interval. (`CapacityReportMessage`, not
/// `CapacityReport`: the scheduler and the rate limiter have their own types of that name.)
public struct CapacityReportMessage: Sendable, Hashable {
    /// One rate-limit window.
    public struct Budget: Sendable, Hashable {
        /// The limit's name as the ingestor knows it: `rest.weight`, `rest.orders`, `ws.connections`.
        public var name: String
        /// Units used in the current window.
        public var used: UInt64
        /// The exchange's limit for the window.
        public var limit: UInt64
        /// The part of ``limit`` cryptod allows itself (a safety margin below the exchange's limit).
        public var budget: UInt64
        public var windowStart: Timestamp
        /// When the window's count starts over.
        public var resetAt: Timestamp
        /// Until when the exchange refuses requests (after a 429 or a ban), if it does.
        public var blockedUntil: Timestamp?

        public init(
            name: String, used: UInt64, limit: UInt64, budget: UInt64, windowStart: Timestamp, resetAt: Timestamp,
            blockedUntil: Timestamp? = nil
        ) {
            self.name = name
            self.used = used
            self.limit = limit
            self.budget = budget
            self.windowStart = windowStart
            self.resetAt = resetAt
            self.blockedUntil = blockedUntil
        }
    }

    public var exchange: ExchangeID
    /// When the figures were taken.
    public var time: Timestamp
    public var budgets: [Budget]

    public init(exchange: ExchangeID, time: Timestamp, budgets: [Budget]) {
        self.exchange = exchange
        self.time = time
        self.budgets = budgets
    }

    /// Encoded size of a budget with an empty name and no `blockedUntil`.
    static let budgetMinimumSize = 2 + 8 + 8 + 8 + 8 + 8 + 1

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWriteString(exchange.rawValue)
        buffer.wireWrite(time)
        buffer.wireWriteArray(budgets) { buffer, budget in
            buffer.wireWriteString(budget.name)
            buffer.wireWrite(budget.used)
            buffer.wireWrite(budget.limit)
            buffer.wireWrite(budget.budget)
            buffer.wireWrite(budget.windowStart)
            buffer.wireWrite(budget.resetAt)
            buffer.wireWriteOptional(budget.blockedUntil) { $0.wireWrite($1) }
        }
    }

    init(from reader: inout WireReader) throws {
        exchange = try reader.exchange("exchange")
        time = try reader.timestamp("time")
        budgets = try reader.array("budgets", minimumElementSize: Self.budgetMinimumSize) { reader in
            Budget(
                name: try reader.string("budget.name"), used: try reader.u64("budget.used"),
                limit: try reader.u64("budget.limit"), budget: try reader.u64("budget.budget"),
                windowStart: try reader.timestamp("budget.windowStart"),
                resetAt: try reader.timestamp("budget.resetAt"),
                blockedUntil: try reader.optional("budget.blockedUntil") { try $0.timestamp("budget.blockedUntil") })
        }
        try reader.check(violation)
    }

    var violation: Violation? {
        if let violation = Rules.count(budgets.count, "budgets") { return violation }
        for budget in budgets {
            if let violation = Rules.string(budget.name, "budget.name") { return violation }
        }
        return nil
    }
}
