import CryptodModel
import CryptodSupervisor
import CryptodWire
import Testing

@Suite("ChildStateMachine scenarios")
struct ChildStateMachineScenarioTests {
    /// Crashes `count` times, each `spacing` after the previous restart, restarting after every backoff.
    /// Returns the step lists of the crash events.
    private func crashRepeatedly(
        _ driver: inout ChildMachineDriver, count: Int, runFor spacing: Duration, becomeReady: Bool = true
    ) -> [[Step]] {
        var results: [[Step]] = []
        for index in 0..<count {
            let steps = driver.apply(.exit(1), after: spacing)
            results.append(steps)
            guard index < count - 1, case .timer(.backoff, let delay)? = steps.first else { continue }
            driver.apply(.timer(.backoff), after: delay)
            driver.nextPID += 1
            driver.apply(.spawned(driver.nextPID), after: .zero)
            if becomeReady { driver.apply(.ready, after: .zero) }
        }
        return results
    }

    @Test("five crashes within the window make the child failed, with a message naming the way out")
    func budgetSpent() {
        var driver = ChildMachineDriver(name: "ingestor-binance")
        driver.startRunning()
        let crashes = crashRepeatedly(&driver, count: 5, runFor: .seconds(10))
        #expect(crashes.dropLast().allSatisfy { if case .timer(.backoff, _)? = $0.first { true } else { false } })
        #expect(crashes.last == [.giveUp])
        #expect(driver.machine.state == .failed)
        #expect(driver.machine.restarts == 4)
        #expect(driver.machine.nextRestartAt == nil)
        let message = driver.machine.message
        #expect(message.contains("crashed 5 times within 5m"))
        #expect(message.contains("`cryptoctl start ingestor-binance`"))
        #expect(message.contains("restart budget 5"))
        // Nothing restarts it on its own.
        #expect(driver.apply(.timer(.backoff), after: .seconds(600)) == [])
        #expect(driver.machine.state == .failed)
    }

    @Test("crashes spread over more than the window keep restarting")
    func crashesSpreadOut() {
        var driver = ChildMachineDriver()
        driver.startRunning()
        // 90 s up plus 1 s backoff: at most four crashes ever fall inside five minutes.
        let crashes = crashRepeatedly(&driver, count: 20, runFor: .seconds(90))
        #expect(crashes.allSatisfy { $0 == [.timer(.backoff, .seconds(1))] })
        #expect(driver.machine.state == .backoff)
        #expect(driver.machine.crashesInWindow == 4)
        #expect(driver.machine.restarts == 19)
    }

    @Test("a crash exactly one window old is forgotten; one a little younger still counts")
    func windowBoundary() {
        let policy = RestartPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(1), budgetWindow: .seconds(300))
        // 74 s up plus 1 s backoff: crash k happens 74 + 75·(k−1) s in, so crash 5 comes exactly one window
        // after crash 1, which is then forgotten. With 73 s up, crash 5 comes 296 s after crash 1.
        var spread = ChildMachineDriver(policy: policy)
        spread.startRunning()
        let spreadSteps = crashRepeatedly(&spread, count: 5, runFor: .seconds(74))
        #expect(spreadSteps.last == [.timer(.backoff, .seconds(1))])
        #expect(spread.machine.state == .backoff)

        var dense = ChildMachineDriver(policy: policy)
        dense.startRunning()
        let denseSteps = crashRepeatedly(&dense, count: 5, runFor: .seconds(73))
        #expect(denseSteps.last == [.giveUp])
        #expect(dense.machine.state == .failed)
    }

    @Test(
        "backoff doubles from the initial delay up to the cap",
        arguments: [
            (
                RestartPolicy(initialBackoff: .seconds(1), maxBackoff: .seconds(60), budget: 100),
                [1, 2, 4, 8, 16, 32, 60, 60, 60]
            ),
            (RestartPolicy(initialBackoff: .seconds(3), maxBackoff: .seconds(20), budget: 100), [3, 6, 12, 20, 20]),
            (RestartPolicy(initialBackoff: .milliseconds(100), maxBackoff: .seconds(2), budget: 100), [1, 2, 2]),
        ])
    func backoffSequence(policy: RestartPolicy, seconds: [Int]) {
        var driver = ChildMachineDriver(policy: policy)
        driver.startRunning()
        // Not ready: nothing is stable, so every crash doubles.
        let crashes = crashRepeatedly(&driver, count: seconds.count, runFor: .milliseconds(500), becomeReady: false)
        #expect(crashes == seconds.map { [.timer(.backoff, .seconds($0))] })
    }

    @Test("a child up for stable_after starts the backoff over; one up a little less does not")
    func stableResetsBackoff() {
        var stable = ChildMachineDriver()
        stable.startRunning()
        _ = crashRepeatedly(&stable, count: 3, runFor: .seconds(1))  // 1 s, 2 s, 4 s
        stable.apply(.timer(.backoff), after: .seconds(4))
        stable.spawnAndBecomeReady()
        #expect(stable.apply(.exit(1), after: .seconds(60)) == [.timer(.backoff, .seconds(1))])

        var unstable = ChildMachineDriver()
        unstable.startRunning()
        _ = crashRepeatedly(&unstable, count: 3, runFor: .seconds(1))
        unstable.apply(.timer(.backoff), after: .seconds(4))
        unstable.spawnAndBecomeReady()
        #expect(unstable.apply(.exit(1), after: .seconds(59)) == [.timer(.backoff, .seconds(8))])
    }

    @Test("exit 78 (EX_CONFIG) is a permanent failure until the configuration changes")
    func configurationError() {
        var driver = ChildMachineDriver(name: "ingestor-bybit")
        driver.startRunning()
        #expect(driver.apply(.exit(78)) == [.giveUp])
        #expect(driver.machine.state == .failed)
        #expect(driver.machine.restarts == 0)
        #expect(driver.machine.message.contains("configuration is invalid for ingestor-bybit"))
        #expect(driver.machine.message.contains("`cryptoctl start ingestor-bybit`"))
        #expect(driver.machine.lastExit?.code == 78)
        #expect(driver.apply(.config(needsRestart: false)) == [])
        #expect(driver.apply(.config(needsRestart: true)) == [.spawn])
        #expect(driver.machine.state == .starting)
    }

    @Test("a stop that times out escalates to SIGKILL")
    func stopTimeout() {
        var driver = ChildMachineDriver()
        driver.startRunning()
        #expect(driver.apply(.stop) == [.term, .timer(.stopTimeout, .seconds(15))])
        #expect(driver.apply(.timer(.stopTimeout), after: .seconds(15)) == [.kill])
        #expect(driver.machine.message.contains("SIGKILL"))
        #expect(driver.apply(.signaled(9)) == [])
        #expect(driver.machine.state == .stopped)
        #expect(driver.machine.lastExit?.kind == .signaled)
        #expect(driver.machine.restarts == 0)
        #expect(driver.machine.crashesInWindow == 0)
    }

    @Test(
        "an operator restart or start of a failed child resets the budget", arguments: [MachineEvent.restart, .start])
    func operatorRevivesFailedChild(_ event: MachineEvent) {
        var driver = ChildMachineDriver(name: "writer")
        driver.reach(.failedBudget)
        #expect(driver.machine.crashesInWindow == 5)
        #expect(driver.apply(event) == [.spawn])
        #expect(driver.machine.crashesInWindow == 0)
        driver.spawnAndBecomeReady()
        // A fresh budget and backoff: the next crash waits 1 s instead of giving up.
        #expect(driver.apply(.exit(1)) == [.timer(.backoff, .seconds(1))])
        #expect(driver.machine.state == .backoff)
    }

    @Test("a child not ready within ready_timeout is stopped and counted as a crash")
    func readyTimeout() {
        var driver = ChildMachineDriver()
        driver.apply(.start)
        #expect(driver.apply(.spawned(42)) == [.timer(.readyTimeout, .seconds(60))])
        #expect(
            driver.apply(.timer(.readyTimeout), after: .seconds(60)) == [.term, .timer(.stopTimeout, .seconds(15))])
        #expect(driver.apply(.signaled(15)) == [.timer(.backoff, .seconds(1))])
        #expect(driver.machine.crashesInWindow == 1)
        #expect(driver.machine.message.contains("not ready within 60s"))
    }

    @Test("exit 0 without a stop request is a crash")
    func unexpectedCleanExit() {
        var driver = ChildMachineDriver()
        driver.startRunning()
        #expect(driver.apply(.exit(0)) == [.timer(.backoff, .seconds(1))])
        #expect(driver.machine.message.contains("without being asked to stop"))
        #expect(driver.machine.crashesInWindow == 1)
    }

    @Test("only automatic restarts are counted")
    func restartCounting() {
        var driver = ChildMachineDriver()
        driver.startRunning()
        driver.apply(.restart)
        driver.apply(.exit(0))
        driver.spawnAndBecomeReady()
        #expect(driver.machine.restarts == 0)
        driver.apply(.exit(1))
        driver.apply(.timer(.backoff), after: .seconds(1))
        #expect(driver.machine.restarts == 1)
    }

    @Test("a timer armed for an earlier process is ignored")
    func staleTimer() throws {
        var driver = ChildMachineDriver()
        driver.apply(.start)
        driver.apply(.spawned(100))
        let firstReadyTimer = try #require(driver.machine.armedTimer)
        driver.apply(.exit(1))
        driver.apply(.timer(.backoff), after: .seconds(1))
        driver.apply(.spawned(101))
        #expect(driver.machine.armedTimer != firstReadyTimer)
        let action = driver.machine.timerFired(firstReadyTimer, at: driver.now + .seconds(60))
        #expect(action == .none)
        #expect(driver.machine.state == .starting)
    }

    @Test("start during a requested stop starts again once the process exits")
    func startWhileStopping() {
        var driver = ChildMachineDriver()
        driver.reach(.stoppingForStop)
        #expect(driver.apply(.start) == [])
        #expect(driver.apply(.exit(0)) == [.spawn])
        #expect(driver.machine.state == .starting)
    }

    @Test("status converts monotonic instants to wall-clock times")
    func status() {
        var driver = ChildMachineDriver(name: "gateway")
        driver.startRunning()
        driver.apply(.exit(3))
        let wallNow = Timestamp(seconds: 1_800_000_000)
        let status = driver.machine.status(role: .gateway, now: driver.now, wallNow: wallNow)
        #expect(status.name == "gateway")
        #expect(status.role == .gateway)
        #expect(status.state == .backoff)
        #expect(status.pid == 0)
        #expect(status.startedAt == nil)
        #expect(status.nextRestartAt == wallNow.advanced(byNanoseconds: 1_000_000_000))
        #expect(status.lastExit?.code == 3)
        #expect(status.message.contains("exited with status 3"))

        driver.apply(.timer(.backoff), after: .seconds(1))
        driver.apply(.spawned(777))
        let later = wallNow.advanced(byNanoseconds: 5_000_000_000)
        let running = driver.machine.status(role: .gateway, now: driver.now + .seconds(5), wallNow: later)
        #expect(running.pid == 777)
        #expect(running.startedAt == wallNow)
        #expect(running.restarts == 1)
    }

    @Test("policy values below their limits are raised to them")
    func policyLimits() {
        let policy = RestartPolicy(initialBackoff: .zero, maxBackoff: .zero, budget: 0, stopTimeout: .zero)
        #expect(policy.initialBackoff == .seconds(1))
        #expect(policy.maxBackoff == .seconds(1))
        #expect(policy.budget == 1)
        #expect(policy.stopTimeout == .seconds(1))
        #expect(policy.backoff(afterConsecutiveCrashes: 10_000) == .seconds(1))
        #expect(RestartPolicy.standard.backoff(afterConsecutiveCrashes: 10_000) == .seconds(60))
    }
}
