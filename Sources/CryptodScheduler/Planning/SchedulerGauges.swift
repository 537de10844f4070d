import CryptodIPC
import CryptodModel
import CryptodSinks
import CryptodWire
import Logging
import Metrics

/// The scheduler's planning gauges, refreshed every few seconds from the ingestors' capacity reports and the
/// unfinished backfill jobs: queue sizes per window, capacity used per budget, and the adaptive delay.
package struct SchedulerGauges: Sendable {
    let capacity: @Sendable () -> [(report: CapacityReportMessage, delay: AdaptiveDelay)]
    let history: PostgresHistory?
    let interval: Duration
    let logger: Logger

    package init(
        capacity: @escaping @Sendable () -> [(report: CapacityReportMessage, delay: AdaptiveDelay)],
        history: PostgresHistory?, interval: Duration = .seconds(5), logger: Logger
    ) {
        self.capacity = capacity
        self.history = history
        self.interval = interval
        self.logger = logger
    }

    /// Pages still to fetch per exchange: what planned, unfinished jobs have left (a job not planned yet
    /// counts nothing until it has pages).
    package static func pendingPages(_ jobs: [BackfillJobRecord]) -> [ExchangeID: Int] {
        jobs.filter { !$0.state.isFinished }.reduce(into: [:]) { pages, job in
            pages[job.market.exchange, default: 0] += max(0, job.chunksTotal - job.chunksDone)
        }
    }

    package func run() async {
        while !Task.isCancelled {
            await refresh(now: WallClock.nowNanoseconds() / 1_000_000)
            try? await Task.sleep(for: interval)
        }
    }

    func refresh(now: Int64) async {
        var pending: [ExchangeID: Int] = [:]
        if let history {
            do {
                pending = Self.pendingPages(try await history.jobs(unfinished: true, limit: 10_000))
            } catch {
                logger.debug("could not read the unfinished jobs for the queue gauges", metadata: ["error": "\(error)"])
            }
        }
        for (report, delay) in capacity() {
            let exchange = report.exchange.rawValue
            Gauge(label: "cryptod_scheduler_adaptive_delay_seconds", dimensions: [("exchange", exchange)])
                .record(Double(delay.currentMilliseconds) / 1000)
            for budget in report.budgets {
                let dimensions = [("exchange", exchange), ("budget", budget.name)]
                Gauge(label: "cryptod_scheduler_capacity_used", dimensions: dimensions).record(Double(budget.used))
                Gauge(label: "cryptod_scheduler_capacity_budget", dimensions: dimensions).record(Double(budget.budget))
            }
            if let budget = CapacityPlan.pageBudget(report), budget.budget > 0 {
                Gauge(label: "cryptod_scheduler_capacity_used_ratio", dimensions: [("exchange", exchange)])
                    .record(Double(budget.used) / Double(budget.budget))
            }
            let queue = CapacityPlan.queue(
                pages: pending[report.exchange] ?? 0, report: report, delay: delay, now: now)
            for (window, size) in queue {
                Gauge(
                    label: "cryptod_scheduler_queue_size",
                    dimensions: [("exchange", exchange), ("window", window.rawValue)]
                ).record(size)
            }
        }
    }
}
