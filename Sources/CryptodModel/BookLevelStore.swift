/// One side of an ``OrderBook`` in storage order (worst price first, best last), in as little memory as its
/// levels allow.
///
/// A ``BookLevel`` is 64 bytes (two ``ExactDecimal``s, each an `Int128` mantissa and a scale, padded to 16-byte
/// alignment). The prices and sizes the exchanges send have at most 17 significant digits and 31 decimals
/// (Binance prints 8), so a side is kept as ``PackedBookLevel``s of 16 bytes. At 500 markets the writer keeps
/// two copies of every book (its Redis and RabbitMQ sinks each render their own top-N) and the Binance
/// ingestor one, up to 5,000 levels a side: a heap profile put 100 of the writer's 124 MiB in these arrays.
/// A level that does not fit (18 to 38 digits, or 32 to 38 decimals) turns its side into ``BookLevel``s until
/// the next snapshot, so nothing is ever rounded.
struct BookLevelStore: Sendable {
    private enum Storage: Sendable {
        case packed([PackedBookLevel])
        case wide([BookLevel])
    }

    private var storage: Storage

    init() { self.storage = .packed([]) }

    /// `levels` (best first) in storage order, sorted and without zero quantities.
    ///
    /// Exchanges send levels sorted and without zeros; that is checked in one pass. Levels that are not are
    /// inserted one by one, so a later duplicate price wins and zeros remove.
    init(bestFirst levels: [BookLevel], ascending: Bool) {
        if let packed = Self.normalized(levels, as: PackedBookLevel.self, ascending: ascending) {
            self.storage = .packed(packed)
        } else {
            self.storage = .wide(Self.normalized(levels, as: BookLevel.self, ascending: ascending)!)
        }
    }

    /// True while every level is packed (16 bytes); false after a level that does not fit.
    var isPacked: Bool {
        if case .packed = storage { return true }
        return false
    }

    var count: Int {
        switch storage {
        case .packed(let levels): return levels.count
        case .wide(let levels): return levels.count
        }
    }

    var isEmpty: Bool { count == 0 }

    /// The best level.
    var best: BookLevel? {
        switch storage {
        case .packed(let levels): return levels.last?.level
        case .wide(let levels): return levels.last
        }
    }

    /// The best `n` levels (all for `nil`), best first.
    func bestFirst(_ n: Int? = nil) -> [BookLevel] {
        switch storage {
        case .packed(let levels): return levels.suffix(n ?? levels.count).reversed().map(\.level)
        case .wide(let levels): return Array(levels.suffix(n ?? levels.count).reversed())
        }
    }

    /// The quantity at `price`, or `nil` when there is no such level.
    func quantity(at price: ExactDecimal, ascending: Bool) -> ExactDecimal? {
        switch storage {
        case .packed(let levels):
            let (index, found) = Self.search(levels, price, ascending: ascending)
            return found ? levels[index].level.quantity : nil
        case .wide(let levels):
            let (index, found) = Self.search(levels, price, ascending: ascending)
            return found ? levels[index].quantity : nil
        }
    }

    /// Sets one level (quantity zero removes it) and returns the one that was at that price.
    @discardableResult
    mutating func set(_ level: BookLevel, ascending: Bool) -> BookLevel? {
        switch storage {
        case .packed(var levels):
            if let packed = PackedBookLevel(level) {
                storage = .packed([])  // keep the array uniquely referenced while it changes
                defer { storage = .packed(levels) }
                return Self.set(packed, in: &levels, ascending: ascending)?.level
            }
            // More digits than a packed level holds: this side becomes wide, exactly as it was.
            var wide = levels.map(\.level)
            storage = .wide([])
            defer { storage = .wide(wide) }
            return Self.set(level, in: &wide, ascending: ascending)
        case .wide(var levels):
            storage = .wide([])
            defer { storage = .wide(levels) }
            return Self.set(level, in: &levels, ascending: ascending)
        }
    }

    /// Drops the worst levels beyond `depth` and returns them, best first.
    mutating func dropWorst(keeping depth: Int) -> [BookLevel] {
        let excess = count - depth
        guard excess > 0 else { return [] }
        switch storage {
        case .packed(var levels):
            let removed = levels[0..<excess].reversed().map(\.level)
            storage = .packed([])
            levels.removeFirst(excess)
            storage = .packed(levels)
            return removed
        case .wide(var levels):
            let removed = Array(levels[0..<excess].reversed())
            storage = .wide([])
            levels.removeFirst(excess)
            storage = .wide(levels)
            return removed
        }
    }

    /// How many of the best `depth` price positions differ from `other` (best first); see
    /// ``OrderBook/divergence(from:depth:)``.
    func divergence(from other: [BookLevel], depth: Int, ascending: Bool) -> Int {
        switch storage {
        case .packed(let levels): return Self.divergence(levels, other, depth: depth, ascending: ascending)
        case .wide(let levels): return Self.divergence(levels, other, depth: depth, ascending: ascending)
        }
    }

    // MARK: - Algorithms over either layout

    /// The comparison result of `a` against `b` in storage order (worst first).
    @inline(__always)
    private static func order(_ a: ExactDecimal, _ b: ExactDecimal, ascending: Bool) -> Int {
        let result = ExactDecimal.compare(a, b)
        return ascending ? result : -result
    }

    /// Bisection: the index of `price`, or where it would be inserted.
    @inline(__always)
    private static func search<Level: StoredBookLevel>(
        _ store: [Level], _ price: ExactDecimal, ascending: Bool
    ) -> (Int, Bool) {
        var low = 0
        var high = store.count
        while low < high {
            let middle = (low &+ high) >> 1
            let result = store[middle].comparePrice(to: price)
            let ordered = ascending ? result : -result
            if ordered < 0 {
                low = middle + 1
            } else if ordered > 0 {
                high = middle
            } else {
                return (middle, true)
            }
        }
        return (low, false)
    }

    @discardableResult
    private static func set<Level: StoredBookLevel>(_ level: Level, in store: inout [Level], ascending: Bool) -> Level?
    {
        let (index, found) = search(store, level.price, ascending: ascending)
        if level.isRemoval {
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

    /// `levels` (best first) in storage order as `Level`s, or `nil` when one cannot be stored that way.
    private static func normalized<Level: StoredBookLevel>(
        _ levels: [BookLevel], as _: Level.Type, ascending: Bool
    ) -> [Level]? {
        var store: [Level] = []
        store.reserveCapacity(levels.count)
        var sorted = true
        for level in levels.reversed() {
            if level.quantity.isZero { continue }
            guard let stored = Level(level) else { return nil }
            if let last = store.last, order(last.price, level.price, ascending: ascending) >= 0 {
                sorted = false
                break
            }
            store.append(stored)
        }
        if sorted { return store }
        // Slow path: unsorted or repeated prices. Insert one by one so a later duplicate overwrites.
        store.removeAll(keepingCapacity: true)
        for level in levels {
            guard let stored = Level(level) else { return nil }
            set(stored, in: &store, ascending: ascending)
        }
        return store
    }

    private static func divergence<Level: StoredBookLevel>(
        _ store: [Level], _ other: [BookLevel], depth: Int, ascending: Bool
    ) -> Int {
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
                    if store[mine].level.quantity != other[theirs].quantity { differences += 1 }
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

// MARK: - Equality (numeric, whatever the layout)

extension BookLevelStore: Hashable {
    static func == (lhs: BookLevelStore, rhs: BookLevelStore) -> Bool {
        switch (lhs.storage, rhs.storage) {
        case (.packed(let a), .packed(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.level == $1.level }
        default:
            return lhs.count == rhs.count && lhs.bestFirst() == rhs.bestFirst()
        }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        switch storage {
        case .packed(let levels): for level in levels { hasher.combine(level.level) }
        case .wide(let levels): for level in levels { hasher.combine(level) }
        }
    }
}

// MARK: - Level layouts

/// What the book's algorithms need of a stored level.
private protocol StoredBookLevel: Sendable {
    /// The level in this layout, or `nil` when it does not fit.
    init?(_ level: BookLevel)
    var level: BookLevel { get }
    var price: ExactDecimal { get }
    var isRemoval: Bool { get }
    /// -1, 0 or 1: this level's price against `price`.
    func comparePrice(to price: ExactDecimal) -> Int
}

extension BookLevel: StoredBookLevel {
    fileprivate init?(_ level: BookLevel) { self = level }
    fileprivate var level: BookLevel { self }
    fileprivate var isRemoval: Bool { quantity.isZero }

    @inline(__always)
    fileprivate func comparePrice(to other: ExactDecimal) -> Int { ExactDecimal.compare(price, other) }
}

/// A level in 16 bytes: price and quantity each one `Int64` holding the mantissa shifted left by 5 bits and the
/// scale in those 5 bits, so each keeps its own text (`"0.00010000"` prints back unchanged). It takes a
/// mantissa of magnitude under 2^58 (every number of up to 17 digits) and a scale up to 31.
///
/// Two encodings with the same scale order as their mantissas, so the usual comparison (one market's prices
/// printed with one scale) is one `Int64` comparison.
struct PackedBookLevel: Sendable, StoredBookLevel {
    private var packedPrice: Int64
    private var packedQuantity: Int64

    private static let scaleBits = 5
    private static let scaleMask: Int64 = (1 << 5) - 1
    private static let mantissaLimit: Int128 = 1 << 58

    private static func pack(_ value: ExactDecimal) -> Int64? {
        guard value.mantissa.magnitude < Self.mantissaLimit.magnitude, Int64(value.scale) <= Self.scaleMask else {
            return nil
        }
        return Int64(value.mantissa) << Self.scaleBits | Int64(value.scale)
    }

    @inline(__always)
    private static func unpack(_ packed: Int64) -> ExactDecimal {
        ExactDecimal(uncheckedMantissa: Int128(packed >> Self.scaleBits), scale: UInt8(packed & Self.scaleMask))
    }

    init?(_ level: BookLevel) {
        guard let price = Self.pack(level.price), let quantity = Self.pack(level.quantity) else { return nil }
        self.packedPrice = price
        self.packedQuantity = quantity
    }

    var price: ExactDecimal { Self.unpack(packedPrice) }
    var quantity: ExactDecimal { Self.unpack(packedQuantity) }
    var level: BookLevel { BookLevel(price: price, quantity: quantity) }
    var isRemoval: Bool { packedQuantity >> Self.scaleBits == 0 }

    @inline(__always)
    func comparePrice(to other: ExactDecimal) -> Int {
        if packedPrice & Self.scaleMask == Int64(other.scale) {
            let mine = Int128(packedPrice >> Self.scaleBits)
            return mine == other.mantissa ? 0 : (mine < other.mantissa ? -1 : 1)
        }
        return ExactDecimal.compare(price, other)
    }
}
