import CryptodModel

/// Where a trade fill starts: the id and time of the newest trade published before the gap.
struct TradeMark: Sendable, Hashable {
    var id: String
    var time: Timestamp
}

/// Trade ids already published per market, so that overlapping connections (make-before-break) and
/// REST gap-fills never publish a trade twice. Bounded: the oldest ids are forgotten first.
struct TradeDeduplicator: Sendable {
    private var seen: Set<String> = []
    private var order: [String] = []
    private var head = 0
    private let capacity: Int
    /// The newest trade published (gap-fill starts after it).
    private(set) var last: TradeMark?

    init(capacity: Int = 8192) { self.capacity = capacity }

    /// Starts from a trade published by an earlier run (its cursor): that one is not published again.
    init(after mark: TradeMark, capacity: Int = 8192) {
        self.capacity = capacity
        last = mark
        seen.insert(mark.id)
        order.append(mark.id)
    }

    /// The trades of `batch` not published before, in order; records them.
    mutating func admit(_ batch: [Trade]) -> [Trade] {
        var fresh: [Trade] = []
        for trade in batch where !seen.contains(trade.id) {
            // A REST page can reach back before everything kept here; anything older than the oldest trade
            // we remember and not in the set would be a re-publication of forgotten history.
            if let last, order.count - head >= capacity, trade.time < last.time { continue }
            seen.insert(trade.id)
            order.append(trade.id)
            fresh.append(trade)
            if last == nil || trade.time >= last!.time { last = TradeMark(id: trade.id, time: trade.time) }
        }
        while order.count - head > capacity {
            seen.remove(order[head])
            head += 1
        }
        if head > capacity {
            order.removeFirst(head)
            head = 0
        }
        return fresh
    }
}

/// Per (market, interval): the candles published, to close candles the exchange never marks closed
/// (WhiteBIT rows carry no flag: a candle is final once the next one opens) and to skip repeats.
struct CandleTracker: Sendable {
    private var current: Candle?
    private var lastClosed: Candle?

    /// The candles to publish for `candle`: the previous one as closed when this one opens a new period
    /// and the previous was never published closed, then this one unless it repeats what was published.
    mutating func admit(_ candle: Candle) -> [Candle] {
        var out: [Candle] = []
        if let current, current.openTime < candle.openTime, !current.isClosed,
            lastClosed.map({ $0.openTime < current.openTime }) ?? true
        {
            var closed = current
            closed.isClosed = true
            lastClosed = closed
            out.append(closed)
        }
        if candle.isClosed {
            if let lastClosed, lastClosed.openTime == candle.openTime, Self.sameValues(lastClosed, candle) {
                return out
            }
            if let lastClosed, lastClosed.openTime > candle.openTime { return out }
            lastClosed = candle
            current = candle
            out.append(candle)
            return out
        }
        if let lastClosed, candle.openTime <= lastClosed.openTime { return out }
        if let current, current.openTime > candle.openTime { return out }
        current = candle
        out.append(candle)
        return out
    }

    /// Open time of the newest candle seen (gap-fill starts there).
    var lastOpenTime: Timestamp? { current?.openTime ?? lastClosed?.openTime }

    static func sameValues(_ a: Candle, _ b: Candle) -> Bool {
        a.open.isIdentical(to: b.open) && a.high.isIdentical(to: b.high) && a.low.isIdentical(to: b.low)
            && a.close.isIdentical(to: b.close) && a.volume.isIdentical(to: b.volume)
    }
}

/// Folds partial tickers (Bybit linear deltas carry only the changed fields; WhiteBIT sends 24 h stats and
/// book tickers apart) into the full latest ticker per market.
struct TickerMerger: Sendable {
    private(set) var latest: Ticker?

    mutating func merge(_ update: Ticker) -> Ticker {
        guard var merged = latest else {
            latest = update
            return update
        }
        merged.time = max(merged.time, update.time)
        merged.receivedAt = update.receivedAt
        if let v = update.last { merged.last = v }
        if let v = update.lastQuantity { merged.lastQuantity = v }
        if let v = update.bid { merged.bid = v }
        if let v = update.bidQuantity { merged.bidQuantity = v }
        if let v = update.ask { merged.ask = v }
        if let v = update.askQuantity { merged.askQuantity = v }
        if let v = update.open { merged.open = v }
        if let v = update.high { merged.high = v }
        if let v = update.low { merged.low = v }
        if let v = update.volume { merged.volume = v }
        if let v = update.quoteVolume { merged.quoteVolume = v }
        if let v = update.changePercent { merged.changePercent = v }
        latest = merged
        return merged
    }
}
