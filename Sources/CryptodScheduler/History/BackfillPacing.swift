import Metrics
import Synchronization

/// How the throttle and the emergency stop slow history work: at a throttle of p % below 50 each page is
/// followed by a pause of p / (100 − p) times the page's own time, so backfills run at (100 − p) % of their
/// speed; from 50 % on, and during an emergency stop, no new page starts until the throttle drops. Pages
/// already asked for finish; nothing is lost, only later.
package final class BackfillPacing: Sendable {
    private let state = Mutex((percent: 0, stopped: false))
    private let pausedGauge = Gauge(label: "cryptod_scheduler_backfill_paused")

    package init() {}

    package func set(throttlePercent: Int, stopped: Bool) {
        state.withLock { $0 = (throttlePercent, stopped) }
        pausedGauge.record(Self.pauses(throttlePercent: throttlePercent, stopped: stopped) ? 1 : 0)
    }

    package static func pauses(throttlePercent: Int, stopped: Bool) -> Bool { stopped || throttlePercent >= 50 }

    /// The pause after a page that took `elapsed`, at `throttlePercent` (below 50).
    package static func delay(after elapsed: Duration, throttlePercent: Int) -> Duration {
        guard throttlePercent > 0, throttlePercent < 50 else { return .zero }
        return elapsed * Double(throttlePercent) / Double(100 - throttlePercent)
    }

    var paused: Bool { state.withLock { Self.pauses(throttlePercent: $0.percent, stopped: $0.stopped) } }

    /// Returns when pages may run; calls `onPause(true)` once if it had to wait.
    func waitWhilePaused(_ onPause: (Bool) async -> Void) async throws {
        guard paused else { return }
        await onPause(true)
        while paused { try await Task.sleep(for: .milliseconds(250)) }
    }

    func slowDown(after elapsed: Duration) async throws {
        let delay = Self.delay(after: elapsed, throttlePercent: state.withLock { $0.percent })
        if delay > .zero { try await Task.sleep(for: delay) }
    }
}
