import CryptodModel
import CryptodWire

/// What the scheduler plans for one exchange's history pages from its latest capacity report: the window a
/// page goes in, the wait before it, and how many pages a minute that allows. Pure, so
/// `POST /api/v1/historical/optimize-capacity` can show before and after and the tests can check it.
package struct CapacityPlan: Sendable, Hashable {
    /// The budget the plan draws on (the one kline pages count against).
    package var budgetName: String?
    package var window: TimeWindow
    /// The adaptive delay the plan includes.
    package var adaptiveDelayMilliseconds: Int64
    /// When the next page may start, from now.
    package var nextPageDelayMilliseconds: Int64
    /// Pages a minute the budget and the delay allow (0 while a ban or `Retry-After` holds).
    package var pagesPerMinute: Int64

    /// The cost of one kline page in the unit of its budget: Binance's `/api/v3/klines` weighs 2, Bybit and
    /// WhiteBIT count requests.
    package static func pageCost(_ exchange: ExchangeID) -> UInt64 { exchange == .binance ? 2 : 1 }

    /// The budget kline pages count against: Binance `REQUEST_WEIGHT`, Bybit `IP`, WhiteBIT's `v1 public`
    /// (`/api/v1/public/kline`); otherwise the tightest one reported.
    package static func pageBudget(_ report: CapacityReportMessage) -> CapacityReportMessage.Budget? {
        let wanted: String =
            switch report.exchange {
            case .binance: "request_weight"
            case .bybit: "ip"
            case .whitebit: "v1 public"
            default: "\u{0}"
            }
        if let match = report.budgets.first(where: { $0.name.lowercased().contains(wanted) }) { return match }
        return report.budgets.min { $0.budget - min($0.used, $0.budget) < $1.budget - min($1.used, $1.budget) }
    }

    package static func make(report: CapacityReportMessage, delay: AdaptiveDelay, now: Int64) -> CapacityPlan {
        let extra = delay.currentMilliseconds
        guard let budget = pageBudget(report) else {
            return CapacityPlan(
                budgetName: nil, window: TimeWindow(delayMilliseconds: extra), adaptiveDelayMilliseconds: extra,
                nextPageDelayMilliseconds: extra, pagesPerMinute: extra > 0 ? 60_000 / extra : 0)
        }
        let state = BudgetState(
            used: budget.used, budget: budget.budget, windowStart: budget.windowStart.milliseconds,
            resetAt: budget.resetAt.milliseconds, blockedUntil: budget.blockedUntil?.milliseconds)
        let cost = pageCost(report.exchange)
        let placement = WindowPlanner.place(cost: cost, queuedAhead: 0, budget: state, now: now, extraDelay: extra)
        var perMinute: Int64
        if let blocked = state.blockedUntil, blocked > now {
            perMinute = 0
        } else {
            // The budget renews every window; one page at a time spaced by the adaptive delay caps it too.
            perMinute = Int64(min(UInt64(Int64.max), state.budget * 60_000 / (UInt64(state.windowLength) * cost)))
            if extra > 0 { perMinute = min(perMinute, 60_000 / extra) }
        }
        return CapacityPlan(
            budgetName: budget.name, window: placement.window, adaptiveDelayMilliseconds: extra,
            nextPageDelayMilliseconds: placement.delayMilliseconds, pagesPerMinute: perMinute)
    }

    /// Whether the report shows the exchange holding cryptod back: a budget used up or blocked.
    package static func isLimited(_ report: CapacityReportMessage) -> Bool {
        report.budgets.contains { budget in
            budget.used >= budget.budget || (budget.blockedUntil.map { $0 > report.time } ?? false)
        }
    }

    /// The adaptive delay re-derived from the latest report: back to its base when every budget has room
    /// (the doubling was for signals that have stopped), unchanged while the exchange still limits.
    package static func optimizedDelay(report: CapacityReportMessage, current: AdaptiveDelay) -> AdaptiveDelay {
        isLimited(report)
            ? current
            : AdaptiveDelay(
                baseMilliseconds: current.baseMilliseconds, maximumMilliseconds: current.maximumMilliseconds)
    }
}

extension CapacityPlan {
    /// How `pages` waiting pages of an exchange fall into the windows, each placed behind the ones before it
    /// (``WindowPlanner/place(cost:queuedAhead:budget:now:extraDelay:)``): the seed's queue sizes per window.
    /// Every window is present, zero when empty.
    package static func queue(
        pages: Int, report: CapacityReportMessage, delay: AdaptiveDelay, now: Int64
    ) -> [TimeWindow: Int] {
        var sizes = Dictionary(uniqueKeysWithValues: TimeWindow.allCases.map { ($0, 0) })
        guard pages > 0 else { return sizes }
        guard let budget = pageBudget(report) else {
            sizes[TimeWindow(delayMilliseconds: delay.currentMilliseconds)] = pages
            return sizes
        }
        let state = BudgetState(
            used: budget.used, budget: budget.budget, windowStart: budget.windowStart.milliseconds,
            resetAt: budget.resetAt.milliseconds, blockedUntil: budget.blockedUntil?.milliseconds)
        let cost = pageCost(report.exchange)
        for index in 0..<pages {
            let placement = WindowPlanner.place(
                cost: cost, queuedAhead: UInt64(index) * cost, budget: state, now: now,
                extraDelay: delay.currentMilliseconds)
            if placement.window == .long {
                // Every later page waits at least as long: the rest are LONG too.
                sizes[.long, default: 0] += pages - index
                break
            }
            sizes[placement.window, default: 0] += 1
        }
        return sizes
    }
}
