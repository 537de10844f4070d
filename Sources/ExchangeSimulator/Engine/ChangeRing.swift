/// The recent level changes of one book, oldest first, bounded.
///
/// Ground truth ("the book at update id X") is the current book with every change after X undone,
/// so the ring only needs to reach back to X; `droppedThrough` says how far back that is possible.
package struct ChangeRing: Sendable {
    private var storage: [LevelChange] = []
    private var head = 0
    package let capacity: Int
    /// Highest update id some of whose changes were evicted; books at ids below it cannot be rebuilt.
    package private(set) var droppedThrough: Int64

    package init(capacity: Int, startUpdateId: Int64) {
        self.capacity = max(16, capacity)
        self.droppedThrough = startUpdateId
    }

    package var count: Int { self.storage.count }

    package mutating func append(_ change: LevelChange) {
        if self.storage.count < self.capacity {
            self.storage.append(change)
            return
        }
        let evicted = self.storage[self.head]
        self.droppedThrough = max(self.droppedThrough, evicted.updateId)
        self.storage[self.head] = change
        self.head = (self.head + 1) % self.capacity
    }

    /// Changes newest first while `predicate` holds.
    package func newestFirst(while predicate: (LevelChange) -> Bool, _ body: (LevelChange) -> Void) {
        var remaining = self.storage.count
        var index = (self.head - 1 + self.storage.count) % max(1, self.storage.count)
        while remaining > 0 {
            let change = self.storage[index]
            guard predicate(change) else { return }
            body(change)
            remaining -= 1
            index = (index - 1 + self.storage.count) % self.storage.count
        }
    }
}
