/// The supervision settings one ``ChildStateMachine`` follows (the `[supervisor]` keys of the configuration).
///
/// | Key | Field | Default | Limits |
/// | --- | --- | --- | --- |
/// | `restart_initial_backoff` | ``initialBackoff`` | 1 s | at least 1 s |
/// | `restart_max_backoff` | ``maxBackoff`` | 60 s | at least ``initialBackoff`` |
/// | `restart_budget` | ``budget`` | 5 crashes | at least 1 |
/// | `restart_budget_window` | ``budgetWindow`` | 5 min | at least 1 s |
/// | `stable_after` | ``stableAfter`` | 60 s | at least 1 s |
/// | `stop_timeout` | ``stopTimeout`` | 15 s | at least 1 s |
/// | `ready_timeout` | ``readyTimeout`` | 60 s | at least 1 s |
///
/// The configuration layer validates and reports bad values; this type additionally raises anything below
/// its limit to the limit, so that "restarts are at least 1 s apart" holds whatever it is given.
package struct RestartPolicy: Sendable, Hashable {
    /// No restart ever happens sooner than this after a crash.
    package static let minimumBackoff: Duration = .seconds(1)

    /// The delay before the first automatic restart; it doubles with each further crash.
    package var initialBackoff: Duration
    /// The cap on the doubling delay.
    package var maxBackoff: Duration
    /// How many crashes within ``budgetWindow`` make the child `failed`.
    package var budget: Int
    /// Crashes older than this are forgotten.
    package var budgetWindow: Duration
    /// A child that has been ready this long is stable: its next crash starts the backoff from the beginning.
    package var stableAfter: Duration
    /// How long a child may take to exit after SIGTERM before it gets SIGKILL.
    package var stopTimeout: Duration
    /// How long a spawned child may take to report ready before it is stopped and counted as a crash.
    package var readyTimeout: Duration

    /// Creates a policy; values below their limits are raised to them (see the table above).
    package init(
        initialBackoff: Duration = .seconds(1), maxBackoff: Duration = .seconds(60), budget: Int = 5,
        budgetWindow: Duration = .seconds(300), stableAfter: Duration = .seconds(60),
        stopTimeout: Duration = .seconds(15), readyTimeout: Duration = .seconds(60)
    ) {
        let floor = Self.minimumBackoff
        self.initialBackoff = max(initialBackoff, floor)
        self.maxBackoff = max(maxBackoff, self.initialBackoff)
        self.budget = max(budget, 1)
        self.budgetWindow = max(budgetWindow, floor)
        self.stableAfter = max(stableAfter, floor)
        self.stopTimeout = max(stopTimeout, floor)
        self.readyTimeout = max(readyTimeout, floor)
    }

    /// The defaults from the table above.
    package static let standard = RestartPolicy()

    /// The delay before the next automatic restart after `consecutiveCrashes` earlier ones since the child was
    /// last stable: ``initialBackoff`` × 2ⁿ, capped at ``maxBackoff``.
    ///
    /// - Parameter consecutiveCrashes: Crashes since the backoff was last reset (0 for the first crash).
    /// - Returns: A delay between ``initialBackoff`` and ``maxBackoff``.
    package func backoff(afterConsecutiveCrashes consecutiveCrashes: Int) -> Duration {
        var delay = initialBackoff
        var doublings = consecutiveCrashes
        // Doubling stops at the cap, so this neither overflows nor loops more than ~64 times.
        while doublings > 0 && delay < maxBackoff {
            delay = delay * 2
            doublings -= 1
        }
        return min(delay, maxBackoff)
    }
}

extension Duration {
    /// `500ms`, `4s`, `90s`, `5m`, `1h`: short, exact where it matters, for status messages.
    var compactDescription: String {
        let (seconds, attoseconds) = components
        if seconds == 0 || (seconds < 10 && attoseconds != 0) {
            return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000)ms"
        }
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 && seconds >= 120 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
