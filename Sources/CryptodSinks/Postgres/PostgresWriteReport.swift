import CryptodModel

/// What one batch stored, for metrics and status.
struct PostgresWriteReport: Sendable {
    /// Rows inserted or updated per table.
    var rows: [String: Int] = [:]
    /// Staged rows the merge left alone (already stored, unchanged).
    var duplicates: [String: Int] = [:]
    var revisions = 0
    var deadLetters = 0
    /// Items at or below the stored position (a replay), not written again.
    var skippedItems = 0
    var position: SinkPosition?
    var newPairs: [MarketKey: Int64] = [:]
    /// The cached market ids proved stale: the sink must drop its cache.
    var forgetCachedPairs = false

    mutating func add(_ other: PostgresWriteReport) {
        rows.merge(other.rows, uniquingKeysWith: +)
        duplicates.merge(other.duplicates, uniquingKeysWith: +)
        revisions += other.revisions
    }
}
