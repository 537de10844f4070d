// `BookSyncRule` itself is declared with the stream types (Common/StreamTypes.swift).

extension BookSyncRule {
    /// True for the rules whose snapshots come from the stream itself (a resync resubscribes).
    public var snapshotsFromStream: Bool {
        switch self {
        case .restSnapshotThenDiffs: false
        case .streamSnapshotThenDeltas, .streamSnapshotThenIncremental: true
        }
    }
}

/// The limits of one ``BookSynchronizer``.
public struct BookSyncConfiguration: Sendable, Hashable {
    /// Diffs kept while a REST snapshot is awaited; one more means the snapshot is too slow to be useful, and
    /// the buffer starts over (`bufferOverflow`). Default 10 000 (100 s of Binance `@depth@100ms`).
    public var maxBufferedDeltas: Int
    /// Failed snapshots in a row (request errors, stale or crossed snapshots) before the book is reported
    /// `degraded`; requests go on, the caller spacing them with its backoff. Default 5.
    public var maxSnapshotFailures: Int
    /// An audit finding this many differing levels or more resyncs the book. Default 3: audits compare at the
    /// same update id, where any difference is a real one, but one or two leave room for an exchange's
    /// REST cache.
    public var auditDivergenceThreshold: Int

    public init(maxBufferedDeltas: Int = 10_000, maxSnapshotFailures: Int = 5, auditDivergenceThreshold: Int = 3) {
        precondition(maxBufferedDeltas > 0 && maxSnapshotFailures > 0 && auditDivergenceThreshold > 0)
        self.maxBufferedDeltas = maxBufferedDeltas
        self.maxSnapshotFailures = maxSnapshotFailures
        self.auditDivergenceThreshold = auditDivergenceThreshold
    }

    public static let standard = BookSyncConfiguration()
}
