import CryptodModel
import CryptodSupervisor
import CryptodWire
import Testing

/// The instant every test clock starts from. Only differences matter to the machine.
let origin = ContinuousClock.now

/// A machine plus a test clock; every event advances the clock by 10 ms unless the test says otherwise.
struct ChildMachineDriver {
    var machine: ChildStateMachine
    var now: ContinuousClock.Instant = origin
    var nextPID: Int32 = 100

    init(name: String = "writer", policy: RestartPolicy = .standard) {
        machine = ChildStateMachine(name: name, policy: policy)
    }

    /// Applies `event` after advancing the clock by `after`, and returns the action's steps.
    @discardableResult
    mutating func apply(_ event: MachineEvent, after: Duration = .milliseconds(10)) -> [Step] {
        now = now + after
        let action: ChildAction
        switch event {
        case .start: action = machine.startRequested(at: now)
        case .spawned(let pid): action = machine.spawned(pid: pid, at: now)
        case .spawnFailed(let code): action = machine.spawnFailed(errno: code, at: now)
        case .ready: action = machine.becameReady(at: now)
        case .exit(let code): action = machine.exited(exit(.exited, code), at: now)
        case .signaled(let signal): action = machine.exited(exit(.signaled, signal), at: now)
        case .stop: action = machine.stopRequested(at: now)
        case .restart: action = machine.restartRequested(at: now)
        case .timer(let kind):
            // The armed timer when it has this kind; otherwise a timer the machine never armed (stale).
            let timer =
                machine.armedTimer.flatMap { $0.kind == kind ? $0 : nil } ?? ChildTimer(kind: kind, serial: 9_999)
            action = machine.timerFired(timer, at: now)
        case .config(let needsRestart): action = machine.configChanged(needsRestart: needsRestart, at: now)
        }
        return action.steps.map(Step.init)
    }

    /// Start → spawned → ready.
    mutating func startRunning() {
        apply(.start)
        spawnAndBecomeReady()
    }

    /// spawned → ready, with a fresh pid.
    mutating func spawnAndBecomeReady() {
        nextPID += 1
        apply(.spawned(nextPID))
        apply(.ready)
    }

    /// Puts the machine into `start` by feeding real events (never by poking at its internals).
    mutating func reach(_ start: StartState) {
        switch start {
        case .stopped: break
        case .spawnPending: apply(.start)
        case .starting:
            apply(.start)
            apply(.spawned(100))
        case .running: startRunning()
        case .stoppingForStop:
            startRunning()
            apply(.stop)
        case .stoppingForRestart:
            startRunning()
            apply(.restart)
        case .stoppingNotReady:
            apply(.start)
            apply(.spawned(100))
            apply(.timer(.readyTimeout), after: .seconds(60))
        case .stoppingBeforeSpawn:
            apply(.start)
            apply(.stop)
        case .stoppingKilled:
            startRunning()
            apply(.stop)
            apply(.timer(.stopTimeout), after: .seconds(15))
        case .backoff:
            startRunning()
            apply(.exit(1))
        case .failedBudget:
            startRunning()
            for _ in 1..<machine.policy.budget {
                apply(.exit(1))
                apply(.timer(.backoff), after: .seconds(60))
                spawnAndBecomeReady()
            }
            apply(.exit(1))
        case .failedConfig:
            startRunning()
            apply(.exit(78))
        }
    }

    private func exit(_ kind: ChildStatus.Exit.Kind, _ code: Int32) -> ChildStatus.Exit {
        ChildStatus.Exit(kind: kind, code: code, at: Timestamp(seconds: 1_800_000_000))
    }
}

/// Starting points for the table, each reached through events.
enum StartState: String, Sendable, CaseIterable {
    case stopped
    /// `starting`, spawn requested but not yet reported.
    case spawnPending
    case starting
    case running
    case stoppingForStop
    case stoppingForRestart
    /// Stopped by the supervisor because it was not ready in time.
    case stoppingNotReady
    /// Stop requested while the spawn was pending.
    case stoppingBeforeSpawn
    /// SIGKILL already sent.
    case stoppingKilled
    case backoff
    case failedBudget
    case failedConfig

    var expectedState: ChildStatus.State {
        switch self {
        case .stopped: .stopped
        case .spawnPending, .starting: .starting
        case .running: .running
        case .stoppingForStop, .stoppingForRestart, .stoppingNotReady, .stoppingBeforeSpawn, .stoppingKilled: .stopping
        case .backoff: .backoff
        case .failedBudget, .failedConfig: .failed
        }
    }
}

/// Events as the tests write them.
enum MachineEvent: Sendable, Hashable, CustomStringConvertible {
    case start
    case spawned(Int32)
    case spawnFailed(Int32)
    case ready
    case exit(Int32)
    case signaled(Int32)
    case stop
    case restart
    case timer(ChildTimer.Kind)
    case config(needsRestart: Bool)

    var description: String {
        switch self {
        case .start: "start"
        case .spawned(let pid): "spawned(\(pid))"
        case .spawnFailed(let code): "spawnFailed(\(code))"
        case .ready: "ready"
        case .exit(let code): "exit(\(code))"
        case .signaled(let signal): "signaled(\(signal))"
        case .stop: "stop"
        case .restart: "restart"
        case .timer(let kind): "timer(\(kind))"
        case .config(let needsRestart): "config(needsRestart: \(needsRestart))"
        }
    }
}

/// An action step without the timer serial (which depends on history), for comparing with expectations.
enum Step: Sendable, Hashable, CustomStringConvertible {
    case spawn
    case term
    case kill
    case timer(ChildTimer.Kind, Duration)
    case giveUp

    init(_ action: ChildAction) {
        switch action {
        case .spawn: self = .spawn
        case .signal(.term): self = .term
        case .signal(.kill): self = .kill
        case .scheduleTimer(let timer, let delay): self = .timer(timer.kind, delay)
        case .giveUp: self = .giveUp
        case .none, .sequence:
            // `steps` flattens sequences and drops `none`.
            Issue.record("unexpected step \(action)")
            self = .giveUp
        }
    }

    var description: String {
        switch self {
        case .spawn: "spawn"
        case .term: "SIGTERM"
        case .kill: "SIGKILL"
        case .timer(let kind, let delay): "timer(\(kind), \(delay))"
        case .giveUp: "giveUp"
        }
    }
}
