import CryptodExchanges
import CryptodIPC
import CryptodModel
import Metrics

/// The ingestor's one rate-limit governor for its exchange: every REST call waits here for admission.
///
/// The budget logic is the pure ``RateLimitGovernor``; this actor adds time and waiting. Waiters are
/// admitted in priority order (book resync > live polling > backfill), oldest first within a priority, so
/// a backfill queue can never starve a resync. The clock is the exchange's (local wall clock plus the
/// measured offset), since the exchange's windows are aligned to it.
package actor GovernorGate {
    private var governor: RateLimitGovernor
    private var offsetMilliseconds: Int64 = 0
    private var waiters: [Waiter] = []
    private var nextTicket: UInt64 = 0
    private let usedGauge: Gauge
    private let limitGauge: Gauge
    private let limitedCounter: Counter
    /// 418 answers alone (an IP ban), for the CryptodExchangeBan alert.
    private let bannedCounter: Counter

    private struct Waiter {
        let ticket: UInt64
        let priority: RequestPriority
    }

    package init(policy: RateLimitPolicy, exchange: ExchangeID) {
        governor = RateLimitGovernor(policy: policy)
        let dimensions = [("exchange", exchange.rawValue)]
        usedGauge = Gauge(label: "cryptod_ingestor_rate_limit_used", dimensions: dimensions)
        limitGauge = Gauge(label: "cryptod_ingestor_rate_limit_budget", dimensions: dimensions)
        limitedCounter = Counter(label: "cryptod_ingestor_rate_limit_responses_total", dimensions: dimensions)
        bannedCounter = Counter(label: "cryptod_ingestor_rest_bans_total", dimensions: dimensions)
    }

    /// The exchange's clock minus ours, from its time endpoint or stream event times.
    package func setClockOffset(milliseconds: Int64) { offsetMilliseconds = milliseconds }

    package var exchangeNow: Timestamp {
        Timestamp(milliseconds: WallClockMilliseconds.now() + offsetMilliseconds)
    }

    /// Waits until a request of `weight` in `group` may be sent at `priority`; charges it.
    package func admit(weight: Int, group: String, priority: RequestPriority) async throws {
        nextTicket += 1
        let me = Waiter(ticket: nextTicket, priority: priority)
        waiters.append(me)
        defer { waiters.removeAll { $0.ticket == me.ticket } }
        while true {
            try Task.checkCancellation()
            // Only the first waiter of the highest priority asks; the others wait their turn.
            let first = waiters.max { a, b in
                a.priority != b.priority ? a.priority < b.priority : a.ticket > b.ticket
            }
            if first?.ticket == me.ticket {
                switch governor.request(weight: weight, endpoint: group, priority: priority, now: exchangeNow) {
                case .proceed:
                    report()
                    return
                case .wait(let until):
                    let delay = max(until.nanoseconds - exchangeNow.nanoseconds, 1_000_000)
                    try await Task.sleep(for: .nanoseconds(min(delay, 1_000_000_000)))
                }
            } else {
                try await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// A request that was admitted but never reached the exchange (transport error, cancelled).
    package func released(weight: Int, group: String) {
        governor.observe(status: 0, headers: [], body: nil, endpoint: group, weight: weight, now: exchangeNow)
    }

    /// Reports an answer; returns whether it was a rate-limit signal.
    package func observe(status: Int, headers: [(String, String)], body: [UInt8], weight: Int, group: String) -> Bool {
        let before = Self.limitSignals(governor.counters)
        let bansBefore = governor.counters.banned418
        governor.observe(
            status: status, headers: headers, body: body, endpoint: group, weight: weight, now: exchangeNow)
        report()
        let limited = Self.limitSignals(governor.counters) != before
        if limited { limitedCounter.increment() }
        if governor.counters.banned418 != bansBefore { bannedCounter.increment() }
        return limited
    }

    package func capacity() -> CapacityReport { governor.snapshot(now: exchangeNow) }

    /// Re-records the used/budget gauges for the current window. Answers alone would leave the last
    /// window's usage standing when no request follows (CryptodRateLimitHeadroomLow would never resolve).
    package func refreshGauges() { report() }

    /// The counters as they stand (429s, 418s, 403s), for status and tests.
    package var counters: RateLimitCounters { governor.counters }

    /// Any answer the exchange meant as "slow down".
    private static func limitSignals(_ counters: RateLimitCounters) -> Int {
        counters.throttled429 + counters.banned418 + counters.blocked403 + counters.rateLimited10006
    }

    private func report() {
        guard let budget = governor.snapshot(now: exchangeNow).budgets.first else { return }
        usedGauge.record(budget.used)
        limitGauge.record(budget.budget)
    }
}

/// Wall-clock milliseconds (the exchanges' clocks are wall clocks).
enum WallClockMilliseconds {
    static func now() -> Int64 { WallClock.nowNanoseconds() / 1_000_000 }
}
