import Synchronization

/// The last published state of every order-book and ticker topic, shared by the publisher (on the
/// broadcaster's loop) and the sessions (on connection loops).
///
/// A new subscriber's snapshot is the stored state, and every later delta is the difference from the
/// stored state, both decided under one lock: a snapshot followed by the deltas published after it
/// is always the published book, however the event loops interleave. Each message carries a push
/// number (`StreamMessage.firstUpdateId`); a session drops the in-flight messages its snapshot
/// already covers.
final class BybitTopicStore: Sendable {
    /// The top levels of a book as last published.
    struct BookView: Sendable, Equatable {
        var bids: [BookLevel]
        var asks: [BookLevel]
        /// Engine update id and engine time of the view.
        var seq: Int64
        var time: Int64
    }

    /// One order-book message to render.
    struct BookMessage: Sendable {
        var isSnapshot: Bool
        /// Every level of a snapshot; the changed levels of a delta (size 0: removed), best first.
        var bids: [BookLevel]
        var asks: [BookLevel]
        var u: Int64
        var seq: Int64
        var cts: Int64
        var push: Int64
    }

    /// One ticker message to render: a snapshot, or a delta of the `changed` fields (with the symbol).
    struct TickerMessage: Sendable {
        var isSnapshot: Bool
        var values: [String]
        var changed: [Int]
        var cs: Int64
        var push: Int64
    }

    private struct Book {
        var view: BookView
        var u: Int64
        var push: Int64
        var pushedAt: UInt64
        var seenAt: UInt64
        var restart = false

        var snapshot: BookMessage {
            BookMessage(
                isSnapshot: true, bids: self.view.bids, asks: self.view.asks, u: self.u, seq: self.view.seq,
                cts: self.view.time, push: self.push)
        }
    }

    private struct Ticker {
        var values: [String]
        var cs: Int64
        var push: Int64
        var seenAt: UInt64
    }

    private struct State {
        var books: [StreamKey: Book] = [:]
        var tickers: [StreamKey: Ticker] = [:]
        /// Last `u` per order-book topic, kept when the topic is idle so `u` never goes back.
        var counters: [StreamKey: Int64] = [:]
        var pushes: Int64 = 0
    }

    /// Level 1 re-sends its unchanged snapshot after this long (real time, bybit.md §5).
    static let levelOneRepeatNanos: UInt64 = 3_000_000_000
    /// Idle topics are forgotten after this long without subscribers.
    private static let graceNanos: UInt64 = 2_000_000_000

    private let state = Mutex(State())

    init() {}

    // MARK: - Order books

    private static func create(
        _ state: inout State, _ key: StreamKey, view: BookView, wall: UInt64, u: Int64? = nil
    ) -> Book {
        // A topic seen for the first time starts at the engine's update id: a plausible magnitude.
        let u = u ?? state.counters[key].map { $0 + 1 } ?? view.seq
        state.counters[key] = u
        state.pushes += 1
        let book = Book(view: view, u: u, push: state.pushes, pushedAt: wall, seenAt: wall)
        state.books[key] = book
        return book
    }

    /// The snapshot a new subscriber starts from (the topic is created if nobody held it).
    func subscribeBook(_ key: StreamKey, wall: UInt64, make: () -> BookView) -> BookMessage {
        self.state.withLock { state in
            if var book = state.books[key] {
                book.seenAt = wall
                state.books[key] = book
                return book.snapshot
            }
            return Self.create(&state, key, view: make(), wall: wall).snapshot
        }
    }

    /// The next message of a subscribed topic at its push time, or nil when there is nothing to send.
    /// Level 1 sends snapshots only; other depths send the levels that changed.
    func updateBook(_ key: StreamKey, depth: UInt32, wall: UInt64, make: () -> BookView) -> BookMessage? {
        self.state.withLock { state in
            guard var book = state.books[key] else {
                return Self.create(&state, key, view: make(), wall: wall).snapshot
            }
            let view = make()
            if book.restart {
                return Self.create(&state, key, view: view, wall: wall, u: 1).snapshot
            }
            book.seenAt = wall
            let bids = Self.diff(book.view.bids, view.bids, descending: true)
            let asks = Self.diff(book.view.asks, view.asks, descending: false)
            if bids.isEmpty && asks.isEmpty {
                guard depth == 1, wall &- book.pushedAt >= Self.levelOneRepeatNanos else {
                    state.books[key] = book
                    return nil
                }
                // Unchanged for 3 s: the same snapshot again, with the same `u`.
                state.pushes += 1
                book.push = state.pushes
                book.pushedAt = wall
                state.books[key] = book
                return book.snapshot
            }
            state.pushes += 1
            book.push = state.pushes
            book.pushedAt = wall
            book.u += 1
            book.view = view
            state.counters[key] = book.u
            state.books[key] = book
            guard depth != 1 else { return book.snapshot }
            return BookMessage(
                isSnapshot: false, bids: bids, asks: asks, u: book.u, seq: view.seq, cts: view.time, push: book.push)
        }
    }

    /// The changes turning `old` into `new` (both best first), best first; removals have size 0.
    static func diff(_ old: [BookLevel], _ new: [BookLevel], descending: Bool) -> [BookLevel] {
        var changes: [BookLevel] = []
        var i = 0
        var j = 0
        func before(_ a: Int64, _ b: Int64) -> Bool { descending ? a > b : a < b }
        while i < old.count || j < new.count {
            if j == new.count || (i < old.count && before(old[i].price, new[j].price)) {
                changes.append(BookLevel(price: old[i].price, quantity: 0))
                i += 1
            } else if i == old.count || before(new[j].price, old[i].price) {
                changes.append(new[j])
                j += 1
            } else {
                if old[i].quantity != new[j].quantity { changes.append(new[j]) }
                i += 1
                j += 1
            }
        }
        return changes
    }

    /// Marks matching order-book topics as restarted: their next message is a snapshot with `u` = 1.
    func restartBooks(where matches: (StreamKey) -> Bool) -> Int {
        self.state.withLock { state in
            var count = 0
            for key in Array(state.books.keys) where matches(key) {
                state.books[key]?.restart = true
                count += 1
            }
            return count
        }
    }

    // MARK: - Tickers

    /// The snapshot a new ticker subscriber starts from.
    func subscribeTicker(_ key: StreamKey, wall: UInt64, make: () -> (values: [String], cs: Int64)) -> TickerMessage {
        self.state.withLock { state in
            if var ticker = state.tickers[key] {
                ticker.seenAt = wall
                state.tickers[key] = ticker
                return TickerMessage(
                    isSnapshot: true, values: ticker.values, changed: [], cs: ticker.cs, push: ticker.push)
            }
            let (values, cs) = make()
            state.pushes += 1
            state.tickers[key] = Ticker(values: values, cs: cs, push: state.pushes, seenAt: wall)
            return TickerMessage(isSnapshot: true, values: values, changed: [], cs: cs, push: state.pushes)
        }
    }

    /// The next ticker message when a field changed: a snapshot (spot) or a delta (`deltas`, linear).
    func updateTicker(
        _ key: StreamKey, deltas: Bool, wall: UInt64, make: () -> (values: [String], cs: Int64)
    ) -> TickerMessage? {
        self.state.withLock { state in
            let (values, cs) = make()
            guard var ticker = state.tickers[key] else {
                state.pushes += 1
                state.tickers[key] = Ticker(values: values, cs: cs, push: state.pushes, seenAt: wall)
                return TickerMessage(isSnapshot: true, values: values, changed: [], cs: cs, push: state.pushes)
            }
            ticker.seenAt = wall
            let changed = values.indices.filter { $0 > 0 && values[$0] != ticker.values[$0] }
            guard !changed.isEmpty else {
                state.tickers[key] = ticker
                return nil
            }
            state.pushes += 1
            ticker = Ticker(values: values, cs: cs, push: state.pushes, seenAt: wall)
            state.tickers[key] = ticker
            return TickerMessage(isSnapshot: !deltas, values: values, changed: [0] + changed, cs: cs, push: ticker.push)
        }
    }

    // MARK: - Housekeeping

    /// Forgets topics that have had no subscribers for a while (their `u` counters stay).
    func sweep(active: ActiveStreams, wall: UInt64) {
        self.state.withLock { state in
            state.books = state.books.filter { active.contains($0.key) || wall &- $0.value.seenAt < Self.graceNanos }
            state.tickers = state.tickers.filter {
                active.contains($0.key) || wall &- $0.value.seenAt < Self.graceNanos
            }
        }
    }
}
