import CryptodExchanges
import CryptodModel
import Testing

// MARK: - Helpers

/// A time on a minute boundary (and so on every 5 s and 10 s boundary): window arithmetic stays readable.
private let t0: Int64 = 1_700_000_040_000

private func at(_ offset: Int64) -> Timestamp { Timestamp(milliseconds: t0 + offset) }

private func waitUntil(_ offset: Int64) -> RateLimitGovernor.Admission { .wait(until: at(offset)) }

/// Requests `weight` until the governor says wait; returns how many were admitted and the wait.
private func fill(
    _ governor: inout RateLimitGovernor, weight: Int, endpoint: String = "/api/v3/klines",
    priority: RequestPriority, at offset: Int64
) -> (admitted: Int, answer: RateLimitGovernor.Admission) {
    var admitted = 0
    while true {
        let answer = governor.request(weight: weight, endpoint: endpoint, priority: priority, now: at(offset))
        guard answer == .proceed else { return (admitted, answer) }
        admitted += 1
        precondition(admitted < 1_000_000, "the governor never said wait")
    }
}

private func budget(
    _ governor: RateLimitGovernor, _ name: String, endpoint: String? = nil, at offset: Int64
)
    -> CapacityReport.Budget?
{
    governor.snapshot(now: at(offset)).budgets.first { $0.name == name && (endpoint == nil || $0.endpoint == endpoint) }
}

// MARK: - Budget and priorities

struct BudgetRow: Sendable, CustomTestStringConvertible {
    var policy: RateLimitPolicy
    var endpoint: String
    var weight: Int
    var budget: Int
    var testDescription: String { "\(policy.dialect) share \(policy.share) \(endpoint) → \(budget)" }
}

let budgetTable: [BudgetRow] = [
    .init(policy: .binance(share: 0.8), endpoint: "/api/v3/klines", weight: 2, budget: 4_800),
    .init(policy: .binance(share: 1), endpoint: "/api/v3/klines", weight: 20, budget: 6_000),
    .init(policy: .binance(share: 0.333), endpoint: "/api/v3/depth", weight: 2, budget: 1_998),
    .init(policy: .binance(share: 0.01), endpoint: "/api/v3/depth", weight: 5, budget: 60),
    .init(policy: .bybit(share: 0.8), endpoint: "/v5/market/orderbook", weight: 1, budget: 480),
    // 0.7 × 600 is 419.999… in binary floating point: the budget is still 420.
    .init(policy: .bybit(share: 0.7), endpoint: "/v5/market/kline", weight: 1, budget: 420),
    // Bybit counts requests: a declared weight does not change the count.
    .init(policy: .bybit(share: 0.8), endpoint: "/v5/market/kline", weight: 50, budget: 480),
    .init(policy: .whitebit(share: 0.8), endpoint: "/api/v4/public/orderbook/BTC_USDT", weight: 1, budget: 480),
    .init(policy: .whitebit(share: 0.8), endpoint: "/api/v4/public/trades/BTC_USDT", weight: 1, budget: 1_600),
    .init(policy: .whitebit(share: 0.8), endpoint: "/api/v1/public/kline?market=BTC_USDT", weight: 1, budget: 800),
    .init(policy: .whitebit(share: 0.8), endpoint: "/api/v4/trade-account/balance", weight: 1, budget: 9_600),
    .init(policy: .whitebit(share: 0.8), endpoint: "/api/v4/orders", weight: 1, budget: 800),
]

struct PriorityRow: Sendable, CustomTestStringConvertible {
    var priority: RequestPriority
    /// Weight-10 requests admitted into an empty Binance window at share 0.8 (budget 4800).
    var admitted: Int
    var testDescription: String { "\(priority) fills \(admitted * 10)" }
}

let priorityTable: [PriorityRow] = [
    .init(priority: .backfill, admitted: 336),  // 70 % of 4800
    .init(priority: .polling, admitted: 432),  // 90 %
    .init(priority: .bookResync, admitted: 480),  // 100 %
    .init(priority: .verification, admitted: 480),
]

@Suite("RateLimitGovernor budgets and priorities")
struct RateLimitBudgetTests {
    @Test("the budget is floor(limit × share), and a window admits exactly that", arguments: budgetTable)
    func budgetWithShare(_ row: BudgetRow) {
        var governor = RateLimitGovernor(policy: row.policy)
        let unit = row.policy.dialect == .binance ? row.weight : 1
        let (admitted, answer) = fill(
            &governor, weight: row.weight, endpoint: row.endpoint, priority: .bookResync, at: 3_000)
        #expect(admitted * unit <= row.budget)
        #expect(admitted * unit > row.budget - unit, "the budget must be used, not wasted")
        let report = governor.snapshot(now: at(3_000)).budgets.first { $0.used > 0 }
        #expect(report?.budget == row.budget)
        #expect(report?.used == admitted * unit)
        #expect(report?.remaining == row.budget - admitted * unit)
        // Waiting ends when the window has turned, plus the clock tolerance.
        let window = row.policy.dialect == .binance ? 60_000 : row.policy.dialect == .bybit ? 5_000 : 10_000
        #expect(answer == waitUntil(Int64(window) + row.policy.clockToleranceMilliseconds))
    }

    @Test("each priority fills only its fraction of the budget", arguments: priorityTable)
    func priorityCaps(_ row: PriorityRow) {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        #expect(fill(&governor, weight: 10, priority: row.priority, at: 5_000).admitted == row.admitted)
    }

    @Test("backfill at its cap leaves the reserve to polling, and polling leaves the rest to a resync")
    func reserveForResync() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        #expect(fill(&governor, weight: 25, priority: .backfill, at: 5_000).admitted == 134)  // 3350 of 3360
        #expect(
            governor.request(weight: 2, endpoint: "/api/v3/klines", priority: .backfill, now: at(5_000)) == .proceed)
        #expect(
            governor.request(weight: 25, endpoint: "/api/v3/trades", priority: .backfill, now: at(5_000))
                == waitUntil(61_000))
        #expect(fill(&governor, weight: 40, priority: .polling, at: 6_000).admitted == 24)  // 3352 + 960 = 4312
        // The resync still gets every remaining unit of the budget: 4800 − 4312 = 488 = 9 × 50 + 19 × 2.
        #expect(fill(&governor, weight: 50, endpoint: "/api/v3/depth", priority: .bookResync, at: 7_000).admitted == 9)
        #expect(fill(&governor, weight: 2, priority: .bookResync, at: 7_000).admitted == 19)
        #expect(budget(governor, "REQUEST_WEIGHT", at: 7_000)?.used == 4_800)
    }

    @Test("a request heavier than its priority's cap goes alone into an empty window")
    func oversizeAlone() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.01))  // budget 60, backfill cap 42
        #expect(
            governor.request(weight: 250, endpoint: "/api/v3/depth", priority: .backfill, now: at(1_000)) == .proceed)
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/ping", priority: .verification, now: at(1_000))
                == waitUntil(61_000))
        #expect(
            governor.request(weight: 250, endpoint: "/api/v3/depth", priority: .backfill, now: at(61_000)) == .proceed)
    }
}

// MARK: - Windows

@Suite("RateLimitGovernor windows")
struct RateLimitWindowTests {
    @Test("a full window resets when the next one starts, after the clock tolerance")
    func windowReset() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        #expect(fill(&governor, weight: 50, priority: .bookResync, at: 10_000).admitted == 96)
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/time", priority: .verification, now: at(59_999))
                == waitUntil(61_000))
        // Within the tolerance after the boundary the request could still land in the full window.
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/time", priority: .verification, now: at(60_500))
                == waitUntil(61_000))
        #expect(
            governor.nextAdmissionTime(weight: 1, endpoint: "/api/v3/time", priority: .backfill, now: at(60_500))
                == at(61_000))
        #expect(governor.request(weight: 1, endpoint: "/api/v3/time", priority: .backfill, now: at(61_000)) == .proceed)
        let report = budget(governor, "REQUEST_WEIGHT", at: 61_000)
        #expect(report?.used == 1)
        #expect(report?.windowStart == at(60_000))
        #expect(report?.resetAt == at(120_000))
        #expect(report?.limit == 6_000)
        #expect(report?.budget == 4_800)
        #expect(report?.blockedUntil == nil)
    }

    @Test("a request near a boundary is charged to both windows, so a skewed exchange never sees more")
    func boundaryChargesBoth() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        #expect(
            governor.request(weight: 250, endpoint: "/api/v3/depth", priority: .bookResync, now: at(59_200)) == .proceed
        )
        #expect(budget(governor, "REQUEST_WEIGHT", at: 59_200)?.used == 250)
        #expect(budget(governor, "REQUEST_WEIGHT", at: 61_000)?.used == 250)
        #expect(budget(governor, "REQUEST_WEIGHT", at: 120_000)?.used == 0)
    }

    @Test("a clock that steps back does not reopen a spent window")
    func clockBackwards() {
        var governor = RateLimitGovernor(policy: .bybit(share: 0.8))
        #expect(
            fill(&governor, weight: 1, endpoint: "/v5/market/tickers", priority: .polling, at: 7_000).admitted == 432)
        #expect(
            governor.request(weight: 1, endpoint: "/v5/market/tickers", priority: .polling, now: at(1_000))
                == waitUntil(10_250))
    }

    @Test("after a restart nothing is sent in the window a predecessor may have spent")
    func priorInstance() {
        var governor = RateLimitGovernor(policy: .bybit(share: 0.8))
        governor.assumePriorInstance(now: at(1_000))
        // Bybit reports no usage: wait for the next window (at most 5 s) rather than risk a 10-minute block.
        #expect(
            fill(&governor, weight: 1, endpoint: "/v5/market/tickers", priority: .bookResync, at: 1_000).admitted == 0)
        #expect(
            governor.request(weight: 1, endpoint: "/v5/market/tickers", priority: .bookResync, now: at(5_250))
                == .proceed)
    }
}

// MARK: - Answers

struct RefusalRow: Sendable, CustomTestStringConvertible {
    var name: String
    var policy: RateLimitPolicy
    var status: Int
    var headers: [Header]
    var body: String?
    /// When every priority may send again, as an offset from t0; the answer arrives at 10 s.
    var until: Int64
    var counters: RateLimitCounters
    var testDescription: String { name }

    struct Header: Sendable { var name: String, value: String }
}

private func counters(_ change: (inout RateLimitCounters) -> Void) -> RateLimitCounters {
    var counters = RateLimitCounters()
    counters.admitted = 1
    change(&counters)
    return counters
}

let refusalTable: [RefusalRow] = [
    .init(
        name: "Binance 429 with Retry-After beyond the window", policy: .binance(), status: 429,
        headers: [.init(name: "Retry-After", value: "120")],
        body: #"{"code":-1003,"msg":"Too much request weight used"}"#,
        until: 130_000, counters: counters { $0.throttled429 = 1 }),
    .init(
        name: "Binance 429 with a short Retry-After still skips the rest of the window", policy: .binance(),
        status: 429,
        headers: [.init(name: "retry-after", value: "5")], body: nil, until: 61_000,
        counters: counters { $0.throttled429 = 1 }),
    .init(
        name: "Binance 429 without Retry-After waits for the next window", policy: .binance(), status: 429,
        headers: [], body: nil, until: 61_000, counters: counters { $0.throttled429 = 1 }),
    .init(
        name: "Binance 418 with Retry-After", policy: .binance(), status: 418,
        headers: [.init(name: "Retry-After", value: "240")], body: nil, until: 250_000,
        counters: counters { $0.banned418 = 1 }),
    .init(
        name: "Binance 418 body's ban time wins when later", policy: .binance(), status: 418,
        headers: [.init(name: "Retry-After", value: "60")],
        body:
            #"{"code":-1003,"msg":"Way too much request weight used; IP banned until 1700000340000. Please use WebSocket Streams."}"#,
        until: 300_000, counters: counters { $0.banned418 = 1 }),
    .init(
        name: "Binance 418 without times bans for the 2-minute minimum", policy: .binance(), status: 418,
        headers: [], body: nil, until: 130_000, counters: counters { $0.banned418 = 1 }),
    .init(
        name: "Binance 403 (WAF) waits for the next window", policy: .binance(), status: 403,
        headers: [], body: nil, until: 61_000, counters: counters { $0.blocked403 = 1 }),
    .init(
        name: "Bybit 403 blocks the IP for 10 minutes", policy: .bybit(), status: 403,
        headers: [], body: Optional("access too frequent"), until: 610_000, counters: counters { $0.blocked403 = 1 }),
    .init(
        name: "Bybit 429 waits for the next 5-second window", policy: .bybit(), status: 429,
        headers: [], body: nil, until: 15_250, counters: counters { $0.throttled429 = 1 }),
]

@Suite("RateLimitGovernor answers")
struct RateLimitObserveTests {
    @Test("a refusal blocks every priority until its end, and not a millisecond less", arguments: refusalTable)
    func refusal(_ row: RefusalRow) {
        var governor = RateLimitGovernor(policy: row.policy)
        let endpoint = row.policy.dialect == .binance ? "/api/v3/depth" : "/v5/market/orderbook"
        #expect(governor.request(weight: 5, endpoint: endpoint, priority: .polling, now: at(9_900)) == .proceed)
        governor.observe(
            status: row.status, headers: row.headers.map { ($0.name, $0.value) }, body: row.body.map { Array($0.utf8) },
            endpoint: endpoint, weight: 5, sentAt: at(9_900), now: at(10_000)
        )
        for priority in RequestPriority.allCases {
            #expect(
                governor.request(weight: 1, endpoint: "/api/v3/ping", priority: priority, now: at(10_001))
                    == waitUntil(row.until))
            #expect(
                governor.request(weight: 1, endpoint: "/api/v3/ping", priority: priority, now: at(row.until - 1))
                    == waitUntil(row.until))
        }
        let report = governor.snapshot(now: at(10_001))
        #expect(report.blockedUntil == at(row.until))
        #expect(report.budgets.allSatisfy { $0.blockedUntil == at(row.until) })
        #expect((report.bannedUntil != nil) == (row.status == 418))
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/ping", priority: .backfill, now: at(row.until)) == .proceed)
        var expected = row.counters
        expected.admitted = 2
        expected.deferred = RequestPriority.allCases.count * 2
        expected.usageHeadersApplied = governor.counters.usageHeadersApplied
        #expect(governor.counters == expected)
    }

    @Test("X-MBX-USED-WEIGHT-1M raises the count to the exchange's, plus what is still in flight")
    func headerCorrectsUpwards() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        for _ in 0..<10 {
            #expect(
                governor.request(weight: 20, endpoint: "/api/v3/exchangeInfo", priority: .polling, now: at(1_000))
                    == .proceed)
        }
        // Another process on this IP has used 2980: the exchange counts 3000 with our first request.
        governor.observe(
            status: 200, headers: [("x-mbx-used-weight-1m", "3000")], body: nil,
            endpoint: "/api/v3/exchangeInfo", weight: 20, sentAt: at(1_000), now: at(1_100))
        #expect(budget(governor, "REQUEST_WEIGHT", at: 1_100)?.used == 3_180)
        #expect(budget(governor, "REQUEST_WEIGHT", at: 1_100)?.inFlight == 180)
        #expect(governor.counters.usageHeadersApplied == 1)
        #expect(fill(&governor, weight: 20, priority: .bookResync, at: 1_200).admitted == 81)  // (4800 − 3180) / 20
    }

    @Test("a usage header replaces an assumed count; one that may belong to the last window is ignored")
    func headerReplacesAndAmbiguity() {
        var governor = RateLimitGovernor(policy: .binance(share: 0.8))
        governor.assumePriorInstance(now: at(2_000))
        #expect(budget(governor, "REQUEST_WEIGHT", at: 2_000)?.used == 4_800)
        // Until the exchange says what the predecessor spent, one probe at a time goes out.
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/time", priority: .verification, now: at(2_000)) == .proceed)
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/time", priority: .verification, now: at(2_000))
                == waitUntil(61_000))
        governor.observe(
            status: 200, headers: [("X-MBX-USED-WEIGHT-1M", "41")], body: nil,
            endpoint: "/api/v3/time", weight: 1, sentAt: at(2_000), now: at(2_050))
        #expect(budget(governor, "REQUEST_WEIGHT", at: 2_050)?.used == 41)
        // Sent before the boundary, answered after it: which minute does "4000" describe? Ignore it.
        #expect(
            governor.request(weight: 1, endpoint: "/api/v3/time", priority: .verification, now: at(59_900)) == .proceed)
        governor.observe(
            status: 200, headers: [("X-MBX-USED-WEIGHT-1M", "4000")], body: nil,
            endpoint: "/api/v3/time", weight: 1, sentAt: at(59_900), now: at(61_500))
        #expect(budget(governor, "REQUEST_WEIGHT", at: 61_500)?.used == 1)
        #expect(governor.counters.usageHeadersAmbiguous == 1)
        #expect(budget(governor, "REQUEST_WEIGHT", at: 61_500)?.inFlight == 0)
    }

    @Test("Bybit 10006 blocks that endpoint until X-Bapi-Limit-Reset-Timestamp; others go on")
    func bybit10006() {
        var governor = RateLimitGovernor(policy: .bybit(share: 0.8))
        let wallet = "/v5/account/wallet-balance?accountType=UNIFIED"
        #expect(governor.request(weight: 1, endpoint: wallet, priority: .verification, now: at(1_000)) == .proceed)
        let body = Array(
            #"{"retCode":10006,"retMsg":"Too many visits!","result":{},"retExtInfo":{},"time":1700000041010}"#.utf8)
        governor.observe(
            status: 200,
            headers: [
                ("X-Bapi-Limit", "50"), ("X-Bapi-Limit-Status", "0"), ("X-Bapi-Limit-Reset-Timestamp", "\(t0 + 1_800)"),
            ],
            body: body, endpoint: wallet, weight: 1, now: at(1_010)
        )
        #expect(governor.rateLimited10006 == 1)
        #expect(
            governor.request(weight: 1, endpoint: "/v5/account/wallet-balance", priority: .verification, now: at(1_100))
                == waitUntil(1_800))
        #expect(
            governor.request(weight: 1, endpoint: "/v5/market/tickers", priority: .polling, now: at(1_100)) == .proceed)
        let endpoint = governor.snapshot(now: at(1_100)).endpoints.first
        #expect(
            endpoint
                == CapacityReport.Endpoint(
                    endpoint: "/v5/account/wallet-balance", limit: 50, remaining: 0, blockedUntil: at(1_800)))
        #expect(governor.request(weight: 1, endpoint: wallet, priority: .verification, now: at(1_800)) == .proceed)
    }

    @Test("Bybit X-Bapi-Limit-Status 0 blocks before the exchange refuses; 10006 without a reset waits a second")
    func bybitRemaining() {
        var governor = RateLimitGovernor(policy: .bybit(share: 0.8))
        let query = "/v5/user/query-api"
        governor.observe(
            status: 200, headers: [("X-Bapi-Limit-Status", "0"), ("X-Bapi-Limit-Reset-Timestamp", "\(t0 + 2_500)")],
            body: Array(#"{"retCode":0}"#.utf8), endpoint: query, weight: 1, now: at(2_000))
        #expect(
            governor.request(weight: 1, endpoint: query, priority: .verification, now: at(2_000)) == waitUntil(2_500))
        governor.observe(
            status: 200, headers: [], body: Array(#"{"retCode": 10006, "retMsg":"Too many visits!"}"#.utf8),
            endpoint: query, weight: 1, now: at(3_000))
        #expect(
            governor.request(weight: 1, endpoint: query, priority: .verification, now: at(3_000)) == waitUntil(4_000))
        #expect(governor.counters.rateLimited10006 == 1)
    }

    @Test("WhiteBIT windows are per endpoint; a 429 blocks only its endpoint until the window turns")
    func whitebitEndpoints() {
        var governor = RateLimitGovernor(policy: .whitebit(share: 0.8))
        // Every market shares the order-book endpoint's 480.
        #expect(
            fill(&governor, weight: 1, endpoint: "/api/v4/public/orderbook/BTC_USDT", priority: .bookResync, at: 2_000)
                .admitted == 480)
        #expect(
            governor.request(
                weight: 1, endpoint: "/api/v4/public/orderbook/ETH_USDT?limit=100", priority: .bookResync,
                now: at(2_000)) == waitUntil(10_250))
        // Other endpoints have their own windows: each v4 public endpoint 1600, v1 kline 800.
        #expect(
            fill(&governor, weight: 1, endpoint: "/api/v4/public/trades/BTC_USDT", priority: .bookResync, at: 2_000)
                .admitted == 1_600)
        #expect(
            fill(&governor, weight: 1, endpoint: "/api/v4/public/trades/ETH_USDT", priority: .bookResync, at: 2_000)
                .admitted == 0)
        #expect(
            fill(&governor, weight: 1, endpoint: "/api/v4/public/ticker", priority: .polling, at: 2_000).admitted
                == 1_440)
        #expect(
            fill(&governor, weight: 1, endpoint: "/api/v1/public/kline?market=BTC_USDT", priority: .backfill, at: 2_000)
                .admitted == 560)
        #expect(
            fill(
                &governor, weight: 1, endpoint: "http://127.0.0.1:9103/api/v1/public/kline?market=ETH_USDT",
                priority: .polling, at: 2_000
            ).admitted == 160)
        // A 429 on the ticker (someone else on this IP): only the ticker waits.
        governor.observe(
            status: 429, headers: [], body: Array(#"{"code":0,"errors":{},"message":"Too many requests."}"#.utf8),
            endpoint: "/api/v4/public/ticker", weight: 1, now: at(12_000))
        #expect(
            governor.request(weight: 1, endpoint: "/api/v4/public/ticker", priority: .bookResync, now: at(12_000))
                == waitUntil(20_250))
        #expect(
            governor.request(weight: 1, endpoint: "/api/v4/public/markets", priority: .polling, now: at(12_000))
                == .proceed)
        #expect(
            governor.request(
                weight: 1, endpoint: "/api/v4/public/orderbook/BTC_USDT", priority: .polling, now: at(12_000))
                == .proceed)
        #expect(governor.throttled429 == 1)
        let report = governor.snapshot(now: at(12_000))
        #expect(report.blockedUntil == nil)
        #expect(report.budgets.first { $0.endpoint == "/api/v4/public/ticker" }?.blockedUntil == at(20_250))
        #expect(report.budgets.first { $0.name == "v4 orderbook" }?.used == 1)
    }

    @Test("per-endpoint state is bounded: beyond the limit endpoints share one stricter window")
    func boundedEndpoints() {
        let base = RateLimitPolicy.whitebit(share: 0.8)
        let policy = RateLimitPolicy(
            dialect: base.dialect, share: base.share, rules: base.rules, fallback: base.fallback,
            clockToleranceMilliseconds: base.clockToleranceMilliseconds,
            ipBlockMilliseconds: base.ipBlockMilliseconds, maxTrackedEndpoints: 4)
        var governor = RateLimitGovernor(policy: policy)
        for index in 0..<100 {
            #expect(
                governor.request(weight: 1, endpoint: "/api/v4/public/x\(index)", priority: .polling, now: at(1_000))
                    == .proceed)
        }
        let tracked = governor.snapshot(now: at(1_000)).budgets.filter { $0.name == "v4 public" }
        #expect(tracked.count == 5)
        #expect(tracked.first { $0.endpoint == "*" }?.used == 96)
        // Once their windows have passed, idle endpoints are forgotten to make room.
        #expect(
            governor.request(weight: 1, endpoint: "/api/v4/public/new", priority: .polling, now: at(30_000)) == .proceed
        )
        #expect(governor.snapshot(now: at(30_000)).budgets.contains { $0.endpoint == "/api/v4/public/new" })
    }
}

// MARK: - Weights and queue

struct WeightRow: Sendable, CustomTestStringConvertible {
    var name: String
    var weight: Int
    var expected: Int
    var testDescription: String { "\(name) = \(expected)" }
}

let weightTable: [WeightRow] = [
    .init(name: "depth 1", weight: BinanceWeights.depth(limit: 1), expected: 5),
    .init(name: "depth default", weight: BinanceWeights.depth(), expected: 5),
    .init(name: "depth 100", weight: BinanceWeights.depth(limit: 100), expected: 5),
    .init(name: "depth 101", weight: BinanceWeights.depth(limit: 101), expected: 25),
    .init(name: "depth 500", weight: BinanceWeights.depth(limit: 500), expected: 25),
    .init(name: "depth 501", weight: BinanceWeights.depth(limit: 501), expected: 50),
    .init(name: "depth 1000", weight: BinanceWeights.depth(limit: 1000), expected: 50),
    .init(name: "depth 1001", weight: BinanceWeights.depth(limit: 1001), expected: 250),
    .init(name: "depth 5000", weight: BinanceWeights.depth(limit: 5000), expected: 250),
    .init(name: "klines", weight: BinanceWeights.klines, expected: 2),
    .init(name: "trades", weight: BinanceWeights.trades, expected: 25),
    .init(name: "historicalTrades", weight: BinanceWeights.historicalTrades, expected: 25),
    .init(name: "aggTrades", weight: BinanceWeights.aggTrades, expected: 4),
    .init(name: "exchangeInfo", weight: BinanceWeights.exchangeInfo, expected: 20),
    .init(name: "account", weight: BinanceWeights.account, expected: 20),
    .init(name: "time", weight: BinanceWeights.time, expected: 1),
    .init(name: "ping", weight: BinanceWeights.ping, expected: 1),
    .init(name: "24hr 1", weight: BinanceWeights.ticker24hr(symbols: 1), expected: 2),
    .init(name: "24hr 20", weight: BinanceWeights.ticker24hr(symbols: 20), expected: 2),
    .init(name: "24hr 21", weight: BinanceWeights.ticker24hr(symbols: 21), expected: 40),
    .init(name: "24hr 100", weight: BinanceWeights.ticker24hr(symbols: 100), expected: 40),
    .init(name: "24hr 101", weight: BinanceWeights.ticker24hr(symbols: 101), expected: 80),
    .init(name: "24hr all", weight: BinanceWeights.ticker24hr(symbols: nil), expected: 80),
    .init(name: "price 1", weight: BinanceWeights.tickerPrice(symbols: 1), expected: 2),
    .init(name: "price 5", weight: BinanceWeights.tickerPrice(symbols: 5), expected: 4),
    .init(name: "price all", weight: BinanceWeights.tickerPrice(symbols: nil), expected: 4),
    .init(name: "bookTicker 1", weight: BinanceWeights.bookTicker(symbols: 1), expected: 2),
    .init(name: "bookTicker all", weight: BinanceWeights.bookTicker(symbols: nil), expected: 4),
]

@Suite("RateLimitQueue and weights")
struct RateLimitQueueTests {
    @Test("Binance weights", arguments: weightTable)
    func weights(_ row: WeightRow) {
        #expect(row.weight == row.expected)
    }

    @Test("when capacity frees up, higher priorities are admitted first, FIFO within one")
    func priorityOrder() {
        var queue = RateLimitQueue(governor: RateLimitGovernor(policy: .binance(share: 0.8)))
        queue.governor.observe(
            status: 429, headers: [], body: nil, endpoint: "/api/v3/depth", weight: 5, now: at(1_000))
        var tickets: [RequestPriority: [RateLimitQueue.Ticket]] = [:]
        for priority in [RequestPriority.backfill, .polling, .bookResync, .backfill, .bookResync, .polling] {
            guard
                case .queued(let ticket) = queue.enqueue(
                    weight: 5, endpoint: "/api/v3/depth", priority: priority, now: at(1_000))
            else {
                Issue.record("not queued")
                return
            }
            tickets[priority, default: []].append(ticket)
        }
        #expect(queue.admitReady(now: at(1_000)).isEmpty)
        #expect(queue.nextWakeTime(now: at(1_000)) == at(61_000))
        let order = queue.admitReady(now: at(61_000))
        #expect(order == tickets[.bookResync]! + tickets[.polling]! + tickets[.backfill]!)
        #expect(queue.isEmpty)
        #expect(queue.nextWakeTime(now: at(61_000)) == nil)
    }

    @Test("a heavy waiter holds its bucket: lighter ones behind it do not overtake")
    func headOfLine() {
        var queue = RateLimitQueue(governor: RateLimitGovernor(policy: .binance(share: 0.8)))
        #expect(fill(&queue.governor, weight: 100, priority: .polling, at: 1_000).admitted == 43)  // 4300 of 4320
        #expect(fill(&queue.governor, weight: 20, priority: .polling, at: 1_000).admitted == 1)  // 4320
        // 480 left for resyncs: a 500-weight pair of deep snapshots does not fit, a 5-weight one would.
        guard
            case .queued(let heavy) = queue.enqueue(
                weight: 500, endpoint: "/api/v3/depth", priority: .bookResync, now: at(1_002)),
            case .queued(let light) = queue.enqueue(
                weight: 5, endpoint: "/api/v3/depth", priority: .bookResync, now: at(1_002))
        else {
            Issue.record("not queued")
            return
        }
        #expect(
            queue.governor.nextAdmissionTime(
                weight: 5, endpoint: "/api/v3/depth", priority: .bookResync, now: at(1_002)) == at(1_002))
        #expect(queue.admitReady(now: at(1_002)).isEmpty)
        #expect(queue.nextWakeTime(now: at(1_002)) == at(61_000))
        #expect(queue.admitReady(now: at(61_000)) == [heavy, light])
    }

    @Test("a full queue sheds its newest lowest-priority waiter for a more important one")
    func shedding() {
        var queue = RateLimitQueue(governor: RateLimitGovernor(policy: .bybit()), capacity: 2)
        guard
            case .queued(let first) = queue.enqueue(
                weight: 1, endpoint: "/v5/market/kline", priority: .backfill, now: at(0)),
            case .queued(let second) = queue.enqueue(
                weight: 1, endpoint: "/v5/market/kline", priority: .backfill, now: at(0))
        else {
            Issue.record("not queued")
            return
        }
        #expect(queue.enqueue(weight: 1, endpoint: "/v5/market/kline", priority: .backfill, now: at(0)) == .rejected)
        guard
            case .queuedShedding(let resync, let shed) = queue.enqueue(
                weight: 1, endpoint: "/v5/market/orderbook", priority: .bookResync, now: at(0))
        else {
            Issue.record("not queued")
            return
        }
        #expect(shed == second)
        let cancelled = queue.cancel(first)
        let cancelledAgain = queue.cancel(first)
        #expect(cancelled && !cancelledAgain)
        #expect(queue.admitReady(now: at(0)) == [resync])
    }
}

// MARK: - Simulation against a strict Binance

/// SplitMix64: a seeded generator, so each simulation is the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A Binance that is stricter than the real one: 6000 weight per fixed minute of *its* clock, 429 when a
/// request would exceed it (rejected requests add nothing), and a 418 for any request that arrives after a
/// 429 in the same minute.
private struct StrictBinance {
    var used: [Int64: Int] = [:]
    var throttled: Set<Int64> = []
    var count429 = 0
    var count418 = 0

    mutating func handle(
        weight: Int, exchangeTime: Int64, ours: Bool = true
    ) -> (status: Int, headers: [(String, String)]) {
        let minute = exchangeTime.floorDivided(by: 60_000)
        if throttled.contains(minute) {
            if ours { count418 += 1 }
            return (418, [("Retry-After", "120")])
        }
        let current = used[minute, default: 0]
        if current + weight > 6_000 {
            if ours { count429 += 1 }
            throttled.insert(minute)
            let seconds = ((minute + 1) * 60_000 - exchangeTime + 999) / 1_000
            return (429, [("Retry-After", "\(seconds)"), ("X-MBX-USED-WEIGHT-1M", "\(current)")])
        }
        used[minute] = current + weight
        return (200, [("X-MBX-USED-WEIGHT-1M", "\(current + weight)")])
    }
}

struct SimulationRow: Sendable, CustomTestStringConvertible {
    var seed: UInt64
    /// The exchange's clock minus ours, in ms.
    var skew: Int64
    var policy: RateLimitPolicy
    /// Another client on the same IP spends this much weight 200 ms into each of the exchange's minutes,
    /// before our tolerance lets us start; only the usage header reveals it.
    var neighbourPerMinute: Int
    /// `false` for the control row: a governor without share or tolerance, which the strict exchange must catch.
    var expectClean: Bool
    var testDescription: String {
        "seed \(seed), skew \(skew) ms, share \(policy.share), tolerance \(policy.clockToleranceMilliseconds) ms, neighbour \(neighbourPerMinute)"
    }
}

let simulationTable: [SimulationRow] = [
    .init(seed: 1, skew: 0, policy: .binance(share: 0.8), neighbourPerMinute: 0, expectClean: true),
    .init(seed: 2, skew: -400, policy: .binance(share: 0.8), neighbourPerMinute: 0, expectClean: true),
    .init(seed: 3, skew: 400, policy: .binance(share: 0.8), neighbourPerMinute: 0, expectClean: true),
    .init(seed: 4, skew: -700, policy: .binance(share: 0.8), neighbourPerMinute: 0, expectClean: true),
    .init(seed: 5, skew: 150, policy: .binance(share: 0.8), neighbourPerMinute: 2_500, expectClean: true),
    // Control: the whole limit and no tolerance against a clock 400 ms behind: the exchange must catch it.
    .init(
        seed: 6, skew: -400, policy: .binance(share: 1, clockToleranceMilliseconds: 0), neighbourPerMinute: 0,
        expectClean: false),
]

@Suite("RateLimitGovernor against a simulated Binance")
struct RateLimitSimulationTests {
    private enum Event {
        case want(caller: Int)
        case arrive(caller: Int, weight: Int, sentAt: Int64)
        case answer(caller: Int, weight: Int, sentAt: Int64, status: Int, headers: [(String, String)])
        case neighbour
        case wake
    }

    private struct Caller {
        var priority: RequestPriority
        var weights: [Int]
        var endpoint: String
        var wantedAt: Int64 = 0
    }

    @Test(
        "ten minutes of mixed demand: no 429, no 418, and at least 70 % of the budget used", arguments: simulationTable)
    func simulate(_ row: SimulationRow) {
        var random = SplitMix64(state: row.seed)
        var exchange = StrictBinance()
        var queue = RateLimitQueue(governor: RateLimitGovernor(policy: row.policy))
        let start = t0 + 7_000
        let end = start + 600_000
        // 8 resync callers (deep snapshots), 16 pollers, 16 backfillers: far more demand than 4800 a minute.
        var callers: [Caller] = []
        for _ in 0..<8 {
            callers.append(Caller(priority: .bookResync, weights: [50, 250, 25], endpoint: "/api/v3/depth"))
        }
        for _ in 0..<16 {
            callers.append(Caller(priority: .polling, weights: [2, 4, 40], endpoint: "/api/v3/ticker/24hr"))
        }
        for _ in 0..<16 {
            callers.append(Caller(priority: .backfill, weights: [2, 4, 25], endpoint: "/api/v3/klines"))
        }
        var ticket: [RateLimitQueue.Ticket: (caller: Int, weight: Int)] = [:]
        var waited: [RequestPriority: (total: Int64, count: Int64)] = [:]

        var events: [(time: Int64, order: Int, event: Event)] = []
        var order = 0
        func schedule(_ time: Int64, _ event: Event) {
            order += 1
            events.append((time, order, event))
        }
        for index in callers.indices {
            schedule(start + Int64.random(in: 0..<2_000, using: &random), .want(caller: index))
        }
        if row.neighbourPerMinute > 0 {
            let firstMinute = (start + row.skew).floorDivided(by: 60_000) + 1
            schedule(firstMinute * 60_000 + 200 - row.skew, .neighbour)
        }
        var wakeAt = Int64.max

        while let next = events.indices.min(by: {
            (events[$0].time, events[$0].order) < (events[$1].time, events[$1].order)
        }) {
            let (now, _, event) = events.remove(at: next)
            guard now < end else { continue }
            switch event {
            case .want(let caller):
                let weight = callers[caller].weights.randomElement(using: &random)!
                callers[caller].wantedAt = now
                switch queue.enqueue(
                    weight: weight, endpoint: callers[caller].endpoint, priority: callers[caller].priority,
                    now: Timestamp(milliseconds: now))
                {
                case .queued(let id): ticket[id] = (caller, weight)
                case .queuedShedding, .rejected: Issue.record("the queue should hold 40 callers")
                }
            case .arrive(let caller, let weight, let sentAt):
                let answer = exchange.handle(weight: weight, exchangeTime: now + row.skew)
                schedule(
                    now + Int64.random(in: 2...150, using: &random),
                    .answer(
                        caller: caller, weight: weight, sentAt: sentAt, status: answer.status, headers: answer.headers))
            case .answer(let caller, let weight, let sentAt, let status, let headers):
                queue.governor.observe(
                    status: status, headers: headers, body: nil, endpoint: callers[caller].endpoint,
                    weight: weight, sentAt: Timestamp(milliseconds: sentAt), now: Timestamp(milliseconds: now))
                schedule(now + Int64.random(in: 0...300, using: &random), .want(caller: caller))
            case .neighbour:
                for _ in 0..<(row.neighbourPerMinute / 10) {
                    _ = exchange.handle(weight: 10, exchangeTime: now + row.skew, ours: false)
                }
                schedule(now + 60_000, .neighbour)
            case .wake:
                wakeAt = .max
            }
            for id in queue.admitReady(now: Timestamp(milliseconds: now)) {
                guard let (caller, weight) = ticket.removeValue(forKey: id) else { continue }
                let priority = callers[caller].priority
                waited[priority, default: (0, 0)].total += now - callers[caller].wantedAt
                waited[priority, default: (0, 0)].count += 1
                schedule(
                    now + Int64.random(in: 2...150, using: &random),
                    .arrive(caller: caller, weight: weight, sentAt: now))
            }
            if let wake = queue.nextWakeTime(now: Timestamp(milliseconds: now))?.milliseconds {
                let time = max(wake, now + 1)
                if time < wakeAt {
                    wakeAt = time
                    schedule(time, .wake)
                }
            }
        }

        // Our own weight per full exchange minute (the neighbour's subtracted).
        let minutes = ((start + row.skew) / 60_000 + 1)..<((end + row.skew) / 60_000)
        let neighbourPerMinute = row.neighbourPerMinute
        let ours = minutes.map { exchange.used[$0, default: 0] - neighbourPerMinute }
        if row.expectClean {
            #expect(exchange.count429 == 0)
            #expect(exchange.count418 == 0)
            #expect(queue.governor.throttled429 == 0 && queue.governor.banned418 == 0)
            #expect(minutes.count >= 9)
            let budget = row.policy.budget(of: row.policy.rules[0]) - neighbourPerMinute
            for (minute, used) in zip(minutes, ours) {
                #expect(used * 10 >= budget * 7, "minute \(minute - minutes.lowerBound): \(used) of \(budget)")
                if neighbourPerMinute == 0 {
                    #expect(used <= budget, "minute \(minute - minutes.lowerBound) exceeded the budget")
                }
            }
            let mean = { (priority: RequestPriority) -> Int64 in
                let entry = waited[priority, default: (0, 1)]
                return entry.total / max(1, entry.count)
            }
            #expect(
                mean(.bookResync) < mean(.polling), "resync waits \(mean(.bookResync)) ms, polling \(mean(.polling)) ms"
            )
            #expect(
                mean(.polling) < mean(.backfill), "polling waits \(mean(.polling)) ms, backfill \(mean(.backfill)) ms")
            #expect(waited[.backfill, default: (0, 0)].count > 0, "backfill must not starve entirely")
        } else {
            #expect(exchange.count429 > 0, "the strict exchange must catch a governor without margin")
            #expect(exchange.count418 == 0 || queue.governor.throttled429 > 0)
        }
    }
}
