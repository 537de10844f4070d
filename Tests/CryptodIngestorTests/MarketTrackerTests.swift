import CryptodModel
import Testing

@testable import CryptodIngestor

private let market = MarketKey(exchange: .whitebit, symbol: "BTC_USDT")

private func trade(_ id: String, _ second: Int64) -> Trade {
    Trade(
        market: market, id: id, price: "100.5", quantity: "0.010", side: .buy, time: Timestamp(seconds: second),
        receivedAt: Timestamp(seconds: second))
}

private func candle(_ minute: Int64, close: ExactDecimal = "10", closed: Bool = false) -> Candle {
    Candle(
        market: market, interval: .m1, openTime: Timestamp(seconds: minute * 60), open: "10", high: "11", low: "9",
        close: close, volume: "1.5", isClosed: closed, receivedAt: Timestamp(seconds: minute * 60))
}

@Suite("trade de-duplication")
struct TradeDeduplicatorTests {
    @Test("a trade seen on two connections or again in a REST gap-fill is published once")
    func duplicates() {
        var dedup = TradeDeduplicator()
        #expect(dedup.admit([trade("1", 1), trade("2", 2)]).map(\.id) == ["1", "2"])
        #expect(dedup.admit([trade("2", 2), trade("3", 3)]).map(\.id) == ["3"])
        #expect(dedup.admit([trade("1", 1), trade("2", 2), trade("3", 3)]).isEmpty)
        #expect(dedup.last?.id == "3")
    }

    @Test("memory stays bounded and old history is not republished once forgotten")
    func bounded() {
        var dedup = TradeDeduplicator(capacity: 4)
        for id in 1...10 { _ = dedup.admit([trade(String(id), Int64(id))]) }
        // id 1 was forgotten, but it is older than everything remembered: not published again.
        #expect(dedup.admit([trade("1", 1)]).isEmpty)
        #expect(dedup.admit([trade("11", 11)]).map(\.id) == ["11"])
    }

    @Test("started from an earlier run's cursor: that trade is not published again, newer ones are")
    func seeded() {
        var dedup = TradeDeduplicator(after: TradeMark(id: "5", time: Timestamp(seconds: 5)))
        #expect(dedup.last == TradeMark(id: "5", time: Timestamp(seconds: 5)))
        #expect(dedup.admit([trade("5", 5), trade("6", 6)]).map(\.id) == ["6"])
        #expect(dedup.last?.id == "6")
    }
}

@Suite("candle tracking")
struct CandleTrackerTests {
    @Test("a candle the exchange never flags closed is closed when the next one opens (WhiteBIT)")
    func inferredClose() {
        var tracker = CandleTracker()
        #expect(tracker.admit(candle(0, close: "10")).map(\.isClosed) == [false])
        #expect(tracker.admit(candle(0, close: "10.5")).map(\.close) == ["10.5"])
        let out = tracker.admit(candle(1, close: "12"))
        #expect(out.count == 2)
        #expect(out[0].isClosed && out[0].openTime == Timestamp(seconds: 0) && out[0].close == "10.5")
        #expect(!out[1].isClosed && out[1].openTime == Timestamp(seconds: 60))
    }

    @Test("an explicitly closed candle is published once; a revision of it is published again")
    func explicitClose() {
        var tracker = CandleTracker()
        _ = tracker.admit(candle(0))
        #expect(tracker.admit(candle(0, closed: true)).count == 1)
        #expect(tracker.admit(candle(0, closed: true)).isEmpty, "the same closed candle again is a duplicate")
        #expect(
            tracker.admit(candle(0, close: "10.1", closed: true)).count == 1, "a revised closed candle is published")
        // The next candle opening does not close the old one a second time.
        #expect(tracker.admit(candle(1)).map(\.isClosed) == [false])
    }

    @Test("late updates of an older candle are ignored")
    func late() {
        var tracker = CandleTracker()
        _ = tracker.admit(candle(5))
        #expect(tracker.admit(candle(4)).isEmpty)
        #expect(tracker.lastOpenTime == Timestamp(seconds: 300))
    }
}

@Suite("ticker merging")
struct TickerMergerTests {
    @Test("a delta with some fields keeps the others (Bybit linear)")
    func merge() {
        var merger = TickerMerger()
        var first = Ticker(market: market, time: Timestamp(seconds: 1), receivedAt: Timestamp(seconds: 1))
        first.last = "100.0"
        first.bid = "99.9"
        first.volume = "12"
        _ = merger.merge(first)
        var delta = Ticker(market: market, time: Timestamp(seconds: 2), receivedAt: Timestamp(seconds: 2))
        delta.last = "100.5"
        let merged = merger.merge(delta)
        #expect(merged.last == "100.5")
        #expect(merged.bid == "99.9")
        #expect(merged.volume == "12")
        #expect(merged.time == Timestamp(seconds: 2))
    }
}
