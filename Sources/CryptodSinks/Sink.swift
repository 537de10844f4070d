import CryptodModel
import CryptodOps

/// One market event of a stream, with its delivery position.
package struct SinkItem: Sendable {
    package var sequence: UInt64
    package var event: MarketEvent

    package init(sequence: UInt64, event: MarketEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// Events of one upstream stream (`ingestor-binance>writer`), in increasing sequence order.
package struct SinkBatch: Sendable {
    package var stream: String
    package var epoch: UInt64
    package var items: [SinkItem]

    package init(stream: String, epoch: UInt64, items: [SinkItem]) {
        self.stream = stream
        self.epoch = epoch
        self.items = items
    }

    /// The position this batch reaches once written.
    package var lastPosition: SinkPosition? {
        items.last.map { SinkPosition(epoch: epoch, sequence: $0.sequence) }
    }
}

/// How far a sink holds a stream: every item through `sequence` of `epoch`.
package struct SinkPosition: Sendable, Hashable, CustomStringConvertible {
    package var epoch: UInt64
    package var sequence: UInt64

    package init(epoch: UInt64, sequence: UInt64) {
        self.epoch = epoch
        self.sequence = sequence
    }

    package var description: String { "epoch \(epoch) seq \(sequence)" }
}

/// A place the writer stores market data: PostgreSQL, Redis, RabbitMQ, JSONL files.
///
/// A sink owns its connection and runs every blocking call (libpq, hiredis, rabbitmq-c, `fsync`) on a
/// thread of its own, never on a NIO event loop or the cooperative pool.
package protocol Sink: Sendable {
    /// `postgres`, `redis`, `rabbitmq`, `jsonl`: the name in configuration, logs, metrics and status.
    var name: String { get }

    /// Whether the sink records its position per stream with its data (PostgreSQL in the same transaction
    /// as the rows, JSONL in each line). The writer acknowledges upstream only through the lowest position
    /// every such sink holds; a sink without positions (a cache) never holds back acknowledgements.
    var keepsPositions: Bool { get }

    /// Connects (and migrates, for PostgreSQL). Throws ``SinkError`` when the server cannot be reached;
    /// the writer retries and the sink's data is spooled meanwhile.
    func start() async throws

    /// The position recorded with the sink's data, or `nil` when it holds nothing of `stream`.
    func position(of stream: String) async throws -> SinkPosition?

    /// Writes the batch. Returns once it is durable (committed, confirmed, synced); throws ``SinkError``
    /// when it is not, and nothing of the batch counts as written then.
    func write(_ batch: SinkBatch) async throws

    /// Closes connections; called once at shutdown.
    func close() async

    /// `key: value` pairs for `cryptoctl status` (connection state, counts).
    func statusDetails() async -> [(String, String)]

    /// The sink's scaling worker pools, for `/api/v1/stream/workers` (default: none, one worker).
    func poolReports() -> [PoolReport]

    /// New bounds for the sink's pools of `kind` (a mode switch, an override); returns once they are applied.
    /// A sink without such a pool ignores it (the default).
    func setWorkerBounds(kind: WorkerKind, bounds: WorkerBounds) async
}

extension Sink {
    /// Most sinks write with one worker: PostgreSQL and JSONL keep positions that must follow the data in
    /// order, RabbitMQ confirms in order (docs/architecture.md, "Worker pools").
    package func poolReports() -> [PoolReport] { [] }

    package func setWorkerBounds(kind: WorkerKind, bounds: WorkerBounds) async {}
}

/// Why a sink could not take data. The message says what failed and what to do.
package struct SinkError: Error, Sendable, CustomStringConvertible {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        private let raw: String
        private init(_ raw: String) { self.raw = raw }
        /// The server is unreachable or the connection broke: retry later.
        package static let unavailable = Code("unavailable")
        /// The server refused the data itself (a constraint, a bad value): retrying will not help.
        package static let rejected = Code("rejected")
        /// Configuration or schema problem (bad URL, migration failed).
        package static let configuration = Code("configuration")
        package var description: String { raw }
    }

    package let code: Code
    package let sink: String
    package let message: String

    package init(_ code: Code, sink: String, _ message: String) {
        self.code = code
        self.sink = sink
        self.message = message
    }

    package var description: String { "\(sink) sink \(code): \(message)" }
}
