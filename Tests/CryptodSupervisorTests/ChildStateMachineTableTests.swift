import CryptodSupervisor
import CryptodWire
import Testing

/// One row: from a state, an event gives these steps and this new state.
struct TransitionRow: Sendable, CustomTestStringConvertible {
    var start: StartState
    var event: MachineEvent
    var steps: [Step]
    var end: ChildStatus.State

    init(_ start: StartState, _ event: MachineEvent, _ steps: [Step], _ end: ChildStatus.State) {
        self.start = start
        self.event = event
        self.steps = steps
        self.end = end
    }

    var testDescription: String { "\(start) + \(event) → \(steps) / \(end)" }
}

private let stopSteps: [Step] = [.term, .timer(.stopTimeout, .seconds(15))]
private let firstBackoff: [Step] = [.timer(.backoff, .seconds(1))]
private let readyTimer: [Step] = [.timer(.readyTimeout, .seconds(60))]
private let enoent: Int32 = 2

/// Every event from every state (standard policy: backoff 1 s…60 s, budget 5 in 5 min, stop 15 s, ready 60 s).
let transitionTable: [TransitionRow] = [
    // stopped
    .init(.stopped, .start, [.spawn], .starting),
    .init(.stopped, .spawned(200), [], .stopped),
    .init(.stopped, .spawnFailed(enoent), [], .stopped),
    .init(.stopped, .ready, [], .stopped),
    .init(.stopped, .exit(1), [], .stopped),
    .init(.stopped, .stop, [], .stopped),
    .init(.stopped, .restart, [.spawn], .starting),
    .init(.stopped, .timer(.backoff), [], .stopped),
    .init(.stopped, .config(needsRestart: true), [], .stopped),

    // starting, spawn not yet reported
    .init(.spawnPending, .start, [], .starting),
    .init(.spawnPending, .spawned(200), readyTimer, .starting),
    .init(.spawnPending, .spawnFailed(enoent), firstBackoff, .backoff),
    .init(.spawnPending, .ready, [], .starting),
    .init(.spawnPending, .exit(1), [], .starting),
    .init(.spawnPending, .stop, [], .stopping),
    .init(.spawnPending, .restart, [], .stopping),
    .init(.spawnPending, .timer(.readyTimeout), [], .starting),
    .init(.spawnPending, .config(needsRestart: true), [], .starting),

    // starting (pid known, ready timer armed)
    .init(.starting, .start, [], .starting),
    .init(.starting, .spawned(200), [], .starting),
    .init(.starting, .spawnFailed(enoent), [], .starting),
    .init(.starting, .ready, [], .running),
    .init(.starting, .exit(1), firstBackoff, .backoff),
    .init(.starting, .exit(0), firstBackoff, .backoff),
    .init(.starting, .exit(78), [.giveUp], .failed),
    .init(.starting, .signaled(11), firstBackoff, .backoff),
    .init(.starting, .stop, stopSteps, .stopping),
    .init(.starting, .restart, stopSteps, .stopping),
    .init(.starting, .timer(.readyTimeout), stopSteps, .stopping),
    .init(.starting, .timer(.backoff), [], .starting),
    .init(.starting, .timer(.stopTimeout), [], .starting),
    .init(.starting, .config(needsRestart: true), stopSteps, .stopping),
    .init(.starting, .config(needsRestart: false), [], .starting),

    // running
    .init(.running, .start, [], .running),
    .init(.running, .spawned(200), [], .running),
    .init(.running, .spawnFailed(enoent), [], .running),
    .init(.running, .ready, [], .running),
    .init(.running, .exit(1), firstBackoff, .backoff),
    .init(.running, .exit(0), firstBackoff, .backoff),
    .init(.running, .exit(78), [.giveUp], .failed),
    .init(.running, .signaled(9), firstBackoff, .backoff),
    .init(.running, .stop, stopSteps, .stopping),
    .init(.running, .restart, stopSteps, .stopping),
    .init(.running, .timer(.readyTimeout), [], .running),
    .init(.running, .timer(.backoff), [], .running),
    .init(.running, .timer(.stopTimeout), [], .running),
    .init(.running, .config(needsRestart: true), stopSteps, .stopping),
    .init(.running, .config(needsRestart: false), [], .running),

    // stopping on request
    .init(.stoppingForStop, .start, [], .stopping),
    .init(.stoppingForStop, .spawned(200), [], .stopping),
    .init(.stoppingForStop, .spawnFailed(enoent), [], .stopping),
    .init(.stoppingForStop, .ready, [], .stopping),
    .init(.stoppingForStop, .exit(0), [], .stopped),
    .init(.stoppingForStop, .exit(1), [], .stopped),
    .init(.stoppingForStop, .exit(78), [], .stopped),
    .init(.stoppingForStop, .signaled(15), [], .stopped),
    .init(.stoppingForStop, .stop, [], .stopping),
    .init(.stoppingForStop, .restart, [], .stopping),
    .init(.stoppingForStop, .timer(.stopTimeout), [.kill], .stopping),
    .init(.stoppingForStop, .timer(.backoff), [], .stopping),
    .init(.stoppingForStop, .timer(.readyTimeout), [], .stopping),
    .init(.stoppingForStop, .config(needsRestart: true), [], .stopping),

    // stopping for an operator restart
    .init(.stoppingForRestart, .exit(0), [.spawn], .starting),
    .init(.stoppingForRestart, .signaled(15), [.spawn], .starting),
    .init(.stoppingForRestart, .exit(78), [.giveUp], .failed),
    .init(.stoppingForRestart, .stop, [], .stopping),
    .init(.stoppingForRestart, .timer(.stopTimeout), [.kill], .stopping),
    .init(.stoppingForRestart, .config(needsRestart: true), [], .stopping),

    // stopping because it was not ready in time (counts as a crash)
    .init(.stoppingNotReady, .exit(0), firstBackoff, .backoff),
    .init(.stoppingNotReady, .signaled(9), firstBackoff, .backoff),
    .init(.stoppingNotReady, .exit(78), [.giveUp], .failed),
    .init(.stoppingNotReady, .ready, [], .stopping),
    .init(.stoppingNotReady, .timer(.stopTimeout), [.kill], .stopping),
    .init(.stoppingNotReady, .stop, [], .stopping),

    // stop requested while the spawn was pending
    .init(.stoppingBeforeSpawn, .spawned(200), stopSteps, .stopping),
    .init(.stoppingBeforeSpawn, .spawnFailed(enoent), [], .stopped),
    .init(.stoppingBeforeSpawn, .exit(0), [], .stopping),
    .init(.stoppingBeforeSpawn, .timer(.stopTimeout), [], .stopping),
    .init(.stoppingBeforeSpawn, .start, [], .stopping),

    // SIGKILL already sent
    .init(.stoppingKilled, .timer(.stopTimeout), [], .stopping),
    .init(.stoppingKilled, .signaled(9), [], .stopped),
    .init(.stoppingKilled, .stop, [], .stopping),

    // backoff
    .init(.backoff, .start, [.spawn], .starting),
    .init(.backoff, .spawned(200), [], .backoff),
    .init(.backoff, .spawnFailed(enoent), [], .backoff),
    .init(.backoff, .ready, [], .backoff),
    .init(.backoff, .exit(1), [], .backoff),
    .init(.backoff, .stop, [], .stopped),
    .init(.backoff, .restart, [.spawn], .starting),
    .init(.backoff, .timer(.backoff), [.spawn], .starting),
    .init(.backoff, .timer(.stopTimeout), [], .backoff),
    .init(.backoff, .timer(.readyTimeout), [], .backoff),
    .init(.backoff, .config(needsRestart: true), [], .backoff),

    // failed: restart budget spent
    .init(.failedBudget, .start, [.spawn], .starting),
    .init(.failedBudget, .spawned(200), [], .failed),
    .init(.failedBudget, .spawnFailed(enoent), [], .failed),
    .init(.failedBudget, .ready, [], .failed),
    .init(.failedBudget, .exit(1), [], .failed),
    .init(.failedBudget, .stop, [], .stopped),
    .init(.failedBudget, .restart, [.spawn], .starting),
    .init(.failedBudget, .timer(.backoff), [], .failed),
    .init(.failedBudget, .config(needsRestart: true), [.spawn], .starting),
    .init(.failedBudget, .config(needsRestart: false), [], .failed),

    // failed: exit 78
    .init(.failedConfig, .start, [.spawn], .starting),
    .init(.failedConfig, .restart, [.spawn], .starting),
    .init(.failedConfig, .timer(.backoff), [], .failed),
    .init(.failedConfig, .config(needsRestart: true), [.spawn], .starting),
    .init(.failedConfig, .config(needsRestart: false), [], .failed),
]

@Suite("ChildStateMachine transitions")
struct ChildStateMachineTableTests {
    @Test("every start state is reachable through events", arguments: StartState.allCases)
    func reachable(_ start: StartState) {
        var driver = ChildMachineDriver()
        driver.reach(start)
        #expect(driver.machine.state == start.expectedState)
    }

    @Test("event → actions", arguments: transitionTable)
    func transition(_ row: TransitionRow) {
        var driver = ChildMachineDriver()
        driver.reach(row.start)
        #expect(driver.machine.state == row.start.expectedState, "precondition: \(row.start)")
        let steps = driver.apply(row.event)
        #expect(steps == row.steps)
        #expect(driver.machine.state == row.end)
        // Invariants that hold after every transition.
        let machine = driver.machine
        #expect((machine.nextRestartAt != nil) == (machine.state == .backoff))
        #expect(machine.hasProcess == [.starting, .running, .stopping].contains(machine.state))
        if machine.pid != nil {
            #expect(machine.hasProcess)
        }
    }

    @Test("the table covers every event from every state of the ChildStatus.State enum")
    func coverage() {
        let events: [MachineEvent] = [
            .start, .spawned(200), .spawnFailed(enoent), .ready, .exit(1), .stop, .restart,
        ]
        for state in ChildStatus.State.allCases {
            let rows = transitionTable.filter { $0.start.expectedState == state }
            for event in events {
                #expect(rows.contains { $0.event == event }, "no row for \(state) + \(event)")
            }
            #expect(rows.contains { if case .timer = $0.event { true } else { false } }, "no timer row for \(state)")
            #expect(rows.contains { if case .config = $0.event { true } else { false } }, "no config row for \(state)")
        }
    }
}
