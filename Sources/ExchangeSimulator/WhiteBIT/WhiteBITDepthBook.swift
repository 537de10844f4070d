/// The state of one WhiteBIT depth stream (market, limit, price interval): the last published
/// top-`limit` view and its update id, and how to go from one view to the next (whitebit.md §5).
///
/// Incremental messages carry the levels whose amount changed inside the window, with absolute
/// amounts and `"0"` for a level that left the book. By default a level that merely fell below the
/// `limit`-th is not sent: the documentation has clients truncate to `limit` after applying an update,
/// so snapshot + incrementals + truncation reproduce the view exactly, and an adapter that forgets to
/// truncate fails here as it would in production. `--limit whitebit.depth_window_removals=1` also sends
/// `"0"` for those levels, for clients that never truncate (ccxt.pro): they would otherwise keep levels
/// that vanish unseen outside the window and come back inside it, stale, when the price returns.
struct WhiteBITDepthBook: Sendable {
    struct View: Sendable, Equatable {
        var updateId: Int64
        /// Best first.
        var bids: [BookLevel]
        var asks: [BookLevel]
    }

    let limit: Int
    /// Whether levels pushed below the `limit`-th are sent as `"0"` (see above).
    let windowRemovals: Bool
    /// Aggregation bucket in units (0: none).
    let interval: Int64
    private(set) var view: View
    /// Update id of the last message every subscriber received (the next `past_update_id`).
    private(set) var lastMessageId: Int64
    /// Simulated time of the last message every subscriber received (keep-alive snapshots).
    private(set) var lastMessageAt: Int64

    init(limit: Int, interval: Int64, initial: View, now: Int64, windowRemovals: Bool = false) {
        self.limit = limit
        self.windowRemovals = windowRemovals
        self.interval = interval
        self.view = initial
        self.lastMessageId = initial.updateId
        self.lastMessageAt = now
    }

    /// The view of a book: the best `limit` levels per side, aggregated into `interval` buckets
    /// (bids rounded down, asks up) when the interval is coarser than the tick.
    static func view(of snapshot: BookSnapshot, limit: Int, interval: Int64, tickSize: Int64) -> View {
        guard interval > tickSize else {
            return View(
                updateId: snapshot.updateId, bids: Array(snapshot.bids.prefix(limit)),
                asks: Array(snapshot.asks.prefix(limit)))
        }
        return View(
            updateId: snapshot.updateId,
            bids: aggregate(snapshot.bids, width: interval, isBid: true, limit: limit),
            asks: aggregate(snapshot.asks, width: interval, isBid: false, limit: limit))
    }

    /// Sums best-first levels into buckets `width` wide; keeps the best `limit` buckets.
    static func aggregate(_ levels: [BookLevel], width: Int64, isBid: Bool, limit: Int) -> [BookLevel] {
        var out: [BookLevel] = []
        for level in levels {
            let floor = DetMath.floorDiv(level.price, width) * width
            let bucket = isBid || floor == level.price ? floor : floor + width
            if let last = out.last, last.price == bucket {
                out[out.count - 1].quantity += level.quantity
            } else {
                if out.count == limit { break }
                out.append(BookLevel(price: bucket, quantity: level.quantity))
            }
        }
        return out
    }

    /// Levels to send to go from `old` to `new` on one side (best first in both).
    static func changes(
        from old: [BookLevel], to new: [BookLevel], isBid: Bool, limit: Int, windowRemovals: Bool
    ) -> [BookLevel] {
        var previous: [Int64: Int64] = [:]
        for level in old { previous[level.price] = level.quantity }
        var current = Set<Int64>()
        var out: [BookLevel] = []
        for level in new {
            current.insert(level.price)
            if previous[level.price] != level.quantity { out.append(level) }
        }
        let worst = new.last?.price
        for level in old where !current.contains(level.price) {
            // Below a full window's last level the client's truncation removes it anyway.
            if !windowRemovals, new.count == limit, let worst, isBid ? level.price < worst : level.price > worst {
                continue
            }
            out.append(BookLevel(price: level.price, quantity: 0))
        }
        return out.sorted { isBid ? $0.price > $1.price : $0.price < $1.price }
    }

    /// An incremental update to `next`: (past update id, bids, asks), or nil when nothing inside the
    /// window changed (then no message is due). Advances the state when one is due.
    mutating func advance(to next: View, now: Int64) -> (pastUpdateId: Int64, bids: [BookLevel], asks: [BookLevel])? {
        guard next.updateId != self.view.updateId else { return nil }
        let bids = Self.changes(
            from: self.view.bids, to: next.bids, isBid: true, limit: self.limit, windowRemovals: self.windowRemovals)
        let asks = Self.changes(
            from: self.view.asks, to: next.asks, isBid: false, limit: self.limit, windowRemovals: self.windowRemovals)
        guard !bids.isEmpty || !asks.isEmpty else { return nil }
        let past = self.lastMessageId
        self.view = next
        self.lastMessageId = next.updateId
        self.lastMessageAt = now
        return (past, bids, asks)
    }

    /// A snapshot every subscriber receives (keep-alive): the chain continues from `next`.
    mutating func broadcastSnapshot(_ next: View, now: Int64) {
        self.view = next
        self.lastMessageId = next.updateId
        self.lastMessageAt = now
    }

    /// Whether a keep-alive snapshot is due at `now`.
    func keepAliveDue(now: Int64, after quietMs: Int64) -> Bool {
        now - self.lastMessageAt >= quietMs
    }

    /// The snapshot for a new subscriber: the current view under the last message's update id, so
    /// the next incremental's `past_update_id` matches it.
    var subscriberSnapshot: View {
        View(updateId: self.lastMessageId, bids: self.view.bids, asks: self.view.asks)
    }
}
