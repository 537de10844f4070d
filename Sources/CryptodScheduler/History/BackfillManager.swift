import CryptodExchanges
import CryptodIPC
import CryptodModel
import CryptodSinks
import CryptodWire
import Logging
import Metrics
import Synchronization

/// Runs candle backfills: plans each request from what PostgreSQL already holds, sends it to the
/// exchange's ingestor one page at a time, records ranges the exchange answered empty, and keeps the job
/// and its progress in `backfill_jobs`, so after a crash of any process the job resumes from what landed.
///
/// Pages go out one at a time per job: the ingestor's governor paces every request at backfill priority
/// (below live polling and book resyncs), so more in flight would only queue there, and one at a time keeps
/// a cancel immediate and the fetch order exact. Several jobs run side by side.
package final class BackfillManager: Sendable {
    /// Sends a page request to the ingestor of its exchange (``SchedulerRole/submit(_:)``).
    package typealias Submit = @Sendable (JobRequest) throws -> Void

    private struct State {
        /// Results awaited, by page request id.
        var waiting: [UInt64: CheckedContinuation<JobResult, Never>] = [:]
        /// Results that arrived before their waiter registered (a fast ingestor).
        var early: [UInt64: JobResult] = [:]
        /// Jobs being run here, with their latest record.
        var running: [Int64: BackfillJobRecord] = [:]
        var cancelled: Set<Int64> = []
        var nextPage: UInt64
        /// The first page id of this run.
        let firstPage: UInt64
        /// Wall time (ms) each running job started here, and the candles it had then (for its rate).
        var started: [Int64: (at: Int64, candles: Int64)] = [:]
    }

    private let history: PostgresHistory
    private let submit: Submit
    private let logger: Logger
    private let state: Mutex<State>
    private let queue: AsyncStream<Int64>
    private let enqueue: AsyncStream<Int64>.Continuation
    private let candlesFetched: Counter
    private let pagesSent: Counter
    private let jobsFinished: [BackfillJobRecord.State: Counter]
    /// Attempts per page before the job fails (a page fails only after the ingestor's own retries).
    private let attempts = 3
    /// The throttle's hold on backfills (docs/operations.md: what a throttle sheds).
    package let pacing = BackfillPacing()

    package init(history: PostgresHistory, submit: @escaping Submit, logger: Logger) {
        self.history = history
        self.submit = submit
        self.logger = logger
        // Page ids start from the wall clock so a restarted scheduler never reuses one the ingestor may
        // still answer (those late answers find no waiter and are ignored).
        let firstPage = UInt64(max(0, WallClock.nowNanoseconds() / 1_000_000)) << 16
        state = Mutex(State(nextPage: firstPage, firstPage: firstPage))
        (queue, enqueue) = AsyncStream.makeStream(of: Int64.self)
        candlesFetched = Counter(label: "cryptod_scheduler_backfill_candles_total")
        pagesSent = Counter(label: "cryptod_scheduler_backfill_requests_total")
        jobsFinished = Dictionary(
            uniqueKeysWithValues: [BackfillJobRecord.State.succeeded, .failed, .cancelled].map {
                (
                    $0,
                    Counter(
                        label: "cryptod_scheduler_backfill_jobs_finished_total", dimensions: [("state", $0.rawValue)])
                )
            })
    }

    // MARK: - Requests

    /// Stores a new job and queues it; returns the stored record.
    package func start(_ request: BackfillRequest) async throws -> BackfillJobRecord {
        let record = try await history.insert(
            BackfillJobRecord(
                market: request.market, interval: request.interval, rangeStart: request.from, rangeEnd: request.to,
                order: request.order.rawValue))
        logger.info(
            "backfill queued",
            metadata: [
                "job": "\(record.id)", "market": "\(record.market)", "timeframe": "\(record.interval)",
                "from": "\(Timestamp(milliseconds: record.rangeStart))",
                "to": "\(Timestamp(milliseconds: record.rangeEnd))",
            ])
        enqueue.yield(record.id)
        return record
    }

    /// Queues a stored job (a history sync pass).
    package func queue(_ id: Int64) { enqueue.yield(id) }

    /// Marks a job cancelled; a running job stops before its next page.
    package func cancel(_ id: Int64) async throws -> BackfillJobRecord? {
        guard var record = try await history.job(id: id) else { return nil }
        guard !record.state.isFinished else { return record }
        let wasRunning = state.withLock { state -> Bool in
            state.cancelled.insert(id)
            return state.running[id] != nil
        }
        if !wasRunning {
            record.state = .cancelled
            record.message = "cancelled before it started"
            record.finishedAt = Self.now()
            try await history.update(record)
        }
        return record
    }

    /// The latest record of a job: the live one while it runs here, else the stored one.
    package func job(_ id: Int64) async throws -> BackfillJobRecord? {
        if let live = state.withLock({ $0.running[id] }) { return live }
        return try await history.job(id: id)
    }

    package func jobs(limit: Int = 50) async throws -> [BackfillJobRecord] {
        let stored = try await history.jobs(limit: limit)
        let live = state.withLock { $0.running }
        return stored.map { live[$0.id] ?? $0 }
    }

    /// Candles per second and seconds left for a running job, from what it fetched since it started here.
    package func rate(of record: BackfillJobRecord) -> (candlesPerSecond: Double, etaSeconds: Int64?)? {
        guard let started = state.withLock({ $0.started[record.id] }) else { return nil }
        let elapsed = max(1, Self.now() - started.at)
        let perSecond = Double(record.candles - started.candles) * 1000 / Double(elapsed)
        let remainingPages = max(0, record.chunksTotal - record.chunksDone)
        let pagesDone = max(1, record.chunksDone)
        let eta = record.chunksDone > 0 ? Int64(remainingPages) * elapsed / Int64(pagesDone) / 1000 : nil
        return (perSecond, eta)
    }

    // MARK: - Results from the ingestors

    /// Hands an ingestor's result to the page waiting for it. Never blocks (called from the stream consumer).
    package func received(_ result: JobResult) {
        let waiter = state.withLock { state -> CheckedContinuation<JobResult, Never>? in
            if let waiter = state.waiting.removeValue(forKey: result.id) { return waiter }
            // Only ids this run issued are kept for a waiter about to register; anything else is a late
            // answer to a previous run's page.
            if result.id < state.nextPage, result.id >= state.firstPage { state.early[result.id] = result }
            return nil
        }
        waiter?.resume(returning: result)
    }

    // MARK: - Running

    /// Resumes unfinished jobs, then runs queued ones until cancelled (the scheduler's lifetime).
    package func run() async {
        do {
            for record in try await history.jobs(unfinished: true, limit: 1000).reversed() {
                logger.info("resuming backfill after a restart", metadata: ["job": "\(record.id)"])
                enqueue.yield(record.id)
            }
        } catch {
            logger.error(
                "could not read unfinished backfills; they resume when the scheduler next starts",
                metadata: ["error": "\(error)"])
        }
        await withDiscardingTaskGroup { group in
            for await id in queue {
                group.addTask { await self.execute(id) }
            }
        }
    }

    /// Ends ``run()``: no more jobs are taken.
    package func finish() { enqueue.finish() }

    private static func now() -> Int64 { WallClock.nowNanoseconds() / 1_000_000 }

    private func execute(_ id: Int64) async {
        guard var record = try? await history.job(id: id), !record.state.isFinished else { return }
        let grid = CandleGrid(record.interval)
        do {
            // Only closed candles are history: the range ends at the open of the current candle.
            let now = Self.now()
            let end = min(record.rangeEnd, grid.open(containing: now))
            guard let range = TimeRange(start: record.rangeStart, end: end).map(grid.aligned) else {
                record.state = .succeeded
                record.message = "nothing to fetch: the range holds no closed candle yet"
                record.finishedAt = now
                try await finishJob(record)
                return
            }
            var coverage = try await coverage(of: record.market, interval: record.interval, range: range)
            if record.startedAt == nil {
                record.storedBefore = Int64(grid.count(inSet: coverage.present))
            } else {
                // Resumed: pages answered before the restart are on their way to PostgreSQL through the
                // writer's reliable stream. Planning before they land would fetch them again.
                coverage = try await settledCoverage(
                    of: record, range: range, expectedStored: Int(record.storedBefore + record.candles))
            }
            let page = ExchangeRegistry.api(for: record.market.exchange)?.maxCandlesPerRequest ?? 500
            let order = BackfillOrder(rawValue: record.order) ?? .newestFirst
            let chunks = BackfillPlanner.chunks(
                missing: coverage.missing(in: range), grid: grid, pageSize: page, order: order)
            logger.info(
                "backfill planned",
                metadata: [
                    "job": "\(id)", "pages": "\(chunks.count)", "stored": "\(grid.count(inSet: coverage.present))",
                    "empty": "\(grid.count(inSet: coverage.empty))", "candles": "\(grid.count(in: range))",
                ])
            record.state = .running
            record.chunksTotal = record.chunksDone + chunks.count
            record.startedAt = record.startedAt ?? now
            record.message = chunks.isEmpty ? "already complete" : "fetching \(chunks.count) pages"
            state.withLock {
                $0.running[id] = record
                $0.started[id] = (now, record.candles)
            }
            try await history.update(record)
            let presentBefore = grid.count(inSet: coverage.present.clipped(to: range))
            var fetched = TimeRangeSet()
            var fetchedCandles = 0
            for chunk in chunks {
                if state.withLock({ $0.cancelled.contains(id) }) || Task.isCancelled {
                    record.state = Task.isCancelled ? .running : .cancelled
                    record.message =
                        Task.isCancelled ? "interrupted by shutdown; resumes at the next start" : "cancelled"
                    if !Task.isCancelled { record.finishedAt = Self.now() }
                    try await finishJob(record)
                    return
                }
                let pageStart = ContinuousClock.now
                try await pacing.waitWhilePaused { paused in
                    guard paused else { return }
                    record.message = "paused by the throttle or an emergency stop (cryptoctl throttle --restore)"
                    state.withLock { $0.running[id] = record }
                    try? await history.update(record)
                }
                let items = try await fetch(chunk, of: record)
                try await pacing.slowDown(after: ContinuousClock.now - pageStart)
                if items == 0 {
                    // The exchange answered and had nothing: never ask for this range again.
                    try await history.recordEmpty(
                        market: record.market, interval: record.interval, start: chunk.range.start,
                        end: chunk.range.end)
                }
                fetched.insert(chunk.range)
                fetchedCandles += Int(items)
                record.chunksDone += 1
                record.candles += Int64(items)
                record.message =
                    "through \(Timestamp(milliseconds: order == .oldestFirst ? chunk.range.end : chunk.range.start))"
                candlesFetched.increment(by: Int64(items))
                state.withLock { $0.running[id] = record }
                try await history.update(record)
            }
            if !fetched.isEmpty {
                try await recordHoles(
                    in: fetched, of: record, range: range, expectedStored: presentBefore + fetchedCandles)
            }
            record.state = .succeeded
            record.message = "\(record.candles) candles in \(record.chunksDone) pages"
            record.finishedAt = Self.now()
            try await finishJob(record)
        } catch  where Task.isCancelled {
            // Shutdown: the job stays running in the table and resumes, re-planned, at the next start.
            record.message = "interrupted by shutdown; resumes at the next start"
            state.withLock { $0.running[id] = nil }
            try? await history.update(record)
        } catch {
            record.state = .failed
            record.message = "\(error)"
            record.finishedAt = Self.now()
            logger.error("backfill failed", metadata: ["job": "\(id)", "error": "\(error)"])
            try? await finishJob(record)
        }
    }

    private func finishJob(_ record: BackfillJobRecord) async throws {
        state.withLock {
            $0.running[record.id] = nil
            $0.started[record.id] = nil
            $0.cancelled.remove(record.id)
        }
        try await history.update(record)
        if record.state.isFinished {
            jobsFinished[record.state]?.increment()
            logger.info(
                "backfill ended",
                metadata: ["job": "\(record.id)", "state": "\(record.state)", "result": "\(record.message)"])
        }
    }

    /// After the last page: once the writer has stored what was fetched, the candle slots still empty inside
    /// the fetched pages are ones the exchange answered without (no trades then), so they are recorded
    /// empty and never asked for again. If the writer does not catch up within a minute they stay missing,
    /// and the next backfill asks again: a wasted request, never a hole taken for empty.
    private func recordHoles(
        in fetched: TimeRangeSet, of record: BackfillJobRecord, range: TimeRange, expectedStored: Int
    ) async throws {
        let coverage = try await settledCoverage(of: record, range: range, expectedStored: expectedStored)
        guard CandleGrid(record.interval).count(inSet: coverage.present.clipped(to: range)) >= expectedStored else {
            logger.warning(
                "the writer has not stored every fetched candle yet; the slots without one stay missing",
                metadata: ["job": "\(record.id)", "expected": "\(expectedStored)"])
            return
        }
        for hole in fetched.subtracting(coverage.present).ranges {
            try await history.recordEmpty(
                market: record.market, interval: record.interval, start: hole.start, end: hole.end)
        }
    }

    /// The coverage of `range` once at least `expectedStored` closed candles are stored in it, or after a
    /// minute of waiting for the writer, whichever comes first.
    private func settledCoverage(
        of record: BackfillJobRecord, range: TimeRange, expectedStored: Int
    ) async throws
        -> Coverage
    {
        let grid = CandleGrid(record.interval)
        var coverage = try await self.coverage(of: record.market, interval: record.interval, range: range)
        for _ in 0..<120 where grid.count(inSet: coverage.present.clipped(to: range)) < expectedStored {
            try await Task.sleep(for: .milliseconds(500))
            coverage = try await self.coverage(of: record.market, interval: record.interval, range: range)
        }
        return coverage
    }

    /// What PostgreSQL knows of `range`: stored candles are present, ledger rows empty.
    package func coverage(of market: MarketKey, interval: CandleInterval, range: TimeRange) async throws -> Coverage {
        let grid = CandleGrid(interval)
        let opens = try await history.storedOpens(
            market: market, interval: interval, start: range.start, end: range.end)
        let empty = try await history.emptyRanges(
            market: market, interval: interval, start: range.start, end: range.end)
        return Coverage(
            present: grid.coverage(ofOpens: opens),
            empty: TimeRangeSet(empty.compactMap { TimeRange(start: $0.start, end: $0.end) }))
    }

    /// Sends one page to the ingestor and waits for its answer, retrying a failed page.
    private func fetch(_ chunk: BackfillChunk, of record: BackfillJobRecord) async throws -> UInt64 {
        var lastMessage = ""
        for attempt in 1...attempts {
            let pageID = state.withLock { state -> UInt64 in
                defer { state.nextPage += 1 }
                return state.nextPage
            }
            let request = JobRequest(
                id: pageID, kind: .backfillCandles, market: record.market, interval: record.interval,
                from: Timestamp(milliseconds: chunk.range.start), to: Timestamp(milliseconds: chunk.range.end),
                priority: 1)
            let result = await withTaskCancellationHandler {
                await wait(for: request)
            } onCancel: {
                let waiter = state.withLock { $0.waiting.removeValue(forKey: pageID) }
                waiter?.resume(
                    returning: JobResult(id: pageID, outcome: .cancelled, items: 0, message: "shutting down"))
            }
            try Task.checkCancellation()
            switch result.outcome {
            case .succeeded: return result.items
            case .cancelled:
                throw BackfillRequest.Problem(message: "the ingestor cancelled the page: \(result.message)")
            case .failed:
                lastMessage = result.message
                logger.warning(
                    "backfill page failed; trying again",
                    metadata: ["job": "\(record.id)", "attempt": "\(attempt)", "error": "\(result.message)"])
                try await Task.sleep(for: .seconds(attempt * 2))
            }
        }
        throw BackfillRequest.Problem(
            message: "page \(chunk) failed \(attempts) times; last error: \(lastMessage)")
    }

    /// Registers a waiter for `request`'s answer, then sends it.
    private func wait(for request: JobRequest) async -> JobResult {
        let pageID = request.id
        return await withCheckedContinuation { continuation in
            let early = state.withLock { state -> JobResult? in
                if let early = state.early.removeValue(forKey: pageID) { return early }
                // Cancelled before registering: the cancellation handler has already run and found nothing.
                if Task.isCancelled {
                    return JobResult(id: pageID, outcome: .cancelled, items: 0, message: "shutting down")
                }
                state.waiting[pageID] = continuation
                return nil
            }
            if let early {
                continuation.resume(returning: early)
                return
            }
            do {
                try submit(request)
                pagesSent.increment()
            } catch {
                let waiter = state.withLock { $0.waiting.removeValue(forKey: pageID) }
                waiter?.resume(
                    returning: JobResult(id: pageID, outcome: .failed, items: 0, message: "not sent: \(error)"))
            }
        }
    }
}
