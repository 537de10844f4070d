/// The live state of one market: its book, update id and position in the trade tape.
///
/// All mutation goes through `MarketEngine`, under its lock. The market's next events are the
/// next order of its history (fixed by the hash) and the next background update on a fixed grid of
/// simulated time, so two engines started at the same time and driven to the same time hold the
/// same book, whatever their tick rate.
struct LiveMarket {
    let index: Int
    let spec: MarketSpec
    let key: UInt64
    var bids: BookSide
    var asks: BookSide
    var updateId: Int64
    /// Simulated time processed so far.
    var time: Int64
    /// Tape being consumed, and the index of its next order.
    var tape: MinuteTape
    var cursor: Int
    var nextChurn: Int64
    var history: ChangeRing
    /// Best bid and ask after the last committed step (bookTicker fires when they change).
    var lastTouch: (bid: BookLevel, ask: BookLevel)

    init(index: Int, history market: MarketHistory, start: Int64, config: EngineConfig) {
        let entry = market.markets[index]
        self.index = index
        self.spec = entry.spec
        self.key = entry.key
        let quote = entry.path.quote(at: start)
        let key = entry.key
        let lots = entry.spec.typicalLots
        let lot = entry.spec.lotSize
        self.bids = BookSide(isBid: true, window: config.bookWindow, anchor: quote.bid) {
            Self.implicitQuantity(key: key, tick: $0, isBid: true, typicalLots: lots, lot: lot)
        }
        self.asks = BookSide(isBid: false, window: config.bookWindow, anchor: quote.ask) {
            Self.implicitQuantity(key: key, tick: $0, isBid: false, typicalLots: lots, lot: lot)
        }
        // Update ids grow by about 20 a second over the market's life: plausible magnitudes, and a
        // pure function of the start time.
        self.updateId = max(1, (start - entry.spec.listedAt) / 50)
        self.time = start
        let minute = DetMath.floorDiv(start, CandleInterval.minute)
        self.tape = market.tape(market: index, minute: minute)
        self.cursor = self.tape.orders.firstIndex { $0.time > start } ?? self.tape.orders.count
        let phase = Int64(key % UInt64(max(1, config.churnIntervalMs)))
        let interval = max(1, config.churnIntervalMs)
        self.nextChurn = DetMath.floorDiv(start - phase, interval) * interval + phase + interval
        self.history = ChangeRing(
            capacity: config.bookHistoryCapacity(markets: market.markets.count), startUpdateId: self.updateId)
        self.lastTouch = (BookLevel(price: 0, quantity: 0), BookLevel(price: 0, quantity: 0))
        self.forceTouch()
        self.lastTouch = self.touch
    }

    /// Size of a level that appears at `tick` (0 for the hashed holes in the book).
    static func implicitQuantity(key: UInt64, tick: Int64, isBid: Bool, typicalLots: Int64, lot: Int64) -> Int64 {
        let h = SimHash.hash(key, .bookLevel, tick, isBid ? 1 : 2)
        if h % 11 == 0 { return 0 }
        let lots = max(1, typicalLots) * Int64(1 + (h >> 8) % 12) + Int64((h >> 16) % UInt64(max(1, typicalLots)))
        return lots * lot
    }

    func implicit(isBid: Bool) -> (Int64) -> Int64 {
        let key = self.key
        let lots = self.spec.typicalLots
        let lot = self.spec.lotSize
        return { Self.implicitQuantity(key: key, tick: $0, isBid: isBid, typicalLots: lots, lot: lot) }
    }

    /// Makes sure both anchors hold liquidity (the quote is where trades happen).
    private mutating func forceTouch() {
        var ignored: [LevelChange] = []
        if self.bids.quantity(at: self.bids.anchor) == 0 {
            self.bids.set(
                self.bids.anchor, to: self.spec.lotSize * max(1, self.spec.typicalLots) * 3, updateId: self.updateId,
                changes: &ignored)
        }
        if self.asks.quantity(at: self.asks.anchor) == 0 {
            self.asks.set(
                self.asks.anchor, to: self.spec.lotSize * max(1, self.spec.typicalLots) * 3, updateId: self.updateId,
                changes: &ignored)
        }
    }

    var touch: (bid: BookLevel, ask: BookLevel) {
        let bid =
            self.bids.best().map { BookLevel(price: $0.tick * self.spec.tickSize, quantity: $0.quantity) }
            ?? BookLevel(price: 0, quantity: 0)
        let ask =
            self.asks.best().map { BookLevel(price: $0.tick * self.spec.tickSize, quantity: $0.quantity) }
            ?? BookLevel(price: 0, quantity: 0)
        return (bid, ask)
    }

    func snapshot(limit: Int) -> BookSnapshot {
        BookSnapshot(
            market: self.index, updateId: self.updateId, time: self.time,
            bids: self.bids.levels(limit: limit, tickSize: self.spec.tickSize),
            asks: self.asks.levels(limit: limit, tickSize: self.spec.tickSize))
    }
}
