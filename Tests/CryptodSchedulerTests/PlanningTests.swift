import CryptodModel
import Testing

@testable import CryptodScheduler

private func range(_ start: Int64, _ end: Int64) -> TimeRange { TimeRange(start: start, end: end)! }
private func set(_ pairs: [(Int64, Int64)]) -> TimeRangeSet { TimeRangeSet(pairs.map { range($0.0, $0.1) }) }
private func pairs(_ set: TimeRangeSet) -> [[Int64]] { set.ranges.map { [$0.start, $0.end] } }

@Suite("time range sets")
struct TimeRangeSetTests {
    @Test("an empty or inverted range does not exist")
    func emptyRanges() {
        #expect(TimeRange(start: 5, end: 5) == nil)
        #expect(TimeRange(start: 6, end: 5) == nil)
    }

    @Test(
        "insert merges overlapping and touching ranges and keeps the others apart",
        arguments: [
            ([(0, 10)], (20, 30), [[0, 10], [20, 30]]),
            ([(0, 10)], (10, 20), [[0, 20]]),
            ([(0, 10), (20, 30)], (5, 25), [[0, 30]]),
            ([(0, 10), (20, 30), (40, 50)], (10, 20), [[0, 30], [40, 50]]),
            ([(10, 20)], (0, 5), [[0, 5], [10, 20]]),
            ([(10, 20)], (12, 15), [[10, 20]]),
            ([(10, 20), (30, 40)], (0, 100), [[0, 100]]),
        ] as [([(Int64, Int64)], (Int64, Int64), [[Int64]])])
    func insert(initial: [(Int64, Int64)], added: (Int64, Int64), expected: [[Int64]]) {
        var ranges = set(initial)
        ranges.insert(range(added.0, added.1))
        #expect(pairs(ranges) == expected)
    }

    @Test(
        "remove cuts holes, trims edges and drops covered ranges",
        arguments: [
            ([(0, 100)], (40, 60), [[0, 40], [60, 100]]),
            ([(0, 100)], (0, 10), [[10, 100]]),
            ([(0, 100)], (90, 200), [[0, 90]]),
            ([(0, 10), (20, 30), (40, 50)], (5, 45), [[0, 5], [45, 50]]),
            ([(0, 10)], (10, 20), [[0, 10]]),
            ([(0, 10)], (0, 10), []),
        ] as [([(Int64, Int64)], (Int64, Int64), [[Int64]])])
    func remove(initial: [(Int64, Int64)], removed: (Int64, Int64), expected: [[Int64]]) {
        var ranges = set(initial)
        ranges.remove(range(removed.0, removed.1))
        #expect(pairs(ranges) == expected)
    }

    @Test("contains, clipping and subtraction agree with a brute-force model on every small case")
    func bruteForce() {
        // Every pair of sets drawn from these ranges, compared instant by instant with plain booleans.
        let pool: [(Int64, Int64)] = [(0, 3), (2, 5), (5, 7), (8, 12), (1, 11), (11, 12)]
        func members(_ set: TimeRangeSet) -> [Bool] {
            (0..<13).map { t in set.ranges.contains { $0.start <= t && t < $0.end } }
        }
        for mask in 0..<(1 << pool.count) {
            let chosen = pool.indices.filter { mask & (1 << $0) != 0 }.map { pool[$0] }
            let a = set(chosen)
            let b = set(chosen.count > 1 ? Array(chosen.dropFirst()) : [(4, 9)])
            let difference = a.subtracting(b)
            let expected = zip(members(a), members(b)).map { $0 && !$1 }
            #expect(members(difference) == expected, "\(a) - \(b) = \(difference)")
            // Canonical form: sorted, disjoint and never touching.
            for (left, right) in zip(a.ranges, a.ranges.dropFirst()) { #expect(left.end < right.start) }
            let window = range(3, 10)
            #expect(
                members(a.clipped(to: window))
                    == members(a).enumerated().map { $0.element && 3 <= $0.offset && $0.offset < 10 })
            #expect(a.contains(window) == (3..<10).allSatisfy { members(a)[$0] })
        }
    }
}

@Suite("candle grid")
struct CandleGridTests {
    let minute: Int64 = 60_000

    @Test("ranges align to whole candles and count them")
    func minutes() {
        let grid = CandleGrid(.m1)
        #expect(grid.aligned(range(90_000, 150_001)) == range(60_000, 180_000))
        #expect(grid.count(in: range(0, 10 * minute)) == 10)
        #expect(grid.count(in: range(30_000, 10 * minute)) == 10)
        #expect(grid.advance(minute, by: 3) == 4 * minute)
        #expect(
            pairs(grid.coverage(ofOpens: [0, minute, 2 * minute, 5 * minute])) == [
                [0, 3 * minute], [5 * minute, 6 * minute],
            ])
    }

    @Test("months have their calendar lengths")
    func months() {
        let grid = CandleGrid(.month1)
        let january2024 = Timestamp(seconds: Timestamp.days(year: 2024, month: 1, day: 1) * 86_400).milliseconds
        let february = grid.next(after: january2024)
        let march = grid.next(after: february)
        #expect(february - january2024 == 31 * 86_400_000)
        #expect(march - february == 29 * 86_400_000)  // 2024 is a leap year
        #expect(grid.count(in: range(january2024, march)) == 2)
        #expect(grid.advance(january2024, by: 2) == march)
    }
}

@Suite("coverage")
struct CoverageTests {
    @Test("missing is what is neither present nor known empty")
    func missing() {
        var coverage = Coverage()
        coverage.recordPresent(range(0, 100))
        coverage.recordEmpty(range(200, 300))
        #expect(pairs(coverage.missing(in: range(0, 400))) == [[100, 200], [300, 400]])
        #expect(coverage.missing(in: range(0, 100)).isEmpty)
        #expect(coverage.known(in: range(0, 400)) == (known: 200, total: 400))
    }

    @Test("a candle stored inside a range known empty turns that part present")
    func presentBeatsEmpty() {
        var coverage = Coverage()
        coverage.recordEmpty(range(0, 100))
        coverage.recordPresent(range(40, 50))
        #expect(pairs(coverage.empty) == [[0, 40], [50, 100]])
        #expect(pairs(coverage.present) == [[40, 50]])
        // An empty answer never hides stored candles.
        coverage.recordEmpty(range(0, 100))
        #expect(pairs(coverage.present) == [[40, 50]])
        #expect(pairs(coverage.empty) == [[0, 40], [50, 100]])
    }

    @Test("segments walk a range in order with every state")
    func segments() {
        var coverage = Coverage()
        coverage.recordPresent(range(10, 20))
        coverage.recordEmpty(range(30, 40))
        let segments = coverage.segments(in: range(0, 50)).map {
            [$0.range.start, $0.range.end, Int64($0.state == .present ? 1 : $0.state == .empty ? 2 : 3)]
        }
        #expect(segments == [[0, 10, 3], [10, 20, 1], [20, 30, 3], [30, 40, 2], [40, 50, 3]])
    }
}

@Suite("backfill planner")
struct BackfillPlannerTests {
    let minute: Int64 = 60_000

    @Test("chunks hold at most a page, cover every missing candle once, and skip what is stored")
    func chunks() {
        let grid = CandleGrid(.m1)
        var coverage = Coverage()
        coverage.recordPresent(range(100 * minute, 200 * minute))
        let missing = coverage.missing(in: range(0, 1000 * minute))
        for order in BackfillOrder.allCases {
            let chunks = BackfillPlanner.chunks(missing: missing, grid: grid, pageSize: 300, order: order)
            #expect(chunks.allSatisfy { $0.candles <= 300 && $0.candles == grid.count(in: $0.range) })
            #expect(chunks.reduce(0) { $0 + $1.candles } == 900)
            #expect(TimeRangeSet(chunks.map(\.range)) == missing)
            #expect(!chunks.contains { $0.range.overlaps(range(100 * minute, 200 * minute)) })
            let starts = chunks.map(\.range.start)
            #expect(starts == (order == .oldestFirst ? starts.sorted() : starts.sorted().reversed()))
        }
    }

    @Test("a hole off the candle grid is widened to whole candles")
    func alignment() {
        let chunks = BackfillPlanner.chunks(
            missing: set([(30_000, 150_000)]), grid: CandleGrid(.m1), pageSize: 1000, order: .oldestFirst)
        #expect(chunks.map(\.range) == [range(0, 180_000)])
        #expect(chunks.map(\.candles) == [3])
    }

    @Test("the page shrinks only while a full page costs more than is left")
    func pageSize() {
        // Binance's kline weight: 1 up to 100 candles, 2 up to 500, 5 up to 1000, 10 beyond.
        let weight: (Int) -> UInt64 = { $0 <= 100 ? 1 : $0 <= 500 ? 2 : $0 <= 1000 ? 5 : 10 }
        #expect(BackfillPlanner.pageSize(largest: 1000, available: 100, weightOf: weight) == 1000)
        #expect(BackfillPlanner.pageSize(largest: 1000, available: 4, weightOf: weight) == 500)
        #expect(BackfillPlanner.pageSize(largest: 1000, available: 1, weightOf: weight) == 62)
        #expect(BackfillPlanner.pageSize(largest: 1000, minimum: 100, available: 0, weightOf: weight) == 100)
    }
}

@Suite("time windows")
struct TimeWindowTests {
    let budget = BudgetState(used: 200, budget: 1080, windowStart: 0, resetAt: 60_000)

    @Test(
        "work lands in the window its budget allows",
        arguments: [
            // cost, queued ahead, now, expected window, expected delay
            (10, 0, 30_000, TimeWindow.immediate, Int64(0)),
            (880, 0, 30_000, .immediate, 0),
            (881, 0, 30_000, .short, 30_000),
            (881, 0, 58_000, .immediate, 2_000),
            (100, 800, 30_000, .short, 30_000),
            (880 + 1080 + 1, 0, 0, .medium, 60_000 + 60_000),
            (880 + 5 * 1080, 0, 0, .long, 60_000 + 4 * 60_000),
        ] as [(UInt64, UInt64, Int64, TimeWindow, Int64)])
    func placement(cost: UInt64, queued: UInt64, now: Int64, window: TimeWindow, delay: Int64) {
        let placement = WindowPlanner.place(cost: cost, queuedAhead: queued, budget: budget, now: now)
        #expect(placement == Placement(window: window, delayMilliseconds: delay))
    }

    @Test("a ban holds everything until it ends, and the adaptive delay adds to every start")
    func blocked() {
        var banned = budget
        banned.blockedUntil = 400_000
        #expect(WindowPlanner.place(cost: 1, queuedAhead: 0, budget: banned, now: 30_000).window == .long)
        #expect(
            WindowPlanner.place(cost: 1, queuedAhead: 0, budget: budget, now: 0, extraDelay: 6_000)
                == Placement(window: .short, delayMilliseconds: 6_000))
    }

    @Test("the adaptive delay doubles on consecutive signals, caps, and recovers quickly")
    func adaptive() {
        var delay = AdaptiveDelay(baseMilliseconds: 50, maximumMilliseconds: 1_000)
        let steps: [(signal: Bool, expected: Int64)] = [
            (true, 100), (true, 200), (true, 400), (true, 800), (true, 1_000), (true, 1_000),
            (false, 250), (false, 62), (false, 50), (false, 50), (true, 100),
        ]
        for (index, step) in steps.enumerated() {
            if step.signal { delay.rateLimited() } else { delay.succeeded() }
            #expect(delay.currentMilliseconds == step.expected, "step \(index)")
        }
        #expect(delay.consecutiveSignals == 1)
    }
}

@Suite("history sync range")
struct HistorySyncTests {
    let minute: Int64 = 60_000

    @Test(
        "a pass starts after the newest stored candle, never before the lookback, and ends at the open candle",
        arguments: [
            // newest stored, now, lookback, expected [start, end) or nil
            (nil, 100 * 60_000 + 5_000, 10 * 60_000, [90 * 60_000, 100 * 60_000] as [Int64]?),
            (95 * 60_000, 100 * 60_000 + 5_000, 10 * 60_000, [96 * 60_000, 100 * 60_000]),
            (50 * 60_000, 100 * 60_000 + 5_000, 10 * 60_000, [90 * 60_000, 100 * 60_000]),
            // Complete up to the candle before the open one: nothing to do.
            (99 * 60_000, 100 * 60_000 + 5_000, 10 * 60_000, nil),
        ] as [(Int64?, Int64, Int64, [Int64]?)])
    func range(newest: Int64?, now: Int64, lookback: Int64, expected: [Int64]?) {
        let range = HistorySync.range(newestStored: newest, grid: CandleGrid(.m1), now: now, lookback: lookback)
        #expect(range.map { [$0.start, $0.end] } == expected)
    }
}
