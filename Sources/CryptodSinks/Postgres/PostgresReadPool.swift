import CryptodOps
import Logging
import Synchronization

/// Read-only PostgreSQL sessions for readers of what the writer stored (the gateway's history routes).
///
/// Each connection is a ``PostgresConnection``: its own thread, so libpq's blocking calls never run on an
/// event loop or the cooperative pool, and a reconnect after a server restart. Sessions are opened with
/// `default_transaction_read_only` so a reader cannot change the writer's tables, and with a statement
/// timeout so one slow query cannot hold a connection for ever. A query goes to the connection with the
/// fewest queries on it.
///
/// **Scaling.** The connections are a pool of `medium` workers that grows and shrinks between its bounds from
/// the number of queries waiting for a connection (``WorkerPoolScaling``, sampled every tick): a new
/// connection connects on its first query; a retiring one takes no new query, finishes those it has, then
/// closes. Parallel reads are safe: each query is one read-only statement, unordered with the others.
package final class PostgresReadPool: Sendable {
    /// Why a query failed, in terms a caller can act on.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// True when the server could not be reached or the connection broke (retry later).
        package var unavailable: Bool
        package var message: String
        package var description: String { message }
    }

    /// How the pool scales by default: grow when more than one query per connection waits, shrink when
    /// none has waited for a while.
    package static let defaultScaling = WorkerPoolScaling.Settings(upPerWorker: 1, downPerWorker: 0)

    /// The pool's scaler and its metrics, counts and report.
    package let scaling: WorkerPoolScaling

    private final class Slot: Sendable {
        let id: Int
        let connection: PostgresConnection

        init(id: Int, connection: PostgresConnection) {
            self.id = id
            self.connection = connection
        }
    }

    private struct SlotStatus {
        /// Queries handed to the connection and not finished (running or waiting on its thread).
        var load = 0
        var drained: CheckedContinuation<Void, Never>?
    }

    private struct Shared {
        /// The connections taking queries.
        var slots: [Slot] = []
        /// Status of the connections above and of those retiring.
        var status: [Int: SlotStatus] = [:]
        /// Every connection not yet closed (`slots` and the retiring), for status.
        var open: [Int: Slot] = [:]
        var nextID = 0
        var closed = false

        /// Queries waiting for their connection: all but the one each connection runs.
        var waiting: Int { status.values.reduce(0) { $0 + max(0, $1.load - 1) } }
    }

    private let url: String
    private let applicationName: String
    private let statementMilliseconds: Int64
    private let logger: Logger
    private let state = Mutex(Shared())
    private let resizing = AsyncSerialLock()
    /// The scaling loop: unstructured because the pool lives from `init` to `close()`, which cancels it (the
    /// gateway has no `run()` for it to hang a task group on).
    private let loop = Mutex<Task<Void, Never>?>(nil)

    /// - Parameters:
    ///   - url: a libpq URL; the password never appears in a message.
    ///   - bounds: the connection pool's bounds (the `medium` kind of the performance mode); it starts with
    ///     `min` connections, which connect on first use.
    ///   - statementTimeout: the server cancels a query running longer.
    ///   - scaling: how it scales; `process` labels its metrics.
    /// - Throws: ``SinkError`` `.configuration` when libpq cannot parse `url`.
    package init(
        url: String, bounds: WorkerBounds = PerformanceProfile.preset(.medium).bounds(.medium),
        applicationName: String, statementTimeout: Duration = .seconds(10),
        scaling: WorkerPoolScaling.Settings = PostgresReadPool.defaultScaling, process: String = "gateway",
        logger: Logger
    ) throws {
        try PostgresConnection.validate(url: url)
        self.url = url
        self.applicationName = applicationName
        self.logger = logger
        statementMilliseconds =
            statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        self.scaling = WorkerPoolScaling(
            process: process, pool: "postgres_read", kind: .medium, bounds: bounds, settings: scaling, logger: logger)
        for _ in 0..<self.scaling.desired { try addSlot() }
        let depth: @Sendable () -> Int? = { [weak self] in self?.queueDepth }
        let resize: @Sendable () async -> Void = { [weak self] in await self?.reconcile() }
        let scaler = self.scaling
        loop.withLock { $0 = Task { await scaler.run(depth: depth, resize: resize) } }
    }

    /// A pool of `size` connections that does not scale (bounds `size`–`size`).
    package convenience init(
        url: String, size: Int, applicationName: String, statementTimeout: Duration = .seconds(10), logger: Logger
    ) throws {
        let size = max(1, size)
        try self.init(
            url: url, bounds: WorkerBounds(min: size, max: size), applicationName: applicationName,
            statementTimeout: statementTimeout, logger: logger)
    }

    /// Runs one statement with text parameters and returns its rows as text (`nil` is SQL NULL).
    /// - Throws: ``Failure``.
    package func query(_ sql: String, _ parameters: [String?]) async throws(Failure) -> [[String?]] {
        let chosen = state.withLock { shared -> Slot? in
            // The least loaded connection; the first of equals, so a quiet pool keeps using one session.
            guard
                let slot = shared.slots.min(by: {
                    (shared.status[$0.id]?.load ?? 0) < (shared.status[$1.id]?.load ?? 0)
                })
            else { return nil }
            shared.status[slot.id]?.load += 1
            return slot
        }
        guard let slot = chosen else { throw Failure(unavailable: true, message: "the history pool is closed") }
        defer { finished(slot) }
        do {
            return try await slot.connection.run { session in try session.execute(sql, parameters).values }
        } catch let failure as PostgresFailure {
            throw Failure(
                unavailable: failure.kind == .connection || failure.kind == .transient, message: failure.description)
        } catch {
            throw Failure(unavailable: true, message: "\(error)")
        }
    }

    /// Whether at least one connection is open now.
    package var connected: Bool { openConnections.contains { $0.status.connected } }

    /// The last connection error, if no connection is open.
    package var lastError: String? {
        let connections = openConnections
        return connections.contains { $0.status.connected }
            ? nil : connections.lazy.compactMap { $0.status.lastError }.first
    }

    /// Closes every connection (after the queries they run) and stops their threads.
    package func close() async {
        loop.withLock { $0?.cancel() }
        await resizing.withLock {
            let all = self.state.withLock { shared in
                shared.closed = true
                defer { shared.slots = [] }
                return shared.slots
            }
            for slot in all { await self.shutDown(slot) }
        }
        scaling.recordSize(0)
    }

    // MARK: - The pool

    /// The connection pool as `/api/v1/stream/workers` shows it.
    package func poolReport() -> PoolReport { scaling.report() }

    /// New bounds at run time: the pool is clamped into them at once (returns once it has the new size).
    package func setWorkerBounds(_ bounds: WorkerBounds) async {
        scaling.setBounds(bounds)
        await reconcile()
    }

    /// Queries waiting for a connection (beyond the one each connection runs).
    package var queueDepth: Int { state.withLock { $0.waiting } }

    /// Connections in the pool now (taking queries).
    package var connectionCount: Int { state.withLock { $0.slots.count } }

    private var openConnections: [PostgresConnection] { state.withLock { $0.open.values.map(\.connection) } }

    private func finished(_ slot: Slot) {
        let waiter = state.withLock { shared -> CheckedContinuation<Void, Never>? in
            guard var status = shared.status[slot.id] else { return nil }
            status.load -= 1
            var waiter: CheckedContinuation<Void, Never>?
            if status.load == 0 {
                waiter = status.drained
                status.drained = nil
            }
            shared.status[slot.id] = status
            return waiter
        }
        waiter?.resume()
    }

    /// Adds or retires connections, one at a time, until the pool has as many as the scaler wants.
    private func reconcile() async {
        await resizing.withLock {
            while true {
                let desired = self.scaling.desired
                let (count, closed) = self.state.withLock { ($0.slots.count, $0.closed) }
                if closed { return }
                if count < desired {
                    do { try self.addSlot() } catch { return }  // the URL was valid at init: not expected
                } else if count > desired {
                    let retiring = self.state.withLock { shared -> Slot? in
                        shared.slots.count > 1 ? shared.slots.popLast() : nil
                    }
                    guard let retiring else { return }
                    self.scaling.recordSize(self.connectionCount)
                    await self.shutDown(retiring)
                } else {
                    return
                }
            }
        }
    }

    /// A new connection (it connects on its first query).
    private func addSlot() throws {
        let milliseconds = statementMilliseconds
        let connection = try PostgresConnection(
            url: url, applicationName: applicationName, logger: logger,
            prepare: { session throws(PostgresFailure) in
                try session.execute("SET default_transaction_read_only = on; SET statement_timeout = \(milliseconds)")
            })
        let count = state.withLock { shared in
            let slot = Slot(id: shared.nextID, connection: connection)
            shared.nextID += 1
            shared.slots.append(slot)
            shared.status[slot.id] = SlotStatus()
            shared.open[slot.id] = slot
            return shared.slots.count
        }
        scaling.recordSize(count)
    }

    /// Waits until `slot` (already out of `slots`) has finished its queries, then closes it.
    private func shutDown(_ slot: Slot) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { shared in
                if shared.status[slot.id]?.load ?? 0 == 0 { return true }
                shared.status[slot.id]?.drained = continuation
                return false
            }
            if idle { continuation.resume() }
        }
        await slot.connection.close()
        state.withLock { shared in
            shared.status[slot.id] = nil
            shared.open[slot.id] = nil
        }
    }
}
