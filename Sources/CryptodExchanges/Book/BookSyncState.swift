/// Why a book stopped being trusted.
public enum ResyncReason: Sendable, Hashable, CustomStringConvertible {
    /// An update did not continue the book: `expected` is the id it should have carried (Binance `U`,
    /// Bybit `u`: book id + 1; WhiteBIT `past_update_id`: book id), `got` the one it did.
    case gap(expected: UInt64, got: UInt64)
    /// After an update the best bid was at or above the best ask.
    case crossed
    /// More diffs arrived than the buffer holds while a snapshot was awaited.
    case bufferOverflow
    /// A REST audit found this many differing levels.
    case auditDivergence(levels: Int)
    /// The REST snapshot was older than the first buffered diff.
    case staleSnapshot
    /// Bybit restarted its service (`u == 1` on a delta).
    case serverRestart
    /// The snapshot request failed, or no stream snapshot came in time.
    case snapshotFailed
    /// The stream was lost; the caller asks for a resync after reconnecting.
    case disconnected
    /// An operator or a scheduled job asked for a fresh book.
    case requested

    public var description: String {
        switch self {
        case .gap(let expected, let got): "gap (expected \(expected), got \(got))"
        case .crossed: "crossed book"
        case .bufferOverflow: "diff buffer overflow"
        case .auditDivergence(let levels): "audit found \(levels) differing levels"
        case .staleSnapshot: "stale snapshot"
        case .serverRestart: "exchange service restart"
        case .snapshotFailed: "snapshot failed"
        case .disconnected: "stream disconnected"
        case .requested: "resync requested"
        }
    }
}

/// Whether a ``BookSynchronizer``'s book can be trusted.
public enum BookSyncState: Sendable, Hashable, CustomStringConvertible {
    /// No book yet: waiting for the first snapshot.
    case awaitingSnapshot
    /// The book follows the exchange update by update.
    case synced
    /// The book was given up for `reason` and a new snapshot is on its way; the old book stays readable.
    case resyncing(reason: ResyncReason)
    /// Snapshots keep failing (`reason` is the latest failure); requests go on with the caller's backoff.
    case degraded(reason: ResyncReason)

    public var isSynced: Bool {
        switch self {
        case .synced: true
        case .awaitingSnapshot, .resyncing, .degraded: false
        }
    }

    public var description: String {
        switch self {
        case .awaitingSnapshot: "awaiting snapshot"
        case .synced: "synced"
        case .resyncing(let reason): "resyncing: \(reason)"
        case .degraded(let reason): "degraded: \(reason)"
        }
    }
}
