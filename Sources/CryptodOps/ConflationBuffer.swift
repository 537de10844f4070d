import CryptodModel

/// The conflation buffers of one publisher: tickers and order-book deltas, per market, held to a rate the
/// performance mode and the throttle set. Pure (the clock is passed in); the ingestor runs one in front of
/// its streams, so the writer, Redis, RabbitMQ and WebSocket clients all see the same, lighter flow.
///
/// **The rule.** Each market has windows of `maxAge` (effective) milliseconds. Within a window its first
/// `maxSize` updates are published at once, with no delay; later ones wait, folded into one pending update
/// (a ticker: the latest replaces it; a book delta: the levels are merged, the latest quantity of a price
/// winning, and the update-id range spans both, so the merged delta still joins the book exactly). When the
/// window ends (``due(now:)``) the pending update is published and opens the next window. A market never
/// publishes more than `maxSize` updates per `maxAge`, and a quiet market gets no added latency.
///
/// Never buffered: trades, candles, instrument lists. A book snapshot replaces the market's pending delta and
/// goes out at once; a gap or a status of a market first flushes that market's pending updates, so per
/// market the order of events is kept.
///
/// **Held** (an emergency stop): nothing buffered is published; the latest per market waits until
/// ``release(now:)``, which publishes it all.
package struct ConflationBuffer: Sendable {
    package struct Counters: Sendable, Equatable {
        package var passed: UInt64 = 0
        package var flushes: UInt64 = 0
        package var conflated: UInt64 = 0

        package init(passed: UInt64 = 0, flushes: UInt64 = 0, conflated: UInt64 = 0) {
            self.passed = passed
            self.flushes = flushes
            self.conflated = conflated
        }
    }

    private struct Key: Hashable {
        var kind: BufferedKind
        var market: MarketKey
    }

    private struct Slot {
        var windowStart: Int64
        var published: Int
        var pending: MarketEvent?
        var folded: Int = 0
    }

    package private(set) var limits: [BufferedKind: BufferLimits]
    package private(set) var throttlePercent: Int = 0
    package private(set) var held = false
    package private(set) var counters: [BufferedKind: Counters] = [:]
    private var slots: [Key: Slot] = [:]
    private var pendingCount: [BufferedKind: Int] = [:]

    package init(profile: PerformanceProfile) {
        limits = profile.buffers
    }

    // MARK: - Settings

    package mutating func apply(profile: PerformanceProfile) { limits = profile.buffers }

    /// 0 (nothing shed) to 99 (a hundredth of the mode's rate); an emergency stop is ``hold()``.
    package mutating func setThrottle(percent: Int) { throttlePercent = Swift.min(99, Swift.max(0, percent)) }

    package mutating func hold() { held = true }

    /// Ends a hold: every pending update is published now.
    package mutating func release(now: Int64) -> [MarketEvent] {
        held = false
        return flush(now: now) { _ in true }
    }

    /// The limits as the throttle stretches them: the allowance shrinks first (never below one update), then
    /// the window grows, so the rate per market is `(100 − p) %` of the mode's.
    package func effective(_ kind: BufferedKind) -> BufferLimits {
        Self.effective(
            limits[kind] ?? BufferLimits(maxSize: 1, maxAgeMilliseconds: 0), throttlePercent: throttlePercent)
    }

    package static func effective(_ limits: BufferLimits, throttlePercent: Int) -> BufferLimits {
        guard throttlePercent > 0, limits.maxAgeMilliseconds > 0 else { return limits }
        let share = Double(100 - throttlePercent) / 100  // counts, not prices: Double is fine here
        let wanted = Double(limits.maxSize) * share
        let allowance = Swift.max(1, Int(wanted.rounded(.down)))
        let age = Double(limits.maxAgeMilliseconds) * Double(allowance) / wanted
        return BufferLimits(maxSize: allowance, maxAgeMilliseconds: Int(age.rounded()))
    }

    /// Markets with an update waiting, per kind.
    package func pending(_ kind: BufferedKind) -> Int { pendingCount[kind] ?? 0 }

    // MARK: - Flow

    /// Takes one event at `now` (milliseconds on any monotonic clock); returns the events to publish now, in
    /// order.
    package mutating func offer(_ event: MarketEvent, now: Int64) -> [MarketEvent] {
        switch event {
        case .ticker(let ticker):
            return offer(event, kind: .ticker, market: ticker.market, now: now)
        case .bookDelta(let delta):
            return offer(event, kind: .orderbook, market: delta.market, now: now)
        case .bookSnapshot(let snapshot):
            // The snapshot supersedes whatever delta was waiting: a client replaces its book with it.
            let key = Key(kind: .orderbook, market: snapshot.market)
            if var slot = slots[key], slot.pending != nil {
                counters[.orderbook, default: Counters()].conflated += UInt64(slot.folded)
                slot.pending = nil
                slot.folded = 0
                slots[key] = slot
                pendingCount[.orderbook, default: 0] -= 1
            }
            return [event]
        case .gap, .status:
            guard let market = event.market else { return [event] }
            return flush(now: now) { $0.market == market } + [event]
        case .trades, .candle, .instruments:
            return [event]
        }
    }

    /// The pending updates whose window has ended, published now (call every few milliseconds).
    package mutating func due(now: Int64) -> [MarketEvent] {
        guard !held else { return [] }
        var ended: Set<Key> = []
        for (key, slot) in slots where slot.pending != nil {
            if now - slot.windowStart >= Int64(effective(key.kind).maxAgeMilliseconds) { ended.insert(key) }
        }
        guard !ended.isEmpty else { return [] }
        return flush(now: now) { ended.contains($0) }
    }

    private mutating func offer(
        _ event: MarketEvent, kind: BufferedKind, market: MarketKey, now: Int64
    ) -> [MarketEvent] {
        let limits = effective(kind)
        let key = Key(kind: kind, market: market)
        if limits.maxAgeMilliseconds <= 0, !held {
            counters[kind, default: Counters()].passed += 1
            return [event]
        }
        var slot = slots[key] ?? Slot(windowStart: now, published: 0)
        var out: [MarketEvent] = []
        if !held, now - slot.windowStart >= Int64(limits.maxAgeMilliseconds) {
            // The window ended before the timer saw it: publish what waited, then open a new window.
            if let pending = slot.pending {
                out.append(pending)
                counters[kind, default: Counters()].flushes += 1
                pendingCount[kind, default: 0] -= 1
                slot = Slot(windowStart: now, published: 1)
            } else {
                slot = Slot(windowStart: now, published: 0)
            }
        }
        if !held, slot.pending == nil, slot.published < limits.maxSize {
            slot.published += 1
            counters[kind, default: Counters()].passed += 1
            slots[key] = slot
            out.append(event)
            return out
        }
        if let pending = slot.pending {
            slot.pending = Self.fold(pending, event)
            slot.folded += 1
        } else {
            slot.pending = event
            pendingCount[kind, default: 0] += 1
        }
        slots[key] = slot
        return out
    }

    private mutating func flush(now: Int64, where include: (Key) -> Bool) -> [MarketEvent] {
        var out: [(Key, MarketEvent)] = []
        for (key, slot) in slots where slot.pending != nil && include(key) {
            guard let pending = slot.pending else { continue }
            out.append((key, pending))
            counters[key.kind, default: Counters()].flushes += 1
            counters[key.kind, default: Counters()].conflated += UInt64(slot.folded)
            pendingCount[key.kind, default: 0] -= 1
            slots[key] = Slot(windowStart: now, published: 1)
        }
        // Stable output: books before tickers, markets in order.
        return out.sorted { ($0.0.kind.rawValue, $0.0.market) < ($1.0.kind.rawValue, $1.0.market) }.map(\.1)
    }

    /// `later` folded into `earlier` (same kind and market).
    static func fold(_ earlier: MarketEvent, _ later: MarketEvent) -> MarketEvent {
        guard case .bookDelta(let first) = earlier, case .bookDelta(let second) = later else { return later }
        var merged = second
        merged.firstUpdateID = first.firstUpdateID
        merged.previousUpdateID = first.previousUpdateID
        merged.bids = mergeLevels(first.bids, second.bids)
        merged.asks = mergeLevels(first.asks, second.asks)
        return .bookDelta(merged)
    }

    /// The levels of both, the later quantity winning for a price; prices in the order first seen.
    static func mergeLevels(_ earlier: [BookLevel], _ later: [BookLevel]) -> [BookLevel] {
        guard !earlier.isEmpty else { return later }
        var result = earlier
        var index: [ExactDecimal: Int] = [:]
        for (position, level) in earlier.enumerated() { index[level.price] = position }
        for level in later {
            if let position = index[level.price] {
                result[position] = level
            } else {
                index[level.price] = result.count
                result.append(level)
            }
        }
        return result
    }
}
