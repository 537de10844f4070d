/// Tunables of the live part of the engine.
package struct EngineConfig: Sendable {
    /// Ticks per book side (the window around the quote); levels beyond it do not exist.
    package var bookWindow: Int64 = 1_000
    /// Simulated ms between two background book updates (order arrivals and cancels) per market.
    package var churnIntervalMs: Int64 = 500
    /// Level changes kept per market to rebuild the book at a past update id; 0 (default) shares a
    /// budget of 2,000,000 changes between the markets, at least 16,384 each. Rings grow on demand.
    package var bookHistory: Int = 0

    /// The ring capacity for one market when there are `markets` markets.
    package func bookHistoryCapacity(markets: Int) -> Int {
        self.bookHistory > 0 ? self.bookHistory : max(16_384, 2_000_000 / max(1, markets))
    }
    /// When the engine falls further behind than this (a big clock jump), it skips ahead: the
    /// skipped trades stay in the REST history but are not streamed.
    package var catchUpLimitMs: Int64 = 600_000

    package init() {}
}

/// A trade as it happens live, tagged with its market.
package struct LiveTrade: Sendable {
    package var market: Int32
    package var trade: TradeRecord
}

/// A taker order (aggregate trade) as it happens live.
package struct LiveOrder: Sendable {
    package var market: Int32
    package var order: TapeOrder
}

/// One book update: one update id, its level changes, and the touch after it.
package struct BookStep: Sendable {
    /// What caused the update.
    package enum Cause: UInt8, Sendable {
        case requote, trade, churn, load
    }

    package var market: Int32
    package var updateId: Int64
    package var time: Int64
    package var cause: Cause
    /// Range in `EngineBatch.changes`.
    package var changeStart: Int32
    package var changeCount: Int32
    /// True when the best bid or ask (price or size) changed.
    package var touchChanged: Bool
    package var bestBid: BookLevel
    package var bestAsk: BookLevel
}

/// Everything that happened between two drains, in time order per market.
package struct EngineBatch: Sendable {
    package var trades: [LiveTrade] = []
    package var orders: [LiveOrder] = []
    package var steps: [BookStep] = []
    package var changes: [LevelChange] = []
    /// Simulated time the batch reaches.
    package var time: Int64 = 0

    package init() {}

    package var isEmpty: Bool { self.trades.isEmpty && self.steps.isEmpty }

    /// The changes of one step.
    package func changes(of step: BookStep) -> ArraySlice<LevelChange> {
        self.changes[Int(step.changeStart)..<Int(step.changeStart + step.changeCount)]
    }
}

/// A consistent copy of one book at one update id.
package struct BookSnapshot: Sendable, Equatable {
    package var market: Int
    package var updateId: Int64
    package var time: Int64
    /// Best first.
    package var bids: [BookLevel]
    /// Best first.
    package var asks: [BookLevel]
}
