import CryptodIPC
import CryptodModel
import CryptodSinks
import CryptodWire
import Logging
import Testing

@testable import CryptodScheduler

@Suite("capacity plans and optimize-capacity")
struct CapacityPlanTests {
    static func budget(
        _ name: String = "REQUEST_WEIGHT", used: UInt64, budget: UInt64 = 4800, limit: UInt64 = 6000,
        window: Int64 = 60_000, blockedUntil: Int64? = nil
    ) -> CapacityReportMessage.Budget {
        CapacityReportMessage.Budget(
            name: name, used: used, limit: limit, budget: budget, windowStart: Timestamp(milliseconds: 60_000),
            resetAt: Timestamp(milliseconds: 60_000 + window),
            blockedUntil: blockedUntil.map { Timestamp(milliseconds: $0) })
    }

    static func report(
        _ exchange: ExchangeID, _ budgets: [CapacityReportMessage.Budget], at time: Int64 = 70_000
    ) -> CapacityReportMessage {
        CapacityReportMessage(exchange: exchange, time: Timestamp(milliseconds: time), budgets: budgets)
    }

    static func report(_ budgets: [CapacityReportMessage.Budget]) -> CapacityReportMessage {
        report(.binance, budgets)
    }

    static func delay(signals: Int) -> AdaptiveDelay {
        var delay = AdaptiveDelay()
        for _ in 0..<signals { delay.rateLimited() }
        return delay
    }

    @Test(
        "pages per minute: the budget per window over the page cost, capped by the adaptive delay",
        arguments: [
            // Binance: 4800 weight a minute at 2 a page = 2400; a 50 ms delay allows 1200.
            (ExchangeID.binance, 0, Int64(1200), TimeWindow.immediate, Int64(50)),
            // 400 ms: 150 a minute.
            (.binance, 3, 150, .immediate, 400),
            // Bybit: 480 requests per 5 s = 5760 a minute, 1 a page; 50 ms caps at 1200.
            (.bybit, 0, 1200, .immediate, 50),
            // After 10 signals the delay is 30 s (the ceiling): 2 a minute, the SHORT window.
            (.bybit, 10, 2, .short, 30_000),
        ])
    func pagesPerMinute(exchange: ExchangeID, signals: Int, pages: Int64, window: TimeWindow, wait: Int64) {
        let budget =
            exchange == .binance
            ? Self.budget(used: 200) : Self.budget("IP", used: 10, budget: 480, limit: 600, window: 5_000)
        let plan = CapacityPlan.make(
            report: Self.report(exchange, [budget]), delay: Self.delay(signals: signals), now: 70_000)
        #expect(plan.pagesPerMinute == pages)
        #expect(plan.window == window && plan.nextPageDelayMilliseconds == wait)
        #expect(plan.budgetName == budget.name)
    }

    @Test("a used-up budget waits for its reset; a ban allows no page until it ends")
    func usedUpAndBlocked() {
        let full = CapacityPlan.make(
            report: Self.report([Self.budget(used: 4800)]), delay: AdaptiveDelay(), now: 70_000)
        #expect(full.nextPageDelayMilliseconds == 50_000 + 50 && full.window == .short)
        let banned = CapacityPlan.make(
            report: Self.report([Self.budget(used: 0, blockedUntil: 400_000)]), delay: AdaptiveDelay(), now: 70_000)
        #expect(banned.pagesPerMinute == 0 && banned.window == .long)
    }

    @Test("WhiteBIT plans on the budget kline pages count against, not the tightest one")
    func whitebitBudget() {
        let report = Self.report(
            .whitebit,
            [
                Self.budget("v4 orderbook", used: 480, budget: 480, window: 10_000),
                Self.budget("v1 public /api/v1/public/kline", used: 5, budget: 800, window: 10_000),
            ])
        #expect(CapacityPlan.pageBudget(report)?.name == "v1 public /api/v1/public/kline")
        #expect(CapacityPlan.make(report: report, delay: AdaptiveDelay(), now: 70_000).pagesPerMinute == 1200)
    }

    @Test("optimize resets a delay the exchange no longer justifies, keeps one it does, and says what changed")
    func optimize() async throws {
        let table = JobTable(logger: Logger(label: "test"))
        func send(_ reports: [CapacityReportMessage], from sequence: UInt64) async throws {
            try await table.consume(
                StreamDelivery(
                    stream: "ingestor>scheduler", epoch: 1,
                    items: reports.enumerated().map {
                        SequencedMessage(sequence: sequence + UInt64($0.offset), message: .capacityReport($0.element))
                    }))
        }
        // Binance: three reports at the limit (50 → 400 ms), then one with room (quartered to 100 ms).
        let limited = Self.report([Self.budget(used: 4800)])
        try await send([limited, limited, limited, Self.report([Self.budget(used: 100)])], from: 1)
        // Bybit: still at its limit.
        try await send(
            [Self.report(.bybit, [Self.budget("IP", used: 480, budget: 480, limit: 600, window: 5_000)])], from: 5)
        #expect(table.capacityWithDelays().map(\.delay.currentMilliseconds) == [100, 100])

        let optimized = table.optimizeDelays(nil)
        #expect(optimized.map(\.report.exchange) == [.binance, .bybit])
        #expect(optimized.map(\.before.currentMilliseconds) == [100, 100])
        #expect(optimized.map(\.after.currentMilliseconds) == [50, 100], "bybit still limits: its delay stays")
        #expect(table.capacityWithDelays().map(\.delay.currentMilliseconds) == [50, 100], "the new delay is kept")

        let json = SchedulerRole.optimizedJSON(optimized[0], now: 70_000)
        let before = try #require(json["before"] as? [String: Any])
        let after = try #require(json["after"] as? [String: Any])
        #expect(json["exchange"] as? String == "binance" && json["changed"] as? Bool == true)
        #expect(before["pages_per_minute"] as? Int64 == 600 && after["pages_per_minute"] as? Int64 == 1200)
        #expect(before["adaptive_delay_ms"] as? Int64 == 100 && after["adaptive_delay_ms"] as? Int64 == 50)
        #expect(after["window"] as? String == "IMMEDIATE" && after["budget"] as? String == "REQUEST_WEIGHT")
        #expect(SchedulerRole.optimizedJSON(optimized[1], now: 70_000)["changed"] as? Bool == false)
        #expect(table.optimizeDelays(.bybit).map(\.report.exchange) == [.bybit], "one exchange only")
    }

    @Test("queue sizes per window: pages that fit the budget now, then a budget per window")
    func queueSizes() {
        // Binance, 4800 weight a minute at 2 a page: 2300 pages fit what is left now (4600), then 2400 a window.
        let report = Self.report([Self.budget(used: 200)])
        let now: Int64 = 70_000  // the window resets at 120 000: 50 s from now
        let sizes = CapacityPlan.queue(pages: 2300 + 2400 + 2400 + 10, report: report, delay: AdaptiveDelay(), now: now)
        #expect(sizes[.immediate] == 2300, "fits the budget left now")
        #expect(sizes[.short] == 2400, "the next window starts in 50 s")
        #expect(sizes[.medium] == 2410, "the window after, 110 s from now, and beyond")
        #expect(sizes[.long] == 0)
        #expect(
            CapacityPlan.queue(pages: 0, report: report, delay: AdaptiveDelay(), now: now).values.allSatisfy { $0 == 0 }
        )
        let banned = Self.report([Self.budget(used: 0, blockedUntil: 400_000)])
        #expect(CapacityPlan.queue(pages: 5, report: banned, delay: AdaptiveDelay(), now: now)[.long] == 5)
    }

    @Test("pending pages count what planned, unfinished jobs have left, per exchange")
    func pendingPages() {
        let btc = MarketKey(exchange: .binance, symbol: "BTCUSDT")
        let eth = MarketKey(exchange: .bybit, symbol: "ETHUSDT")
        func job(_ market: MarketKey, _ state: BackfillJobRecord.State, _ total: Int, _ done: Int) -> BackfillJobRecord
        {
            BackfillJobRecord(
                market: market, interval: .m1, rangeStart: 0, rangeEnd: 60_000, order: "newest_first", state: state,
                chunksTotal: total, chunksDone: done)
        }
        let pending = SchedulerGauges.pendingPages([
            job(btc, .running, 10, 4), job(btc, .queued, 0, 0), job(btc, .succeeded, 9, 9), job(eth, .running, 3, 1),
            job(eth, .failed, 8, 2),
        ])
        #expect(pending == [.binance: 6, .bybit: 2])
    }

    @Test("coverage ratio", arguments: [(0, 0, 1.0), (0, 10, 0.0), (5, 10, 0.5), (10, 10, 1.0), (12, 10, 1.0)])
    func coverage(known: Int, expected: Int, ratio: Double) {
        #expect(HistorySync.coverageRatio(known: known, expected: expected) == ratio)
    }
}
