import Testing

@testable import CryptodOps

@Suite struct PerformanceModeTests {
    /// The seed's numbers, mode by mode.
    @Test(arguments: [
        (PerformanceMode.light, 5, 1000, 3, 500, 1, 2, 1, 2),
        (.medium, 10, 500, 5, 200, 2, 4, 2, 3),
        (.heavy, 20, 200, 10, 100, 4, 8, 3, 6),
    ])
    func presetsAreTheSeeds(
        mode: PerformanceMode, tickerSize: Int, tickerAge: Int, bookSize: Int, bookAge: Int, fastMin: Int,
        fastMax: Int, mediumMin: Int, mediumMax: Int
    ) {
        let profile = PerformanceProfile.preset(mode)
        #expect(profile.limits(.ticker) == BufferLimits(maxSize: tickerSize, maxAgeMilliseconds: tickerAge))
        #expect(profile.limits(.orderbook) == BufferLimits(maxSize: bookSize, maxAgeMilliseconds: bookAge))
        #expect(profile.bounds(.fast) == WorkerBounds(min: fastMin, max: fastMax))
        #expect(profile.bounds(.medium) == WorkerBounds(min: mediumMin, max: mediumMax))
    }

    @Test func overridesWinOverTheMode() {
        var overrides = PerformanceProfile.Overrides()
        overrides.maxAgeMilliseconds[.ticker] = 50
        overrides.workersMin[.medium] = 5
        let profile = PerformanceProfile.resolve(.light, overrides)
        #expect(profile.limits(.ticker) == BufferLimits(maxSize: 5, maxAgeMilliseconds: 50))
        #expect(profile.limits(.orderbook) == PerformanceProfile.preset(.light).limits(.orderbook))
        // A minimum above the mode's maximum raises the maximum with it.
        #expect(profile.bounds(.medium) == WorkerBounds(min: 5, max: 5))
    }
}

@Suite struct AutoModeSelectorTests {
    /// Rates in, the mode after each sample out (patience 2).
    @Test(arguments: [
        ([500.0, 500], [PerformanceMode.medium, .medium]),
        ([50, 50], [.medium, .light]),
        ([5000, 5000, 5000], [.medium, .heavy, .heavy]),
        // One sample over the boundary is not enough.
        ([5000, 500, 5000], [.medium, .medium, .medium]),
        // Down from heavy needs 20 % under the boundary: 1700 of 2000 is not.
        ([5000, 5000, 1700, 1700, 1500, 1500], [.medium, .heavy, .heavy, .heavy, .heavy, .medium]),
        // Straight from light to heavy on a jump.
        ([10, 10, 9000, 9000], [.medium, .light, .light, .heavy]),
    ])
    func switchesWithPatienceAndHysteresis(rates: [Double], modes: [PerformanceMode]) {
        var selector = AutoModeSelector(lightBelow: 100, heavyAbove: 2000, patience: 2)
        var seen: [PerformanceMode] = []
        for rate in rates {
            _ = selector.sample(rate: rate)
            seen.append(selector.mode)
        }
        #expect(seen == modes)
    }

    @Test func theReasonNamesTheRate() {
        var selector = AutoModeSelector(lightBelow: 100, heavyAbove: 2000, patience: 1)
        #expect(selector.sample(rate: 2500) == .heavy)
        #expect(selector.reason == "auto: 2500 msg/s above 2000 for 1 samples (was medium)")
        #expect(selector.sample(rate: 2400) == nil)
    }
}
