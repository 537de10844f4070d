import CryptodOps
import Logging
import Metrics
import Synchronization

/// Sizes one worker pool from its queue depth: the I/O half of ``WorkerScaler`` (which stays pure), shared by
/// the pools that may run in parallel (the writer's Redis connections, the gateway's history reads).
///
/// The owner runs ``run(depth:resize:)`` in a task of its own: every `tick` it samples the depth, asks the
/// scaler, and on a decision calls `resize` with the new target, which the owner reaches one worker at a time
/// (``desired`` is the target; the owner reports how many it really runs with ``recordSize(_:)``). Every
/// decision is counted (`cryptod_worker_pool_scale_events_total{process,pool,direction}`) and logged at info
/// with its reason; the size and depth are gauges (`cryptod_worker_pool_size`, `cryptod_worker_pool_queue_depth`).
package final class WorkerPoolScaling: Sendable {
    /// How often and how eagerly the pool scales (``WorkerScaler``'s thresholds).
    package struct Settings: Sendable, Equatable {
        package var tick: Duration
        /// Grow when the depth stayed above this many per worker for `patience` ticks.
        package var upPerWorker: Int
        /// Shrink when the depth stayed at or below this many per worker for `patience × 4` ticks.
        package var downPerWorker: Int
        package var patience: Int

        package init(tick: Duration = .milliseconds(250), upPerWorker: Int, downPerWorker: Int, patience: Int = 3) {
            self.tick = tick
            self.upPerWorker = upPerWorker
            self.downPerWorker = downPerWorker
            self.patience = patience
        }
    }

    private struct State {
        var scaler: WorkerScaler
        var actual: Int
        var queueDepth = 0
        var ups: UInt64 = 0
        var downs: UInt64 = 0
        var lastDecision: String?
    }

    package let process: String
    package let pool: String
    package let kind: WorkerKind
    package let settings: Settings
    private let logger: Logger
    private let state: Mutex<State>
    private let sizeGauge: Gauge
    private let depthGauge: Gauge
    private let upCounter: Counter
    private let downCounter: Counter

    /// - Parameters:
    ///   - process: `writer`, `gateway`: the `process` label and the report's owner.
    ///   - pool: `redis`, `postgres_read`: the `pool` label and ``PoolReport/pool``.
    package init(
        process: String, pool: String, kind: WorkerKind, bounds: WorkerBounds, settings: Settings, logger: Logger
    ) {
        self.process = process
        self.pool = pool
        self.kind = kind
        self.settings = settings
        self.logger = logger
        let scaler = WorkerScaler(
            bounds: bounds, upPerWorker: settings.upPerWorker, downPerWorker: settings.downPerWorker,
            patience: settings.patience)
        state = Mutex(State(scaler: scaler, actual: 0))
        let dimensions = [("process", process), ("pool", pool)]
        sizeGauge = Gauge(label: "cryptod_worker_pool_size", dimensions: dimensions)
        depthGauge = Gauge(label: "cryptod_worker_pool_queue_depth", dimensions: dimensions)
        upCounter = Counter(
            label: "cryptod_worker_pool_scale_events_total", dimensions: dimensions + [("direction", "up")])
        downCounter = Counter(
            label: "cryptod_worker_pool_scale_events_total", dimensions: dimensions + [("direction", "down")])
        sizeGauge.record(0)
        depthGauge.record(0)
    }

    /// The number of workers the scaler wants now (within the bounds).
    package var desired: Int { state.withLock { $0.scaler.current } }

    package var bounds: WorkerBounds { state.withLock { $0.scaler.bounds } }

    /// Scale-ups and scale-downs so far (decisions, including clamps by ``setBounds(_:)``).
    package var events: (ups: UInt64, downs: UInt64) { state.withLock { ($0.ups, $0.downs) } }

    /// Takes one depth sample; a decision is counted and logged before it is returned.
    @discardableResult
    package func sample(queueDepth: Int) -> WorkerScaler.Decision {
        let (decision, from) = state.withLock { state in
            state.queueDepth = queueDepth
            let from = state.scaler.current
            return (state.scaler.sample(queueDepth: queueDepth), from)
        }
        depthGauge.record(queueDepth)
        record(decision, from: from, queueDepth: queueDepth)
        return decision
    }

    /// New bounds (a mode switch, an override): `desired` is clamped into them at once.
    @discardableResult
    package func setBounds(_ bounds: WorkerBounds) -> WorkerScaler.Decision {
        let (decision, from, depth) = state.withLock { state in
            let from = state.scaler.current
            return (state.scaler.setBounds(bounds), from, state.queueDepth)
        }
        let applied = self.bounds
        logger.info(
            "worker pool bounds changed",
            metadata: [
                "process": "\(process)", "pool": "\(pool)", "kind": "\(kind.rawValue)",
                "min": "\(applied.min)", "max": "\(applied.max)",
            ])
        record(decision, from: from, queueDepth: depth)
        return decision
    }

    /// The number of workers the pool really runs (after a resize step, or at start).
    package func recordSize(_ workers: Int) {
        state.withLock { $0.actual = workers }
        sizeGauge.record(workers)
    }

    /// The pool as `/api/v1/stream/workers` shows it. `current` is what runs, which may lag ``desired`` while
    /// a worker is being opened or drained.
    package func report() -> PoolReport {
        state.withLock { state in
            PoolReport(
                pool: pool, kind: kind, bounds: state.scaler.bounds, current: state.actual,
                queueDepth: state.queueDepth, scaleUpsTotal: state.ups, scaleDownsTotal: state.downs,
                lastDecision: state.lastDecision)
        }
    }

    /// Samples `depth` every tick and calls `resize` after each decision, until the task is cancelled or
    /// `depth` returns nil (the pool is gone: owners capture themselves weakly, so this loop never keeps
    /// them alive).
    package func run(depth: @Sendable () -> Int?, resize: @Sendable () async -> Void) async {
        while !Task.isCancelled {
            do { try await Task.sleep(for: settings.tick) } catch { return }
            guard let queueDepth = depth() else { return }
            if case .hold = sample(queueDepth: queueDepth) { continue }
            await resize()
        }
    }

    private func record(_ decision: WorkerScaler.Decision, from: Int, queueDepth: Int) {
        let (direction, target, reason): (String, Int, String)
        switch decision {
        case .hold: return
        case .up(let to, let why):
            (direction, target, reason) = ("up", to, why)
            upCounter.increment()
        case .down(let to, let why):
            (direction, target, reason) = ("down", to, why)
            downCounter.increment()
        }
        let summary = "\(direction) to \(target): \(reason)"
        state.withLock { state in
            if direction == "up" { state.ups += 1 } else { state.downs += 1 }
            state.lastDecision = summary
        }
        logger.info(
            "worker pool scales \(direction)",
            metadata: [
                "process": "\(process)", "pool": "\(pool)", "kind": "\(kind.rawValue)", "from": "\(from)",
                "to": "\(target)", "queue_depth": "\(queueDepth)", "reason": "\(reason)",
            ])
    }
}

/// A first-come first-served lock that may be held across `await` (an actor's methods interleave at every
/// suspension, so an actor cannot make "open a connection, then publish it" one step). Pools hold it while
/// they add or retire a worker, so concurrent resizes (the tick loop, a bounds change, close) never overlap.
package final class AsyncSerialLock: Sendable {
    private let state = Mutex<(held: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    package init() {}

    package func withLock<T: Sendable>(_ body: @Sendable () async throws -> T) async rethrows -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let granted = state.withLock { state in
                if !state.held {
                    state.held = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if granted { continuation.resume() }
        }
    }

    private func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.held = false
                return nil
            }
            return state.waiters.removeFirst()  // stays held: ownership passes to the next waiter
        }
        next?.resume()
    }
}
