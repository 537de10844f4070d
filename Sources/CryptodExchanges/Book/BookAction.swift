import CryptodModel

/// What the caller of a ``BookSynchronizer`` must do after an event, in order.
public enum BookAction: Sendable, Equatable {
    /// Fetch a REST snapshot and pass it to `receive(snapshot:fromStream: false)`, or report
    /// `snapshotFailed()`. Space repeated requests with a backoff from `consecutiveSnapshotFailures`.
    case requestSnapshot
    /// Resubscribe this market's book topic so the stream sends a fresh snapshot; report
    /// `snapshotFailed()` when none comes in time.
    case resubscribe
    /// The whole synced book, to send downstream: every later ``publishDelta(_:)`` applies on top of it.
    case publishSnapshot(BookSnapshot)
    /// An update applied to the synced book, to forward downstream.
    case publishDelta(BookDelta)
    /// The synchroniser's state changed (for logs, metrics and status).
    case stateChanged(BookSyncState)
}

/// The result of ``BookSynchronizer/audit(_:depth:)``.
public struct BookAuditReport: Sendable, Equatable {
    /// Differing levels, or `nil` when no comparison was made now (see ``deferred``).
    public var divergence: Int?
    /// True when the snapshot is ahead of the book: it is compared when the book reaches its update id.
    public var deferred: Bool
    /// Resync actions when the divergence reached the threshold.
    public var actions: [BookAction]

    public init(divergence: Int?, deferred: Bool = false, actions: [BookAction] = []) {
        self.divergence = divergence
        self.deferred = deferred
        self.actions = actions
    }
}
