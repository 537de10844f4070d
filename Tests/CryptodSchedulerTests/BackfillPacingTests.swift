import Testing

@testable import CryptodScheduler

@Suite struct BackfillPacingTests {
    @Test(arguments: [
        (0, false, false), (49, false, false), (50, false, true), (90, false, true), (0, true, true),
    ])
    func pausesFromHalfOrOnStop(percent: Int, stopped: Bool, paused: Bool) {
        #expect(BackfillPacing.pauses(throttlePercent: percent, stopped: stopped) == paused)
    }

    /// Below 50 % a page is followed by p / (100 − p) of its own time: backfills run at (100 − p) % speed.
    @Test(arguments: [
        (0, Duration.zero), (20, .milliseconds(250)), (25, .milliseconds(333)), (49, .milliseconds(960)),
        (50, .zero),
    ])
    func slowsDownBelowHalf(percent: Int, expected: Duration) {
        let delay = BackfillPacing.delay(after: .seconds(1), throttlePercent: percent)
        #expect(abs((delay - expected) / .milliseconds(1)) < 1.0, "\(delay)")
    }

    @Test func aStopHoldsPagesUntilLifted() async throws {
        let pacing = BackfillPacing()
        pacing.set(throttlePercent: 0, stopped: true)
        let waited = Task {
            var paused = false
            try await pacing.waitWhilePaused { paused = $0 }
            return paused
        }
        try await Task.sleep(for: .milliseconds(300))
        pacing.set(throttlePercent: 10, stopped: false)
        #expect(try await waited.value == true)
    }
}
