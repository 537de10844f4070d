import Testing

@testable import CryptodOps

@Suite struct LatencyHistogramTests {
    @Test func anEmptyHistogramHasNoQuantiles() {
        #expect(LatencyHistogram().quantile(0.5) == nil)
    }

    @Test(arguments: [Int64(1), 2, 3, 7, 100, 999, 1000, 12_345, 1_000_000, 60_000_000])
    func aValueLandsInABucketWithinNineteenPercent(microseconds: Int64) {
        var histogram = LatencyHistogram()
        histogram.record(microseconds: microseconds)
        let reported = try! #require(histogram.quantile(0.5)) * 1000
        #expect(reported >= Double(microseconds) * 0.999, "\(reported) < \(microseconds)")
        #expect(reported <= Double(microseconds) * 1.19 + 1, "\(reported) ≫ \(microseconds)")
    }

    @Test func quantilesFollowTheDistribution() throws {
        var histogram = LatencyHistogram()
        for value in 1...1000 { histogram.record(microseconds: Int64(value) * 1000) }  // 1…1000 ms
        let p50 = try #require(histogram.quantile(0.5))
        let p99 = try #require(histogram.quantile(0.99))
        #expect(p50 >= 500 && p50 <= 500 * 1.19, "p50 \(p50)")
        #expect(p99 >= 990 && p99 <= 990 * 1.19, "p99 \(p99)")
    }

    @Test func negativeValuesAreCountedApart() {
        var histogram = LatencyHistogram()
        histogram.record(microseconds: -5)
        histogram.record(microseconds: 2000)
        #expect(histogram.negative == 1)
        #expect(histogram.total == 2)
        #expect(histogram.quantile(0.01).map { $0 >= 2 } == true)
    }

    @Test func mergeAddsCounts() {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        a.record(microseconds: 10)
        b.record(microseconds: 10_000)
        a.merge(b)
        #expect(a.total == 2)
        #expect(a.quantile(1.0).map { $0 >= 10 } == true)
    }
}
