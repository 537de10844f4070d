import NIOCore

/// Renders WhiteBIT updates on each broadcaster tick, only for streams with subscribers.
///
/// Trades and book tickers follow engine events. Depth runs a 100 ms cycle (real time): an
/// incremental when the window changed, a keep-alive snapshot after `depthKeepAliveMs` of simulated
/// quiet, and a snapshot for each stream a new subscriber waits on. Candles every 0.5 s; last price,
/// 24 h and UTC-day statistics every second (whitebit.md §4.3).
final class WhiteBITPublisher: StreamPublisher {
    /// Kind of the snapshots rendered for new subscribers: sessions forward one only to a
    /// subscription still waiting for its first message (keep-alive snapshots are `.depthSnapshot`
    /// and go to everyone).
    static let subscriberSnapshotKind = StreamMessage.Kind.other

    private let venue: WhiteBITVenue
    private var depth: [StreamKey: WhiteBITDepthBook] = [:]
    private var candleOpen: [StreamKey: Int64] = [:]
    private var nextDepth: UInt64 = 0
    private var nextCandles: UInt64 = 0
    private var nextSecond: UInt64 = 0

    private static let ms: UInt64 = 1_000_000

    init(venue: WhiteBITVenue) {
        self.venue = venue
    }

    func publish(
        batch: EngineBatch, active: ActiveStreams, simNow: Int64, wallNanos: UInt64, into output: inout [StreamMessage]
    ) {
        self.trades(batch: batch, active: active, output: &output)
        self.bookTickers(batch: batch, active: active, simNow: simNow, output: &output)
        if wallNanos >= self.nextDepth {
            // Under depth load (`--load whitebit:depth=…`) the cycle runs every broadcaster tick.
            self.nextDepth = wallNanos + (self.venue.context.loadMix.depth > 0 ? 0 : 100 * Self.ms)
            self.depthCycle(active: active, simNow: simNow, output: &output)
        }
        if wallNanos >= self.nextCandles {
            self.nextCandles = wallNanos + 500 * Self.ms
            self.candles(active: active, simNow: simNow, output: &output)
        }
        if wallNanos >= self.nextSecond {
            self.nextSecond = wallNanos + 1_000 * Self.ms
            self.statistics(active: active, simNow: simNow, output: &output)
        }
    }

    /// Appends `payload` once per active key among `keys` (a market's own key and the all-markets key).
    private static func emit(
        _ payload: ByteBuffer, keys: [StreamKey], kind: StreamMessage.Kind, active: ActiveStreams,
        into output: inout [StreamMessage]
    ) {
        for key in keys where active.contains(key) {
            output.append(StreamMessage(key: key, payload: payload, kind: kind))
        }
    }

    // MARK: - Event streams

    private func trades(batch: EngineBatch, active: ActiveStreams, output: inout [StreamMessage]) {
        guard !batch.trades.isEmpty else { return }
        let all = WhiteBITStream.allKey(.trades)
        var start = 0
        // One message per run of consecutive trades of a market.
        while start < batch.trades.count {
            let market = Int(batch.trades[start].market)
            var end = start + 1
            while end < batch.trades.count && Int(batch.trades[end].market) == market { end += 1 }
            let keys = [WhiteBITStream.key(.trades, market: market), all]
            if keys.contains(where: active.contains) {
                let spec = self.venue.spec(market)
                var w = JSONWriter(capacity: 96 + (end - start) * 120)
                WhiteBITRender.updatePrefix(&w, "trades_update")
                w.raw("\""); w.rawString(self.venue.symbols[market]); w.raw("\",[")
                for index in start..<end {
                    if index > start { w.raw(",") }
                    WhiteBITRender.wsTrade(&w, batch.trades[index].trade, market: spec, rpi: true)
                }
                w.raw("]]}")
                Self.emit(w.buffer, keys: keys, kind: .trade, active: active, into: &output)
            }
            start = end
        }
    }

    private func bookTickers(batch: EngineBatch, active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        let all = WhiteBITStream.allKey(.bookTicker)
        for step in batch.steps where step.touchChanged {
            let market = Int(step.market)
            let keys = [WhiteBITStream.key(.bookTicker, market: market), all]
            guard keys.contains(where: active.contains) else { continue }
            var w = JSONWriter(capacity: 200)
            WhiteBITRender.bookTicker(
                &w, symbol: self.venue.symbols[market], spec: self.venue.spec(market), transactionTime: step.time,
                messageTime: simNow, updateId: step.updateId, bid: step.bestBid, ask: step.bestAsk)
            for key in keys where active.contains(key) {
                output.append(
                    StreamMessage(
                        key: key, payload: w.buffer, kind: .bookTicker, firstUpdateId: step.updateId,
                        lastUpdateId: step.updateId))
            }
        }
    }

    // MARK: - Depth

    private func depthCycle(active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        let requested = self.venue.snapshotRequests.withLock { requests in
            defer { requests.removeAll() }
            return requests
        }
        let channel = WhiteBITStream.Channel.depth.rawValue
        var keys = Set(requested)
        for key in active.counts.keys where key.channel == channel { keys.insert(key) }
        self.depth = self.depth.filter { keys.contains($0.key) }
        for key in keys.sorted() {
            let spec = self.venue.spec(key.market)
            let limit = WhiteBITStream.depthLimit(key)
            let interval = WhiteBITStream.depthInterval(key).units
            let aggregated = interval > spec.tickSize
            let book = self.venue.context.engine.snapshot(market: key.market, limit: aggregated ? Int.max : limit)
            let view = WhiteBITDepthBook.view(of: book, limit: limit, interval: interval, tickSize: spec.tickSize)
            guard var state = self.depth[key] else {
                self.depth[key] = WhiteBITDepthBook(
                    limit: limit, interval: interval, initial: view, now: simNow,
                    windowRemovals: self.venue.depthWindowRemovals)
                if requested.contains(key) {
                    self.snapshot(
                        key, view: view, time: book.time, simNow: simNow, kind: Self.subscriberSnapshotKind,
                        output: &output)
                }
                continue
            }
            if let change = state.advance(to: view, now: simNow) {
                var w = JSONWriter(capacity: 200 + (change.bids.count + change.asks.count) * 40)
                WhiteBITRender.depthUpdate(
                    &w, symbol: self.venue.symbols[key.market], spec: spec, snapshot: false, time: book.time,
                    updateId: view.updateId, pastUpdateId: change.pastUpdateId, asks: change.asks, bids: change.bids,
                    eventTime: simNow)
                output.append(
                    StreamMessage(
                        key: key, payload: w.buffer, kind: .depthDiff, firstUpdateId: change.pastUpdateId,
                        lastUpdateId: view.updateId))
            } else if active.contains(key) && state.keepAliveDue(now: simNow, after: self.venue.depthKeepAliveMs) {
                state.broadcastSnapshot(view, now: simNow)
                self.snapshot(key, view: view, time: book.time, simNow: simNow, kind: .depthSnapshot, output: &output)
            }
            self.depth[key] = state
            if requested.contains(key) {
                self.snapshot(
                    key, view: state.subscriberSnapshot, time: book.time, simNow: simNow,
                    kind: Self.subscriberSnapshotKind,
                    output: &output)
            }
        }
    }

    private func snapshot(
        _ key: StreamKey, view: WhiteBITDepthBook.View, time: Int64, simNow: Int64, kind: StreamMessage.Kind,
        output: inout [StreamMessage]
    ) {
        var w = JSONWriter(capacity: 200 + (view.bids.count + view.asks.count) * 40)
        WhiteBITRender.depthUpdate(
            &w, symbol: self.venue.symbols[key.market], spec: self.venue.spec(key.market), snapshot: true, time: time,
            updateId: view.updateId, pastUpdateId: nil, asks: view.asks, bids: view.bids, eventTime: simNow)
        output.append(
            StreamMessage(
                key: key, payload: w.buffer, kind: kind, firstUpdateId: view.updateId, lastUpdateId: view.updateId))
    }

    // MARK: - Periodic streams

    private func candles(active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        let history = self.venue.context.engine.history
        let channel = WhiteBITStream.Channel.candles.rawValue
        self.candleOpen = self.candleOpen.filter { active.contains($0.key) }
        for key in active.counts.keys.sorted() where key.channel == channel {
            let interval = WhiteBITStream.candleInterval(seconds: WhiteBITStream.candleIntervals[Int(key.parameter)])
            let open = interval.bucketStart(containing: simNow)
            var rows: [Candle] = []
            // When a bucket rolls over, the closed candle's final state goes first.
            func candle(_ start: Int64) -> Candle? {
                history.candles(market: key.market, interval: interval, start: start, end: start, limit: 1, now: simNow)
                    .first
            }
            if let previous = self.candleOpen[key], previous != open, let closed = candle(previous) {
                rows.append(closed)
            }
            if let current = candle(open) { rows.append(current) }
            self.candleOpen[key] = open
            guard !rows.isEmpty else { continue }
            let spec = self.venue.spec(key.market)
            var w = JSONWriter(capacity: 64 + rows.count * 140)
            WhiteBITRender.updatePrefix(&w, "candles_update")
            for (index, candle) in rows.enumerated() {
                if index > 0 { w.raw(",") }
                WhiteBITRender.candleRow(&w, candle, market: spec, symbol: self.venue.symbols[key.market])
            }
            w.raw("]}")
            output.append(StreamMessage(key: key, payload: w.buffer, kind: .kline))
        }
    }

    private func statistics(active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        let history = self.venue.context.engine.history
        let dayStart = DetMath.floorDiv(simNow, 86_400_000) * 86_400_000
        for key in active.counts.keys.sorted() where key.market >= 0 {
            guard let channel = WhiteBITStream.Channel(rawValue: key.channel) else { continue }
            let market = key.market
            let spec = self.venue.spec(market)
            var w = JSONWriter(capacity: 256)
            switch channel {
            case .lastprice:
                let price = history.lastTrade(market: market, atOrBefore: simNow)?.price ?? 0
                WhiteBITRender.updatePrefix(&w, "lastprice_update")
                w.raw("\""); w.rawString(self.venue.symbols[market]); w.raw("\",")
                WhiteBITRender.decimal(&w, price, digits: spec.priceDigits)
                w.raw("]}")
            case .market:
                WhiteBITRender.updatePrefix(&w, "market_update")
                w.raw("\""); w.rawString(self.venue.symbols[market]); w.raw("\",")
                let stats = self.venue.rolling24h(market: market, now: simNow)
                WhiteBITRender.marketStats(&w, stats, spec: spec, period: 86_400)
                w.raw("]}")
            case .marketToday:
                WhiteBITRender.updatePrefix(&w, "marketToday_update")
                w.raw("\""); w.rawString(self.venue.symbols[market]); w.raw("\",")
                let stats = self.venue.stats(market: market, from: dayStart, to: simNow)
                WhiteBITRender.marketStats(&w, stats, spec: spec, period: nil)
                w.raw("]}")
            default:
                continue
            }
            output.append(StreamMessage(key: key, payload: w.buffer, kind: .ticker))
        }
    }
}
