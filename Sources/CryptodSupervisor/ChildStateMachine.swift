import CryptodModel
import CryptodRuntime
import CryptodWire

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The supervision state of one child process, as a pure value: no I/O, no clock, no tasks.
///
/// The `Supervisor` actor owns one machine per child. It feeds every event through the matching `mutating`
/// method, passing the current `ContinuousClock` instant, and carries out the returned ``ChildAction``.
/// Each method switches exhaustively over the phase (no `default:`), so a new state or event does not compile
/// until every combination has been decided.
///
/// Policies (s6-style):
/// - After a crash the child waits in ``ChildStatus/State-swift.enum/backoff`` before an automatic restart:
///   `restart_initial_backoff` (≥ 1 s) doubling per consecutive crash up to `restart_max_backoff`. Every
///   restart therefore follows the previous spawn by at least 1 s.
/// - A crash is any exit the supervisor did not ask for, **including exit 0** (daemons do not exit on their
///   own), a failed spawn, and a child that is not ready within `ready_timeout` (it is stopped first).
/// - `restart_budget` crashes within `restart_budget_window` make the child `failed`: no more automatic
///   restarts until an operator `start`/`restart` (or a reload that changes its configuration) resets the
///   budget. Crashes older than the window are forgotten.
/// - Exit status 78 (EX_CONFIG) is a permanent failure: `failed` at once, no restart.
/// - A child that has been ready for `stable_after` is stable: its next crash starts the backoff over.
/// - A stop sends SIGTERM and, if the child has not exited after `stop_timeout`, SIGKILL.
/// - Operator `start`/`restart` always resets the crash budget and backoff: the operator has taken over.
package struct ChildStateMachine: Sendable {
    package typealias Instant = ContinuousClock.Instant
    package typealias Exit = ChildStatus.Exit

    /// Why a child is being stopped, which decides what its exit leads to.
    enum StopIntent: Sendable, Hashable {
        /// Operator stop or shutdown: stay stopped.
        case stop
        /// Operator restart or a configuration change: start again at once, not counted as a crash.
        case restart
        /// The supervisor gave up on it (not ready in time): count a crash with this reason.
        case crash(String)
    }

    /// The state with the data only that state has.
    enum Phase: Sendable, Hashable {
        case stopped
        /// `pid` is nil between the `spawn` action and its `spawned`/`spawnFailed` report.
        case starting(pid: Int32?)
        case running(pid: Int32, readySince: Instant)
        /// `pid` is nil when the stop was requested before the spawn was reported; `killed` once SIGKILL was sent.
        case stopping(pid: Int32?, intent: StopIntent, killed: Bool)
        case backoff(until: Instant)
        case failed
    }

    /// The child's name (`writer`, `ingestor-binance`), used in messages.
    package let name: String
    /// The settings; a reload may replace them, and they apply from the next decision on.
    package var policy: RestartPolicy

    private(set) var phase: Phase = .stopped
    /// Crash times within the budget window, oldest first; never more than `policy.budget` entries.
    private var crashTimes: [Instant] = []
    /// Crashes since the backoff was last reset; the exponent of the next delay.
    private var consecutiveCrashes = 0
    private var timerSerial: UInt64 = 0

    /// The only timer whose firing the machine acts on; nil when none applies.
    package private(set) var armedTimer: ChildTimer?
    /// Automatic restarts performed (operator starts and restarts are not counted).
    package private(set) var restarts: UInt32 = 0
    /// How the last process ended.
    package private(set) var lastExit: Exit?
    /// When the current process was spawned; nil when there is none.
    package private(set) var startedAt: Instant?
    /// A human-readable note for `cryptoctl status`: why it crashed, failed or stopped, and what happens next.
    package private(set) var message = ""

    /// Creates a machine in the `stopped` state.
    ///
    /// - Parameters:
    ///   - name: The child's name for messages.
    ///   - policy: The restart settings.
    package init(name: String, policy: RestartPolicy = .standard) {
        self.name = name
        self.policy = policy
    }

    // MARK: - Observed state

    /// The state reported in ``ChildStatus``.
    package var state: ChildStatus.State {
        switch phase {
        case .stopped: .stopped
        case .starting: .starting
        case .running: .running
        case .stopping: .stopping
        case .backoff: .backoff
        case .failed: .failed
        }
    }

    /// The current process id, when a process exists and its spawn has been reported.
    package var pid: Int32? {
        switch phase {
        case .starting(let pid), .stopping(let pid, _, _): pid
        case .running(let pid, _): pid
        case .stopped, .backoff, .failed: nil
        }
    }

    /// True while a process exists or is being spawned; shutdown is complete when no child has one.
    package var hasProcess: Bool {
        switch phase {
        case .starting, .running, .stopping: true
        case .stopped, .backoff, .failed: false
        }
    }

    /// When the next automatic restart happens; nil unless in backoff.
    package var nextRestartAt: Instant? {
        if case .backoff(let until) = phase { return until }
        return nil
    }

    /// Crashes currently counted against the budget.
    package var crashesInWindow: Int { crashTimes.count }

    /// The child's status for `cryptoctl status`, with monotonic instants turned into wall-clock times.
    ///
    /// - Parameters:
    ///   - role: The child's role.
    ///   - now: The current monotonic instant.
    ///   - wallNow: The wall-clock time at `now`.
    /// - Returns: The wire status.
    package func status(role: ProcessRole, now: Instant, wallNow: Timestamp) -> ChildStatus {
        func wallClock(_ instant: Instant) -> Timestamp {
            let (seconds, attoseconds) = now.duration(to: instant).components
            return wallNow.advanced(byNanoseconds: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        }
        return ChildStatus(
            name: name, role: role, state: state, pid: pid ?? 0, startedAt: startedAt.map(wallClock),
            restarts: restarts, lastExit: lastExit, nextRestartAt: nextRestartAt.map(wallClock), message: message)
    }

    // MARK: - Events

    /// An operator `start`, or the supervisor's initial start.
    ///
    /// - Parameter now: The current instant.
    /// - Returns: `spawn` when the child was not running; `none` when it already is (or will be, once stopping
    ///   ends: a pending stop turns into a restart).
    package mutating func startRequested(at now: Instant) -> ChildAction {
        switch phase {
        case .stopped, .backoff, .failed:
            resetBudget()
            return spawn(message: "")
        case .starting, .running:
            return .none
        case .stopping(let pid, _, let killed):
            resetBudget()
            phase = .stopping(pid: pid, intent: .restart, killed: killed)
            message = "stopping; will start again"
            return .none
        }
    }

    /// The `spawn` action succeeded.
    ///
    /// - Parameters:
    ///   - pid: The new process.
    ///   - now: The current instant.
    /// - Returns: The ready timer; or, when a stop was requested meanwhile, SIGTERM and the stop timer.
    package mutating func spawned(pid: Int32, at now: Instant) -> ChildAction {
        switch phase {
        case .starting(pid: .none):
            phase = .starting(pid: pid)
            startedAt = now
            return arm(.readyTimeout, after: policy.readyTimeout)
        case .stopping(pid: .none, let intent, let killed):
            phase = .stopping(pid: pid, intent: intent, killed: killed)
            startedAt = now
            return terminate()
        case .starting(pid: .some), .running, .stopping(pid: .some, _, _), .stopped, .backoff, .failed:
            // No spawn is outstanding in these phases; the supervisor only spawns when told to.
            return .none
        }
    }

    /// The `spawn` action failed before the child ran (missing binary, no memory, …).
    ///
    /// - Parameters:
    ///   - errno: The error `posix_spawn` reported.
    ///   - now: The current instant.
    /// - Returns: A backoff timer, or `giveUp` when the budget is spent; counted as a crash.
    package mutating func spawnFailed(errno: Int32, at now: Instant) -> ChildAction {
        let reason = "cannot start: \(String(cString: strerror(errno))) (errno \(errno))"
        switch phase {
        case .starting(pid: .none):
            return crashed(reason: reason, at: now, readySince: nil)
        case .stopping(pid: .none, let intent, _):
            switch intent {
            case .stop:
                phase = .stopped
                startedAt = nil
                message = "stopped; the last start had failed: \(reason)"
                return .none
            case .restart, .crash:
                return crashed(reason: reason, at: now, readySince: nil)
            }
        case .starting(pid: .some), .running, .stopping(pid: .some, _, _), .stopped, .backoff, .failed:
            // No spawn is outstanding in these phases.
            return .none
        }
    }

    /// The child reported `Ready` on its link.
    ///
    /// - Parameter now: The current instant, from which `stable_after` is measured.
    /// - Returns: Always `none`; the ready timer is disarmed.
    package mutating func becameReady(at now: Instant) -> ChildAction {
        switch phase {
        case .starting(.some(let pid)):
            phase = .running(pid: pid, readySince: now)
            armedTimer = nil
            message = ""
            return .none
        case .starting(.none), .running, .stopping, .stopped, .backoff, .failed:
            // Ready again after a reload, or a late Ready from a process being stopped: nothing changes.
            return .none
        }
    }

    /// The child's process ended (reaped).
    ///
    /// - Parameters:
    ///   - exit: How it ended.
    ///   - now: The current instant.
    /// - Returns: `none` after a requested stop, `spawn` after a requested restart, a backoff timer after a
    ///   crash, or `giveUp` for exit 78 or a spent budget.
    package mutating func exited(_ exit: Exit, at now: Instant) -> ChildAction {
        switch phase {
        case .starting(.some), .running:
            let readySince: Instant? = if case .running(_, let since) = phase { since } else { nil }
            lastExit = exit
            if Self.isConfigurationError(exit) {
                return permanentlyFailed(exit)
            }
            return crashed(reason: Self.describeUnexpected(exit), at: now, readySince: readySince)
        case .stopping(.some, let intent, let killed):
            lastExit = exit
            switch intent {
            case .stop:
                phase = .stopped
                startedAt = nil
                armedTimer = nil
                message = killed ? "stopped with SIGKILL after \(policy.stopTimeout.compactDescription)" : "stopped"
                return .none
            case .restart where Self.isConfigurationError(exit), .crash where Self.isConfigurationError(exit):
                return permanentlyFailed(exit)
            case .restart:
                return spawn(message: "restarting")
            case .crash(let reason):
                return crashed(reason: reason, at: now, readySince: nil)
            }
        case .starting(.none), .stopping(.none, _, _), .stopped, .backoff, .failed:
            // No process exists in these phases, so there is nothing that could have exited.
            return .none
        }
    }

    /// An operator `stop`, or shutdown.
    ///
    /// - Parameter now: The current instant.
    /// - Returns: SIGTERM and the stop timer when a process runs; otherwise `none` (a child in backoff or
    ///   failed simply becomes stopped).
    package mutating func stopRequested(at now: Instant) -> ChildAction {
        switch phase {
        case .stopped:
            return .none
        case .backoff, .failed:
            phase = .stopped
            armedTimer = nil
            message = "stopped"
            return .none
        case .starting(.none):
            phase = .stopping(pid: nil, intent: .stop, killed: false)
            message = "stopping"
            return .none
        case .starting(.some(let pid)), .running(let pid, _):
            phase = .stopping(pid: pid, intent: .stop, killed: false)
            message = "stopping"
            return terminate()
        case .stopping(let pid, _, let killed):
            phase = .stopping(pid: pid, intent: .stop, killed: killed)
            message = "stopping"
            return .none
        }
    }

    /// An operator `restart`: stop if running, then start, resetting the crash budget.
    ///
    /// - Parameter now: The current instant.
    /// - Returns: SIGTERM and the stop timer when a process runs, `spawn` when none does.
    package mutating func restartRequested(at now: Instant) -> ChildAction {
        resetBudget()
        switch phase {
        case .stopped, .backoff, .failed:
            return spawn(message: "")
        case .starting(.none):
            phase = .stopping(pid: nil, intent: .restart, killed: false)
            message = "restarting"
            return .none
        case .starting(.some(let pid)), .running(let pid, _):
            phase = .stopping(pid: pid, intent: .restart, killed: false)
            message = "restarting"
            return terminate()
        case .stopping(let pid, _, let killed):
            phase = .stopping(pid: pid, intent: .restart, killed: killed)
            message = "restarting"
            return .none
        }
    }

    /// A timer from a `scheduleTimer` action fired.
    ///
    /// - Parameters:
    ///   - timer: The timer, as given in the action.
    ///   - now: The current instant.
    /// - Returns: `spawn` after a backoff, SIGTERM and the stop timer after a ready timeout, SIGKILL after a stop
    ///   timeout; `none` for a timer that no longer applies.
    package mutating func timerFired(_ timer: ChildTimer, at now: Instant) -> ChildAction {
        guard timer == armedTimer else { return .none }
        armedTimer = nil
        switch (phase, timer.kind) {
        case (.backoff, .backoff):
            restarts += 1
            return spawn(message: message)
        case (.starting(.some(let pid)), .readyTimeout):
            let reason = "not ready within \(policy.readyTimeout.compactDescription)"
            phase = .stopping(pid: pid, intent: .crash(reason), killed: false)
            message = reason + "; stopping it"
            return terminate()
        case (.stopping(.some(let pid), let intent, false), .stopTimeout):
            phase = .stopping(pid: pid, intent: intent, killed: true)
            message = "did not exit within \(policy.stopTimeout.compactDescription) of SIGTERM; sent SIGKILL"
            return .signal(.kill)
        case (.stopped, .backoff), (.stopped, .stopTimeout), (.stopped, .readyTimeout),
            (.starting(.none), .backoff), (.starting(.none), .stopTimeout), (.starting(.none), .readyTimeout),
            (.starting(.some), .backoff), (.starting(.some), .stopTimeout),
            (.running, .backoff), (.running, .stopTimeout), (.running, .readyTimeout),
            (.stopping(.none, _, _), .backoff), (.stopping(.none, _, _), .stopTimeout),
            (.stopping(.none, _, _), .readyTimeout),
            (.stopping(.some, _, true), .stopTimeout), (.stopping(.some, _, _), .backoff),
            (.stopping(.some, _, _), .readyTimeout),
            (.backoff, .stopTimeout), (.backoff, .readyTimeout),
            (.failed, .backoff), (.failed, .stopTimeout), (.failed, .readyTimeout):
            // Armed timers always match their phase; these combinations only guard against misuse.
            return .none
        }
    }

    /// A reload changed the configuration.
    ///
    /// - Parameters:
    ///   - needsRestart: True when this child can only apply the change by restarting: it answered
    ///     `ConfigureResult.restartRequired`, or it has no process and its slice of the configuration changed.
    ///   - now: The current instant.
    /// - Returns: SIGTERM and the stop timer for a running child that needs a restart; `spawn` for a failed
    ///   child whose configuration changed (the change may be the fix); otherwise `none`.
    package mutating func configChanged(needsRestart: Bool, at now: Instant) -> ChildAction {
        switch phase {
        case .starting(.some(let pid)), .running(let pid, _):
            guard needsRestart else { return .none }
            phase = .stopping(pid: pid, intent: .restart, killed: false)
            message = "restarting to apply the new configuration"
            return terminate()
        case .failed:
            guard needsRestart else { return .none }
            resetBudget()
            return spawn(message: "starting with the new configuration")
        case .stopped, .starting(.none), .stopping, .backoff:
            // Stopped stays stopped; a pending or future spawn reads the new configuration anyway.
            return .none
        }
    }

    // MARK: - Transitions

    private mutating func spawn(message: String) -> ChildAction {
        phase = .starting(pid: nil)
        armedTimer = nil
        startedAt = nil
        self.message = message
        return .spawn
    }

    private mutating func terminate() -> ChildAction {
        .sequence([.signal(.term), arm(.stopTimeout, after: policy.stopTimeout)])
    }

    private mutating func arm(_ kind: ChildTimer.Kind, after delay: Duration) -> ChildAction {
        timerSerial += 1
        let timer = ChildTimer(kind: kind, serial: timerSerial)
        armedTimer = timer
        return .scheduleTimer(timer, after: delay)
    }

    private mutating func resetBudget() {
        crashTimes.removeAll()
        consecutiveCrashes = 0
    }

    /// Counts a crash: back off, or give up when the budget is spent.
    private mutating func crashed(reason: String, at now: Instant, readySince: Instant?) -> ChildAction {
        armedTimer = nil
        startedAt = nil
        if let readySince, readySince.duration(to: now) >= policy.stableAfter {
            consecutiveCrashes = 0
        }
        let window = policy.budgetWindow
        crashTimes.removeAll { $0.duration(to: now) >= window }
        crashTimes.append(now)
        let windowText = window.compactDescription
        if crashTimes.count >= policy.budget {
            phase = .failed
            message =
                "\(reason); crashed \(crashTimes.count) times within \(windowText) (restart budget "
                + "\(policy.budget)), not restarting; `cryptoctl start \(name)` or `cryptoctl restart \(name)` "
                + "resets the budget"
            return .giveUp(reason: message)
        }
        let delay = policy.backoff(afterConsecutiveCrashes: consecutiveCrashes)
        consecutiveCrashes += 1
        phase = .backoff(until: now + delay)
        message =
            "\(reason) (crash \(crashTimes.count) of \(policy.budget) within \(windowText)); "
            + "restarting in \(delay.compactDescription)"
        return arm(.backoff, after: delay)
    }

    private mutating func permanentlyFailed(_ exit: Exit) -> ChildAction {
        phase = .failed
        armedTimer = nil
        startedAt = nil
        message =
            "exited with status 78 (EX_CONFIG): the configuration is invalid for \(name); not restarting. "
            + "Fix the configuration, then `cryptoctl reload` or `cryptoctl start \(name)`"
        return .giveUp(reason: message)
    }

    // MARK: - Exit descriptions

    static func isConfigurationError(_ exit: Exit) -> Bool {
        exit.kind == .exited && exit.code == ExitCode.configuration.rawValue
    }

    /// Why an exit nobody asked for is a crash, in words.
    static func describeUnexpected(_ exit: Exit) -> String {
        switch exit.kind {
        case .exited where exit.code == 0: "exited with status 0 without being asked to stop"
        case .exited: "exited with status \(exit.code)"
        case .signaled: "killed by signal \(exit.code)" + (signalName(exit.code).map { " (\($0))" } ?? "")
        }
    }

    static func signalName(_ number: Int32) -> String? {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS",
            8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[number]
    }
}
