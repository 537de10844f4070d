import NIOCore

/// Renders Binance stream messages on each broadcaster tick, only for streams that have subscribers.
///
/// Real-time streams (trade, aggTrade, bookTicker) follow engine events. Diff depth accumulates every
/// book update and is published every 1000 ms / 100 ms of real time with `U` = first and `u` = last
/// update id, so consecutive messages are continuous (`U` = previous `u` + 1) and continuous with the
/// REST snapshot's `lastUpdateId`. Partial depth, klines (2 s; 1 s for `1s`) and tickers (1 s) are
/// periodic snapshots.
final class BinancePublisher: StreamPublisher {
    private struct DepthAccumulator {
        var first: Int64 = 0
        var last: Int64 = 0
        var bids: [Int64: Int64] = [:]
        var asks: [Int64: Int64] = [:]
        var isEmpty: Bool { self.last == 0 }
    }

    private let venue: BinanceVenue
    private let symbols: [String]
    private var depth: [StreamKey: DepthAccumulator] = [:]
    private var nextFast: UInt64 = 0
    private var nextSlow: UInt64 = 0
    private var klineState: [StreamKey: (due: UInt64, open: Int64)] = [:]
    private var nextTicker: UInt64 = 0
    private var tradedMarkets: Set<Int> = []

    init(venue: BinanceVenue) {
        self.venue = venue
        self.symbols = venue.symbols
    }

    private static let ms: UInt64 = 1_000_000

    func publish(
        batch: EngineBatch, active: ActiveStreams, simNow: Int64, wallNanos: UInt64, into output: inout [StreamMessage]
    ) {
        let channel = BinanceStream.Channel.self
        // Trades and aggregate trades, in event order.
        for live in batch.trades {
            let market = Int(live.market)
            self.tradedMarkets.insert(market)
            let key = StreamKey(market: market, channel: channel.trade.rawValue)
            guard active.contains(key) else { continue }
            var writer = JSONWriter(capacity: 192)
            BinanceRender.trade(&writer, symbol: self.symbols[market], trade: live.trade, eventTime: live.trade.time)
            output.append(StreamMessage(key: key, payload: writer.buffer, kind: .trade))
        }
        for live in batch.orders {
            let key = StreamKey(market: Int(live.market), channel: channel.aggTrade.rawValue)
            guard active.contains(key) else { continue }
            var writer = JSONWriter(capacity: 192)
            BinanceRender.aggTrade(
                &writer, symbol: self.symbols[Int(live.market)], order: live.order, eventTime: live.order.time)
            output.append(StreamMessage(key: key, payload: writer.buffer, kind: .trade))
        }
        // Under depth load every book update is its own diff (U = u), so the message rate follows the
        // update rate instead of the 100 ms / 1000 ms cadence; ids stay contiguous either way.
        let perUpdate = self.venue.context.loadMix.depth > 0
        if perUpdate {
            self.flushDepth(fast: true, simNow: simNow, output: &output)
            self.flushDepth(fast: false, simNow: simNow, output: &output)
        }
        self.collectBook(batch: batch, active: active, perUpdate: perUpdate, output: &output)
        if wallNanos >= self.nextFast {
            self.nextFast = wallNanos + 100 * Self.ms
            self.flushDepth(fast: true, simNow: simNow, output: &output)
            self.partialDepth(fast: true, active: active, output: &output)
        }
        if wallNanos >= self.nextSlow {
            self.nextSlow = wallNanos + 1_000 * Self.ms
            self.flushDepth(fast: false, simNow: simNow, output: &output)
            self.partialDepth(fast: false, active: active, output: &output)
        }
        self.klines(active: active, simNow: simNow, wallNanos: wallNanos, output: &output)
        if wallNanos >= self.nextTicker {
            self.nextTicker = wallNanos + 1_000 * Self.ms
            self.tickers(active: active, simNow: simNow, output: &output)
        }
    }

    // MARK: - Book streams

    private func collectBook(
        batch: EngineBatch, active: ActiveStreams, perUpdate: Bool, output: inout [StreamMessage]
    ) {
        // Accumulators exist exactly for subscribed diff streams: a new subscription starts with
        // the next update, an abandoned one is forgotten.
        self.depth = self.depth.filter { active.contains($0.key) }
        for (key, _) in active.counts
        where key.channel == BinanceStream.Channel.depthDiff.rawValue && self.depth[key] == nil {
            self.depth[key] = DepthAccumulator()
        }
        let hasDepth = !self.depth.isEmpty
        for step in batch.steps {
            let market = Int(step.market)
            if step.touchChanged {
                let key = StreamKey(market: market, channel: BinanceStream.Channel.bookTicker.rawValue)
                if active.contains(key) {
                    var writer = JSONWriter(capacity: 160)
                    BinanceRender.bookTicker(
                        &writer, symbol: self.symbols[market], updateId: step.updateId, bid: step.bestBid,
                        ask: step.bestAsk)
                    output.append(
                        StreamMessage(
                            key: key, payload: writer.buffer, kind: .bookTicker, firstUpdateId: step.updateId,
                            lastUpdateId: step.updateId))
                }
            }
            guard hasDepth else { continue }
            if perUpdate {
                self.stepDiff(step, batch: batch, output: &output)
                continue
            }
            for fast in [false, true] {
                let key = BinanceStream.depthKey(market: market, fast: fast)
                guard var accumulator = self.depth[key] else { continue }
                if accumulator.isEmpty { accumulator.first = step.updateId }
                accumulator.last = step.updateId
                for change in batch.changes(of: step) {
                    if change.isBid {
                        accumulator.bids[change.tick] = change.new
                    } else {
                        accumulator.asks[change.tick] = change.new
                    }
                }
                self.depth[key] = accumulator
            }
        }
    }

    /// One diff message per subscribed diff stream of the step's market, holding just that update.
    private func stepDiff(_ step: BookStep, batch: EngineBatch, output: inout [StreamMessage]) {
        let market = Int(step.market)
        let keys = [false, true].map { BinanceStream.depthKey(market: market, fast: $0) }.filter {
            self.depth[$0] != nil
        }
        guard !keys.isEmpty else { return }
        var bidSizes: [Int64: Int64] = [:]
        var askSizes: [Int64: Int64] = [:]
        for change in batch.changes(of: step) {
            if change.isBid {
                bidSizes[change.tick] = change.new
            } else {
                askSizes[change.tick] = change.new
            }
        }
        let tick = self.venue.context.engine.spec(market).tickSize
        let bids = bidSizes.sorted { $0.key > $1.key }.map { BookLevel(price: $0.key * tick, quantity: $0.value) }
        let asks = askSizes.sorted { $0.key < $1.key }.map { BookLevel(price: $0.key * tick, quantity: $0.value) }
        var writer = JSONWriter(capacity: 128 + (bids.count + asks.count) * 48)
        BinanceRender.depthUpdate(
            &writer, symbol: self.symbols[market], eventTime: step.time, first: step.updateId, last: step.updateId,
            bids: bids, asks: asks)
        for key in keys {
            output.append(
                StreamMessage(
                    key: key, payload: writer.buffer, kind: .depthDiff, firstUpdateId: step.updateId,
                    lastUpdateId: step.updateId))
        }
    }

    private func flushDepth(fast: Bool, simNow: Int64, output: inout [StreamMessage]) {
        for (key, accumulator) in self.depth where (key.parameter == 1) == fast && !accumulator.isEmpty {
            let tick = self.venue.context.engine.spec(key.market).tickSize
            let bids = accumulator.bids.sorted { $0.key > $1.key }.map {
                BookLevel(price: $0.key * tick, quantity: $0.value)
            }
            let asks = accumulator.asks.sorted { $0.key < $1.key }.map {
                BookLevel(price: $0.key * tick, quantity: $0.value)
            }
            var writer = JSONWriter(capacity: 128 + (bids.count + asks.count) * 48)
            BinanceRender.depthUpdate(
                &writer, symbol: self.symbols[key.market], eventTime: simNow, first: accumulator.first,
                last: accumulator.last,
                bids: bids, asks: asks)
            output.append(
                StreamMessage(
                    key: key, payload: writer.buffer, kind: .depthDiff, firstUpdateId: accumulator.first,
                    lastUpdateId: accumulator.last))
            self.depth[key] = DepthAccumulator()
        }
    }

    private func partialDepth(fast: Bool, active: ActiveStreams, output: inout [StreamMessage]) {
        for (key, _) in active.counts
        where key.channel == BinanceStream.Channel.partialDepth.rawValue && (key.parameter & 1 == 1) == fast {
            let levels = Int(key.parameter / 2)
            let book = self.venue.context.engine.snapshot(market: key.market, limit: levels)
            var writer = JSONWriter(capacity: 64 + levels * 96)
            BinanceRender.book(&writer, lastUpdateId: book.updateId, bids: book.bids, asks: book.asks)
            output.append(
                StreamMessage(
                    key: key, payload: writer.buffer, kind: .depthSnapshot, firstUpdateId: book.updateId,
                    lastUpdateId: book.updateId))
        }
    }

    // MARK: - Klines and tickers

    private func klines(active: ActiveStreams, simNow: Int64, wallNanos: UInt64, output: inout [StreamMessage]) {
        let history = self.venue.context.engine.history
        self.klineState = self.klineState.filter { active.contains($0.key) }
        for (key, _) in active.counts where key.channel == BinanceStream.Channel.kline.rawValue {
            let name = BinanceStream.klineIntervals[Int(key.parameter)]
            guard let interval = CandleInterval.parse(name) else { continue }
            let state = self.klineState[key]
            if let state, wallNanos < state.due { continue }
            let open = interval.bucketStart(containing: simNow)
            var messages: [(Candle, Bool)] = []
            if let previous = state?.open, previous != open,
                let closed = history.candles(
                    market: key.market, interval: interval, start: previous, end: previous, limit: 1, now: simNow
                ).first
            {
                messages.append((closed, true))
            }
            if let current = history.candles(
                market: key.market, interval: interval, start: open, end: open, limit: 1, now: simNow
            ).first {
                messages.append((current, false))
            }
            for (candle, closed) in messages {
                var writer = JSONWriter(capacity: 420)
                BinanceRender.kline(
                    &writer, symbol: self.symbols[key.market], interval: name, eventTime: simNow, candle: candle,
                    closed: closed)
                output.append(StreamMessage(key: key, payload: writer.buffer, kind: .kline))
            }
            let period: UInt64 = name == "1s" ? 1_000 : 2_000
            self.klineState[key] = (wallNanos + period * Self.ms, open)
        }
    }

    private func tickers(active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        var wanted: [Int] = []
        var seen = Set<Int>()
        for (key, _) in active.counts
        where key.channel == BinanceStream.Channel.ticker.rawValue
            || key.channel == BinanceStream.Channel.miniTicker.rawValue
        {
            if seen.insert(key.market).inserted { wanted.append(key.market) }
        }
        let all = active.contains(BinanceStream.allMiniTickersKey)
        if all {
            for market in self.tradedMarkets where seen.insert(market).inserted { wanted.append(market) }
        }
        guard !wanted.isEmpty else {
            self.tradedMarkets.removeAll()
            return
        }
        wanted.sort()
        let stats = self.venue.rolling(wanted, now: simNow)
        var arrayWriter = JSONWriter(capacity: 64)
        var arrayCount = 0
        arrayWriter.raw("[")
        for (position, market) in wanted.enumerated() {
            let full = StreamKey(market: market, channel: BinanceStream.Channel.ticker.rawValue)
            if active.contains(full) {
                var writer = JSONWriter(capacity: 512)
                BinanceRender.ticker(&writer, stats[position], eventTime: simNow)
                output.append(StreamMessage(key: full, payload: writer.buffer, kind: .ticker))
            }
            let mini = StreamKey(market: market, channel: BinanceStream.Channel.miniTicker.rawValue)
            if active.contains(mini) {
                var writer = JSONWriter(capacity: 256)
                BinanceRender.miniTicker(&writer, stats[position], eventTime: simNow)
                output.append(StreamMessage(key: mini, payload: writer.buffer, kind: .ticker))
            }
            if all && self.tradedMarkets.contains(market) {
                if arrayCount > 0 { arrayWriter.raw(",") }
                BinanceRender.miniTicker(&arrayWriter, stats[position], eventTime: simNow)
                arrayCount += 1
            }
        }
        arrayWriter.raw("]")
        if all && arrayCount > 0 {
            output.append(
                StreamMessage(key: BinanceStream.allMiniTickersKey, payload: arrayWriter.buffer, kind: .ticker))
        }
        self.tradedMarkets.removeAll()
    }
}
