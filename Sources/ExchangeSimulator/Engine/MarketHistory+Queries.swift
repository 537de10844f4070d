/// One candle of a range query: bucket bounds and the summary (empty buckets carry the previous close).
package struct Candle: Sendable, Equatable {
    package var openTime: Int64
    /// Inclusive close time: the next bucket's start − 1 ms.
    package var closeTime: Int64
    package var summary: CandleSummary
    /// False while the bucket is still open at `now`.
    package var isClosed: Bool
}

extension MarketHistory {
    /// Upper bound on minutes scanned by one trade query, so a query on a dead market stays cheap.
    private static let scanLimitMinutes: Int64 = 60 * 24 * 14

    /// The most recent `limit` trades at or before `now`, oldest first.
    package func recentTrades(market: Int, limit: Int, now: Int64) -> [TradeRecord] {
        var collected: [TradeRecord] = []
        var minute = DetMath.floorDiv(now, CandleInterval.minute)
        let floorMinute = max(
            self.markets[market].spec.listedAt / CandleInterval.minute, minute - Self.scanLimitMinutes)
        while collected.count < limit && minute >= floorMinute {
            let trades = self.tape(market: market, minute: minute).trades()
            for trade in trades.reversed() where trade.time <= now {
                collected.append(trade)
                if collected.count == limit { break }
            }
            minute -= 1
        }
        return collected.reversed()
    }

    /// Up to `limit` trades with `id >= fromId` and time at or before `now`, oldest first.
    package func trades(market: Int, fromId: Int64, limit: Int, now: Int64) -> [TradeRecord] {
        let nowMinute = DetMath.floorDiv(now, CandleInterval.minute)
        guard
            var minute = self.minute(
                containing: max(0, fromId), aggregate: false, market: market, lastMinute: nowMinute)
        else { return [] }
        var collected: [TradeRecord] = []
        while collected.count < limit && minute <= nowMinute {
            for trade in self.tape(market: market, minute: minute).trades()
            where trade.id >= fromId && trade.time <= now {
                collected.append(trade)
                if collected.count == limit { break }
            }
            minute += 1
        }
        return collected
    }

    /// Trades with `from <= time <= to` (and `<= now`), oldest first, at most `limit`.
    package func trades(market: Int, from: Int64, to: Int64, limit: Int, now: Int64) -> [TradeRecord] {
        let end = min(to, now)
        var collected: [TradeRecord] = []
        var minute = DetMath.floorDiv(max(from, self.markets[market].spec.listedAt), CandleInterval.minute)
        let lastMinute = DetMath.floorDiv(end, CandleInterval.minute)
        while collected.count < limit && minute <= lastMinute {
            for trade in self.tape(market: market, minute: minute).trades()
            where trade.time >= from && trade.time <= end {
                collected.append(trade)
                if collected.count == limit { break }
            }
            minute += 1
        }
        return collected
    }

    /// The most recent `limit` aggregate trades at or before `now`, oldest first.
    package func recentAggregates(market: Int, limit: Int, now: Int64) -> [TapeOrder] {
        var collected: [TapeOrder] = []
        var minute = DetMath.floorDiv(now, CandleInterval.minute)
        let floorMinute = max(
            self.markets[market].spec.listedAt / CandleInterval.minute, minute - Self.scanLimitMinutes)
        while collected.count < limit && minute >= floorMinute {
            for order in self.tape(market: market, minute: minute).orders.reversed() where order.time <= now {
                collected.append(order)
                if collected.count == limit { break }
            }
            minute -= 1
        }
        return collected.reversed()
    }

    /// Aggregate trades from id `fromId`, oldest first.
    package func aggregates(market: Int, fromId: Int64, limit: Int, now: Int64) -> [TapeOrder] {
        let nowMinute = DetMath.floorDiv(now, CandleInterval.minute)
        guard
            var minute = self.minute(containing: max(0, fromId), aggregate: true, market: market, lastMinute: nowMinute)
        else { return [] }
        var collected: [TapeOrder] = []
        while collected.count < limit && minute <= nowMinute {
            for order in self.tape(market: market, minute: minute).orders
            where order.aggregateId >= fromId && order.time <= now {
                collected.append(order)
                if collected.count == limit { break }
            }
            minute += 1
        }
        return collected
    }

    /// Aggregate trades with `from <= time <= to` (and `<= now`), oldest first.
    package func aggregates(market: Int, from: Int64, to: Int64, limit: Int, now: Int64) -> [TapeOrder] {
        let end = min(to, now)
        var collected: [TapeOrder] = []
        var minute = DetMath.floorDiv(max(from, self.markets[market].spec.listedAt), CandleInterval.minute)
        let lastMinute = DetMath.floorDiv(end, CandleInterval.minute)
        while collected.count < limit && minute <= lastMinute {
            for order in self.tape(market: market, minute: minute).orders where order.time >= from && order.time <= end
            {
                collected.append(order)
                if collected.count == limit { break }
            }
            minute += 1
        }
        return collected
    }

    /// Candles by open time, oldest first.
    ///
    /// - `start` only: buckets opening at or after `start`; `end` only: the last `limit` buckets
    ///   opening at or before `end`; both: from `start`, capped at `end`; neither: the most recent
    ///   `limit` buckets. Nothing before the listing or after `now`; the bucket holding `now` is
    ///   partial (`isClosed == false`).
    package func candles(
        market: Int, interval: CandleInterval, offset: Int64 = 0, start: Int64?, end: Int64?, limit: Int, now: Int64
    ) -> [Candle] {
        guard limit > 0 else { return [] }
        let listedAt = self.markets[market].spec.listedAt
        let firstOpen = interval.bucketStart(containing: listedAt, offset: offset)
        let lastOpen = interval.bucketStart(containing: now, offset: offset)
        var opens: [Int64] = []
        if let start {
            var open = interval.bucketStart(containing: max(start, firstOpen), offset: offset)
            if open < start { open = interval.nextStart(after: open, offset: offset) }
            let cap = min(lastOpen, end.map { interval.bucketStart(containing: $0, offset: offset) } ?? lastOpen)
            while open <= cap && opens.count < limit {
                opens.append(open)
                open = interval.nextStart(after: open, offset: offset)
            }
        } else {
            var open = min(lastOpen, end.map { interval.bucketStart(containing: $0, offset: offset) } ?? lastOpen)
            while open >= firstOpen && opens.count < limit {
                opens.append(open)
                open = interval.previousStart(before: open, offset: offset)
            }
            opens.reverse()
        }
        guard let first = opens.first else { return [] }
        var previousClose: Int64?
        var candles: [Candle] = []
        candles.reserveCapacity(opens.count)
        for open in opens {
            let next = interval.nextStart(after: open, offset: offset)
            var summary = self.summary(market: market, from: open, to: min(next, now + 1))
            if summary.isEmpty {
                // No trades: the candle is flat at the previous close, as exchanges publish it.
                if previousClose == nil {
                    previousClose =
                        self.lastTrade(market: market, atOrBefore: first - 1)?.price
                        ?? self.markets[market].path.quote(at: open).bid * self.markets[market].spec.tickSize
                }
                let flat = previousClose ?? 0
                summary.open = flat
                summary.high = flat
                summary.low = flat
                summary.close = flat
            }
            previousClose = summary.close
            candles.append(Candle(openTime: open, closeTime: next - 1, summary: summary, isClosed: next <= now))
        }
        return candles
    }
}
