import Synchronization

/// A token bucket: `burst` tokens, refilled at `rate` per second; a request takes one.
///
/// A pure value with the time passed in, so its behaviour is tested without a clock.
package struct TokenBucket: Sendable, Equatable {
    package var tokens: Double
    /// When `tokens` was last brought up to date, in seconds on the caller's clock.
    package var updated: Double

    package init(burst: Int, now: Double) {
        tokens = Double(burst)
        updated = now
    }

    /// Takes a token if there is one. Otherwise returns how long until one is there (seconds).
    package mutating func take(now: Double, rate: Double, burst: Int) -> Double? {
        if now > updated {
            tokens = min(Double(burst), tokens + (now - updated) * rate)
            updated = now
        }
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / rate
    }

    /// Whether the bucket is full again at `now` (so forgetting it changes nothing).
    func isFull(now: Double, rate: Double, burst: Int) -> Bool {
        tokens + max(0, now - updated) * rate >= Double(burst)
    }
}

/// One token bucket per client IP (`gateway.rate_limit`, `gateway.rate_burst`).
///
/// Buckets that have filled up again are forgotten when the table grows, so memory is bounded by the clients
/// active within about `burst / rate` seconds, not by every address ever seen.
package final class RateLimiter: Sendable {
    package struct Settings: Sendable, Equatable {
        package var rate: Double
        package var burst: Int

        package init(rate: Double, burst: Int) {
            self.rate = rate
            self.burst = burst
        }
    }

    private struct State {
        var settings: Settings
        var buckets: [String: TokenBucket] = [:]
        var sweepAt = 1024
    }

    private let state: Mutex<State>
    private let clock: @Sendable () -> Double

    /// - Parameter clock: seconds on a monotonic clock (tests pass their own).
    package init(_ settings: Settings, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        state = Mutex(State(settings: settings))
        self.clock = clock
    }

    package var settings: Settings {
        get { state.withLock { $0.settings } }
        set { state.withLock { $0.settings = newValue } }
    }

    /// Takes a token for `client`: nil when the request may go on, else the seconds to wait.
    package func admit(_ client: String) -> Double? {
        let now = clock()
        return state.withLock { state in
            let settings = state.settings
            var bucket = state.buckets.removeValue(forKey: client) ?? TokenBucket(burst: settings.burst, now: now)
            let wait = bucket.take(now: now, rate: settings.rate, burst: settings.burst)
            state.buckets[client] = bucket
            if state.buckets.count >= state.sweepAt {
                state.buckets = state.buckets.filter {
                    !$0.value.isFull(now: now, rate: settings.rate, burst: settings.burst)
                }
                state.sweepAt = max(1024, state.buckets.count * 2)
            }
            return wait
        }
    }

    package static func monotonicSeconds() -> Double {
        let now = ContinuousClock.now.duration(to: reference)
        return -Double(now.components.seconds) - Double(now.components.attoseconds) * 1e-18
    }

    /// A fixed instant the monotonic seconds count from.
    private static let reference = ContinuousClock.now
}
