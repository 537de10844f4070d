import CryptodModel

/// Keeps one market's local order book in line with an exchange's stream, as a pure value: no I/O, no clock.
///
/// The ingestor owns one synchroniser per market. It feeds every decoded update, snapshot and snapshot
/// failure through the matching `mutating` method and carries out the returned ``BookAction``s in order:
/// fetch a REST snapshot, resubscribe the topic, publish the synced book or an applied update downstream.
/// Each method switches exhaustively over the state (no `default:`), so a new state does not compile until
/// every event has decided what it means there.
///
/// The exchanges' rules (``BookSyncRule``):
/// - **Binance** (`restSnapshotThenDiffs`): while no book is synced, diffs are buffered (bounded; overflow
///   starts the buffer over). A REST snapshot older than the buffer (`lastUpdateId + 1 < U` of the first
///   buffered diff) is stale and fetched again; buffered diffs with `u <= lastUpdateId` are dropped and the
///   rest applied, the first one bridging the snapshot (`U <= lastUpdateId + 1 <= u`). Live diffs then
///   continue the book: `u <= id` is a duplicate (ignored and counted), `U > id + 1` a gap (resync). A
///   snapshot met by an empty buffer is trusted at once: a diff that later fails to continue it is a gap.
/// - **Bybit** (`streamSnapshotThenDeltas`): a stream snapshot replaces the book whenever it comes (also
///   `u == 1` after a service restart); a delta must carry `u == id + 1`, `u <= id` is a duplicate and a jump a
///   gap, answered by resubscribing that one topic.
/// - **WhiteBIT** (`streamSnapshotThenIncremental`): a snapshot replaces the book; an update's
///   `past_update_id` must equal the book id (an update already applied is a duplicate), and each side is
///   truncated to the window after every update. The published update carries the truncated levels as
///   zero-quantity removals, so a downstream book applying it stays equal to this one.
///
/// After every update the book must not be crossed; an update that crosses it is rolled back and the book
/// resynced. While resyncing, ``book`` stays the last good book, readable but marked by ``state``. A resync
/// affects this market only. After ``BookSyncConfiguration/maxSnapshotFailures`` failed snapshots in a row
/// the state becomes `degraded`; requests go on, spaced by the caller's backoff
/// (``consecutiveSnapshotFailures``).
public struct BookSynchronizer: Sendable {
    public let market: MarketKey
    public let rule: BookSyncRule
    public var configuration: BookSyncConfiguration

    /// Whether ``book`` can be trusted.
    public private(set) var state: BookSyncState = .awaitingSnapshot
    /// The last good book: the synced book, or while resyncing the one given up (empty before the first sync).
    public private(set) var book: OrderBook

    // MARK: Counters (for metrics)

    /// Updates already contained in the book (or the buffer), ignored.
    public private(set) var duplicatesIgnored = 0
    /// Updates that did not continue the book or the buffer.
    public private(set) var gaps = 0
    /// Times a synced book was given up.
    public private(set) var resyncs = 0
    /// Stream updates dropped because no snapshot had arrived yet (Bybit, WhiteBIT).
    public private(set) var deltasDiscarded = 0
    /// Bybit service restarts seen (`u == 1`).
    public private(set) var serverRestarts = 0
    /// Failed snapshots since the last successful one; the caller's backoff exponent.
    public private(set) var consecutiveSnapshotFailures = 0
    /// Audits compared, and the divergence the last one found.
    public private(set) var audits = 0
    public private(set) var lastAuditDivergence: Int?
    /// Audits that could not be compared at the book's update id.
    public private(set) var auditsSkipped = 0

    /// True from a `requestSnapshot`/`resubscribe` action (or the initial subscription) until the snapshot
    /// or its failure is reported; no second request is issued meanwhile.
    public private(set) var snapshotPending = false

    /// Binance: diffs received while no book is synced, oldest first, each continuing the one before.
    private var buffer: [BookDelta] = []
    /// An audit snapshot ahead of the book, compared once the book reaches its update id.
    private var pendingAudit: PendingAudit?

    private struct PendingAudit: Sendable {
        var snapshot: BookSnapshot
        var depth: Int
    }

    /// Creates a synchroniser awaiting its first snapshot; call ``start()`` once the stream is subscribed.
    public init(market: MarketKey, rule: BookSyncRule, configuration: BookSyncConfiguration = .standard) {
        if case .streamSnapshotThenIncremental(let depth) = rule { precondition(depth > 0, "window depth > 0") }
        self.market = market
        self.rule = rule
        self.configuration = configuration
        self.book = OrderBook(market: market)
    }

    /// Diffs waiting for a snapshot (Binance).
    public var bufferedDeltas: Int { buffer.count }

    // MARK: - Events

    /// The book's stream is subscribed.
    ///
    /// - Returns: Binance: `requestSnapshot` (diffs received meanwhile are buffered). Bybit and WhiteBIT:
    ///   nothing; the subscription itself brings the snapshot.
    public mutating func start() -> [BookAction] {
        switch state {
        case .synced:
            return []
        case .awaitingSnapshot, .resyncing, .degraded:
            switch rule {
            case .restSnapshotThenDiffs:
                return requestIfIdle()
            case .streamSnapshotThenDeltas, .streamSnapshotThenIncremental:
                snapshotPending = true
                return []
            }
        }
    }

    /// An update from the stream.
    ///
    /// - Returns: `publishDelta` when it was applied; resync actions on a gap or a crossed book; nothing for
    ///   a duplicate or a buffered diff.
    public mutating func receive(_ delta: BookDelta) -> [BookAction] {
        precondition(delta.market == market, "\(delta.market) delta fed to the \(market) book")
        switch state {
        case .synced:
            return applyLive(delta)
        case .awaitingSnapshot, .resyncing, .degraded:
            switch rule {
            case .restSnapshotThenDiffs:
                return bufferDiff(delta)
            case .streamSnapshotThenDeltas, .streamSnapshotThenIncremental:
                deltasDiscarded += 1
                return []
            }
        }
    }

    /// A snapshot: a REST answer (`fromStream: false`) or one the stream pushed.
    ///
    /// Binance takes a snapshot from either source through the buffer procedure. Bybit and WhiteBIT take only
    /// stream snapshots (their REST books are not stitched to the stream; audit them with ``audit(_:depth:)``);
    /// others are ignored. A stream snapshot that equals the synced book (WhiteBIT's keep-alive, Bybit's
    /// re-push) publishes nothing.
    ///
    /// - Returns: `stateChanged(.synced)` and `publishSnapshot` once synced; a new request when the snapshot
    ///   was stale or crossed; nothing when it was not needed.
    public mutating func receive(snapshot: BookSnapshot, fromStream: Bool) -> [BookAction] {
        precondition(snapshot.market == market, "\(snapshot.market) snapshot fed to the \(market) book")
        switch rule {
        case .restSnapshotThenDiffs:
            return receiveBridgedSnapshot(snapshot)
        case .streamSnapshotThenDeltas:
            return fromStream ? receiveStreamSnapshot(snapshot, window: nil) : []
        case .streamSnapshotThenIncremental(let depth):
            return fromStream ? receiveStreamSnapshot(snapshot, window: depth) : []
        }
    }

    /// The snapshot request failed, or (stream rules) no snapshot came in time.
    ///
    /// - Returns: Another request (the caller spaces it by ``consecutiveSnapshotFailures``), preceded by
    ///   `stateChanged(.degraded)` when this failure reached the limit; nothing when no request was pending.
    public mutating func snapshotFailed() -> [BookAction] {
        switch state {
        case .synced:
            return []
        case .awaitingSnapshot, .resyncing, .degraded:
            guard snapshotPending else { return [] }
            snapshotPending = false
            return attemptFailed(.snapshotFailed)
        }
    }

    /// Gives the book up on the caller's word (a reconnected stream, an operator command).
    ///
    /// - Returns: `stateChanged(.resyncing)` when it was synced, and a request unless one is pending. After a
    ///   reconnect that already resubscribed every topic, a `resubscribe` may be dropped.
    public mutating func requestResync(reason: ResyncReason) -> [BookAction] {
        switch state {
        case .synced:
            return beginResync(reason, keeping: [])
        case .awaitingSnapshot, .resyncing, .degraded:
            // Buffered diffs stay: a snapshot still checks that they continue it.
            return beginResync(reason, keeping: buffer)
        }
    }

    /// Compares the synced book with a REST top-of-book snapshot.
    ///
    /// Binance and Bybit snapshots carry an update id, so the comparison is exact: at once when the ids are
    /// equal; when the snapshot is ahead it is kept and compared as the book reaches that id (the result then
    /// comes with the update's actions); when it is behind, or an update jumps over its id, it is skipped.
    /// WhiteBIT's REST book has no update id, so it is compared as it comes, within the window: give it a
    /// threshold that allows for updates in flight.
    ///
    /// - Parameters:
    ///   - snapshot: The REST snapshot, best first.
    ///   - depth: Levels per side to compare, at most the depth the snapshot was fetched with.
    /// - Returns: The divergence, and resync actions when it reached
    ///   ``BookSyncConfiguration/auditDivergenceThreshold``.
    public mutating func audit(_ snapshot: BookSnapshot, depth: Int) -> BookAuditReport {
        precondition(snapshot.market == market, "\(snapshot.market) audit fed to the \(market) book")
        switch state {
        case .awaitingSnapshot, .resyncing, .degraded:
            auditsSkipped += 1
            return BookAuditReport(divergence: nil)
        case .synced:
            break
        }
        switch rule {
        case .streamSnapshotThenIncremental(let window):
            return compareAudit(snapshot, depth: min(depth, window))
        case .restSnapshotThenDiffs, .streamSnapshotThenDeltas:
            if snapshot.updateID == book.updateID { return compareAudit(snapshot, depth: depth) }
            if snapshot.updateID > book.updateID {
                if pendingAudit != nil { auditsSkipped += 1 }
                pendingAudit = PendingAudit(snapshot: snapshot, depth: depth)
                return BookAuditReport(divergence: nil, deferred: true)
            }
            auditsSkipped += 1
            return BookAuditReport(divergence: nil)
        }
    }

    // MARK: - Continuity

    private enum Continuity {
        case next
        case duplicate
        case gap(expected: UInt64, got: UInt64)
        case restart
    }

    /// Whether `delta` continues a book (or buffer) whose last update id is `id`.
    private func continuity(of delta: BookDelta, after id: UInt64) -> Continuity {
        switch rule {
        case .restSnapshotThenDiffs:
            if delta.lastUpdateID <= id { return .duplicate }
            if delta.firstUpdateID > id &+ 1 { return .gap(expected: id &+ 1, got: delta.firstUpdateID) }
            return .next
        case .streamSnapshotThenDeltas:
            let u = delta.lastUpdateID
            if u == id &+ 1 { return .next }
            if u == 1, id > 1 { return .restart }
            if u <= id { return .duplicate }
            return .gap(expected: id &+ 1, got: u)
        case .streamSnapshotThenIncremental:
            // Captures from before 2025-06 carry no ids: nothing to check.
            guard let previous = delta.previousUpdateID else { return .next }
            if previous == id { return .next }
            if delta.lastUpdateID <= id { return .duplicate }
            return .gap(expected: id, got: previous)
        }
    }

    // MARK: - Synced

    private mutating func applyLive(_ delta: BookDelta) -> [BookAction] {
        switch continuity(of: delta, after: book.updateID) {
        case .duplicate:
            duplicatesIgnored += 1
            return []
        case .restart:
            serverRestarts += 1
            return beginResync(.serverRestart, keeping: [])
        case .gap(let expected, let got):
            gaps += 1
            // Binance: the diff that broke the chain is the first one a new snapshot must bridge to.
            return beginResync(.gap(expected: expected, got: got), keeping: [delta])
        case .next:
            guard let published = Self.apply(delta, to: &book, window: window) else {
                return beginResync(.crossed, keeping: [])
            }
            return [.publishDelta(published)] + checkPendingAudit()
        }
    }

    /// The WhiteBIT window, `nil` for the other rules.
    private var window: Int? {
        switch rule {
        case .restSnapshotThenDiffs, .streamSnapshotThenDeltas: nil
        case .streamSnapshotThenIncremental(let depth): depth
        }
    }

    /// Applies `delta` to `book`, then truncates it to `window`.
    ///
    /// - Returns: The update to forward (with truncated levels as zero-quantity removals), or `nil` when it
    ///   would cross the book; the book is then left exactly as it was.
    private static func apply(_ delta: BookDelta, to book: inout OrderBook, window: Int?) -> BookDelta? {
        var undo: [(side: OrderBook.Side, price: ExactDecimal, previous: BookLevel?)] = []
        undo.reserveCapacity(delta.bids.count + delta.asks.count)
        for level in delta.bids { undo.append((.bid, level.price, book.set(level, side: .bid))) }
        for level in delta.asks { undo.append((.ask, level.price, book.set(level, side: .ask))) }
        if book.isCrossed {
            for entry in undo.reversed() {
                book.set(entry.previous ?? BookLevel(price: entry.price, quantity: .zero), side: entry.side)
            }
            return nil
        }
        book.updateID = delta.lastUpdateID
        if let sequence = delta.sequence { book.sequence = sequence }
        if let time = delta.time { book.time = time }
        guard let window else { return delta }
        let removed = book.truncate(depth: window)
        if removed.bids.isEmpty, removed.asks.isEmpty { return delta }
        var published = delta
        published.bids = withRemovals(delta.bids, removed.bids)
        published.asks = withRemovals(delta.asks, removed.asks)
        return published
    }

    /// `levels` with every price in `removed` set to zero, plus the removed levels they did not name.
    private static func withRemovals(_ levels: [BookLevel], _ removed: [BookLevel]) -> [BookLevel] {
        guard !removed.isEmpty else { return levels }
        var result = levels.map { level in
            removed.contains { $0.price == level.price } ? BookLevel(price: level.price, quantity: .zero) : level
        }
        for level in removed where !levels.contains(where: { $0.price == level.price }) {
            result.append(BookLevel(price: level.price, quantity: .zero))
        }
        return result
    }

    // MARK: - Snapshots

    /// Binance: install a snapshot and bridge the buffered diffs onto it.
    private mutating func receiveBridgedSnapshot(_ snapshot: BookSnapshot) -> [BookAction] {
        switch state {
        case .synced:
            // Not requested (a late answer after a resync that another snapshot already ended).
            return []
        case .awaitingSnapshot, .resyncing, .degraded:
            break
        }
        snapshotPending = false
        var candidate = OrderBook(snapshot: snapshot)
        if candidate.isCrossed { return attemptFailed(.crossed) }
        if let first = buffer.first, snapshot.updateID &+ 1 < first.firstUpdateID {
            return attemptFailed(.staleSnapshot)
        }
        var receivedAt = snapshot.receivedAt
        for (index, delta) in buffer.enumerated() {
            switch continuity(of: delta, after: candidate.updateID) {
            case .duplicate:
                // Already in the snapshot: the normal case for the older part of the buffer.
                continue
            case .gap(let expected, let got):
                // Cannot happen for a continuous buffer that passed the staleness check; handled all the same.
                gaps += 1
                buffer.removeFirst(index)
                return attemptFailed(.gap(expected: expected, got: got))
            case .restart:
                buffer.removeFirst(index)
                return attemptFailed(.serverRestart)
            case .next:
                guard Self.apply(delta, to: &candidate, window: nil) != nil else {
                    buffer.removeAll()
                    return attemptFailed(.crossed)
                }
                receivedAt = delta.receivedAt
            }
        }
        buffer.removeAll()
        return completeSync(candidate, receivedAt: receivedAt)
    }

    /// Bybit and WhiteBIT: a stream snapshot replaces the book.
    private mutating func receiveStreamSnapshot(_ snapshot: BookSnapshot, window: Int?) -> [BookAction] {
        var candidate = OrderBook(snapshot: snapshot)
        if let window { candidate.truncate(depth: window) }
        switch state {
        case .synced:
            if candidate.isCrossed { return beginResync(.crossed, keeping: []) }
            if candidate.updateID == book.updateID, candidate.hasSameLevels(as: book) {
                book = candidate
                return []
            }
            if case .streamSnapshotThenDeltas = rule, snapshot.updateID == 1, book.updateID > 1 {
                serverRestarts += 1
            }
            return completeSync(candidate, receivedAt: snapshot.receivedAt)
        case .awaitingSnapshot, .resyncing, .degraded:
            snapshotPending = false
            if candidate.isCrossed { return attemptFailed(.crossed) }
            return completeSync(candidate, receivedAt: snapshot.receivedAt)
        }
    }

    private mutating func completeSync(_ candidate: OrderBook, receivedAt: Timestamp) -> [BookAction] {
        book = candidate
        consecutiveSnapshotFailures = 0
        snapshotPending = false
        pendingAudit = nil
        var actions: [BookAction] = []
        switch state {
        case .synced:
            break
        case .awaitingSnapshot, .resyncing, .degraded:
            state = .synced
            actions.append(.stateChanged(.synced))
        }
        actions.append(.publishSnapshot(book.snapshot(depth: nil, receivedAt: receivedAt)))
        return actions
    }

    // MARK: - Buffering (Binance)

    private mutating func bufferDiff(_ delta: BookDelta) -> [BookAction] {
        if let last = buffer.last {
            switch continuity(of: delta, after: last.lastUpdateID) {
            case .duplicate:
                duplicatesIgnored += 1
                return []
            case .gap, .restart:
                // The buffered diffs no longer lead anywhere; a snapshot must now bridge to this one.
                gaps += 1
                buffer.removeAll(keepingCapacity: true)
            case .next:
                break
            }
        }
        guard buffer.count < configuration.maxBufferedDeltas else {
            return beginResync(.bufferOverflow, keeping: [delta])
        }
        buffer.append(delta)
        return []
    }

    // MARK: - Resync

    private var requestAction: BookAction { rule.snapshotsFromStream ? .resubscribe : .requestSnapshot }

    private mutating func requestIfIdle() -> [BookAction] {
        guard !snapshotPending else { return [] }
        snapshotPending = true
        return [requestAction]
    }

    /// Gives up the synced book (or, unsynced, notes the new reason) and asks for a snapshot unless one is
    /// pending. `deltas` become the Binance buffer.
    private mutating func beginResync(_ reason: ResyncReason, keeping deltas: [BookDelta]) -> [BookAction] {
        pendingAudit = nil
        var actions: [BookAction] = []
        switch state {
        case .synced:
            resyncs += 1
            state = .resyncing(reason: reason)
            actions.append(.stateChanged(state))
        case .resyncing:
            let next = BookSyncState.resyncing(reason: reason)
            if next != state {
                state = next
                actions.append(.stateChanged(next))
            }
        case .awaitingSnapshot, .degraded:
            // No trusted book to give up; only failed snapshots move these states.
            break
        }
        switch rule {
        case .restSnapshotThenDiffs: buffer = deltas
        case .streamSnapshotThenDeltas, .streamSnapshotThenIncremental: break
        }
        return actions + requestIfIdle()
    }

    /// A snapshot attempt failed (`snapshotPending` already cleared): count it, and ask again.
    private mutating func attemptFailed(_ reason: ResyncReason) -> [BookAction] {
        consecutiveSnapshotFailures += 1
        var actions: [BookAction] = []
        if consecutiveSnapshotFailures >= configuration.maxSnapshotFailures {
            let next = BookSyncState.degraded(reason: reason)
            switch state {
            case .degraded where next == state:
                break
            case .awaitingSnapshot, .resyncing, .degraded, .synced:
                state = next
                actions.append(.stateChanged(next))
            }
        }
        return actions + requestIfIdle()
    }

    // MARK: - Audit

    private mutating func compareAudit(_ snapshot: BookSnapshot, depth: Int) -> BookAuditReport {
        let divergence = book.divergence(from: snapshot, depth: depth)
        audits += 1
        lastAuditDivergence = divergence
        guard divergence >= configuration.auditDivergenceThreshold else {
            return BookAuditReport(divergence: divergence)
        }
        return BookAuditReport(
            divergence: divergence, actions: beginResync(.auditDivergence(levels: divergence), keeping: []))
    }

    private mutating func checkPendingAudit() -> [BookAction] {
        guard let pending = pendingAudit, book.updateID >= pending.snapshot.updateID else { return [] }
        pendingAudit = nil
        guard book.updateID == pending.snapshot.updateID else {
            auditsSkipped += 1
            return []
        }
        return compareAudit(pending.snapshot, depth: pending.depth).actions
    }
}
