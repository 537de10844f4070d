/// One price level change, with the quantity before and after (so history can be undone).
package struct LevelChange: Sendable, Equatable {
    package var updateId: Int64
    package var tick: Int64
    package var old: Int64
    package var new: Int64
    package var isBid: Bool
}

/// A price level as published: price and quantity in units.
package struct BookLevel: Sendable, Equatable {
    package var price: Int64
    package var quantity: Int64

    package init(price: Int64, quantity: Int64) {
        self.price = price
        self.quantity = quantity
    }
}

/// One side of a live book: a window of `window` consecutive ticks starting at the anchor (the
/// quoted best price) and extending away from the spread.
///
/// Slots are a ring indexed by `tick mod window`, so moving the anchor by k ticks touches only the k
/// ticks that leave and the k that enter. A slot holding 0 is an empty price.
package struct BookSide: Sendable {
    package let isBid: Bool
    package let window: Int64
    package private(set) var anchor: Int64
    private var slots: [Int64]

    package init(isBid: Bool, window: Int64, anchor: Int64, implicit: (Int64) -> Int64) {
        self.isBid = isBid
        self.window = max(1, window)
        self.anchor = anchor
        self.slots = [Int64](repeating: 0, count: Int(self.window))
        for offset in 0..<self.window {
            let tick = self.tick(atDepth: offset)
            if tick > 0 { self.slots[self.slot(tick)] = implicit(tick) }
        }
    }

    @inline(__always)
    private func slot(_ tick: Int64) -> Int {
        Int(tick - DetMath.floorDiv(tick, self.window) * self.window)
    }

    /// The tick `depth` steps away from the anchor, away from the spread.
    @inline(__always)
    package func tick(atDepth depth: Int64) -> Int64 {
        self.isBid ? self.anchor - depth : self.anchor + depth
    }

    /// True when `tick` lies inside the window.
    @inline(__always)
    package func contains(_ tick: Int64) -> Bool {
        let depth = self.isBid ? self.anchor - tick : tick - self.anchor
        return depth >= 0 && depth < self.window && tick > 0
    }

    /// Quantity resting at `tick` (0 when empty or outside the window).
    @inline(__always)
    package func quantity(at tick: Int64) -> Int64 {
        self.contains(tick) ? self.slots[self.slot(tick)] : 0
    }

    /// Sets the quantity at a tick inside the window, recording the change if it differs.
    package mutating func set(_ tick: Int64, to quantity: Int64, updateId: Int64, changes: inout [LevelChange]) {
        guard self.contains(tick) else { return }
        let index = self.slot(tick)
        let old = self.slots[index]
        guard old != quantity else { return }
        self.slots[index] = quantity
        changes.append(LevelChange(updateId: updateId, tick: tick, old: old, new: quantity, isBid: self.isBid))
    }

    /// Moves the anchor: ticks leaving the window are emptied, ticks entering get `implicit(tick)`.
    package mutating func moveAnchor(
        to newAnchor: Int64, updateId: Int64, implicit: (Int64) -> Int64, changes: inout [LevelChange]
    ) {
        guard newAnchor != self.anchor else { return }
        let shift = newAnchor - self.anchor
        let outward: Bool = self.isBid ? shift < 0 : shift > 0  // moving away from the spread
        if shift.magnitude >= UInt64(self.window) {
            for depth in 0..<self.window {
                self.set(self.tick(atDepth: depth), to: 0, updateId: updateId, changes: &changes)
            }
            self.anchor = newAnchor
            for depth in 0..<self.window {
                let tick = self.tick(atDepth: depth)
                if tick > 0 { self.set(tick, to: implicit(tick), updateId: updateId, changes: &changes) }
            }
            return
        }
        let count = Int64(shift.magnitude)
        // Leaving: the inner `count` ticks when moving outward (they now cross or sit in the
        // spread), the outer `count` ticks when moving inward. All leave before any enter, because
        // an entering tick reuses a leaving tick's slot.
        var leaving: [Int64] = []
        leaving.reserveCapacity(Int(count))
        for index in 0..<count {
            leaving.append(outward ? self.tick(atDepth: index) : self.tick(atDepth: self.window - 1 - index))
        }
        for tick in leaving { self.set(tick, to: 0, updateId: updateId, changes: &changes) }
        self.anchor = newAnchor
        for index in 0..<count {
            // Entering: the new outer ticks when moving outward, the new inner ticks when inward.
            let tick = outward ? self.tick(atDepth: self.window - 1 - index) : self.tick(atDepth: index)
            if tick > 0 { self.set(tick, to: implicit(tick), updateId: updateId, changes: &changes) }
        }
    }

    /// The best non-empty level (tick, quantity), if any.
    package func best() -> (tick: Int64, quantity: Int64)? {
        for depth in 0..<self.window {
            let tick = self.tick(atDepth: depth)
            guard tick > 0 else { return nil }
            let quantity = self.slots[self.slot(tick)]
            if quantity > 0 { return (tick, quantity) }
        }
        return nil
    }

    /// Up to `limit` non-empty levels from the best outward, as prices (units).
    package func levels(limit: Int, tickSize: Int64) -> [BookLevel] {
        var out: [BookLevel] = []
        out.reserveCapacity(min(limit, Int(self.window)))
        var depth: Int64 = 0
        while depth < self.window && out.count < limit {
            let tick = self.tick(atDepth: depth)
            if tick <= 0 { break }
            let quantity = self.slots[self.slot(tick)]
            if quantity > 0 { out.append(BookLevel(price: tick * tickSize, quantity: quantity)) }
            depth += 1
        }
        return out
    }

    /// Every non-empty level as tick → quantity.
    package func allLevels() -> [Int64: Int64] {
        var out: [Int64: Int64] = [:]
        for depth in 0..<self.window {
            let tick = self.tick(atDepth: depth)
            if tick <= 0 { break }
            let quantity = self.slots[self.slot(tick)]
            if quantity > 0 { out[tick] = quantity }
        }
        return out
    }
}
