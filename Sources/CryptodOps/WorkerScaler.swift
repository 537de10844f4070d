/// Decides how many workers a pool should run, from samples of its queue depth (pure; table-tested).
///
/// One sample per tick. The pool grows by one when the queue per worker stayed above `upPerWorker` for
/// `patience` consecutive samples, and shrinks by one when the queue stayed at or below `downPerWorker` for
/// `patience × 4` samples: growing is quick, shrinking is slow, so a pool does not flap on a bursty queue.
/// Bounds changes (mode switch) clamp at once. Bounds are normalised on the way in: a pool runs at least one
/// worker, and a maximum below the minimum is raised to it, so `current` always lies within `bounds`.
package struct WorkerScaler: Sendable, Equatable {
    package enum Decision: Sendable, Equatable {
        case hold
        case up(to: Int, reason: String)
        case down(to: Int, reason: String)
    }

    package private(set) var bounds: WorkerBounds
    package private(set) var current: Int
    package var upPerWorker: Int
    package var downPerWorker: Int
    package var patience: Int
    private var highStreak = 0
    private var lowStreak = 0

    package init(bounds: WorkerBounds, upPerWorker: Int = 32, downPerWorker: Int = 2, patience: Int = 3) {
        let bounds = Self.normalised(bounds)
        self.bounds = bounds
        self.current = bounds.min
        self.upPerWorker = upPerWorker
        self.downPerWorker = downPerWorker
        self.patience = Swift.max(1, patience)
    }

    /// New bounds; returns the decision the clamp made (hold when `current` already fits).
    package mutating func setBounds(_ requested: WorkerBounds) -> Decision {
        let next = Self.normalised(requested)
        bounds = next
        highStreak = 0
        lowStreak = 0
        if current < next.min {
            current = next.min
            return .up(to: current, reason: "bounds raised to \(next.min)–\(next.max)")
        }
        if current > next.max {
            current = next.max
            return .down(to: current, reason: "bounds lowered to \(next.min)–\(next.max)")
        }
        return .hold
    }

    /// Takes one queue-depth sample.
    package mutating func sample(queueDepth: Int) -> Decision {
        // `patience` is a public var: a 0 would make every sample, even of an empty queue, a scale-up.
        let patience = Swift.max(1, patience)
        if queueDepth > upPerWorker * current {
            highStreak += 1
            lowStreak = 0
        } else if queueDepth <= downPerWorker * current {
            lowStreak += 1
            highStreak = 0
        } else {
            highStreak = 0
            lowStreak = 0
        }
        if highStreak >= patience, current < bounds.max {
            highStreak = 0
            current += 1
            return .up(
                to: current, reason: "queue \(queueDepth) > \(upPerWorker) per worker for \(patience) samples")
        }
        if lowStreak >= patience * 4, current > bounds.min {
            lowStreak = 0
            current -= 1
            return .down(
                to: current, reason: "queue \(queueDepth) ≤ \(downPerWorker) per worker for \(patience * 4) samples")
        }
        return .hold
    }

    /// At least one worker, and `max ≥ min` (a pool with no worker would leave its queue unserved).
    private static func normalised(_ bounds: WorkerBounds) -> WorkerBounds {
        let low = Swift.max(1, bounds.min)
        return WorkerBounds(min: low, max: Swift.max(low, bounds.max))
    }
}
