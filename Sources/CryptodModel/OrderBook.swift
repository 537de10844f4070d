/// A local order book for one market, as a pure value: price levels keyed numerically by ``ExactDecimal``.
///
/// Each side is a sorted contiguous array searched by bisection, so an update is a binary search plus one
/// insert, overwrite or remove by index. The arrays are kept **worst price first, best price last**: almost
/// every exchange update touches the top of the book, and at the end of an array an insert or remove shifts
/// only the few levels behind it instead of the whole side. ``bids`` and ``asks`` present the usual best-first
/// order. Measured (`-O`, whole module, 10-level diffs into a ~10 000-level book): about 110 ns per level when
/// changes fall in the top 50, 290 ns in the top 500, 690 ns spread uniformly over 5 000 levels; what remains
/// is the shift of the 64-byte levels behind the insertion point.
///
/// A level is stored exactly as it arrived (``BookLevel`` with its own scale), so `"0.00010000"` prints back
/// unchanged; two spellings of one price (`"1.0"`, `"1.00"`) are the same level, and the later one's text wins.
public struct OrderBook: Sendable, Hashable {
    /// A side of the book.
    public enum Side: Sendable, Hashable, CaseIterable {
        case bid
        case ask
    }

    public var market: MarketKey
    /// The id of the last snapshot or update applied (Binance `u`, Bybit `u`, WhiteBIT `update_id`).
    public var updateID: UInt64
    /// Bybit's cross sequence of the last snapshot or update that carried one.
    public var sequence: UInt64?
    /// The exchange time of the last snapshot or update that carried one.
    public var time: Timestamp?

    /// Bids by ascending price: worst first, best last.
    private var bidStore: [BookLevel]
    /// Asks by descending price: worst first, best last.
    private var askStore: [BookLevel]

    /// An empty book at update id 0.
    public init(market: MarketKey) {
        self.market = market
        self.updateID = 0
        self.sequence = nil
        self.time = nil
        self.bidStore = []
        self.askStore = []
    }

    /// A book holding `snapshot`'s levels; see ``replace(with:)``.
    public init(snapshot: BookSnapshot) {
        self.init(market: snapshot.market)
        replace(with: snapshot)
    }

    // MARK: - Reading

    /// Bids, best (highest) first. Builds a new array: use ``bestBid`` or ``top(_:)`` on hot paths.
    public var bids: [BookLevel] { Array(bidStore.reversed()) }
    /// Asks, best (lowest) first. Builds a new array: use ``bestAsk`` or ``top(_:)`` on hot paths.
    public var asks: [BookLevel] { Array(askStore.reversed()) }

    public var bidCount: Int { bidStore.count }
    public var askCount: Int { askStore.count }
    public var isEmpty: Bool { bidStore.isEmpty && askStore.isEmpty }

    public var bestBid: BookLevel? { bidStore.last }
    public var bestAsk: BookLevel? { askStore.last }

    /// True when the best bid is at or above the best ask: a correct book never is, so this means a missed or
    /// misapplied update.
    public var isCrossed: Bool {
        guard let bid = bidStore.last, let ask = askStore.last else { return false }
        return ExactDecimal.compare(bid.price, ask.price) >= 0
    }

    /// The quantity resting at `price`, or `nil` when there is no such level.
    public func quantity(at price: ExactDecimal, side: Side) -> ExactDecimal? {
        let store = side == .bid ? bidStore : askStore
        let (index, found) = Self.search(store, price, ascending: side == .bid)
        return found ? store[index].quantity : nil
    }

    /// The best `n` levels of each side, best first.
    public func top(_ n: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        let count = max(n, 0)
        return (Array(bidStore.suffix(count).reversed()), Array(askStore.suffix(count).reversed()))
    }

    /// The book as a snapshot, to send downstream or compare.
    ///
    /// - Parameters:
    ///   - depth: Levels per side; `nil` for all.
    ///   - receivedAt: The receive time to stamp on it (the book itself has none).
    public func snapshot(depth: Int?, receivedAt: Timestamp) -> BookSnapshot {
        let levels: (bids: [BookLevel], asks: [BookLevel]) = depth.map(top) ?? (bids, asks)
        return BookSnapshot(
            market: market, updateID: updateID, sequence: sequence, time: time, receivedAt: receivedAt,
            bids: levels.bids, asks: levels.asks)
    }

    /// True when both books hold the same levels (numerically), whatever their ids and times.
    public func hasSameLevels(as other: OrderBook) -> Bool {
        bidStore == other.bidStore && askStore == other.askStore
    }

    // MARK: - Changing

    /// Replaces every level with `snapshot`'s and takes its ids and time.
    ///
    /// Exchanges send snapshots sorted and without zero quantities; that is checked in one pass. A snapshot
    /// that is not is sorted here (a later duplicate price wins) and its zero-quantity levels are dropped, so
    /// the book's invariants hold whatever arrives.
    public mutating func replace(with snapshot: BookSnapshot) {
        market = snapshot.market
        updateID = snapshot.updateID
        sequence = snapshot.sequence
        time = snapshot.time
        bidStore = Self.normalized(snapshot.bids, ascending: true)
        askStore = Self.normalized(snapshot.asks, ascending: false)
    }

    /// Applies an update: each level sets the absolute quantity at its price, and quantity zero removes it.
    ///
    /// Takes the delta's `lastUpdateID`, and its sequence and time where it has them. The caller checks the ids
    /// (``OrderBook`` does not know an exchange's rules; the book synchroniser does).
    public mutating func apply(_ delta: BookDelta) {
        for level in delta.bids { Self.set(level, in: &bidStore, ascending: true) }
        for level in delta.asks { Self.set(level, in: &askStore, ascending: false) }
        updateID = delta.lastUpdateID
        if let value = delta.sequence { sequence = value }
        if let value = delta.time { time = value }
    }

    /// Sets one level (quantity zero removes it).
    ///
    /// - Returns: The level that was at that price before, or `nil` when there was none; passing it back
    ///   (or a zero-quantity level when `nil`) undoes the change.
    @discardableResult
    public mutating func set(_ level: BookLevel, side: Side) -> BookLevel? {
        switch side {
        case .bid: Self.set(level, in: &bidStore, ascending: true)
        case .ask: Self.set(level, in: &askStore, ascending: false)
        }
    }

    /// Keeps at most `depth` levels per side, dropping the worst.
    ///
    /// - Returns: The levels removed, best first, so a caller can forward them as removals (WhiteBIT's window).
    @discardableResult
    public mutating func truncate(depth: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        let keep = max(depth, 0)
        return (Self.dropWorst(&bidStore, keeping: keep), Self.dropWorst(&askStore, keeping: keep))
    }

    // MARK: - Comparing

    /// How many of the best `depth` price positions differ from `other` (a REST audit snapshot, best first).
    ///
    /// Both sides are walked together in price order, `depth` positions per side: a price on one side only,
    /// or with a different quantity, counts once. Walking by price rather than by index means one missing level
    /// counts as one difference, not as every level below it shifting. Pass a `depth` no larger than the
    /// depth `other` was fetched with, or levels beyond its end count as differences.
    public func divergence(from other: BookSnapshot, depth: Int) -> Int {
        Self.divergence(bidStore, other.bids, depth: depth, ascending: true)
            + Self.divergence(askStore, other.asks, depth: depth, ascending: false)
    }

    // MARK: - Sorted storage

    /// The comparison result of `a` against `b` in storage order (worst first).
    @inline(__always)
    private static func order(_ a: ExactDecimal, _ b: ExactDecimal, ascending: Bool) -> Int {
        let result = ExactDecimal.compare(a, b)
        return ascending ? result : -result
    }

    /// Bisection: the index of `price`, or where it would be inserted.
    @inline(__always)
    private static func search(_ store: [BookLevel], _ price: ExactDecimal, ascending: Bool) -> (Int, Bool) {
        var low = 0
        var high = store.count
        while low < high {
            let middle = (low &+ high) >> 1
            let result = order(store[middle].price, price, ascending: ascending)
            if result < 0 {
                low = middle + 1
            } else if result > 0 {
                high = middle
            } else {
                return (middle, true)
            }
        }
        return (low, false)
    }

    @discardableResult
    private static func set(_ level: BookLevel, in store: inout [BookLevel], ascending: Bool) -> BookLevel? {
        let (index, found) = search(store, level.price, ascending: ascending)
        if level.quantity.isZero {
            return found ? store.remove(at: index) : nil
        }
        if found {
            let previous = store[index]
            store[index] = level
            return previous
        }
        store.insert(level, at: index)
        return nil
    }

    private static func dropWorst(_ store: inout [BookLevel], keeping depth: Int) -> [BookLevel] {
        let excess = store.count - depth
        guard excess > 0 else { return [] }
        let removed = Array(store[0..<excess].reversed())
        store.removeFirst(excess)
        return removed
    }

    /// `levels` (best first) in storage order, sorted and without zero quantities.
    private static func normalized(_ levels: [BookLevel], ascending: Bool) -> [BookLevel] {
        var store: [BookLevel] = []
        store.reserveCapacity(levels.count)
        var sorted = true
        for level in levels.reversed() {
            if level.quantity.isZero { continue }
            if let last = store.last, order(last.price, level.price, ascending: ascending) >= 0 {
                sorted = false
                break
            }
            store.append(level)
        }
        if sorted { return store }
        // Slow path: unsorted or repeated prices. Insert one by one so a later duplicate overwrites.
        store.removeAll(keepingCapacity: true)
        for level in levels { set(level, in: &store, ascending: ascending) }
        return store
    }

    private static func divergence(_ store: [BookLevel], _ other: [BookLevel], depth: Int, ascending: Bool) -> Int {
        var mine = store.count - 1  // best is last
        var theirs = 0
        var differences = 0
        var positions = 0
        while positions < depth, mine >= 0 || theirs < other.count {
            positions += 1
            if mine >= 0, theirs < other.count {
                // Better price first: in storage order the better price compares greater.
                let result = order(store[mine].price, other[theirs].price, ascending: ascending)
                if result == 0 {
                    if store[mine].quantity != other[theirs].quantity { differences += 1 }
                    mine -= 1
                    theirs += 1
                } else if result > 0 {
                    differences += 1
                    mine -= 1
                } else {
                    differences += 1
                    theirs += 1
                }
            } else if mine >= 0 {
                differences += 1
                mine -= 1
            } else {
                differences += 1
                theirs += 1
            }
        }
        return differences
    }
}
