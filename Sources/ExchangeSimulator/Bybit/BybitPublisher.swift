import NIOCore

/// Renders Bybit stream messages on each broadcaster tick, only for topics that have subscribers.
///
/// * `publicTrade`: every tick's trades of a market in one message (at most 1024 trades each).
/// * `orderbook.{depth}`: every 10 / 20 / 100 / 200 ms of real time (depth 1 / 50 / 200 / 1000), the
///   top levels are compared with the last published ones (`BybitTopicStore`); a change is a
///   `delta` (level 1: a `snapshot`) with the next `u` and `seq` = the engine's update id.
/// * `tickers`: spot every 50 ms, linear every 100 ms, when a field changed (linear sends deltas).
/// * `kline`: every second, plus a `confirm: true` message when the candle closes.
/// Cadences are real time, as the core's other stream cadences.
final class BybitPublisher: StreamPublisher {
    private let venue: BybitVenue
    private var due: [StreamKey: UInt64] = [:]
    private var klineOpen: [StreamKey: Int64] = [:]
    /// Last trade price and tick direction per market (for `L`).
    private var directions: [Int: (price: Int64, direction: String)] = [:]
    private var nextSweep: UInt64 = 0

    private static let ms: UInt64 = 1_000_000
    private static let maxTradesPerMessage = 1_024

    init(venue: BybitVenue) {
        self.venue = venue
    }

    func publish(
        batch: EngineBatch, active: ActiveStreams, simNow: Int64, wallNanos: UInt64, into output: inout [StreamMessage]
    ) {
        self.trades(batch: batch, active: active, simNow: simNow, output: &output)
        // Under load (`--load bybit:depth=…,ticker=…`) the topics push on every broadcaster tick that
        // changed them instead of their documented cadence, so more updates mean more messages.
        let mix = self.venue.context.loadMix
        let bookLoad = mix.depth > 0
        let tickerLoad = mix.ticker > 0
        for (key, _) in active.counts {
            switch BybitStream.kind(of: key) {
            case .orderbook:
                let period = bookLoad ? 0 : BybitStream.bookPeriodMs(depth: key.parameter)
                if self.isDue(key, periodMs: period, wall: wallNanos) {
                    self.book(key, simNow: simNow, wall: wallNanos, output: &output)
                }
            case .tickers:
                let period: UInt64 = tickerLoad ? 0 : (BybitStream.category(of: key) == .spot ? 50 : 100)
                if self.isDue(key, periodMs: period, wall: wallNanos) {
                    self.ticker(key, simNow: simNow, wall: wallNanos, output: &output)
                }
            case .kline:
                if self.isDue(key, periodMs: 1_000, wall: wallNanos) {
                    self.kline(key, simNow: simNow, output: &output)
                }
            case .publicTrade, nil:
                continue
            }
        }
        if wallNanos >= self.nextSweep {
            self.nextSweep = wallNanos + 1_000 * Self.ms
            self.venue.store.sweep(active: active, wall: wallNanos)
            self.due = self.due.filter { active.contains($0.key) }
            self.klineOpen = self.klineOpen.filter { active.contains($0.key) }
            let traded = Set(active.counts.keys.filter { BybitStream.kind(of: $0) == .publicTrade }.map(\.market))
            self.directions = self.directions.filter { traded.contains($0.key) }
        }
    }

    private func isDue(_ key: StreamKey, periodMs: UInt64, wall: UInt64) -> Bool {
        if let next = self.due[key], wall < next { return false }
        self.due[key] = wall + periodMs * Self.ms
        return true
    }

    // MARK: - Topics

    private func book(_ key: StreamKey, simNow: Int64, wall: UInt64, output: inout [StreamMessage]) {
        let venue = self.venue
        let depth = key.parameter
        guard
            let message = venue.store.updateBook(
                key, depth: depth, wall: wall, make: { venue.bookView(market: key.market, depth: depth) })
        else { return }
        let category = BybitStream.category(of: key)
        let symbol = venue.markets.symbols[key.market]
        var w = JSONWriter(capacity: 160 + (message.bids.count + message.asks.count) * 40)
        BybitRender.book(
            &w, topic: BybitStream.topic(key, symbol: symbol), category: category, depth: depth, symbol: symbol,
            grid: BybitGrid(spec: venue.context.engine.spec(key.market), category: category), message: message,
            ts: simNow)
        output.append(
            StreamMessage(
                key: key, payload: w.buffer, kind: message.isSnapshot ? .depthSnapshot : .depthDiff,
                firstUpdateId: message.push, lastUpdateId: message.push))
    }

    private func ticker(_ key: StreamKey, simNow: Int64, wall: UInt64, output: inout [StreamMessage]) {
        let venue = self.venue
        let category = BybitStream.category(of: key)
        guard
            let message = venue.store.updateTicker(
                key, deltas: category == .linear, wall: wall,
                make: {
                    venue.streamTickerValues(market: key.market, category: category, now: simNow)
                })
        else { return }
        var w = JSONWriter(capacity: 640)
        BybitRender.ticker(
            &w, topic: BybitStream.topic(key, symbol: venue.markets.symbols[key.market]), category: category,
            message: message, ts: simNow)
        output.append(
            StreamMessage(
                key: key, payload: w.buffer, kind: .ticker, firstUpdateId: message.push, lastUpdateId: message.push))
    }

    private func kline(_ key: StreamKey, simNow: Int64, output: inout [StreamMessage]) {
        let name = BybitStream.intervals[Int(key.parameter)]
        guard let interval = BybitStream.candleInterval(name) else { return }
        let history = self.venue.context.engine.history
        let market = key.market
        let open = interval.bucketStart(containing: simNow)
        var candles: [(Candle, Bool)] = []
        if let previous = self.klineOpen[key], previous != open,
            let closed = history.candles(
                market: market, interval: interval, start: previous, end: previous, limit: 1, now: simNow
            ).first
        {
            candles.append((closed, true))
        }
        if let current = history.candles(
            market: market, interval: interval, start: open, end: open, limit: 1, now: simNow
        ).first {
            candles.append((current, false))
        }
        self.klineOpen[key] = open
        let symbol = self.venue.markets.symbols[market]
        let grid = BybitGrid(
            spec: self.venue.context.engine.spec(market), category: BybitStream.category(of: key), trim: true)
        for (candle, confirm) in candles {
            var w = JSONWriter(capacity: 400)
            BybitRender.kline(
                &w, topic: BybitStream.topic(key, symbol: symbol), interval: name, candle: candle, confirm: confirm,
                grid: grid, ts: simNow)
            output.append(StreamMessage(key: key, payload: w.buffer, kind: .kline))
        }
    }

    private func trades(batch: EngineBatch, active: ActiveStreams, simNow: Int64, output: inout [StreamMessage]) {
        guard !batch.trades.isEmpty else { return }
        var order: [Int] = []
        var byMarket: [Int: [TradeRecord]] = [:]
        for live in batch.trades {
            let market = Int(live.market)
            guard
                active.contains(BybitStream.key(.publicTrade, .spot, market: market))
                    || active.contains(BybitStream.key(.publicTrade, .linear, market: market))
            else { continue }
            if byMarket[market] == nil { order.append(market) }
            byMarket[market, default: []].append(live.trade)
        }
        for market in order {
            let trades = byMarket[market]!
            let spec = self.venue.context.engine.spec(market)
            let symbol = self.venue.markets.symbols[market]
            let spotKey = BybitStream.key(.publicTrade, .spot, market: market)
            if active.contains(spotKey) {
                let items = trades.map {
                    BybitRender.Trade(
                        trade: $0, id: self.venue.tradeId($0, market: market, category: .spot), direction: nil)
                }
                self.emit(
                    items, key: spotKey, symbol: symbol, grid: BybitGrid(spec: spec, category: .spot), simNow: simNow,
                    output: &output)
            }
            let linearKey = BybitStream.key(.publicTrade, .linear, market: market)
            if active.contains(linearKey) {
                var state = self.directions[market] ?? self.initialDirection(market: market, before: trades[0].time)
                let items = trades.map { trade in
                    state = (
                        trade.price, BybitTickDirection.next(after: state.price, state.direction, price: trade.price)
                    )
                    return BybitRender.Trade(
                        trade: trade, id: self.venue.tradeId(trade, market: market, category: .linear),
                        direction: state.direction)
                }
                self.directions[market] = state
                self.emit(
                    items, key: linearKey, symbol: symbol, grid: BybitGrid(spec: spec, category: .linear),
                    simNow: simNow, output: &output)
            }
        }
    }

    /// Price and direction before the first streamed trade, from the trade history.
    private func initialDirection(market: Int, before time: Int64) -> (price: Int64, direction: String) {
        let prices = self.venue.context.engine.history.recentTrades(market: market, limit: 64, now: time - 1).map(
            \.price)
        return (prices.last ?? 0, BybitTickDirection.last(of: prices))
    }

    private func emit(
        _ items: [BybitRender.Trade], key: StreamKey, symbol: String, grid: BybitGrid, simNow: Int64,
        output: inout [StreamMessage]
    ) {
        let topic = BybitStream.topic(key, symbol: symbol)
        for start in stride(from: 0, to: items.count, by: Self.maxTradesPerMessage) {
            let chunk = items[start..<min(items.count, start + Self.maxTradesPerMessage)]
            var w = JSONWriter(capacity: 128 + chunk.count * 200)
            BybitRender.trades(&w, topic: topic, symbol: symbol, grid: grid, trades: chunk, ts: simNow)
            output.append(StreamMessage(key: key, payload: w.buffer, kind: .trade))
        }
    }
}
