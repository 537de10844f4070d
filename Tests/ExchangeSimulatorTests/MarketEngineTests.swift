import ExchangeSimulator
import Foundation
import Testing

/// The market engine's invariants: candles of every width aggregate the same trades, ids are
/// contiguous, trades happen at the touch, and past books can be rebuilt.
@Suite("Market engine")
struct MarketEngineTests {
    static let now = SimulatorHarness.start
    static let history = MarketHistory(specs: MarketCatalog.builtIn, seed: 11)

    @Test("1 h candles equal the sum of their 1 m candles; 1 m equal their trades")
    func candlesAgree() {
        let hour = CandleInterval.milliseconds(3_600_000)
        let minute = CandleInterval.milliseconds(60_000)
        let hours = Self.history.candles(
            market: 0, interval: hour, start: nil, end: Self.now - 1, limit: 3, now: Self.now)
        #expect(hours.count == 3)
        for candle in hours {
            let minutes = Self.history.candles(
                market: 0, interval: minute, start: candle.openTime, end: candle.closeTime, limit: 60, now: Self.now)
            #expect(minutes.count == 60)
            var merged = CandleSummary()
            for item in minutes { merged.merge(item.summary) }
            #expect(merged.volume == candle.summary.volume)
            #expect(merged.quoteVolume == candle.summary.quoteVolume)
            #expect(merged.count == candle.summary.count)
            #expect(merged.high == candle.summary.high && merged.low == candle.summary.low)
            #expect(
                minutes.first?.summary.open == candle.summary.open
                    && minutes.last?.summary.close == candle.summary.close)
        }
        let one = Self.history.candles(
            market: 0, interval: minute, start: Self.now - 600_000, end: nil, limit: 1, now: Self.now)[0]
        let trades = Self.history.trades(market: 0, from: one.openTime, to: one.closeTime, limit: 10_000, now: Self.now)
        #expect(Int64(trades.count) == one.summary.count)
        #expect(trades.reduce(Int128(0)) { $0 + Int128($1.quantity) } == one.summary.volume)
        #expect(trades.first?.id == one.summary.firstTradeId && trades.last?.id == one.summary.lastTradeId)
    }

    @Test("trade and aggregate ids are contiguous across minutes and days")
    func idsAreContiguous() {
        let dayStart = Self.now - 86_400_000
        let trades = Self.history.trades(
            market: 1, from: dayStart - 300_000, to: dayStart + 300_000, limit: 100_000, now: Self.now)
        #expect(trades.count > 50)
        for (previous, next) in zip(trades, trades.dropFirst()) {
            #expect(next.id == previous.id + 1)
            #expect(next.time >= previous.time)
            #expect(next.aggregateId == previous.aggregateId || next.aggregateId == previous.aggregateId + 1)
        }
        // Looking a trade up by id lands on the same trade.
        let probe = trades[trades.count / 2]
        #expect(Self.history.trades(market: 1, fromId: probe.id, limit: 1, now: Self.now).first == probe)
    }

    @Test("prices and sizes sit on the market's grid")
    func gridRespected() {
        for market in 0..<Self.history.markets.count {
            let spec = Self.history.markets[market].spec
            for trade in Self.history.recentTrades(market: market, limit: 200, now: Self.now) {
                #expect(trade.price % spec.tickSize == 0 && trade.price > 0)
                #expect(trade.quantity % spec.lotSize == 0 && trade.quantity > 0)
            }
        }
    }

    @Test("live trades happen at the touch and the book never crosses; past books rebuild exactly")
    func liveBookConsistent() {
        let clock = SimClock(start: Self.now, scale: 0)
        let engine = MarketEngine(history: Self.history, clock: clock, config: EngineConfig())
        let before = engine.snapshot(market: 0, limit: 5_000)
        _ = engine.drain()
        clock.advance(by: 60_000)
        let batch = engine.drain()
        #expect(!batch.trades.isEmpty)
        // Each trade step follows a step whose touch holds the trade price on the taker's side.
        var touch: [Int32: (bid: BookLevel, ask: BookLevel)] = [0: (before.bids[0], before.asks[0])]
        let orders = batch.orders.filter { $0.market == 0 }
        var tradeIndex = 0
        for step in batch.steps {
            if step.cause == .trade, step.market == 0, let previous = touch[0] {
                let order = orders[tradeIndex]
                tradeIndex += 1
                let quotePrice = order.order.isBuyerMaker ? previous.bid.price : previous.ask.price
                #expect(quotePrice == order.order.price, "trade at \(order.order.price) but touch \(quotePrice)")
            }
            #expect(step.bestBid.price < step.bestAsk.price, "crossed book at \(step.updateId)")
            touch[step.market] = (step.bestBid, step.bestAsk)
        }
        #expect(tradeIndex == orders.count, "one trade step per order")
        // The trades streamed live are the history's trades.
        let historical = Self.history.trades(
            market: 0, from: Self.now + 1, to: Self.now + 60_000, limit: 100_000, now: Self.now + 60_000)
        #expect(batch.trades.filter { $0.market == 0 }.map(\.trade) == historical)
        // Ground truth at the starting id is the starting book.
        if case .success(let rebuilt) = engine.book(market: 0, at: before.updateId) {
            #expect(rebuilt.bids == before.bids && rebuilt.asks == before.asks)
        } else {
            Issue.record("book at the starting update id must be rebuildable")
        }
        if case .failure(.future) = engine.book(market: 0, at: engine.updateId(market: 0) + 1) {
        } else {
            Issue.record("a future update id must be refused")
        }
    }

    @Test("two engines driven to the same time hold the same books, whatever their steps")
    func engineDeterminism() {
        let clockA = SimClock(start: Self.now, scale: 0)
        let clockB = SimClock(start: Self.now, scale: 0)
        let a = MarketEngine(
            history: MarketHistory(specs: MarketCatalog.builtIn, seed: 5), clock: clockA, config: EngineConfig())
        let b = MarketEngine(
            history: MarketHistory(specs: MarketCatalog.builtIn, seed: 5), clock: clockB, config: EngineConfig())
        for _ in 0..<30 {
            clockA.advance(by: 2_000)
            a.advance()
        }
        clockB.advance(by: 60_000)
        b.advance()
        for market in 0..<a.marketCount {
            #expect(a.snapshot(market: market, limit: 5_000) == b.snapshot(market: market, limit: 5_000))
        }
    }

    @Test("decimal rendering is exact")
    func units() {
        #expect(Units.parse("0.00000001") == 1)
        #expect(Units.parse("60000.5") == 6_000_050_000_000)
        #expect(Units.parse("1e5") == nil)
        #expect(Units.string(6_000_050_000_000, digits: 8) == "60000.50000000")
        #expect(Units.string(-123, digits: 8) == "-0.00000123")
        #expect(
            Units.string(wide: Int128(12_345) * Int128(Units.one) * Int128(Units.one), scale: 16, digits: 8)
                == "12345.00000000")
    }
}
