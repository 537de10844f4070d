import CryptodModel
import Synchronization

/// The gateway's order books, one per market (exchange, market type, symbol), rebuilt from the ingestors'
/// book events: a snapshot replaces a book, a delta is applied to it. REST's order-book route and the
/// WebSocket's snapshot-then-deltas both read from here, so the two always agree.
///
/// The ingestor's synchroniser has already checked continuity, so the store does not re-check sequence
/// rules; it only refuses what it cannot place: a delta for a market with no snapshot yet (after a gateway
/// restart the first snapshot arrives with the next resync), and a replayed delta that is not newer than
/// the book. Both are counted, not fatal.
package final class BookStore: Sendable {
    /// Whether a book can be trusted right now, from the ingestor's source-status events.
    package enum SyncState: String, Sendable, Hashable {
        /// Built from a snapshot and every delta since.
        case synced
        /// The ingestor is re-synchronising it: the levels are the last good ones, possibly stale.
        case resyncing
        /// Re-synchronisation keeps failing; the levels may be old.
        case degraded
    }

    /// One book as read at one instant: its top levels and where it stands.
    package struct View: Sendable, Hashable {
        package var market: MarketKey
        package var updateID: UInt64
        package var sequence: UInt64?
        package var time: Timestamp?
        /// When the gateway last changed this book.
        package var receivedAt: Timestamp
        package var syncState: SyncState
        /// Best first, at most the depth asked for.
        package var bids: [BookLevel]
        package var asks: [BookLevel]

        /// The view as a book snapshot event (what a WebSocket client receives first).
        package func snapshot(origin: DataOrigin = .live) -> BookSnapshot {
            BookSnapshot(
                market: market, updateID: updateID, sequence: sequence, time: time, receivedAt: receivedAt,
                bids: bids, asks: asks, origin: origin)
        }
    }

    /// What ``apply(_:)`` did with an event, for the caller's metrics and fan-out.
    package enum Outcome: Sendable, Equatable {
        case applied
        /// Not a book event, or a status that does not concern a book.
        case ignored
        /// A delta for a market without a snapshot.
        case noBase
        /// A delta whose last update id is not after the book's (a replay).
        case stale
    }

    private struct Entry {
        var book: OrderBook
        var receivedAt: Timestamp
        var syncState: SyncState
    }

    private let books = Mutex<[MarketKey: Entry]>([:])

    package init() {}

    /// Applies a book snapshot, a book delta or a market's source status; other events are ignored.
    @discardableResult
    package func apply(_ event: MarketEvent) -> Outcome {
        switch event {
        case .bookSnapshot(let snapshot):
            books.withLock { books in
                if var entry = books[snapshot.market] {
                    entry.book.replace(with: snapshot)
                    entry.receivedAt = snapshot.receivedAt
                    entry.syncState = .synced
                    books[snapshot.market] = entry
                } else {
                    books[snapshot.market] = Entry(
                        book: OrderBook(snapshot: snapshot), receivedAt: snapshot.receivedAt, syncState: .synced)
                }
            }
            return .applied
        case .bookDelta(let delta):
            return books.withLock { books -> Outcome in
                guard var entry = books.removeValue(forKey: delta.market) else { return .noBase }
                defer { books[delta.market] = entry }
                guard delta.lastUpdateID > entry.book.updateID else { return .stale }
                entry.book.apply(delta)
                entry.receivedAt = delta.receivedAt
                return .applied
            }
        case .status(let status):
            guard let market = status.market else { return .ignored }
            let next: SyncState? =
                switch status.state {
                case .resyncing: .resyncing
                case .degraded: .degraded
                case .synced: .synced
                case .connected, .disconnected: nil
                }
            guard let next else { return .ignored }
            return books.withLock { books -> Outcome in
                guard books[market] != nil else { return .ignored }
                books[market]?.syncState = next
                return .applied
            }
        case .ticker, .trades, .candle, .instruments, .gap:
            return .ignored
        }
    }

    /// The book of `market` with at most `depth` levels a side, or `nil` before its first snapshot.
    package func view(_ market: MarketKey, depth: Int) -> View? {
        books.withLock { books -> View? in
            guard let entry = books[market] else { return nil }
            let top = entry.book.snapshot(depth: max(0, depth), receivedAt: entry.receivedAt)
            return View(
                market: market, updateID: entry.book.updateID, sequence: entry.book.sequence,
                time: entry.book.time, receivedAt: entry.receivedAt, syncState: entry.syncState,
                bids: top.bids, asks: top.asks)
        }
    }

    /// Every market that has a book, sorted.
    package func markets() -> [MarketKey] {
        books.withLock { $0.keys.sorted() }
    }
}
