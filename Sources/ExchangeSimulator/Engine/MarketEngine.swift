import Synchronization

/// Why a past book cannot be rebuilt.
package enum BookLookupError: Error, Sendable, Equatable {
    /// Older than the retained change history (the oldest rebuildable id is given).
    case tooOld(oldest: Int64)
    /// Not reached yet (the current id is given).
    case future(current: Int64)
}

/// The live side of one venue's market: books, update ids, and the events since the last drain.
///
/// One lock guards all markets. REST handlers and the stream broadcaster both call `advance` first,
/// so a REST snapshot is never older than what streams will publish next; the broadcaster `drain`s
/// the accumulated events on its tick.
package final class MarketEngine: Sendable {
    private struct State {
        var markets: [LiveMarket]
        var batch = EngineBatch()
        var loadSalt: UInt64 = 0
    }

    /// Hard cap on undrained changes (when nothing drains, e.g. an engine used without a server).
    private static let maxPendingChanges = 2_000_000

    package let history: MarketHistory
    package let clock: SimClock
    package let config: EngineConfig
    private let state: Mutex<State>

    package init(history: MarketHistory, clock: SimClock, config: EngineConfig) {
        self.history = history
        self.clock = clock
        self.config = config
        let start = clock.now()
        let markets = history.markets.indices.map {
            LiveMarket(index: $0, history: history, start: start, config: config)
        }
        self.state = Mutex(State(markets: markets))
    }

    package var marketCount: Int { self.history.markets.count }

    package func spec(_ market: Int) -> MarketSpec { self.history.markets[market].spec }

    /// Runs every market up to the clock's now.
    package func advance() {
        let now = self.clock.now()
        self.state.withLock { state in self.advance(&state, to: now) }
    }

    private func advance(_ state: inout State, to now: Int64) {
        for index in state.markets.indices {
            state.markets[index].advance(to: now, history: self.history, config: self.config, batch: &state.batch)
        }
        state.batch.time = max(state.batch.time, now)
        if state.batch.changes.count > Self.maxPendingChanges {
            state.batch = EngineBatch()
            state.batch.time = now
        }
    }

    /// Advances, then hands over everything that happened since the previous drain.
    package func drain() -> EngineBatch {
        let now = self.clock.now()
        return self.state.withLock { state in
            self.advance(&state, to: now)
            var out = EngineBatch()
            out.time = state.batch.time
            swap(&out, &state.batch)
            return out
        }
    }

    /// The current book (advanced to now), `limit` levels per side.
    package func snapshot(market: Int, limit: Int) -> BookSnapshot {
        let now = self.clock.now()
        return self.state.withLock { state in
            self.advance(&state, to: now)
            return state.markets[market].snapshot(limit: limit)
        }
    }

    /// Current best bid and ask of several markets at once (advanced to now).
    package func touches(markets: [Int]) -> [(bid: BookLevel, ask: BookLevel, updateId: Int64)] {
        let now = self.clock.now()
        return self.state.withLock { state in
            self.advance(&state, to: now)
            return markets.map { index in
                let touch = state.markets[index].touch
                return (touch.bid, touch.ask, state.markets[index].updateId)
            }
        }
    }

    /// Current update id of a market (advanced to now).
    package func updateId(market: Int) -> Int64 {
        let now = self.clock.now()
        return self.state.withLock { state in
            self.advance(&state, to: now)
            return state.markets[market].updateId
        }
    }

    /// The exact book right after update `updateId` (ground truth), rebuilt by undoing later changes.
    package func book(market: Int, at updateId: Int64) -> Result<BookSnapshot, BookLookupError> {
        let now = self.clock.now()
        return self.state.withLock { state in
            self.advance(&state, to: now)
            let live = state.markets[market]
            guard updateId <= live.updateId else { return .failure(.future(current: live.updateId)) }
            guard updateId >= live.history.droppedThrough else {
                return .failure(.tooOld(oldest: live.history.droppedThrough))
            }
            var bids = live.bids.allLevels()
            var asks = live.asks.allLevels()
            live.history.newestFirst(while: { $0.updateId > updateId }) { change in
                if change.isBid {
                    bids[change.tick] = change.old == 0 ? nil : change.old
                } else {
                    asks[change.tick] = change.old == 0 ? nil : change.old
                }
            }
            let tick = live.spec.tickSize
            return .success(
                BookSnapshot(
                    market: market, updateId: updateId, time: live.time,
                    bids: bids.sorted { $0.key > $1.key }.map { BookLevel(price: $0.key * tick, quantity: $0.value) },
                    asks: asks.sorted { $0.key < $1.key }.map { BookLevel(price: $0.key * tick, quantity: $0.value) }))
        }
    }

    /// Load generation: `count` updates spread round-robin over `markets`: touch-size updates
    /// (`.ticker`), or changes of a few levels near the touch (`.depth`). Each is a real book update.
    package func generateLoad(count: Int, markets: [Int], kind: LoadMix.Kind = .ticker) {
        guard count > 0, !markets.isEmpty else { return }
        let now = self.clock.now()
        self.state.withLock { state in
            self.advance(&state, to: now)
            for index in 0..<count {
                state.loadSalt &+= 1
                let market = markets[index % markets.count]
                let salt = SimHash.mix(state.loadSalt)
                switch kind {
                case .ticker: state.markets[market].loadUpdate(at: now, salt: salt, batch: &state.batch)
                case .depth: state.markets[market].loadDepthUpdate(at: now, salt: salt, batch: &state.batch)
                }
            }
        }
    }
}
