/// The events that move a live book: requotes, trades, background updates, load.
extension LiveMarket {
    /// Runs every event of this market up to `target` (inclusive), appending to `batch`.
    mutating func advance(
        to target: Int64, history market: MarketHistory, config: EngineConfig, batch: inout EngineBatch
    ) {
        guard target > self.time else { return }
        let path = market.markets[self.index].path
        if target - self.time > config.catchUpLimitMs {
            self.skip(to: target - config.catchUpLimitMs, history: market, path: path, config: config, batch: &batch)
        }
        let interval = max(1, config.churnIntervalMs)
        while true {
            while self.cursor >= self.tape.orders.count {
                let nextMinute = self.tape.minute + 1
                guard nextMinute * CandleInterval.minute <= target else { break }
                self.tape = market.tape(market: self.index, minute: nextMinute)
                self.cursor = 0
            }
            let orderTime = self.cursor < self.tape.orders.count ? self.tape.orders[self.cursor].time : Int64.max
            if orderTime <= target && orderTime <= self.nextChurn {
                self.process(order: self.tape.orders[self.cursor], path: path, batch: &batch)
                self.cursor += 1
            } else if self.nextChurn <= target {
                self.churn(at: self.nextChurn, path: path, batch: &batch)
                self.nextChurn += interval
            } else {
                break
            }
        }
        self.time = target
    }

    /// Jumps to `time` without replaying events (one requote step keeps the book on the quote).
    private mutating func skip(
        to time: Int64, history market: MarketHistory, path: PricePath, config: EngineConfig, batch: inout EngineBatch
    ) {
        let minute = DetMath.floorDiv(time, CandleInterval.minute)
        self.tape = market.tape(market: self.index, minute: minute)
        self.cursor = self.tape.orders.firstIndex { $0.time > time } ?? self.tape.orders.count
        let interval = max(1, config.churnIntervalMs)
        let phase = Int64(self.key % UInt64(interval))
        self.nextChurn = DetMath.floorDiv(time - phase, interval) * interval + phase + interval
        var changes: [LevelChange] = []
        self.requote(at: time, path: path, changes: &changes)
        self.time = time
        self.commit(changes, time: time, cause: .requote, batch: &batch)
    }

    /// Moves both anchors to the quote at `time` and makes sure the quote holds liquidity.
    mutating func requote(at time: Int64, path: PricePath, changes: inout [LevelChange]) {
        let quote = path.quote(at: time)
        let id = self.updateId + 1
        self.bids.moveAnchor(to: quote.bid, updateId: id, implicit: self.implicit(isBid: true), changes: &changes)
        self.asks.moveAnchor(to: quote.ask, updateId: id, implicit: self.implicit(isBid: false), changes: &changes)
        let refill = self.spec.lotSize * max(1, self.spec.typicalLots) * 3
        if self.bids.quantity(at: self.bids.anchor) == 0 {
            let size = self.implicit(isBid: true)(self.bids.anchor)
            self.bids.set(self.bids.anchor, to: size > 0 ? size : refill, updateId: id, changes: &changes)
        }
        if self.asks.quantity(at: self.asks.anchor) == 0 {
            let size = self.implicit(isBid: false)(self.asks.anchor)
            self.asks.set(self.asks.anchor, to: size > 0 ? size : refill, updateId: id, changes: &changes)
        }
    }

    /// Gives `changes` the next update id and records the step; nothing happens when empty.
    mutating func commit(_ changes: [LevelChange], time: Int64, cause: BookStep.Cause, batch: inout EngineBatch) {
        guard !changes.isEmpty else { return }
        self.updateId += 1
        let start = batch.changes.count
        for change in changes {
            self.history.append(change)
            batch.changes.append(change)
        }
        let touch = self.touch
        let touchChanged = touch.bid != self.lastTouch.bid || touch.ask != self.lastTouch.ask
        self.lastTouch = touch
        batch.steps.append(
            BookStep(
                market: Int32(self.index), updateId: self.updateId, time: time, cause: cause, changeStart: Int32(start),
                changeCount: Int32(changes.count), touchChanged: touchChanged, bestBid: touch.bid, bestAsk: touch.ask))
    }

    /// A taker order: requote to its time, make sure the touch can fill it, then consume it.
    mutating func process(order: TapeOrder, path: PricePath, batch: inout EngineBatch) {
        var changes: [LevelChange] = []
        self.requote(at: order.time, path: path, changes: &changes)
        let tick = order.price / self.spec.tickSize
        let isBid = order.isBuyerMaker
        var available = isBid ? self.bids.quantity(at: tick) : self.asks.quantity(at: tick)
        if available < order.quantity {
            // Liquidity arrives before the order: sometimes exactly enough (the order clears the
            // level), otherwise with some left over.
            let h = SimHash.hash(self.key, .touchTopUp, order.aggregateId)
            let extra =
                h % 4 == 0 ? 0 : self.spec.lotSize * Int64(1 + (h >> 8) % UInt64(max(1, 2 * self.spec.typicalLots)))
            available = order.quantity + extra
            if isBid {
                self.bids.set(tick, to: available, updateId: self.updateId + 1, changes: &changes)
            } else {
                self.asks.set(tick, to: available, updateId: self.updateId + 1, changes: &changes)
            }
        }
        self.commit(changes, time: order.time, cause: .requote, batch: &batch)
        var fills: [LevelChange] = []
        if isBid {
            self.bids.set(tick, to: available - order.quantity, updateId: self.updateId + 1, changes: &fills)
        } else {
            self.asks.set(tick, to: available - order.quantity, updateId: self.updateId + 1, changes: &fills)
        }
        self.commit(fills, time: order.time, cause: .trade, batch: &batch)
        let market = Int32(self.index)
        batch.orders.append(LiveOrder(market: market, order: order))
        for fill in 0..<Int(order.fills) {
            batch.trades.append(
                LiveTrade(
                    market: market,
                    trade: TradeRecord(
                        id: order.firstTradeId + Int64(fill), aggregateId: order.aggregateId, time: order.time,
                        price: order.price, quantity: self.tape.fillQuantities[Int(order.fillOffset) + fill],
                        isBuyerMaker: order.isBuyerMaker)))
        }
    }

    /// A background update on the fixed grid: a few levels near the touch change size or empty.
    mutating func churn(at time: Int64, path: PricePath, batch: inout EngineBatch) {
        var changes: [LevelChange] = []
        self.requote(at: time, path: path, changes: &changes)
        let h = SimHash.hash(self.key, .churn, time)
        let isBid = h & 1 == 0
        let count = 1 + Int((h >> 1) % 3)
        let id = self.updateId + 1
        for index in 0..<count {
            let hj = SimHash.mix(h &+ UInt64(index) &* 0x9E37_79B9)
            let depth = Int64(hj % 12)
            let side = isBid ? self.bids : self.asks
            let tick = side.tick(atDepth: depth)
            guard tick > 0 else { continue }
            let lots = max(1, self.spec.typicalLots) * Int64(1 + (hj >> 8) % 10) + Int64((hj >> 16) % 7)
            var size = lots * self.spec.lotSize
            if depth > 0 && (hj >> 40) % 6 == 0 { size = 0 }
            if isBid {
                self.bids.set(tick, to: size, updateId: id, changes: &changes)
            } else {
                self.asks.set(tick, to: size, updateId: id, changes: &changes)
            }
        }
        self.commit(changes, time: time, cause: .churn, batch: &batch)
    }

    /// Load generation: the size at the best bid or ask changes (never its price), one update id.
    mutating func loadUpdate(at time: Int64, salt: UInt64, batch: inout EngineBatch) {
        let h = SimHash.mix(salt ^ self.key)
        let isBid = h & 1 == 0
        let side = isBid ? self.bids : self.asks
        guard let best = side.best() else { return }
        let lots = best.quantity / max(1, self.spec.lotSize)
        let delta = Int64(1 + (h >> 8) % 5)
        let newLots = (h >> 16) & 1 == 0 || lots <= delta ? lots + delta : lots - delta
        var changes: [LevelChange] = []
        if isBid {
            self.bids.set(best.tick, to: newLots * self.spec.lotSize, updateId: self.updateId + 1, changes: &changes)
        } else {
            self.asks.set(best.tick, to: newLots * self.spec.lotSize, updateId: self.updateId + 1, changes: &changes)
        }
        self.commit(changes, time: time, cause: .load, batch: &batch)
    }

    /// Depth load: one to four levels near the touch on one side (a quarter of the time on both) change
    /// size or, away from the touch, empty; one update id. Never a price move, so the book never crosses.
    mutating func loadDepthUpdate(at time: Int64, salt: UInt64, batch: inout EngineBatch) {
        let h = SimHash.mix(salt ^ self.key ^ 0x6465_7074_685F_6C64)
        let both = (h >> 60) % 4 == 0
        let first = h & 1 == 0
        let id = self.updateId + 1
        var changes: [LevelChange] = []
        let sides: [Bool] = both ? [first, !first] : [first]
        for pass in sides.indices {
            let isBid = sides[pass]
            let count = 1 + Int((h >> UInt64(1 + 2 * pass)) % 4)
            for index in 0..<count {
                let hj = SimHash.mix(h &+ UInt64(index + 8 * pass) &* 0x9E37_79B9)
                let depth = Int64(hj % 20)
                let side = isBid ? self.bids : self.asks
                let tick = side.tick(atDepth: depth)
                guard tick > 0 else { continue }
                let lots = max(1, self.spec.typicalLots) * Int64(1 + (hj >> 8) % 10) + Int64((hj >> 16) % 7)
                var size = lots * self.spec.lotSize
                if depth > 0 && (hj >> 40) % 5 == 0 { size = 0 }
                if isBid {
                    self.bids.set(tick, to: size, updateId: id, changes: &changes)
                } else {
                    self.asks.set(tick, to: size, updateId: id, changes: &changes)
                }
            }
        }
        self.commit(changes, time: time, cause: .load, batch: &batch)
    }
}
