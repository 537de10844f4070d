import Metrics

/// The sink's metrics, all prefixed `cryptod_writer_postgres_`.
struct PostgresSinkMetrics: Sendable {
    /// Rows inserted or updated, by table (`trades`, `historical_data`, `ticker_snapshots`, `trading_pairs`,
    /// `dead_letters`).
    private let rows: [String: Counter]
    /// Rows the merges left alone because they were stored already, by table.
    private let duplicates: [String: Counter]
    let batchDuration = Metrics.Timer(label: "cryptod_writer_postgres_batch_seconds")
    let deadLetters = Counter(label: "cryptod_writer_postgres_dead_letters_total")
    let revisions = Counter(label: "cryptod_writer_postgres_candle_revisions_total")
    let batches = Counter(label: "cryptod_writer_postgres_batches_total")

    static let tables = ["trades", "historical_data", "ticker_snapshots", "trading_pairs", "dead_letters"]

    init() {
        var rows: [String: Counter] = [:]
        var duplicates: [String: Counter] = [:]
        for table in Self.tables {
            rows[table] = Counter(label: "cryptod_writer_postgres_rows_total", dimensions: [("table", table)])
            duplicates[table] = Counter(
                label: "cryptod_writer_postgres_duplicates_total", dimensions: [("table", table)])
        }
        self.rows = rows
        self.duplicates = duplicates
    }

    func record(_ report: PostgresWriteReport, nanoseconds: Int64) {
        batches.increment()
        batchDuration.recordNanoseconds(nanoseconds)
        for (table, count) in report.rows where count > 0 { rows[table]?.increment(by: count) }
        for (table, count) in report.duplicates where count > 0 { duplicates[table]?.increment(by: count) }
        if report.deadLetters > 0 { deadLetters.increment(by: report.deadLetters) }
        if report.revisions > 0 { revisions.increment(by: report.revisions) }
    }

    /// Counts a failure by kind: `unavailable`, `rejected`, `configuration`.
    func error(_ code: SinkError.Code) {
        Counter(label: "cryptod_writer_postgres_errors_total", dimensions: [("kind", code.description)]).increment()
    }
}
