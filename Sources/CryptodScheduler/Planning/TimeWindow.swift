import CryptodModel

/// The seed's scheduling windows: when a piece of work can run, given the exchange's budget.
package enum TimeWindow: String, Sendable, Hashable, CaseIterable, Comparable {
    /// 0–5 s.
    case immediate = "IMMEDIATE"
    /// 5–60 s.
    case short = "SHORT"
    /// 1–5 min.
    case medium = "MEDIUM"
    /// 5 min and more.
    case long = "LONG"

    /// The window a start this many milliseconds from now falls in.
    package init(delayMilliseconds delay: Int64) {
        switch delay {
        case ..<5_000: self = .immediate
        case ..<60_000: self = .short
        case ..<300_000: self = .medium
        default: self = .long
        }
    }

    private var rank: Int { Self.allCases.firstIndex(of: self)! }

    package static func < (lhs: TimeWindow, rhs: TimeWindow) -> Bool { lhs.rank < rhs.rank }
}

/// Where a piece of work goes: its window and how long to wait before starting it.
package struct Placement: Sendable, Hashable {
    package var window: TimeWindow
    package var delayMilliseconds: Int64
}

/// One request budget as the ingestor's governor reports it (a `capacityReport` budget), reduced to what
/// planning needs.
package struct BudgetState: Sendable, Hashable {
    /// Weight (or requests) used in the current window.
    package var used: UInt64
    /// What cryptod allows itself per window (`limit × rate_limit_share`).
    package var budget: UInt64
    package var windowStart: Int64
    package var resetAt: Int64
    /// A ban or `Retry-After` in force until then.
    package var blockedUntil: Int64?

    package init(used: UInt64, budget: UInt64, windowStart: Int64, resetAt: Int64, blockedUntil: Int64? = nil) {
        self.used = used
        self.budget = budget
        self.windowStart = windowStart
        self.resetAt = resetAt
        self.blockedUntil = blockedUntil
    }

    package var windowLength: Int64 { max(1, resetAt - windowStart) }
}

/// Places work in windows from the reported budget: pure arithmetic, so the plan can be tested and shown
/// (`GET /api/v1/historical/capacity/{exchange}`) without an exchange.
package enum WindowPlanner {
    /// - Parameters:
    ///   - cost: The work's weight.
    ///   - queuedAhead: Weight already placed before it in the current window.
    ///   - budget: The budget it draws on.
    ///   - now: The current time (ms).
    ///   - extraDelay: The exchange's adaptive delay (ms), added to every start.
    package static func place(
        cost: UInt64, queuedAhead: UInt64, budget: BudgetState, now: Int64, extraDelay: Int64 = 0
    ) -> Placement {
        var delay: Int64 = 0
        if let blocked = budget.blockedUntil, blocked > now {
            // Nothing goes out before a ban or Retry-After ends; the budget restarts then.
            delay = blocked - now
        } else if budget.budget > 0 {
            let available = budget.budget > budget.used ? budget.budget - budget.used : 0
            let needed = queuedAhead + cost
            if needed > available {
                // The part that does not fit now spills into later windows, a whole budget per window.
                let overflow = needed - available
                let windows = Int64((overflow + budget.budget - 1) / budget.budget)
                delay = max(0, budget.resetAt - now) + (windows - 1) * budget.windowLength
            }
        }
        delay += max(0, extraDelay)
        return Placement(window: TimeWindow(delayMilliseconds: delay), delayMilliseconds: delay)
    }
}

/// The per-exchange delay between requests that grows while the exchange signals rate limiting and comes
/// back quickly once it stops (the seed's "adaptive delays"): doubled on every consecutive signal up to a
/// ceiling, quartered on every success down to the base.
package struct AdaptiveDelay: Sendable, Hashable {
    package let baseMilliseconds: Int64
    package let maximumMilliseconds: Int64
    package private(set) var currentMilliseconds: Int64
    /// Rate-limit signals in a row (429, Bybit 10006, usage at the margin); reset by a success.
    package private(set) var consecutiveSignals = 0

    package init(baseMilliseconds: Int64 = 50, maximumMilliseconds: Int64 = 30_000) {
        precondition(baseMilliseconds > 0 && maximumMilliseconds >= baseMilliseconds)
        self.baseMilliseconds = baseMilliseconds
        self.maximumMilliseconds = maximumMilliseconds
        currentMilliseconds = baseMilliseconds
    }

    package mutating func rateLimited() {
        consecutiveSignals += 1
        currentMilliseconds = min(maximumMilliseconds, currentMilliseconds * 2)
    }

    package mutating func succeeded() {
        consecutiveSignals = 0
        currentMilliseconds = max(baseMilliseconds, currentMilliseconds / 4)
    }
}
