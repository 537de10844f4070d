import CryptodIPC
import CryptodModel
import CryptodSinks
import Logging
import Metrics

/// Deletes old rows per table and timeframe as configured (`scheduler.retention_*`; 0 keeps forever, the
/// default for everything). Runs every minute, in batches of a few thousand rows with a pause between them,
/// so pruning a large backlog never holds locks the writer's merges wait for.
package struct Retention: Sendable {
    package let periods: [(data: PostgresHistory.PrunedData, keep: Duration)]
    let history: PostgresHistory
    let logger: Logger
    let batch = 5_000

    package init(history: PostgresHistory, periods: [(PostgresHistory.PrunedData, Duration)], logger: Logger) {
        self.history = history
        self.periods = periods.filter { $0.1 > .zero }.map { (data: $0.0, keep: $0.1) }
        self.logger = logger
    }

    package func run() async {
        guard !periods.isEmpty else { return }
        let pruned = Dictionary(
            uniqueKeysWithValues: periods.map {
                (
                    $0.data,
                    Counter(label: "cryptod_scheduler_pruned_rows_total", dimensions: [("data", $0.data.rawValue)])
                )
            })
        while !Task.isCancelled {
            for (data, keep) in periods {
                let components = keep.components
                let cutoff =
                    WallClock.nowNanoseconds() / 1_000_000 - components.seconds * 1000
                    - components.attoseconds / 1_000_000_000_000_000
                do {
                    var total = 0
                    while !Task.isCancelled {
                        let deleted = try await history.prune(data, olderThanMilliseconds: cutoff, batch: batch)
                        total += deleted
                        pruned[data]?.increment(by: deleted)
                        if deleted < batch { break }
                        try await Task.sleep(for: .milliseconds(200))
                    }
                    if total > 0 {
                        logger.info(
                            "pruned old rows",
                            metadata: ["data": "\(data.rawValue)", "rows": "\(total)", "keep": "\(keep)"])
                    }
                } catch {
                    logger.warning(
                        "pruning failed; trying again in a minute",
                        metadata: ["data": "\(data.rawValue)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .seconds(60))
        }
    }
}
