import CryptodModel

/// Folds books and tickers per market to at most one message per `interval`; the latest state wins.
///
/// The first update of a market after a quiet interval goes out at once; updates within the interval replace
/// the pending one and raise its `count`, which the message carries as `conflated`. Pending updates go out on
/// the sink's timer or the next write, whichever comes first after the interval (``due(now:force:)``).
/// Candles and trades never come here: they are never dropped.
struct RabbitMQConflator {
    enum Kind: Int, Hashable, Comparable {
        case ticker
        case book

        static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    struct Key: Hashable {
        var kind: Kind
        var market: MarketKey
    }

    enum Value {
        case ticker(Ticker)
        /// The book itself lives with the publisher; the update only says when it arrived.
        case book(receivedAt: Timestamp, origin: DataOrigin)
    }

    struct Update {
        var key: Key
        var value: Value
        /// The id of the latest update folded in.
        var eventID: String
        /// How many updates this one stands for (≥ 1).
        var count: Int
    }

    private struct Slot {
        var lastPublished: ContinuousClock.Instant?
        var pending: Update?
    }

    let interval: Duration
    private var slots: [Key: Slot] = [:]
    private(set) var pendingCount = 0

    init(interval: Duration) { self.interval = interval }

    /// Takes one update; returns what to publish now (it, with any pending updates folded in), or `nil` when
    /// it waits for the interval to end.
    mutating func offer(_ update: Update, now: ContinuousClock.Instant) -> Update? {
        var slot = slots[update.key] ?? Slot()
        var merged = update
        if let pending = slot.pending {
            merged.count += pending.count
            pendingCount -= 1
        }
        if interval == .zero || slot.lastPublished.map({ now - $0 >= interval }) ?? true {
            slot.pending = nil
            slot.lastPublished = now
            slots[update.key] = slot
            return merged
        }
        slot.pending = merged
        pendingCount += 1
        slots[update.key] = slot
        return nil
    }

    /// The pending updates whose interval has passed (all of them with `force`), in market order.
    mutating func due(now: ContinuousClock.Instant, force: Bool) -> [Update] {
        guard pendingCount > 0 else { return [] }
        var ready: [Update] = []
        for (key, slot) in slots {
            guard let pending = slot.pending else { continue }
            guard force || slot.lastPublished.map({ now - $0 >= interval }) ?? true else { continue }
            ready.append(pending)
            slots[key] = Slot(lastPublished: now, pending: nil)
        }
        pendingCount -= ready.count
        return ready.sorted { ($0.key.market, $0.key.kind) < ($1.key.market, $1.key.kind) }
    }

    /// Puts back updates whose publish failed, so they go out first once the broker is back; an update that
    /// arrived meanwhile stays the latest and absorbs their count.
    mutating func restore(_ updates: [Update]) {
        for update in updates {
            var slot = slots[update.key] ?? Slot()
            if var pending = slot.pending {
                pending.count += update.count
                slot.pending = pending
            } else {
                slot.pending = update
                pendingCount += 1
            }
            slot.lastPublished = nil
            slots[update.key] = slot
        }
    }
}
