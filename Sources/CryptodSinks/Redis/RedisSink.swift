import CHiredis
import CryptodFormats
import CryptodModel
import CryptodOps
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The Redis cache: the latest ticker, the top of the order book and the latest candle of every market, as
/// JSON strings with time-to-live (keys and values in docs/redis.md).
///
/// A cache, not a store: it keeps no positions and never holds back the writer. `write` folds the batch into
/// the latest value per key in memory, then pipelines the `SET`s over the connections that are up and waits
/// for the replies. When Redis is unreachable `write` returns at once without throwing; a reconnect loop
/// retries every `reconnect_interval` and, once Redis answers, writes every value still alive again with its
/// remaining time to live (Redis may have restarted empty). Books are built here from snapshots and deltas
/// (``OrderBook``) and written `book_depth` levels deep.
///
/// **Connections.** A pool of hiredis connections (`fast` workers), each on a thread of its own since every
/// hiredis call blocks. The keys are partitioned by market (``RedisCacheState/shard(of:)``): connection `i`
/// of `n` writes the markets whose hash is `i` modulo `n`, so each key's writes stay in order, and a key is
/// never given to a second connection while the first is still writing it (see ``RedisCacheState``). The
/// pool grows and shrinks between its bounds from the number of values waiting to be written
/// (``WorkerPoolScaling``, sampled every tick): growing opens a connection before it takes keys, shrinking
/// lets the retiring connection finish its writes, then closes it and hands its markets to the others. Each
/// connection reconnects on its own. Parallel writes are safe here because the cache keeps no positions;
/// the PostgreSQL sink stays one writer (docs/architecture.md, "Worker pools").
package final class RedisSink: Sink {
    package let name = "redis"
    package let keepsPositions = false
    package let configuration: RedisSinkConfiguration
    package let keys: RedisKeySpace
    /// The pool's scaler and its metrics, counts and report.
    package let scaling: WorkerPoolScaling

    /// How the Redis pool scales by default: values waiting per connection.
    package static let defaultScaling = WorkerPoolScaling.Settings(upPerWorker: 32, downPerWorker: 2)

    private let logger: Logger
    private let metrics = RedisSinkMetrics()
    private let state = Mutex(Shared())
    private let resizing = AsyncSerialLock()
    /// The reconnect loop and the scaling loop: unstructured because they live from `start()` to `close()`,
    /// which cancels them (the `Sink` protocol has no `run()` to hang a task group on).
    private let loops = Mutex<[Task<Void, Never>]>([])
    private let counters = Mutex(Counts())

    private struct Counts {
        var commands: UInt64 = 0
        var errors: UInt64 = 0
        var deferred: UInt64 = 0
        var expired: UInt64 = 0
    }

    /// One connection and the thread its hiredis calls run on; `connection` is touched only on `thread`.
    private final class Worker: @unchecked Sendable {
        let id: Int
        let thread = NIOThreadPool(numberOfThreads: 1)
        let connection = RedisConnection()

        init(id: Int) { self.id = id }
    }

    private struct WorkerStatus {
        var connected = false
        /// Closures submitted to its thread and not finished.
        var busy = 0
        /// Whether its next connect writes every value again (Redis may have lost them).
        var needsRefill: Bool
        var retiring = false
        var drained: CheckedContinuation<Void, Never>?
    }

    /// Everything the sink's threads share, under one lock.
    private struct Shared {
        var cache = RedisCacheState()
        /// The connections taking keys; connection `i` writes shard `i` of `workers.count`.
        var workers: [Worker] = []
        /// Status of the workers above and of those retiring.
        var status: [Int: WorkerStatus] = [:]
        var nextWorkerID = 0
        var started = false
        var closed = false

        var allConnected: Bool { !workers.isEmpty && workers.allSatisfy { status[$0.id]?.connected == true } }
        var openConnections: Int { workers.count(where: { status[$0.id]?.connected == true }) }

        /// Whether the connection that writes the market with hash `shard` is up.
        func connected(shard: UInt64) -> Bool {
            guard !workers.isEmpty else { return false }
            return status[workers[Int(shard % UInt64(workers.count))].id]?.connected == true
        }

        func index(of worker: Worker) -> Int? { workers.firstIndex { $0 === worker } }

        /// Marks `chosen` busy (a retiring worker is closed only once it is idle); returns them.
        mutating func claim(_ chosen: [Worker]) -> [Worker] {
            for worker in chosen { status[worker.id]?.busy += 1 }
            return chosen
        }

        mutating func claimConnected() -> [Worker] {
            claim(workers.filter { status[$0.id]?.connected == true })
        }

        /// The connected workers with nothing running: a resize must not wait behind a slow write.
        mutating func claimIdleConnected() -> [Worker] {
            claim(workers.filter { status[$0.id]?.connected == true && status[$0.id]?.busy == 0 })
        }
    }

    /// - Parameters:
    ///   - workerBounds: the connection pool's bounds (the `fast` kind of the performance mode); it starts
    ///     with `min` connections.
    ///   - scaling: how it scales; `process` labels its metrics.
    package init(
        configuration: RedisSinkConfiguration, logger: Logger,
        workerBounds: WorkerBounds = PerformanceProfile.preset(.medium).bounds(.fast),
        scaling: WorkerPoolScaling.Settings = RedisSink.defaultScaling, process: String = "writer"
    ) {
        self.configuration = configuration
        self.keys = RedisKeySpace(prefix: configuration.keyPrefix)
        self.logger = logger
        self.scaling = WorkerPoolScaling(
            process: process, pool: "redis", kind: .fast, bounds: workerBounds, settings: scaling, logger: logger)
        metrics.connected.record(0)
    }

    // MARK: - Sink

    /// Opens the pool's first connections and starts the reconnect and scaling loops. Does not throw when
    /// Redis is down: the cache fills once it is up.
    package func start() async throws {
        // hiredis writes with write(2): a peer that vanished must not kill the process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let first = state.withLock { shared in
            defer { shared.started = true }
            return !shared.started && !shared.closed
        }
        guard first else { return }
        await reconcile()
        let reconnect = Task { [weak self, interval = configuration.reconnectInterval] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.maintain()
            }
        }
        let depth: @Sendable () -> Int? = { [weak self] in self?.queueDepth }
        let resize: @Sendable () async -> Void = { [weak self] in await self?.reconcile() }
        let scale = Task { [scaling] in await scaling.run(depth: depth, resize: resize) }
        loops.withLock { $0 += [reconnect, scale] }
    }

    package func position(of stream: String) async throws -> SinkPosition? { nil }

    /// Folds the batch into the cache and writes what changed over the connections that are up. Never throws.
    package func write(_ batch: SinkBatch) async throws {
        let now = ContinuousClock.now
        let (targets, pending) = state.withLock { shared in
            apply(batch, to: &shared, now: now)
            return (shared.claimConnected(), shared.cache.dirty.count)
        }
        if targets.isEmpty { metrics.pendingKeys.record(pending) }
        await flush(targets)
    }

    package func close() async {
        for task in loops.withLock({ tasks in
            defer { tasks = [] }; return tasks
        }) { task.cancel() }
        await resizing.withLock {
            let all = self.state.withLock { shared in
                shared.closed = true
                defer { shared.workers = [] }
                for worker in shared.workers { shared.status[worker.id]?.retiring = true }
                return shared.workers
            }
            for worker in all { await self.shutDown(worker) }
        }
        scaling.recordSize(0)
        metrics.connected.record(0)
    }

    package func statusDetails() async -> [(String, String)] {
        let (connected, open, total, entries, pending, lastError) = state.withLock {
            (
                $0.allConnected, $0.openConnections, $0.workers.count, $0.cache.entries.count, $0.cache.dirty.count,
                $0.cache.lastError
            )
        }
        let counts = counters.withLock { $0 }
        let bounds = scaling.bounds
        var details: [(String, String)] = [
            ("server", "\(configuration.host):\(configuration.port)/\(configuration.database)"),
            ("connected", connected ? "yes" : "no"),
            ("connections", "\(open)/\(total) open (bounds \(bounds.min)-\(bounds.max))"),
            ("keys", String(entries)),
            ("pending_keys", String(pending)),
            ("commands", String(counts.commands)),
            ("errors", String(counts.errors)),
            ("deferred", String(counts.deferred)),
            ("expired", String(counts.expired)),
        ]
        if let lastError { details.append(("last_error", lastError)) }
        return details
    }

    package func poolReports() -> [PoolReport] { [poolReport()] }

    package func setWorkerBounds(kind: WorkerKind, bounds: WorkerBounds) async {
        guard kind == scaling.kind else { return }
        await setWorkerBounds(bounds)
    }

    // MARK: - The pool

    /// The connection pool as `/api/v1/stream/workers` shows it.
    package func poolReport() -> PoolReport { scaling.report() }

    /// New bounds at run time: the pool is clamped into them at once (returns once it has the new size).
    package func setWorkerBounds(_ bounds: WorkerBounds) async {
        scaling.setBounds(bounds)
        await reconcile()
    }

    /// Values waiting to be written, as the scaler sees them: none while no connection is up, since more
    /// connections to a server that is down would not write any of them.
    package var queueDepth: Int {
        state.withLock { $0.openConnections > 0 ? $0.cache.dirty.count : 0 }
    }

    /// Connections in the pool now (open or reconnecting).
    package var connectionCount: Int { state.withLock { $0.workers.count } }

    // MARK: - State

    /// Whether every connection of the pool is up (its last command or connect succeeded).
    package var isConnected: Bool { state.withLock { $0.allConnected } }

    /// Keys whose latest value Redis does not have yet.
    package var pendingKeyCount: Int { state.withLock { $0.cache.dirty.count } }

    /// The book the sink holds for `market` (tests compare it with an independent one).
    package func book(for market: MarketKey) -> OrderBook? { state.withLock { $0.cache.books[market] } }

    private func apply(_ batch: SinkBatch, to shared: inout Shared, now: ContinuousClock.Instant) {
        var touchedBooks: [MarketKey: (receivedAt: Timestamp, origin: DataOrigin)] = [:]
        var deferred = 0
        var skipped = 0
        func put(_ key: String, _ market: MarketKey, _ value: [UInt8], ttl: Duration) {
            let shard = RedisCacheState.shard(of: market)
            shared.cache.set(key, shard: shard, value: value, ttl: ttl, now: now)
            if !shared.connected(shard: shard) { deferred += 1 }
        }
        for item in batch.items {
            switch item.event {
            case .ticker(let ticker):
                if let previous = shared.cache.tickerTimes[ticker.market], ticker.time < previous { continue }
                shared.cache.tickerTimes[ticker.market] = ticker.time
                let value = EventEnvelopeJSON.ticker(ticker, leading: { $0.field("type", "ticker") })
                put(keys.ticker(ticker.market), ticker.market, value, ttl: configuration.tickerTTL)
            case .candle(let candle):
                let key = keys.candle(candle.market, candle.interval)
                // A backfilled older candle must not replace the one that is forming.
                if let previous = shared.cache.candleOpenTimes[key], candle.openTime < previous { continue }
                shared.cache.candleOpenTimes[key] = candle.openTime
                let value = EventEnvelopeJSON.candle(candle, leading: { $0.field("type", "candle") })
                put(key, candle.market, value, ttl: configuration.candleTTL)
            case .bookSnapshot(let snapshot):
                shared.cache.books[snapshot.market] = OrderBook(snapshot: snapshot)
                touchedBooks[snapshot.market] = (snapshot.receivedAt, snapshot.origin)
            case .bookDelta(let delta):
                guard var book = shared.cache.books[delta.market], delta.lastUpdateID > book.updateID else {
                    skipped += 1
                    continue
                }
                shared.cache.books[delta.market] = nil  // keep the book uniquely referenced while it changes
                book.apply(delta)
                shared.cache.books[delta.market] = book
                touchedBooks[delta.market] = (delta.receivedAt, delta.origin)
            case .trades, .instruments, .gap, .status:
                continue  // the cache holds no trades (docs/redis.md), nor source events
            }
        }
        // One JSON rendering per book per batch, however many deltas it took.
        for (market, last) in touchedBooks {
            guard let book = shared.cache.books[market] else { continue }
            var top = book.snapshot(depth: configuration.bookDepth, receivedAt: last.receivedAt)
            top.origin = last.origin
            let value = EventEnvelopeJSON.book(
                top, depth: configuration.bookDepth, leading: { $0.field("type", "book") })
            put(keys.book(market), market, value, ttl: configuration.bookTTL)
        }
        if skipped > 0 { metrics.staleDeltas.increment(by: skipped) }
        if deferred > 0 {
            metrics.deferred.increment(by: deferred)
            counters.withLock { $0.deferred += UInt64(deferred) }
        }
    }

    // MARK: - Resizing

    /// Adds or retires connections, one at a time, until the pool has as many as the scaler wants.
    private func reconcile() async {
        await resizing.withLock {
            while true {
                let desired = self.scaling.desired
                let (count, closed) = self.state.withLock { ($0.workers.count, $0.closed) }
                if closed { return }
                if count < desired {
                    await self.addWorker()
                } else if count > desired {
                    await self.retireWorker()
                } else {
                    return
                }
            }
        }
    }

    /// Opens a connection, then lets it take its share of the markets.
    private func addWorker() async {
        let worker = state.withLock { shared in
            let worker = Worker(id: shared.nextWorkerID)
            shared.nextWorkerID += 1
            // With no connection up, nobody knows what Redis holds: this one refills when it connects.
            shared.status[worker.id] = WorkerStatus(busy: 1, needsRefill: shared.openConnections == 0)
            return worker
        }
        worker.thread.start()
        // Connected before it takes keys, so a new connection does not stall the markets it is given.
        try? await worker.thread.runIfActive { self.connectOnThread(worker) }
        let count = state.withLock { shared in
            shared.status[worker.id]?.busy -= 1
            shared.workers.append(worker)
            return shared.workers.count
        }
        scaling.recordSize(count)
        recordConnected()
        // The markets were partitioned anew: the idle connections write what waits for them now (a busy one
        // finds its share on its next write).
        await flush(state.withLock { $0.claimIdleConnected() })
    }

    /// Retires the newest connection once its writes in flight ended; its markets go to the others.
    private func retireWorker() async {
        let retiring = state.withLock { shared -> Worker? in
            guard shared.workers.count > 1, let worker = shared.workers.popLast() else { return nil }
            shared.status[worker.id]?.retiring = true
            return worker
        }
        guard let retiring else { return }
        scaling.recordSize(state.withLock { $0.workers.count })
        await shutDown(retiring)
        recordConnected()
        await flush(state.withLock { $0.claimIdleConnected() })
    }

    /// Waits until `worker` (already out of `workers`) is idle, then closes its connection and thread.
    private func shutDown(_ worker: Worker) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { shared in
                if shared.status[worker.id]?.busy ?? 0 == 0 { return true }
                shared.status[worker.id]?.drained = continuation
                return false
            }
            if idle { continuation.resume() }
        }
        try? await worker.thread.runIfActive { worker.connection.close() }
        try? await worker.thread.shutdownGracefully()
        state.withLock { _ = $0.status.removeValue(forKey: worker.id) }
    }

    // MARK: - Running on the connections' threads

    /// Runs a flush on each of `workers` (claimed by the caller) in parallel and waits for them.
    private func flush(_ workers: [Worker]) async {
        await run(workers) { worker in self.flushOnThread(worker) }
    }

    private func run(_ workers: [Worker], _ body: @escaping @Sendable (Worker) -> Void) async {
        guard !workers.isEmpty else { return }
        await withDiscardingTaskGroup { group in
            for worker in workers {
                group.addTask {
                    try? await worker.thread.runIfActive { body(worker) }
                    self.finished(worker)
                }
            }
        }
    }

    /// Ends a claim; wakes a shutdown waiting for the worker to be idle.
    private func finished(_ worker: Worker) {
        let waiter = state.withLock { shared -> CheckedContinuation<Void, Never>? in
            guard var status = shared.status[worker.id] else { return nil }
            status.busy -= 1
            var waiter: CheckedContinuation<Void, Never>?
            if status.busy == 0, status.retiring {
                waiter = status.drained
                status.drained = nil
            }
            shared.status[worker.id] = status
            return waiter
        }
        waiter?.resume()
    }

    /// Every reconnect interval: reconnects the idle connections that are down, and writes what waits for
    /// the idle ones that are up (keys left behind by a resize or a refill of another connection).
    private func maintain() async {
        let (down, waiting) = state.withLock { shared -> ([Worker], [Worker]) in
            var down: [Worker] = []
            var waiting: [Worker] = []
            for (index, worker) in shared.workers.enumerated() where shared.status[worker.id]?.busy == 0 {
                if shared.status[worker.id]?.connected != true {
                    down.append(worker)
                } else if shared.cache.waiting(shard: index, of: shared.workers.count) > 0 {
                    waiting.append(worker)
                }
            }
            return (shared.claim(down), shared.claim(waiting))
        }
        async let reconnected: Void = run(down) { worker in self.connectOnThread(worker) }
        async let flushed: Void = flush(waiting)
        _ = await (reconnected, flushed)
    }

    private func connectOnThread(_ worker: Worker) {
        guard state.withLock({ $0.status[worker.id]?.connected == false }) else { return }
        do {
            try worker.connection.open(configuration)
        } catch {
            let wasReported = state.withLock { shared in
                defer { shared.cache.lastError = error.message }
                return shared.cache.lastError == error.message
            }
            if !wasReported { logger.warning("redis unreachable; caching in memory", metadata: ["error": "\(error)"]) }
            return
        }
        let refill = state.withLock { shared in
            shared.status[worker.id]?.connected = true
            let refill = shared.status[worker.id]?.needsRefill ?? false
            shared.status[worker.id]?.needsRefill = false
            if refill { shared.cache.markAllDirty(now: .now) }
            return refill
        }
        recordConnected()
        metrics.reconnects.increment()
        logger.info(
            refill ? "redis connected; refilling the cache" : "redis connection opened",
            metadata: ["server": "\(configuration.host):\(configuration.port)", "connection": "\(worker.id)"])
        flushOnThread(worker)
    }

    private func recordConnected() {
        metrics.connected.record(state.withLock { $0.allConnected } ? 1 : 0)
    }

    /// Pipelines a `SET` for every value of this connection's markets that Redis is missing, and reads the
    /// replies.
    private func flushOnThread(_ worker: Worker) {
        let (writes, expired) = state.withLock { shared -> ([RedisCacheState.Write], Int) in
            guard shared.status[worker.id]?.connected == true, let index = shared.index(of: worker) else {
                return ([], 0)
            }
            return shared.cache.pendingWrites(
                now: .now, shard: index, of: shared.workers.count, worker: worker.id)
        }
        if expired > 0 {
            metrics.expired.increment(by: expired)
            counters.withLock { $0.expired += UInt64(expired) }
        }
        guard !writes.isEmpty else {
            metrics.pendingKeys.record(state.withLock { $0.cache.dirty.count })
            return
        }
        let commands: [[[UInt8]]] = writes.map { write in
            var command: [[UInt8]] = [Array("SET".utf8), Array(write.key.utf8), write.value]
            if let px = write.pxMilliseconds { command += [Array("PX".utf8), Array(String(px).utf8)] }
            return command
        }
        do {
            let replies = try worker.connection.pipeline(commands)
            var succeeded: [RedisCacheState.Write] = []
            succeeded.reserveCapacity(writes.count)
            var refused: [RedisCacheState.Write] = []
            var failures: [String] = []
            for (write, reply) in zip(writes, replies) {
                if case .error(let message) = reply {
                    failures.append(message)
                    refused.append(write)
                } else {
                    succeeded.append(write)
                }
            }
            let pending = state.withLock { shared in
                shared.cache.written(succeeded)
                shared.cache.released(refused)
                if let failure = failures.first { shared.cache.lastError = failure }
                return shared.cache.dirty.count
            }
            metrics.commands.increment(by: commands.count)
            metrics.pendingKeys.record(pending)
            counters.withLock {
                $0.commands += UInt64(commands.count)
                $0.errors += UInt64(failures.count)
            }
            if let failure = failures.first {
                metrics.errors.increment(by: failures.count)
                logger.error("redis refused commands", metadata: ["count": "\(failures.count)", "error": "\(failure)"])
            }
        } catch {
            worker.connection.close()
            let pending = state.withLock { shared in
                shared.cache.released(writes)
                shared.status[worker.id]?.connected = false
                // What it wrote may be gone with the server: the next connect writes everything again.
                shared.status[worker.id]?.needsRefill = true
                shared.cache.lastError = error.message
                return shared.cache.dirty.count
            }
            metrics.errors.increment()
            recordConnected()
            metrics.pendingKeys.record(pending)
            counters.withLock { $0.errors += 1 }
            logger.warning(
                "redis connection lost; caching in memory until it returns",
                metadata: ["error": "\(error)", "connection": "\(worker.id)"])
        }
    }
}
