import CHiredis
import CryptodFormats
import CryptodModel
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
/// the latest value per key in memory, then — only while connected — pipelines the `SET`s on the sink's own
/// thread and waits for the replies. When Redis is unreachable `write` returns at once without throwing; a
/// reconnect loop retries every `reconnect_interval` and, once Redis answers, writes every value still alive
/// again with its remaining time to live (Redis may have restarted empty). Books are built here from
/// snapshots and deltas (``OrderBook``) and written `book_depth` levels deep.
package final class RedisSink: Sink {
    package let name = "redis"
    package let keepsPositions = false
    package let configuration: RedisSinkConfiguration
    package let keys: RedisKeySpace

    private let logger: Logger
    private let metrics = RedisSinkMetrics()
    private let state = Mutex(RedisCacheState())
    /// The one thread every hiredis call runs on.
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let connection: ConnectionBox
    private let reconnector = Mutex<Task<Void, Never>?>(nil)
    private let counters = Mutex(Counts())

    private struct Counts {
        var commands: UInt64 = 0
        var errors: UInt64 = 0
        var deferred: UInt64 = 0
        var expired: UInt64 = 0
    }

    /// Owns the hiredis connection; touched only on `thread`.
    private final class ConnectionBox: @unchecked Sendable {
        let connection = RedisConnection()
    }

    package init(configuration: RedisSinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.keys = RedisKeySpace(prefix: configuration.keyPrefix)
        self.logger = logger
        self.connection = ConnectionBox()
        thread.start()
        metrics.connected.record(0)
    }

    // MARK: - Sink

    /// Starts the connection loop. Does not throw when Redis is down: the cache fills once it is up.
    package func start() async throws {
        // hiredis writes with write(2): a peer that vanished must not kill the process with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        await connect()
        reconnector.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self, interval = configuration.reconnectInterval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let self else { return }
                    if !self.isConnected { await self.connect() }
                }
            }
        }
    }

    package func position(of stream: String) async throws -> SinkPosition? { nil }

    /// Folds the batch into the cache and, when connected, writes what changed. Never throws.
    package func write(_ batch: SinkBatch) async throws {
        let now = ContinuousClock.now
        let connected = state.withLock { state in
            apply(batch, to: &state, now: now)
            return state.connected
        }
        if connected {
            try? await thread.runIfActive { [self] in flushOnThread() }
        } else {
            let pending = state.withLock { $0.dirty.count }
            metrics.pendingKeys.record(pending)
        }
    }

    package func close() async {
        let task = reconnector.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        try? await thread.runIfActive { [connection] in connection.connection.close() }
        try? await thread.shutdownGracefully()
        state.withLock { $0.connected = false }
        metrics.connected.record(0)
    }

    package func statusDetails() async -> [(String, String)] {
        let (connected, entries, pending, lastError) = state.withLock {
            ($0.connected, $0.entries.count, $0.dirty.count, $0.lastError)
        }
        let counts = counters.withLock { $0 }
        var details: [(String, String)] = [
            ("server", "\(configuration.host):\(configuration.port)/\(configuration.database)"),
            ("connected", connected ? "yes" : "no"),
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

    // MARK: - State

    /// Whether the last command or connect succeeded.
    package var isConnected: Bool { state.withLock { $0.connected } }

    /// Keys whose latest value Redis does not have yet.
    package var pendingKeyCount: Int { state.withLock { $0.dirty.count } }

    /// The book the sink holds for `market` (tests compare it with an independent one).
    package func book(for market: MarketKey) -> OrderBook? { state.withLock { $0.books[market] } }

    private func apply(_ batch: SinkBatch, to state: inout RedisCacheState, now: ContinuousClock.Instant) {
        var touchedBooks: [MarketKey: (receivedAt: Timestamp, origin: DataOrigin)] = [:]
        var updates = 0
        var skipped = 0
        for item in batch.items {
            switch item.event {
            case .ticker(let ticker):
                if let previous = state.tickerTimes[ticker.market], ticker.time < previous { continue }
                state.tickerTimes[ticker.market] = ticker.time
                let value = EventEnvelopeJSON.ticker(ticker, leading: { $0.field("type", "ticker") })
                state.set(keys.ticker(ticker.market), value: value, ttl: configuration.tickerTTL, now: now)
                updates += 1
            case .candle(let candle):
                let key = keys.candle(candle.market, candle.interval)
                // A backfilled older candle must not replace the one that is forming.
                if let previous = state.candleOpenTimes[key], candle.openTime < previous { continue }
                state.candleOpenTimes[key] = candle.openTime
                let value = EventEnvelopeJSON.candle(candle, leading: { $0.field("type", "candle") })
                state.set(key, value: value, ttl: configuration.candleTTL, now: now)
                updates += 1
            case .bookSnapshot(let snapshot):
                state.books[snapshot.market] = OrderBook(snapshot: snapshot)
                touchedBooks[snapshot.market] = (snapshot.receivedAt, snapshot.origin)
            case .bookDelta(let delta):
                guard var book = state.books[delta.market], delta.lastUpdateID > book.updateID else {
                    skipped += 1
                    continue
                }
                state.books[delta.market] = nil  // keep the book uniquely referenced while it changes
                book.apply(delta)
                state.books[delta.market] = book
                touchedBooks[delta.market] = (delta.receivedAt, delta.origin)
            case .trades, .instruments, .gap, .status:
                continue  // the cache holds no trades (docs/redis.md), nor source events
            }
        }
        // One JSON rendering per book per batch, however many deltas it took.
        for (market, last) in touchedBooks {
            guard let book = state.books[market] else { continue }
            var top = book.snapshot(depth: configuration.bookDepth, receivedAt: last.receivedAt)
            top.origin = last.origin
            let value = EventEnvelopeJSON.book(
                top, depth: configuration.bookDepth, leading: { $0.field("type", "book") })
            state.set(keys.book(market), value: value, ttl: configuration.bookTTL, now: now)
            updates += 1
        }
        if skipped > 0 { metrics.staleDeltas.increment(by: skipped) }
        if !state.connected, updates > 0 {
            metrics.deferred.increment(by: updates)
            counters.withLock { $0.deferred += UInt64(updates) }
        }
    }

    // MARK: - On the connection thread

    private func connect() async {
        try? await thread.runIfActive { [self] in connectOnThread() }
    }

    private func connectOnThread() {
        guard !state.withLock({ $0.connected }) else { return }
        do {
            try connection.connection.open(configuration)
        } catch {
            let wasReported = state.withLock { state in
                defer { state.lastError = error.message }
                return state.lastError == error.message
            }
            if !wasReported { logger.warning("redis unreachable; caching in memory", metadata: ["error": "\(error)"]) }
            return
        }
        state.withLock { state in
            state.connected = true
            state.markAllDirty(now: .now)
        }
        metrics.connected.record(1)
        metrics.reconnects.increment()
        logger.info(
            "redis connected; refilling the cache", metadata: ["server": "\(configuration.host):\(configuration.port)"])
        flushOnThread()
    }

    /// Pipelines a `SET` for every value Redis is missing and reads the replies.
    private func flushOnThread() {
        let (writes, expired) = state.withLock { $0.pendingWrites(now: .now) }
        if expired > 0 {
            metrics.expired.increment(by: expired)
            counters.withLock { $0.expired += UInt64(expired) }
        }
        guard !writes.isEmpty else {
            metrics.pendingKeys.record(0)
            return
        }
        let commands: [[[UInt8]]] = writes.map { write in
            var command: [[UInt8]] = [Array("SET".utf8), Array(write.key.utf8), write.value]
            if let px = write.pxMilliseconds { command += [Array("PX".utf8), Array(String(px).utf8)] }
            return command
        }
        do {
            let replies = try connection.connection.pipeline(commands)
            var succeeded: [RedisCacheState.Write] = []
            succeeded.reserveCapacity(writes.count)
            var failures: [String] = []
            for (write, reply) in zip(writes, replies) {
                if case .error(let message) = reply { failures.append(message) } else { succeeded.append(write) }
            }
            let pending = state.withLock { state in
                state.written(succeeded)
                if let failure = failures.first { state.lastError = failure }
                return state.dirty.count
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
            connection.connection.close()
            let pending = state.withLock { state in
                state.connected = false
                state.lastError = error.message
                return state.dirty.count
            }
            metrics.errors.increment()
            metrics.connected.record(0)
            metrics.pendingKeys.record(pending)
            counters.withLock { $0.errors += 1 }
            logger.warning("redis connection lost; caching in memory until it returns", metadata: ["error": "\(error)"])
        }
    }
}
