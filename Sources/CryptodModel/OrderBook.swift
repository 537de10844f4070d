/// A local order book for one market, as a pure value: price levels keyed numerically by ``ExactDecimal``.
///
/// Each side is a sorted contiguous array searched by bisection, so an update is a binary search plus one
/// insert, overwrite or remove by index. The arrays are kept **worst price first, best price last**: almost
/// every exchange update touches the top of the book, and at the end of an array an insert or remove shifts
/// only the few levels behind it instead of the whole side. ``bids`` and ``asks`` present the usual best-first
/// order. Levels are packed into 16 bytes where their digits allow (every exchange's so far; see
/// `BookLevelStore`), so the shift behind the insertion point moves 16 bytes a level, not a ``BookLevel``'s 64
/// (`scripts/bench-exchanges` measures both layouts side by side).
///
/// A level is stored exactly as it arrived (mantissa with its own scale), so `"0.00010000"` prints back
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
    private var bidStore: BookLevelStore
    /// Asks by descending price: worst first, best last.
    private var askStore: BookLevelStore

    /// Bytes a level takes in the book: packed, and (a ``BookLevel``) when a side holds a level of more than 17
    /// significant digits or 31 decimals.
    public static let bytesPerPackedLevel = MemoryLayout<PackedBookLevel>.stride
    public static let bytesPerWideLevel = MemoryLayout<BookLevel>.stride

    /// An empty book at update id 0.
    public init(market: MarketKey) {
        self.market = market
        self.updateID = 0
        self.sequence = nil
        self.time = nil
        self.bidStore = BookLevelStore()
        self.askStore = BookLevelStore()
    }

    /// A book holding `snapshot`'s levels; see ``replace(with:)``.
    public init(snapshot: BookSnapshot) {
        self.init(market: snapshot.market)
        replace(with: snapshot)
    }

    // MARK: - Reading

    /// Bids, best (highest) first. Builds a new array: use ``bestBid`` or ``top(_:)`` on hot paths.
    public var bids: [BookLevel] { bidStore.bestFirst() }
    /// Asks, best (lowest) first. Builds a new array: use ``bestAsk`` or ``top(_:)`` on hot paths.
    public var asks: [BookLevel] { askStore.bestFirst() }

    public var bidCount: Int { bidStore.count }
    public var askCount: Int { askStore.count }
    public var isEmpty: Bool { bidStore.isEmpty && askStore.isEmpty }

    public var bestBid: BookLevel? { bidStore.best }
    public var bestAsk: BookLevel? { askStore.best }

    /// True while both sides are packed (16 bytes a level); false once a side holds a level of more than 17
    /// significant digits or 31 decimals, until a snapshot without one.
    public var isPacked: Bool { bidStore.isPacked && askStore.isPacked }

    /// True when the best bid is at or above the best ask: a correct book never is, so this means a missed or
    /// misapplied update.
    public var isCrossed: Bool {
        guard let bid = bidStore.best, let ask = askStore.best else { return false }
        return ExactDecimal.compare(bid.price, ask.price) >= 0
    }

    /// The quantity resting at `price`, or `nil` when there is no such level.
    public func quantity(at price: ExactDecimal, side: Side) -> ExactDecimal? {
        switch side {
        case .bid: bidStore.quantity(at: price, ascending: true)
        case .ask: askStore.quantity(at: price, ascending: false)
        }
    }

    /// The best `n` levels of each side, best first.
    public func top(_ n: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        let count = max(n, 0)
        return (bidStore.bestFirst(count), askStore.bestFirst(count))
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
        bidStore = BookLevelStore(bestFirst: snapshot.bids, ascending: true)
        askStore = BookLevelStore(bestFirst: snapshot.asks, ascending: false)
    }

    /// Applies an update: each level sets the absolute quantity at its price, and quantity zero removes it.
    ///
    /// Takes the delta's `lastUpdateID`, and its sequence and time where it has them. The caller checks the ids
    /// (``OrderBook`` does not know an exchange's rules; the book synchroniser does).
    public mutating func apply(_ delta: BookDelta) {
        for level in delta.bids { bidStore.set(level, ascending: true) }
        for level in delta.asks { askStore.set(level, ascending: false) }
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
        case .bid: bidStore.set(level, ascending: true)
        case .ask: askStore.set(level, ascending: false)
        }
    }

    /// Keeps at most `depth` levels per side, dropping the worst.
    ///
    /// - Returns: The levels removed, best first, so a caller can forward them as removals (WhiteBIT's window).
    @discardableResult
    public mutating func truncate(depth: Int) -> (bids: [BookLevel], asks: [BookLevel]) {
        let keep = max(depth, 0)
        return (bidStore.dropWorst(keeping: keep), askStore.dropWorst(keeping: keep))
    }

    // MARK: - Comparing

    /// How many of the best `depth` price positions differ from `other` (a REST audit snapshot, best first).
    ///
    /// Both sides are walked together in price order, `depth` positions per side: a price on one side only,
    /// or with a different quantity, counts once. Walking by price rather than by index means one missing level
    /// counts as one difference, not as every level below it shifting. Pass a `depth` no larger than the
    /// depth `other` was fetched with, or levels beyond its end count as differences.
    public func divergence(from other: BookSnapshot, depth: Int) -> Int {
        bidStore.divergence(from: other.bids, depth: depth, ascending: true)
            + askStore.divergence(from: other.asks, depth: depth, ascending: false)
    }
}
