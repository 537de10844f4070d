/// The price process of one market: multi-scale value noise on the log price.
///
/// Level `i` places a hashed knot every `periods[i]` ms and interpolates linearly between knots; the
/// amplitudes grow with the square root of the period (a Brownian-like scaling) up to a cap, so the
/// price wanders realistically at every horizon but stays within a few × of the reference price.
/// Evaluating it at any instant costs O(levels) hashes and no state: history is free.
package struct PricePath: Sendable {
    /// Knot spacing of each level, ms. Levels of a minute and more have knots on minute boundaries.
    package static let periods: [Int64] = [
        1_000, 5_000, 15_000, 60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000,
        345_600_000, 1_382_400_000, 5_529_600_000, 22_118_400_000, 88_473_600_000,
    ]

    private let key: UInt64
    private let reference: Double
    private let amplitudes: [Double]
    private let tick: Int64
    private let spreadTicks: Int64

    package init(key: UInt64, spec: MarketSpec) {
        self.key = key
        self.reference = Double(spec.referencePrice)
        self.tick = spec.tickSize
        self.spreadTicks = max(1, spec.spreadTicks)
        // σ per √second from the annual volatility; `sqrt` is exactly rounded, so deterministic.
        let perRootSecond = spec.volatility / (365.25 * 86_400).squareRoot()
        self.amplitudes = Self.periods.map { period in
            min(0.25, perRootSecond * (Double(period) / 1_000).squareRoot())
        }
    }

    /// Levels below one minute are evaluated at each instant; the others have knots on minute
    /// boundaries, so within a minute their sum is linear and is interpolated from its values at the
    /// minute's ends. Every caller goes through this one formula, so a trade's price and the live
    /// book's quote at the same instant agree to the bit.
    private static let fineLevels = 3

    private func level(_ level: Int, at time: Int64) -> Double {
        let period = Self.periods[level]
        let knot = DetMath.floorDiv(time, period)
        let fraction = Double(time - knot * period) / Double(period)
        let v0 = SimHash.signedUnit(SimHash.hash(self.key, .priceKnot, Int64(level), knot))
        let v1 = SimHash.signedUnit(SimHash.hash(self.key, .priceKnot, Int64(level), knot + 1))
        return self.amplitudes[level] * (v0 + (v1 - v0) * fraction)
    }

    private func coarse(at minuteBoundary: Int64) -> Double {
        var total = 0.0
        for level in Self.fineLevels..<Self.periods.count { total += self.level(level, at: minuteBoundary) }
        return total
    }

    /// Log-price deviations from the reference at `times`, all inside absolute minute `minute`.
    package func deviations(minute: Int64, times: [Int64]) -> [Double] {
        let start = minute * 60_000
        let coarseStart = self.coarse(at: start)
        let coarseEnd = self.coarse(at: start + 60_000)
        return times.map { time in
            var fine = 0.0
            for level in 0..<Self.fineLevels { fine += self.level(level, at: time) }
            return fine + coarseStart + (coarseEnd - coarseStart) * (Double(time - start) / 60_000)
        }
    }

    /// Log-price deviation from the reference at `time`.
    package func deviation(at time: Int64) -> Double {
        self.deviations(minute: DetMath.floorDiv(time, 60_000), times: [time])[0]
    }

    /// Mid price (units, not on the grid) at `time`.
    package func mid(at time: Int64) -> Double {
        self.reference * DetMath.exp(self.deviation(at: time))
    }

    /// Best bid and ask in ticks at `time`: the bid is the mid less half the spread, floored to the
    /// grid; the ask is `spreadTicks` above it. Never below one tick.
    package func quote(at time: Int64) -> (bid: Int64, ask: Int64) {
        self.quote(deviation: self.deviation(at: time))
    }

    /// Quotes for several instants of one minute (one coarse evaluation for all of them).
    package func quotes(minute: Int64, times: [Int64]) -> [(bid: Int64, ask: Int64)] {
        self.deviations(minute: minute, times: times).map { self.quote(deviation: $0) }
    }

    private func quote(deviation: Double) -> (bid: Int64, ask: Int64) {
        let halfSpread = Double(self.spreadTicks * self.tick) / 2
        let raw = (self.reference * DetMath.exp(deviation) - halfSpread) / Double(self.tick)
        let bid = max(1, Int64(raw.rounded(.down)))
        return (bid, bid + self.spreadTicks)
    }
}
