/// Whether a sink is tried: closed (normal), open (down, batches go to the spool) or half-open (one probe).
///
/// A pure value: the pipeline feeds it results and the clock, and it answers when the next attempt may
/// happen. `failureThreshold` consecutive failures open it; after `backoff` it lets one probe through
/// (half-open); a success closes it, a failed probe opens it again with the backoff doubled up to
/// `maxBackoff`. Keeping the policy out of the pipeline makes it testable without a sink.
package struct CircuitBreaker: Sendable, Equatable {
    package enum State: Int, Sendable, CustomStringConvertible {
        case closed = 0
        case open = 1
        case halfOpen = 2

        /// The value of the `cryptod_writer_sink_breaker_state` gauge.
        package var gaugeValue: Int { rawValue }

        package var description: String {
            switch self {
            case .closed: "closed"
            case .open: "open"
            case .halfOpen: "half-open"
            }
        }
    }

    package let failureThreshold: Int
    package let initialBackoff: Duration
    package let maxBackoff: Duration
    /// Delay between attempts while closed but failing (below the threshold).
    package let retryDelay: Duration

    package private(set) var state: State = .closed
    package private(set) var consecutiveFailures = 0
    private var backoff: Duration
    private var openUntil: ContinuousClock.Instant?
    private var retryAt: ContinuousClock.Instant?

    package init(failureThreshold: Int, initialBackoff: Duration, maxBackoff: Duration, retryDelay: Duration) {
        self.failureThreshold = max(1, failureThreshold)
        self.initialBackoff = initialBackoff
        self.maxBackoff = max(initialBackoff, maxBackoff)
        self.retryDelay = retryDelay
        backoff = initialBackoff
    }

    /// When the next attempt may start: `nil` means now. Moves open → half-open once the backoff passed.
    package mutating func nextAttempt(now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        switch state {
        case .closed:
            guard let retryAt, retryAt > now else { return nil }
            return retryAt
        case .halfOpen:
            return nil
        case .open:
            guard let until = openUntil, until > now else {
                state = .halfOpen
                return nil
            }
            return until
        }
    }

    /// Whether batches should bypass the sink and go straight to the spool.
    package var isOpen: Bool { state == .open }

    package mutating func recordSuccess() {
        state = .closed
        consecutiveFailures = 0
        backoff = initialBackoff
        openUntil = nil
        retryAt = nil
    }

    /// Records a failed attempt.
    /// - Returns: true when this failure opened the breaker (so the caller logs the transition once).
    @discardableResult
    package mutating func recordFailure(now: ContinuousClock.Instant) -> Bool {
        consecutiveFailures += 1
        switch state {
        case .halfOpen:
            backoff = min(backoff * 2, maxBackoff)
            state = .open
            openUntil = now + backoff
            return false
        case .open:
            openUntil = now + backoff
            return false
        case .closed:
            guard consecutiveFailures >= failureThreshold else {
                retryAt = now + retryDelay
                return false
            }
            state = .open
            openUntil = now + backoff
            retryAt = nil
            return true
        }
    }
}
