import CryptodModel
import Logging

/// A backfill job as the `backfill_jobs` table holds it.
package struct BackfillJobRecord: Sendable, Hashable {
    package enum State: String, Sendable, Hashable, CaseIterable {
        case queued
        case running
        case succeeded
        case failed
        case cancelled

        package var isFinished: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    package var id: Int64
    package var market: MarketKey
    package var interval: CandleInterval
    /// Epoch milliseconds, `[start, end)`.
    package var rangeStart: Int64
    package var rangeEnd: Int64
    /// `newest_first` or `oldest_first`.
    package var order: String
    package var state: State
    package var chunksTotal: Int
    package var chunksDone: Int
    package var candles: Int64
    /// Closed candles stored in the range when the job first planned.
    package var storedBefore: Int64 = 0
    package var message: String
    /// Epoch milliseconds.
    package var startedAt: Int64?
    package var finishedAt: Int64?
    package var createdAt: Int64

    package init(
        id: Int64 = 0, market: MarketKey, interval: CandleInterval, rangeStart: Int64, rangeEnd: Int64,
        order: String, state: State = .queued, chunksTotal: Int = 0, chunksDone: Int = 0, candles: Int64 = 0,
        message: String = "", startedAt: Int64? = nil, finishedAt: Int64? = nil, createdAt: Int64 = 0
    ) {
        self.id = id
        self.market = market
        self.interval = interval
        self.rangeStart = rangeStart
        self.rangeEnd = rangeEnd
        self.order = order
        self.state = state
        self.chunksTotal = chunksTotal
        self.chunksDone = chunksDone
        self.candles = candles
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.createdAt = createdAt
    }
}

/// The scheduler's view of history in PostgreSQL: which candles are stored, which ranges the exchange
/// answered empty (`candle_coverage`), and the backfill jobs (`backfill_jobs`).
///
/// Presence is read from `historical_data` itself rather than from a copy of it, so the ledger can never
/// claim a candle that is not stored (the writer's transaction that stores a candle is the one that makes
/// it present). The ledger rows record what the candles cannot say: that a range was asked for and had none.
/// Every call runs on the connection's own thread (libpq blocks).
package final class PostgresHistory: Sendable {
    private let connection: PostgresConnection
    private let logger: Logger

    /// - Throws: ``SinkError`` when `url` is not a libpq connection string (nothing connects yet).
    package init(url: String, logger: Logger) throws {
        connection = try PostgresConnection(url: url, applicationName: "cryptod-scheduler", logger: logger)
        self.logger = logger
    }

    /// Applies the schema migrations (the scheduler may start before the writer has).
    package func migrate() async throws -> [Int] {
        try await PostgresMigrator.migrate(connection: connection, logger: logger)
    }

    package func close() async { await connection.close() }

    /// Whether the last statement reached the server, for status.
    package var isConnected: Bool { connection.status.connected }

    static func millisecondsSQL(_ parameter: Int) -> String {
        "(timestamptz 'epoch' + $\(parameter)::bigint * interval '1 millisecond')"
    }

    private static func unexpected(_ message: String) -> PostgresFailure {
        PostgresFailure(sqlstate: nil, message: message, context: nil, connectionLost: false)
    }

    /// Runs `body` on the connection's thread; a libpq failure leaves as a ``SinkError`` saying what was done.
    @discardableResult
    func run<T: Sendable>(
        _ action: String, _ body: @escaping @Sendable (PostgresSession) throws -> T
    )
        async throws -> T
    {
        do {
            return try await connection.run(body)
        } catch let failure as PostgresFailure {
            throw failure.sinkError(sink: "scheduler history", action: action)
        }
    }

    static func epoch(_ column: String) -> String {
        "(extract(epoch FROM \(column)) * 1000)::bigint::text"
    }

    /// The pair's id, creating the exchange and pair rows when missing (as the writer does).
    static func pairID(_ session: PostgresSession, _ market: MarketKey) throws -> String {
        let exchange = try session.execute(PostgresStaging.upsertExchange, [market.exchange.rawValue])
        guard let exchangeID = exchange.scalar else { throw Self.unexpected("no exchange id returned") }
        let pair = try session.execute(
            PostgresStaging.upsertTradingPair, [exchangeID, market.type.description, market.symbol])
        guard let pairID = pair.scalar else { throw Self.unexpected("no trading pair id returned") }
        return pairID
    }

    /// Open times (epoch ms) of the closed candles stored in `[start, end)`, ascending.
    package func storedOpens(
        market: MarketKey, interval: CandleInterval, start: Int64, end: Int64
    ) async throws
        -> [Int64]
    {
        try await run("reading stored candles") { session in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(
                """
                SELECT \(Self.epoch("open_time")) FROM historical_data
                WHERE trading_pair_id = $1::bigint AND timeframe = $2 AND is_closed
                  AND open_time >= \(Self.millisecondsSQL(3)) AND open_time < \(Self.millisecondsSQL(4))
                ORDER BY open_time
                """, [pair, interval.description, String(start), String(end)])
            return rows.values.compactMap { $0.first.flatMap { $0.flatMap { Int64($0) } } }
        }
    }

    /// Ranges recorded empty that overlap `[start, end)`.
    package func emptyRanges(
        market: MarketKey, interval: CandleInterval, start: Int64, end: Int64
    ) async throws
        -> [(start: Int64, end: Int64)]
    {
        try await run("reading empty ranges") { session in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(
                """
                SELECT \(Self.epoch("range_start")), \(Self.epoch("range_end")) FROM candle_coverage
                WHERE trading_pair_id = $1::bigint AND timeframe = $2 AND state = 'empty'
                  AND range_end > \(Self.millisecondsSQL(3)) AND range_start < \(Self.millisecondsSQL(4))
                ORDER BY range_start
                """, [pair, interval.description, String(start), String(end)])
            return rows.values.compactMap { row -> (start: Int64, end: Int64)? in
                guard row.count == 2, let start = row[0].flatMap({ Int64($0) }), let end = row[1].flatMap({ Int64($0) })
                else { return nil }
                return (start, end)
            }
        }
    }

    /// Records that the exchange had no candles in `[start, end)`.
    package func recordEmpty(market: MarketKey, interval: CandleInterval, start: Int64, end: Int64) async throws {
        try await run("recording an empty range") { session in
            let pair = try Self.pairID(session, market)
            try session.execute(
                """
                INSERT INTO candle_coverage (trading_pair_id, timeframe, range_start, range_end, state)
                VALUES ($1::bigint, $2, \(Self.millisecondsSQL(3)), \(Self.millisecondsSQL(4)), 'empty')
                """, [pair, interval.description, String(start), String(end)])
        }
    }

    // MARK: - Retention

    /// What ``prune(_:olderThanMilliseconds:batch:)`` deletes from.
    package enum PrunedData: String, Sendable, CaseIterable {
        case trades
        case tickerSnapshots = "ticker_snapshots"
        case candles1m = "historical_data_1m"
        case candles = "historical_data"

        var sql: (table: String, time: String, filter: String) {
            switch self {
            case .trades: ("trades", "traded_at", "")
            case .tickerSnapshots: ("ticker_snapshots", "captured_at", "")
            case .candles1m: ("historical_data", "open_time", "AND timeframe = '1m'")
            case .candles: ("historical_data", "open_time", "AND timeframe <> '1m'")
            }
        }
    }

    /// Deletes at most `batch` rows older than `olderThanMilliseconds` (epoch ms); returns how many. One
    /// small transaction each, so the writer's batches never wait behind a long delete.
    package func prune(_ data: PrunedData, olderThanMilliseconds cutoff: Int64, batch: Int) async throws -> Int {
        let (table, time, filter) = data.sql
        return try await run("pruning \(table)") { session in
            let result = try session.execute(
                """
                DELETE FROM \(table) WHERE id IN (
                    SELECT id FROM \(table) WHERE \(time) < \(Self.millisecondsSQL(1)) \(filter) LIMIT $2::integer)
                """, [String(cutoff), String(batch)])
            return result.affected
        }
    }

    // MARK: - Markets

    /// Switches the configured markets on: each is inserted, or set active if its row exists. The
    /// configuration is read at every start, so a configured market is on after a restart whatever the
    /// table said.
    package func activate(_ markets: [MarketKey]) async throws {
        try await run("switching the configured markets on") { session in
            for market in markets {
                let pair = try Self.pairID(session, market)
                try session.execute(
                    "UPDATE trading_pairs SET is_active = true, updated_at = now() WHERE id = $1::bigint AND NOT is_active",
                    [pair])
            }
        }
    }

    /// Every pair of `exchanges` and whether it is active.
    package func tradingPairs(exchanges: [ExchangeID]) async throws -> [MarketKey: Bool] {
        try await run("reading trading_pairs") { session in
            let rows = try session.execute(
                """
                SELECT e.name, p.market_type, p.symbol, p.is_active::text FROM trading_pairs p
                JOIN exchanges e ON e.id = p.exchange_id WHERE e.name = ANY(string_to_array($1, ','))
                """, [exchanges.map(\.rawValue).joined(separator: ",")])
            var pairs: [MarketKey: Bool] = [:]
            for row in rows.values where row.count == 4 {
                guard let exchange = row[0].flatMap(ExchangeID.init), let type = row[1].flatMap(MarketType.init(name:)),
                    let symbol = row[2]
                else { continue }
                pairs[MarketKey(exchange: exchange, type: type, symbol: symbol)] = row[3] == "true"
            }
            return pairs
        }
    }

    // MARK: - Jobs

    private static let jobColumns = """
        j.id::text, e.name, p.market_type, p.symbol, j.timeframe, \(epoch("j.range_start")), \(epoch("j.range_end")),
        j.fetch_order, j.state, j.chunks_total::text, j.chunks_done::text, j.candles::text, j.message,
        \(epoch("j.started_at")), \(epoch("j.finished_at")), \(epoch("j.created_at")), j.stored_before::text
        """

    private static let jobJoin = """
        FROM backfill_jobs j JOIN trading_pairs p ON p.id = j.trading_pair_id JOIN exchanges e ON e.id = p.exchange_id
        """

    private static func record(_ row: [String?]) -> BackfillJobRecord? {
        guard row.count == 17, let id = row[0].flatMap({ Int64($0) }), let exchange = row[1].flatMap(ExchangeID.init),
            let type = row[2].flatMap(MarketType.init(name:)), let symbol = row[3],
            let interval = row[4].flatMap(CandleInterval.init(name:)), let start = row[5].flatMap({ Int64($0) }),
            let end = row[6].flatMap({ Int64($0) }), let order = row[7],
            let state = row[8].flatMap(BackfillJobRecord.State.init(rawValue:)),
            let total = row[9].flatMap({ Int($0) }), let done = row[10].flatMap({ Int($0) }),
            let candles = row[11].flatMap({ Int64($0) }), let created = row[15].flatMap({ Int64($0) })
        else { return nil }
        var record = BackfillJobRecord(
            id: id, market: MarketKey(exchange: exchange, type: type, symbol: symbol), interval: interval,
            rangeStart: start, rangeEnd: end, order: order, state: state, chunksTotal: total, chunksDone: done,
            candles: candles, message: row[12] ?? "", startedAt: row[13].flatMap { Int64($0) },
            finishedAt: row[14].flatMap { Int64($0) }, createdAt: created)
        record.storedBefore = row[16].flatMap { Int64($0) } ?? 0
        return record
    }

    /// Stores a new job and returns it with its id.
    package func insert(_ job: BackfillJobRecord) async throws -> BackfillJobRecord {
        try await run("storing a backfill job") { session in
            let pair = try Self.pairID(session, job.market)
            let rows = try session.execute(
                """
                INSERT INTO backfill_jobs (trading_pair_id, timeframe, range_start, range_end, fetch_order, state,
                    chunks_total, message)
                VALUES ($1::bigint, $2, \(Self.millisecondsSQL(3)), \(Self.millisecondsSQL(4)), $5, $6, $7::integer, $8)
                RETURNING id::text, \(Self.epoch("created_at"))
                """,
                [
                    pair, job.interval.description, String(job.rangeStart), String(job.rangeEnd), job.order,
                    job.state.rawValue, String(job.chunksTotal), job.message,
                ])
            var stored = job
            guard let row = rows.values.first, let id = row[0].flatMap({ Int64($0) }) else {
                throw Self.unexpected("no job id returned")
            }
            stored.id = id
            stored.createdAt = row[1].flatMap { Int64($0) } ?? 0
            return stored
        }
    }

    /// Saves a job's progress and state.
    package func update(_ job: BackfillJobRecord) async throws {
        try await run("saving a backfill job") { session in
            try session.execute(
                """
                UPDATE backfill_jobs SET state = $2, chunks_total = $3::integer, chunks_done = $4::integer,
                    candles = $5::bigint, message = $6, stored_before = $9::bigint,
                    started_at = CASE WHEN $7::bigint IS NULL THEN NULL ELSE \(Self.millisecondsSQL(7)) END,
                    finished_at = CASE WHEN $8::bigint IS NULL THEN NULL ELSE \(Self.millisecondsSQL(8)) END,
                    updated_at = now()
                WHERE id = $1::bigint
                """,
                [
                    String(job.id), job.state.rawValue, String(job.chunksTotal), String(job.chunksDone),
                    String(job.candles), job.message, job.startedAt.map { String($0) },
                    job.finishedAt.map { String($0) }, String(job.storedBefore),
                ])
        }
    }

    /// Queues the periodic catch-up of one pair and timeframe over `[start, end)`: its one `sync` row is
    /// created or, when its last pass has finished, reset to `queued` with the new range. Returns the row
    /// when it was queued, `nil` when a pass is still unfinished.
    package func queueSync(
        market: MarketKey, interval: CandleInterval, start: Int64, end: Int64
    ) async throws
        -> BackfillJobRecord?
    {
        try await run("queueing a history sync") { session -> BackfillJobRecord? in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(
                """
                INSERT INTO backfill_jobs (trading_pair_id, timeframe, kind, range_start, range_end, fetch_order, state)
                VALUES ($1::bigint, $2, 'sync', \(Self.millisecondsSQL(3)), \(Self.millisecondsSQL(4)), 'oldest_first', 'queued')
                ON CONFLICT (trading_pair_id, timeframe) WHERE kind = 'sync' DO UPDATE
                    SET range_start = EXCLUDED.range_start, range_end = EXCLUDED.range_end, state = 'queued',
                        chunks_total = 0, chunks_done = 0, candles = 0, stored_before = 0, message = '',
                        started_at = NULL, finished_at = NULL, updated_at = now()
                    WHERE backfill_jobs.state NOT IN ('queued', 'running')
                RETURNING id::text
                """, [pair, interval.description, String(start), String(end)])
            guard let id = rows.scalar.flatMap({ Int64($0) }) else { return nil }
            let read = try session.execute(
                "SELECT \(Self.jobColumns) \(Self.jobJoin) WHERE j.id = $1::bigint", [String(id)])
            return read.values.first.flatMap(Self.record)
        }
    }

    /// The open time (epoch ms) of the newest closed candle stored, if any.
    package func newestStored(market: MarketKey, interval: CandleInterval) async throws -> Int64? {
        try await run("reading the newest stored candle") { session in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(
                """
                SELECT \(Self.epoch("max(open_time)")) FROM historical_data
                WHERE trading_pair_id = $1::bigint AND timeframe = $2 AND is_closed
                """, [pair, interval.description])
            return rows.scalar.flatMap { Int64($0) }
        }
    }

    /// Jobs, newest first; only the unfinished ones when `unfinished`.
    package func jobs(unfinished: Bool = false, limit: Int = 100) async throws -> [BackfillJobRecord] {
        try await run("listing backfill jobs") { session in
            let filter = unfinished ? "WHERE j.state IN ('queued', 'running')" : ""
            let rows = try session.execute(
                "SELECT \(Self.jobColumns) \(Self.jobJoin) \(filter) ORDER BY j.id DESC LIMIT $1::integer",
                [String(limit)])
            return rows.values.compactMap(Self.record)
        }
    }

    package func job(id: Int64) async throws -> BackfillJobRecord? {
        try await run("reading a backfill job") { session in
            let rows = try session.execute(
                "SELECT \(Self.jobColumns) \(Self.jobJoin) WHERE j.id = $1::bigint", [String(id)])
            return rows.values.first.flatMap(Self.record)
        }
    }
}
