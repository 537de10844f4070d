import CryptodModel
import Logging
import Metrics

/// Runs one sink: a bounded queue, one worker, a circuit breaker and (for a durable sink) a disk spool.
///
/// ``submit(_:)`` returns once the batch is *held*: written by the sink, or appended and synced to the
/// spool. A batch goes to the spool instead of the queue when the breaker is open, when the queue is full,
/// or when the spool already holds batches of its stream (so a stream stays in order); a queued batch the
/// sink has not written within `flushMaxAge` (slow or failing sink) is spooled too, so the acknowledgement
/// path never waits longer than that for a working disk. A full spool makes `submit` wait: the writer stops
/// acknowledging and the senders keep the frames. Nothing is dropped.
///
/// The worker writes queued batches and drains the spool in order, alternating between the two, and merges
/// spooled batches of one stream up to `flushMaxRows` items (a large batch is split the same way). Before
/// writing it skips items at or below the position the sink already holds (`Sink.position(of:)`, or for a
/// sink without positions the last position it wrote, kept in the spool's `positions` file): a replay after
/// a restart, a batch spooled while its write was still in flight, or a stale spool cursor then writes
/// nothing twice.
///
/// A *cache* pipeline (`durable == false`, Redis) has no spool and never makes anyone wait: when its sink is
/// down or its queue is full, batches are dropped and counted (`cryptod_writer_sink_dropped_total`);
/// values with a TTL of seconds are worth nothing minutes later.
package actor SinkPipeline {
    /// How one sink is run. Configuration: `writer.flush_max_rows`, `writer.flush_max_age`,
    /// `writer.spool_dir` (`<spool_dir>/<sink>`), `writer.spool_limit`.
    package struct Settings: Sendable {
        /// Whether the sink's data must not be lost (acknowledgements wait for it; it has a spool).
        package var durable: Bool
        /// This sink's spool directory.
        package var spoolDirectory: String
        package var spoolLimit: Int = 1 << 30
        /// Segment size of the spool files; nil picks one from the limit.
        package var spoolSegmentBytes: Int? = nil
        /// Batches waiting for the worker in memory before new ones go to the spool (or are dropped).
        package var queueCapacity: Int = 1024
        /// Most items in one sink write.
        package var flushMaxRows: Int = 5000
        /// Longest a queued batch waits for its sink before it is spooled, so acknowledgements go on.
        package var flushMaxAge: Duration = .milliseconds(200)
        /// Consecutive failures that open the breaker.
        package var failureThreshold: Int = 3
        /// Delay between attempts while the breaker is still closed.
        package var retryDelay: Duration = .milliseconds(100)
        /// First open period of the breaker; doubles per failed probe up to `maxBackoff`.
        package var initialBackoff: Duration = .seconds(1)
        package var maxBackoff: Duration = .seconds(10)

        package init(durable: Bool, spoolDirectory: String) {
            self.durable = durable
            self.spoolDirectory = spoolDirectory
        }
    }

    private struct Entry {
        var batch: SinkBatch
        var queued = true
        var inFlight = false
        var held = false
        var waiters: [CheckedContinuation<Void, any Error>] = []
        var timer: Task<Void, Never>?
    }

    private enum Work {
        case queued([UInt64], SinkBatch)
        case spooled(records: Int, SinkBatch)
    }

    package nonisolated let name: String
    package nonisolated let durable: Bool
    package nonisolated let settings: Settings
    private let sink: any Sink
    private let spool: SinkSpool?
    private let logger: Logger

    private var breaker: CircuitBreaker
    private var entries: [UInt64: Entry] = [:]
    private var queue: [UInt64] = []
    private var nextID: UInt64 = 0
    /// Positions the sink holds (loaded lazily per stream, advanced by every write).
    private var written: [String: SinkPosition] = [:]
    private var writtenLoaded: Set<String> = []
    /// Positions handed to this pipeline, to skip what a retried delivery repeats.
    private var accepted: [String: SinkPosition] = [:]
    /// Last written positions from the spool's `positions` file (a sink's fallback when it cannot answer).
    private var marks: [String: SinkPosition] = [:]
    private var prepareTask: Task<Void, any Error>?
    private var startTask: Task<Void, any Error>?
    private var started = false
    private var stopping = false
    private var closed = false
    private var running = false
    private var preferSpool = false
    private var spoolFull = false
    private var workerWaiter: CheckedContinuation<Void, Never>?
    private var workerSignalled = false
    private var spaceWaiters: [CheckedContinuation<Void, Never>] = []
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []

    private let breakerGauge: Gauge
    private let spoolBytesGauge: Gauge
    private let spoolFullGauge: Gauge
    private let queueDepthGauge: Gauge
    private let queueItemsGauge: Gauge
    private let spooledCounter: Counter
    private let drainedCounter: Counter
    private let droppedCounter: Counter
    private let rejectedCounter: Counter
    private let writeTimer: Metrics.Timer

    /// - Throws: ``SinkError`` with code `configuration` when the spool directory cannot be created.
    package init(sink: any Sink, settings: Settings, logger: Logger) throws {
        self.sink = sink
        self.name = sink.name
        self.durable = settings.durable
        self.settings = settings
        var logger = logger
        logger[metadataKey: "sink"] = "\(sink.name)"
        self.logger = logger
        spool =
            settings.durable
            ? try SinkSpool(
                directory: settings.spoolDirectory, limit: settings.spoolLimit,
                segmentBytes: settings.spoolSegmentBytes,
                sink: sink.name, logger: logger)
            : nil
        breaker = CircuitBreaker(
            failureThreshold: settings.failureThreshold, initialBackoff: settings.initialBackoff,
            maxBackoff: settings.maxBackoff, retryDelay: settings.retryDelay)
        let dimensions = [("sink", sink.name)]
        breakerGauge = Gauge(label: "cryptod_writer_sink_breaker_state", dimensions: dimensions)
        spoolBytesGauge = Gauge(label: "cryptod_writer_spool_bytes", dimensions: dimensions)
        spoolFullGauge = Gauge(label: "cryptod_writer_spool_full", dimensions: dimensions)
        queueDepthGauge = Gauge(label: "cryptod_writer_sink_queue_depth", dimensions: dimensions)
        queueItemsGauge = Gauge(label: "cryptod_writer_sink_queue_items", dimensions: dimensions)
        spooledCounter = Counter(label: "cryptod_writer_spool_batches_spooled_total", dimensions: dimensions)
        drainedCounter = Counter(label: "cryptod_writer_spool_batches_drained_total", dimensions: dimensions)
        droppedCounter = Counter(label: "cryptod_writer_sink_dropped_total", dimensions: dimensions)
        rejectedCounter = Counter(label: "cryptod_writer_sink_rejected_batches_total", dimensions: dimensions)
        writeTimer = Metrics.Timer(label: "cryptod_writer_sink_write_seconds", dimensions: dimensions)
        breakerGauge.record(0)
        spoolFullGauge.record(0)
    }

    // MARK: - State for the writer

    /// The breaker's state (closed, open, half-open).
    package var breakerState: CircuitBreaker.State { breaker.state }

    /// Bytes of this sink's spool on disk (0 for a cache sink).
    package var spoolBytes: Int { spool?.bytes ?? 0 }

    /// Batches waiting in this sink's spool.
    package var spooledBatches: Int { spool?.count ?? 0 }

    /// Batches waiting in memory.
    package var queueDepth: Int { queue.count }

    /// Whether the spool is full (submits wait).
    package var isSpoolFull: Bool { spoolFull }

    /// `key: value` pairs for `cryptoctl status`.
    package func statusDetails() async -> [(String, String)] {
        var details: [(String, String)] = [
            ("breaker", breaker.state.description),
            ("queue", "\(queue.count)"),
        ]
        if let spool {
            details.append(("spool_bytes", "\(spool.bytes)"))
            details.append(("spool_batches", "\(spool.count)"))
            if spoolFull { details.append(("spool_full", "true")) }
        }
        for (stream, position) in written.sorted(by: { $0.key < $1.key }) {
            details.append(("position.\(stream)", position.description))
        }
        details += await sink.statusDetails()
        return details
    }

    /// How far this sink holds `stream`: what it wrote (its own record, or the last known one when it cannot
    /// be asked) or, if newer, what waits in its spool. Used for the writer's resume position.
    package func heldPosition(of stream: String) async throws -> SinkPosition? {
        try await prepare()
        var known: SinkPosition? = written[stream]
        if !writtenLoaded.contains(stream) {
            do {
                known = try await loadWritten(stream)
            } catch {
                known = marks[stream]
                logger.notice(
                    "sink cannot report its position; using the last one it was known to hold",
                    metadata: [
                        "stream": "\(stream)", "position": "\(known.map(\.description) ?? "none")", "error": "\(error)",
                    ])
            }
        }
        return Self.newer(known, spool?.lastPosition(of: stream))
    }

    private static func newer(_ a: SinkPosition?, _ b: SinkPosition?) -> SinkPosition? {
        guard let a else { return b }
        guard let b else { return a }
        // A different epoch in the spool was accepted later than what the sink wrote.
        return a.epoch == b.epoch ? (a.sequence >= b.sequence ? a : b) : b
    }

    // MARK: - Submitting

    /// Hands a batch to the sink. Returns once it is held (durable) or queued (cache).
    /// - Throws: ``SinkError`` `unavailable` when the pipeline is closed.
    package func submit(_ batch: SinkBatch) async throws {
        try await prepare()
        guard !stopping else {
            throw SinkError(.unavailable, sink: name, "the writer is stopping; the batch stays unacknowledged")
        }
        let batch = Self.trimmed(batch, through: accepted[batch.stream])
        guard let last = batch.lastPosition else { return }
        accepted[batch.stream] = last
        guard let spool else {
            enqueueCache(batch)
            return
        }
        if spool.holds(batch.stream) || breaker.isOpen || queue.count >= settings.queueCapacity {
            try await spoolDirectly(batch)
            wakeWorker()
            return
        }
        nextID += 1
        let id = nextID
        let age = settings.flushMaxAge
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            var entry = Entry(batch: batch)
            entry.waiters.append(continuation)
            entry.timer = Task { [weak self] in
                guard (try? await Task.sleep(for: age)) != nil else { return }
                await self?.expire(id)
            }
            entries[id] = entry
            queue.append(id)
            recordQueue()
            wakeWorker()
        }
    }

    private func enqueueCache(_ batch: SinkBatch) {
        if breaker.isOpen {
            droppedCounter.increment()
            return
        }
        if queue.count >= settings.queueCapacity, let oldest = queue.first {
            queue.removeFirst()
            entries[oldest] = nil
            droppedCounter.increment()
            logger.warning(
                "cache sink is too slow; dropping its oldest queued batch", metadata: ["queue": "\(queue.count)"])
        }
        nextID += 1
        entries[nextID] = Entry(batch: batch)
        queue.append(nextID)
        recordQueue()
        wakeWorker()
    }

    /// Items after `position` (same epoch); a new epoch starts over.
    private static func trimmed(_ batch: SinkBatch, through position: SinkPosition?) -> SinkBatch {
        guard let position, position.epoch == batch.epoch,
            let first = batch.items.first, first.sequence <= position.sequence
        else { return batch }
        var trimmed = batch
        trimmed.items.removeAll { $0.sequence <= position.sequence }
        return trimmed
    }

    // MARK: - Spooling

    /// Appends a batch that must go behind spooled ones; waits while the spool is full, retries disk errors.
    private func spoolDirectly(_ batch: SinkBatch) async throws {
        let encoded = SinkSpool.encode(batch)
        while true {
            guard await reserveSpace(encoded.bytes.count, while: { !$0.stopping }) else {
                throw SinkError(.unavailable, sink: name, "the writer is stopping; the batch stays unacknowledged")
            }
            if await appendToSpool(encoded) { return }
            try await Task.sleep(for: settings.retryDelay)
        }
    }

    /// A queued batch was not written within `flushMaxAge`: spool it so it counts as held.
    private func expire(_ id: UInt64) async {
        guard let entry = entries[id], !entry.held else { return }
        let encoded = SinkSpool.encode(entry.batch)
        guard await reserveSpace(encoded.bytes.count, while: { $0.entries[id]?.held == false && !$0.closed }) else {
            return
        }
        guard await appendToSpool(encoded) else {
            // The disk failed: the batch stays queued for the sink, and spooling is tried again later.
            let age = settings.flushMaxAge
            entries[id]?.timer = Task { [weak self] in
                guard (try? await Task.sleep(for: age)) != nil else { return }
                await self?.expire(id)
            }
            return
        }
        if entries[id]?.queued == true {
            queue.removeAll { $0 == id }
            entries[id]?.queued = false
            recordQueue()
        }
        markHeld(id)
        wakeWorker()
    }

    /// Waits for room in the spool while `condition` holds; raises the full alarm while it waits.
    private func reserveSpace(_ size: Int, while condition: (isolated SinkPipeline) -> Bool) async -> Bool {
        guard let spool else { return false }
        while condition(self) {
            if spool.reserve(size) {
                if spoolFull {
                    spoolFull = false
                    spoolFullGauge.record(0)
                    logger.notice("spool has room again; the writer acknowledges again")
                }
                return true
            }
            if !spoolFull {
                spoolFull = true
                spoolFullGauge.record(1)
                logger.error(
                    "spool is full: the writer stops acknowledging this data until the sink drains it; senders keep the frames. Bring the sink back or raise writer.spool_limit",
                    metadata: ["bytes": "\(spool.bytes)", "limit": "\(spool.limit)", "directory": "\(spool.directory)"])
            }
            await withCheckedContinuation { spaceWaiters.append($0) }
        }
        return false
    }

    /// Appends reserved bytes; false (logged) on a disk error.
    private func appendToSpool(_ encoded: SinkSpool.Encoded) async -> Bool {
        guard let spool else { return false }
        do {
            try await spool.append(encoded)
            spooledCounter.increment()
            spoolBytesGauge.record(spool.bytes)
            return true
        } catch {
            spool.release(encoded.bytes.count)
            Counter(label: "cryptod_writer_sink_errors_total", dimensions: [("sink", name), ("code", "spool")])
                .increment()
            logger.error("cannot append to the spool; the batch stays unacknowledged", metadata: ["error": "\(error)"])
            return false
        }
    }

    private func markHeld(_ id: UInt64) {
        guard var entry = entries[id] else { return }
        entry.timer?.cancel()
        entry.timer = nil
        if !entry.held {
            entry.held = true
            for waiter in entry.waiters { waiter.resume() }
            entry.waiters = []
        }
        entries[id] = entry.queued || entry.inFlight ? entry : nil
    }

    private func wakeSpaceWaiters() {
        let waiters = spaceWaiters
        spaceWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Worker

    /// Runs the worker until ``close()``: starts the sink, writes queued batches, drains the spool.
    package func run() async {
        running = true
        defer {
            running = false
            for waiter in exitWaiters { waiter.resume() }
            exitWaiters = []
        }
        while !stopping && !Task.isCancelled {
            do {
                try await prepare()
            } catch {
                logger.error("cannot open the spool; retrying", metadata: ["error": "\(error)"])
                await waitForWork(until: .now + settings.initialBackoff)
                continue
            }
            let wasOpen = breaker.state
            if let next = breaker.nextAttempt(now: .now) {
                await waitForWork(until: next)
                continue
            }
            if breaker.state != wasOpen { breakerGauge.record(breaker.state.gaugeValue) }
            if !started {
                do {
                    try await startSink()
                } catch {
                    failed(error)
                    continue
                }
            }
            guard let work = await nextWork() else {
                await waitForWork(until: nil)
                continue
            }
            await perform(work)
        }
    }

    private func startSink() async throws {
        if started { return }
        if let startTask { return try await startTask.value }
        let sink = self.sink
        let task = Task { try await sink.start() }
        startTask = task
        defer { startTask = nil }
        try await task.value
        started = true
        logger.info("sink started")
    }

    private func nextWork() async -> Work? {
        let spooled = spool.map { $0.count > 0 } ?? false
        let useSpool = spooled && (queue.isEmpty || preferSpool || breaker.state == .halfOpen)
        preferSpool.toggle()
        if useSpool, let spool {
            do {
                if let (batch, records) = try await spool.head(maxItems: settings.flushMaxRows) {
                    return .spooled(records: records, batch)
                }
            } catch {
                logger.error("cannot read the spool", metadata: ["error": "\(error)"])
                failed(error)
                return nil
            }
        }
        guard let first = queue.first, let head = entries[first] else { return nil }
        var ids = [first]
        var batch = head.batch
        // Merge later queued batches of the same stream (a cache sink can have several) up to the row limit.
        for id in queue.dropFirst() {
            guard let next = entries[id], next.batch.stream == batch.stream, next.batch.epoch == batch.epoch,
                batch.items.count + next.batch.items.count <= settings.flushMaxRows
            else { continue }
            ids.append(id)
            batch.items += next.batch.items
        }
        for id in ids {
            entries[id]?.queued = false
            entries[id]?.inFlight = true
        }
        queue.removeAll { ids.contains($0) }
        recordQueue()
        return .queued(ids, batch)
    }

    private func perform(_ work: Work) async {
        let batch: SinkBatch
        switch work {
        case .queued(_, let b), .spooled(_, let b): batch = b
        }
        do {
            try await write(batch)
            succeeded()
            switch work {
            case .queued(let ids, _):
                for id in ids {
                    entries[id]?.inFlight = false
                    markHeld(id)
                }
            case .spooled(let records, _):
                try await spool?.removeHead(records: records)
                drainedCounter.increment(by: records)
                spoolBytesGauge.record(spool?.bytes ?? 0)
                wakeSpaceWaiters()
            }
        } catch let error as SinkError where error.code == .rejected {
            await reject(work, batch: batch, error: error)
        } catch {
            failed(error)
            if case .queued(let ids, _) = work { requeue(ids) }
        }
    }

    /// Writes what the sink does not hold yet, in chunks of `flushMaxRows`.
    private func write(_ batch: SinkBatch) async throws {
        let position = try await loadWritten(batch.stream)
        let remaining = Self.trimmed(batch, through: position)
        guard !remaining.items.isEmpty else { return }
        var start = 0
        while start < remaining.items.count {
            var end = min(remaining.items.count, start + max(1, settings.flushMaxRows))
            // A chunk ends on a frame boundary: its position is its last item's frame, so the events of one
            // batched frame (marketBatch) cut in two would count as held after the first part.
            while end < remaining.items.count, remaining.items[end].sequence == remaining.items[end - 1].sequence {
                end += 1
            }
            let chunk = SinkBatch(stream: batch.stream, epoch: batch.epoch, items: Array(remaining.items[start..<end]))
            let began = ContinuousClock.now
            try await sink.write(chunk)
            writeTimer.recordNanoseconds((ContinuousClock.now - began).nanoseconds)
            written[batch.stream] = chunk.lastPosition
            marks[batch.stream] = chunk.lastPosition
            start = end
        }
        if let spool { try? await spool.saveMarks(marks) }
    }

    /// The position the sink holds for `stream`, loaded once (then tracked in memory).
    private func loadWritten(_ stream: String) async throws -> SinkPosition? {
        if writtenLoaded.contains(stream) { return written[stream] }
        let position: SinkPosition?
        if sink.keepsPositions {
            try await startSink()
            position = try await sink.position(of: stream)
        } else {
            position = marks[stream]
        }
        if !writtenLoaded.contains(stream) {
            written[stream] = position
            writtenLoaded.insert(stream)
        }
        return written[stream]
    }

    private func succeeded() {
        if breaker.state != .closed {
            logger.notice("sink is back; draining its spool", metadata: ["spooled": "\(spool?.count ?? 0)"])
        }
        breaker.recordSuccess()
        breakerGauge.record(breaker.state.gaugeValue)
    }

    private func failed(_ error: any Error) {
        let code = (error as? SinkError)?.code.description ?? "unavailable"
        Counter(label: "cryptod_writer_sink_errors_total", dimensions: [("sink", name), ("code", code)]).increment()
        // A write that failed may still have landed (a commit whose answer was lost): ask the positions again.
        writtenLoaded.removeAll()
        let opened = breaker.recordFailure(now: .now)
        breakerGauge.record(breaker.state.gaugeValue)
        if opened {
            logger.error(
                durable
                    ? "sink is down; its batches go to the spool until it is back"
                    : "cache sink is down; its batches are dropped until it is back",
                metadata: ["error": "\(error)", "failures": "\(breaker.consecutiveFailures)"])
            if !durable {
                droppedCounter.increment(by: queue.count)
                for id in queue { entries[id] = nil }
                queue = []
                recordQueue()
            }
        } else if breaker.consecutiveFailures == 1 || breaker.consecutiveFailures.isMultiple(of: 20) {
            logger.warning(
                "sink write failed", metadata: ["error": "\(error)", "failures": "\(breaker.consecutiveFailures)"])
        }
    }

    /// Both queue gauges: batches, and the items in them. CryptodQueueBacklog counts items (the seed's
    /// "queue > 5000" messages): the queue holds at most `queueCapacity` (1024) batches, so a batch count
    /// never reaches 5000. Summed here, over at most that many entries, rather than kept incrementally.
    private func recordQueue() {
        queueDepthGauge.record(queue.count)
        queueItemsGauge.record(queue.reduce(0) { $0 + (entries[$1]?.batch.items.count ?? 0) })
    }

    /// A failed write of queued batches: spooled copies are done; the rest go back to the front of the queue
    /// and are spooled now (a cache sink drops them).
    private func requeue(_ ids: [UInt64]) {
        var back: [UInt64] = []
        for id in ids {
            guard var entry = entries[id] else { continue }
            entry.inFlight = false
            if entry.held || !durable {
                if !durable { droppedCounter.increment() }
                entries[id] = nil
                continue
            }
            entry.queued = true
            entries[id] = entry
            back.append(id)
        }
        queue.insert(contentsOf: back, at: 0)
        recordQueue()
        for id in back { Task { await self.expire(id) } }
    }

    /// The sink refused the data itself: retrying cannot help, so the batch is set aside in the spool's
    /// `rejected` file for an operator, loudly, and the stream goes on.
    private func reject(_ work: Work, batch: SinkBatch, error: SinkError) async {
        rejectedCounter.increment()
        Counter(label: "cryptod_writer_sink_errors_total", dimensions: [("sink", name), ("code", "rejected")])
            .increment()
        logger.error(
            "sink rejected a batch; it is kept in the spool's rejected file and the stream goes on",
            metadata: [
                "stream": "\(batch.stream)", "epoch": "\(batch.epoch)",
                "first": "\(batch.items.first?.sequence ?? 0)", "last": "\(batch.items.last?.sequence ?? 0)",
                "error": "\(error)",
            ])
        if let spool { try? await spool.setAside(SinkSpool.encode(batch)) }
        if let last = batch.lastPosition { written[batch.stream] = last }
        switch work {
        case .queued(let ids, _):
            for id in ids {
                entries[id]?.inFlight = false
                markHeld(id)
            }
        case .spooled(let records, _):
            try? await spool?.removeHead(records: records)
            wakeSpaceWaiters()
        }
    }

    private func wakeWorker() {
        if let waiter = workerWaiter {
            workerWaiter = nil
            waiter.resume()
        } else {
            workerSignalled = true
        }
    }

    private func waitForWork(until deadline: ContinuousClock.Instant?) async {
        if workerSignalled || stopping {
            workerSignalled = false
            return
        }
        let timer = deadline.map { deadline in
            Task { [weak self] in
                guard (try? await Task.sleep(until: deadline, clock: .continuous)) != nil else { return }
                await self?.wakeWorker()
            }
        }
        await withCheckedContinuation { workerWaiter = $0 }
        timer?.cancel()
        workerSignalled = false
    }

    // MARK: - Life cycle

    /// Opens the spool and reads the last written positions; idempotent.
    package func prepare() async throws {
        if let prepareTask { return try await prepareTask.value }
        let spool = self.spool
        let task = Task<Void, any Error> { try await spool?.open() }
        prepareTask = task
        do {
            try await task.value
            marks = try await spool?.loadMarks() ?? [:]
            spoolBytesGauge.record(spool?.bytes ?? 0)
        } catch {
            prepareTask = nil
            throw error
        }
    }

    /// Stops the worker, spools what is still queued (so it is acknowledged and drained at the next start),
    /// and closes the sink and the spool. Queued batches that find no room stay unacknowledged.
    package func close() async {
        guard !closed else { return }
        stopping = true
        wakeWorker()
        if running { await withCheckedContinuation { exitWaiters.append($0) } }
        for id in queue where durable {
            guard let entry = entries[id], !entry.held, let spool else { continue }
            let encoded = SinkSpool.encode(entry.batch)
            if spool.reserve(encoded.bytes.count), await appendToSpool(encoded) { markHeld(id) }
        }
        closed = true
        wakeSpaceWaiters()
        for (id, entry) in entries where !entry.held {
            entry.timer?.cancel()
            for waiter in entry.waiters {
                waiter.resume(
                    throwing: SinkError(.unavailable, sink: name, "the writer stopped before the batch was held"))
            }
            entries[id] = nil
        }
        queue = []
        await sink.close()
        await spool?.close()
    }
}

extension Duration {
    /// Whole nanoseconds, clamped to `Int64`.
    fileprivate var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
