import CryptodModel
import Testing

@testable import CryptodOps

private let btc = MarketKey(exchange: .binance, symbol: "BTCUSDT")
private let eth = MarketKey(exchange: .binance, symbol: "ETHUSDT")

private func ticker(_ market: MarketKey, _ last: String) -> MarketEvent {
    var value = Ticker(market: market, time: Timestamp(nanoseconds: 0), receivedAt: Timestamp(nanoseconds: 0))
    value.last = ExactDecimal(last)
    return .ticker(value)
}

private func delta(_ market: MarketKey, _ first: UInt64, _ last: UInt64, bids: [(String, String)]) -> MarketEvent {
    .bookDelta(
        BookDelta(
            market: market, firstUpdateID: first, lastUpdateID: last, time: nil,
            receivedAt: Timestamp(nanoseconds: 0),
            bids: bids.map { BookLevel(price: ExactDecimal($0.0)!, quantity: ExactDecimal($0.1)!) }, asks: []))
}

private func lasts(_ events: [MarketEvent]) -> [String] {
    events.compactMap { if case .ticker(let t) = $0 { t.last?.description } else { nil } }
}

/// A profile whose ticker buffer allows 2 updates per 100 ms, and books 1 per 100 ms.
private let profile = PerformanceProfile(
    buffers: [
        .ticker: BufferLimits(maxSize: 2, maxAgeMilliseconds: 100),
        .orderbook: BufferLimits(maxSize: 1, maxAgeMilliseconds: 100),
    ],
    workers: [:])

@Suite struct ConflationBufferTests {
    @Test func theAllowancePassesAtOnceAndTheRestWaitsForTheWindow() {
        var buffer = ConflationBuffer(profile: profile)
        #expect(lasts(buffer.offer(ticker(btc, "1"), now: 0)) == ["1"])
        #expect(lasts(buffer.offer(ticker(btc, "2"), now: 10)) == ["2"])
        #expect(buffer.offer(ticker(btc, "3"), now: 20).isEmpty)
        #expect(buffer.offer(ticker(btc, "4"), now: 30).isEmpty)
        #expect(buffer.pending(.ticker) == 1)
        #expect(buffer.due(now: 99).isEmpty)
        #expect(lasts(buffer.due(now: 100)) == ["4"])
        #expect(buffer.pending(.ticker) == 0)
        #expect(buffer.counters[.ticker] == ConflationBuffer.Counters(passed: 2, flushes: 1, conflated: 1))
        // The flush opened a window with one update used: one more passes, the next waits.
        #expect(lasts(buffer.offer(ticker(btc, "5"), now: 110)) == ["5"])
        #expect(buffer.offer(ticker(btc, "6"), now: 120).isEmpty)
    }

    @Test func marketsHaveTheirOwnWindows() {
        var buffer = ConflationBuffer(profile: profile)
        _ = buffer.offer(ticker(btc, "1"), now: 0)
        _ = buffer.offer(ticker(btc, "2"), now: 0)
        #expect(buffer.offer(ticker(btc, "3"), now: 0).isEmpty)
        #expect(lasts(buffer.offer(ticker(eth, "9"), now: 0)) == ["9"])
    }

    @Test func aLateOfferClosesTheWindowItself() {
        var buffer = ConflationBuffer(profile: profile)
        _ = buffer.offer(ticker(btc, "1"), now: 0)
        _ = buffer.offer(ticker(btc, "2"), now: 0)
        _ = buffer.offer(ticker(btc, "3"), now: 0)
        // No timer ran; the window is over: the pending one goes first, then the new one.
        #expect(lasts(buffer.offer(ticker(btc, "4"), now: 150)) == ["3", "4"])
    }

    @Test func deltasMergeIntoOneThatSpansTheirUpdateIDs() throws {
        var buffer = ConflationBuffer(profile: profile)
        #expect(buffer.offer(delta(btc, 1, 1, bids: [("100", "1")]), now: 0).count == 1)
        #expect(buffer.offer(delta(btc, 2, 3, bids: [("100", "2"), ("99", "5")]), now: 10).isEmpty)
        #expect(buffer.offer(delta(btc, 4, 4, bids: [("99", "0"), ("98", "1")]), now: 20).isEmpty)
        let out = buffer.due(now: 100)
        guard case .bookDelta(let merged) = try #require(out.first) else {
            Issue.record("expected a delta, got \(out)")
            return
        }
        #expect(merged.firstUpdateID == 2)
        #expect(merged.lastUpdateID == 4)
        #expect(merged.bids.map { "\($0.price)=\($0.quantity)" } == ["100=2", "99=0", "98=1"])
    }

    @Test func aSnapshotReplacesThePendingDeltaAndGoesOutAtOnce() {
        var buffer = ConflationBuffer(profile: profile)
        _ = buffer.offer(delta(btc, 1, 1, bids: [("100", "1")]), now: 0)
        #expect(buffer.offer(delta(btc, 2, 2, bids: [("100", "2")]), now: 1).isEmpty)
        let snapshot = MarketEvent.bookSnapshot(
            BookSnapshot(
                market: btc, updateID: 10, time: nil, receivedAt: Timestamp(nanoseconds: 0), bids: [], asks: []))
        #expect(buffer.offer(snapshot, now: 2) == [snapshot])
        #expect(buffer.pending(.orderbook) == 0)
        #expect(buffer.due(now: 500).isEmpty)
    }

    @Test func tradesCandlesAndOtherMarketsNeverWait() {
        var buffer = ConflationBuffer(profile: profile)
        let trade = MarketEvent.trades([
            Trade(
                market: btc, id: "1", price: "1", quantity: "1", side: .buy, time: Timestamp(nanoseconds: 0),
                receivedAt: Timestamp(nanoseconds: 0))
        ])
        buffer.hold()
        for _ in 0..<5 { #expect(buffer.offer(trade, now: 0) == [trade]) }
        #expect(buffer.offer(ticker(btc, "1"), now: 0).isEmpty)
    }

    @Test func aStatusOfAMarketFlushesItsPendingUpdatesFirst() {
        var buffer = ConflationBuffer(profile: profile)
        _ = buffer.offer(ticker(btc, "1"), now: 0)
        _ = buffer.offer(ticker(btc, "2"), now: 0)
        _ = buffer.offer(ticker(btc, "3"), now: 0)
        let gap = MarketEvent.gap(
            StreamGap(
                market: btc, channel: "ticker", state: .opened, openedAt: Timestamp(nanoseconds: 0), reason: "test"))
        let out = buffer.offer(gap, now: 1)
        #expect(lasts(out) == ["3"])
        #expect(out.last == gap)
    }

    @Test func aHoldKeepsTheLatestUntilRelease() {
        var buffer = ConflationBuffer(profile: profile)
        buffer.hold()
        #expect(buffer.offer(ticker(btc, "1"), now: 0).isEmpty)
        #expect(buffer.offer(ticker(btc, "2"), now: 500).isEmpty)
        #expect(buffer.due(now: 1000).isEmpty)
        #expect(lasts(buffer.release(now: 1001)) == ["2"])
        #expect(lasts(buffer.offer(ticker(btc, "3"), now: 1002)) == ["3"])
    }

    @Test func aZeroAgePassesEverything() {
        var buffer = ConflationBuffer(
            profile: PerformanceProfile(
                buffers: [.ticker: BufferLimits(maxSize: 1, maxAgeMilliseconds: 0)], workers: [:]))
        for value in 1...5 { #expect(lasts(buffer.offer(ticker(btc, "\(value)"), now: 0)) == ["\(value)"]) }
    }

    /// The throttle keeps `(100 − p) %` of the mode's rate per market: allowance first, then the window.
    @Test(arguments: [
        (BufferLimits(maxSize: 10, maxAgeMilliseconds: 500), 0, BufferLimits(maxSize: 10, maxAgeMilliseconds: 500)),
        (BufferLimits(maxSize: 10, maxAgeMilliseconds: 500), 50, BufferLimits(maxSize: 5, maxAgeMilliseconds: 500)),
        (BufferLimits(maxSize: 10, maxAgeMilliseconds: 500), 90, BufferLimits(maxSize: 1, maxAgeMilliseconds: 500)),
        (BufferLimits(maxSize: 5, maxAgeMilliseconds: 1000), 90, BufferLimits(maxSize: 1, maxAgeMilliseconds: 2000)),
        (BufferLimits(maxSize: 3, maxAgeMilliseconds: 500), 99, BufferLimits(maxSize: 1, maxAgeMilliseconds: 16667)),
        (BufferLimits(maxSize: 4, maxAgeMilliseconds: 0), 90, BufferLimits(maxSize: 4, maxAgeMilliseconds: 0)),
    ])
    func throttleStretchesTheLimits(limits: BufferLimits, percent: Int, expected: BufferLimits) {
        #expect(ConflationBuffer.effective(limits, throttlePercent: percent) == expected)
    }

    @Test func throttlingAtNinetyPercentCutsASteadyFlowTenfold() {
        // 20 updates/s for one market for 10 s, medium's ticker limits (10 per 500 ms = 20/s: nothing shed).
        func published(throttle: Int) -> Int {
            var buffer = ConflationBuffer(profile: .preset(.medium))
            buffer.setThrottle(percent: throttle)
            var count = 0
            for step in 0..<200 {
                let now = Int64(step * 50)
                count += buffer.offer(ticker(btc, "\(step)"), now: now).count
                count += buffer.due(now: now).count
            }
            return count
        }
        #expect(published(throttle: 0) == 200)
        let throttled = published(throttle: 90)
        #expect(throttled >= 19 && throttled <= 21, "published \(throttled) of 200")
    }
}
