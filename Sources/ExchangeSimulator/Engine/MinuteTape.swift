/// One taker order: it fills against one or more makers at the touch, all at the same price and time.
/// It is one aggregate trade (Binance `aggTrades`) and `fills` plain trades.
package struct TapeOrder: Sendable, Equatable {
    package var aggregateId: Int64
    package var firstTradeId: Int64
    package var fills: Int32
    package var time: Int64
    /// Price in units (the bid for a seller-initiated order, the ask for a buyer-initiated one).
    package var price: Int64
    /// True when the taker sold (the buyer was the maker).
    package var isBuyerMaker: Bool
    /// Index of this order's first fill in `MinuteTape.fillQuantities`.
    package var fillOffset: Int32
    /// Sum of the fills (units).
    package var quantity: Int64
    package var lastTradeId: Int64 { self.firstTradeId + Int64(self.fills) - 1 }
}

/// One public trade.
package struct TradeRecord: Sendable, Equatable {
    package var id: Int64
    package var aggregateId: Int64
    package var time: Int64
    package var price: Int64
    package var quantity: Int64
    package var isBuyerMaker: Bool
}

/// All trades of one market in one minute, generated from the hash.
package struct MinuteTape: Sendable {
    package var minute: Int64
    package var firstTradeId: Int64
    package var firstAggregateId: Int64
    package var orders: [TapeOrder]
    package var fillQuantities: [Int64]

    package var tradeCount: Int64 { Int64(self.fillQuantities.count) }

    /// The trades of this minute, in id order.
    package func trades() -> [TradeRecord] {
        var out: [TradeRecord] = []
        out.reserveCapacity(self.fillQuantities.count)
        for order in self.orders {
            for fill in 0..<Int(order.fills) {
                out.append(
                    TradeRecord(
                        id: order.firstTradeId + Int64(fill), aggregateId: order.aggregateId, time: order.time,
                        price: order.price, quantity: self.fillQuantities[Int(order.fillOffset) + fill],
                        isBuyerMaker: order.isBuyerMaker))
            }
        }
        return out
    }

    /// Builds the tape of `minute` (absolute minute index since the epoch).
    package static func generate(
        minute: Int64, key: UInt64, spec: MarketSpec, activity: ActivityModel, path: PricePath,
        tradesBeforeDay: Int64, ordersBeforeDay: Int64
    ) -> MinuteTape {
        let day = DetMath.floorDiv(minute, ActivityModel.minutesPerDay)
        let counts = activity.minute(day: day, index: minute - day * ActivityModel.minutesPerDay)
        let firstTrade = tradesBeforeDay + counts.tradesBefore
        let firstAggregate = ordersBeforeDay + counts.ordersBefore
        var tape = MinuteTape(
            minute: minute, firstTradeId: firstTrade, firstAggregateId: firstAggregate, orders: [], fillQuantities: [])
        let orderCount = Int(counts.orders)
        guard orderCount > 0 else { return tape }
        // Spread the extra fills over the orders (hashed by the fill's id, so stable).
        var fills = [Int32](repeating: 1, count: orderCount)
        for extra in 0..<counts.extras {
            let h = SimHash.hash(key, .fillSpread, firstTrade + extra)
            fills[Int(h % UInt64(orderCount))] += 1
        }
        let start = minute * 60_000
        tape.orders.reserveCapacity(orderCount)
        tape.fillQuantities.reserveCapacity(orderCount + Int(counts.extras))
        // Stratified times: order k lands in the k-th slice of the minute, so times never go back.
        var times: [Int64] = []
        times.reserveCapacity(orderCount)
        var previousTime = start
        for index in 0..<orderCount {
            let u = SimHash.unit(SimHash.hash(key, .orderTime, firstAggregate + Int64(index)))
            let offset = Int64(((Double(index) + u) * 60_000 / Double(orderCount)).rounded(.down))
            previousTime = max(previousTime, start + min(59_999, offset))
            times.append(previousTime)
        }
        let quotes = path.quotes(minute: minute, times: times)
        var nextTrade = firstTrade
        for index in 0..<orderCount {
            let aggregateId = firstAggregate + Int64(index)
            let time = times[index]
            let isBuyerMaker = SimHash.hash(key, .side, aggregateId) & 1 == 1
            let quote = quotes[index]
            let price = (isBuyerMaker ? quote.bid : quote.ask) * spec.tickSize
            var total: Int64 = 0
            let offsetIndex = Int32(tape.fillQuantities.count)
            for fill in 0..<Int(fills[index]) {
                let quantity = Self.fillQuantity(key: key, tradeId: nextTrade + Int64(fill), spec: spec)
                tape.fillQuantities.append(quantity)
                total += quantity
            }
            tape.orders.append(
                TapeOrder(
                    aggregateId: aggregateId, firstTradeId: nextTrade, fills: fills[index], time: time, price: price,
                    isBuyerMaker: isBuyerMaker, fillOffset: offsetIndex, quantity: total))
            nextTrade += Int64(fills[index])
        }
        return tape
    }

    /// A fill's size: mostly around the typical size, with a hashed heavy tail (×4, ×16).
    @inline(__always)
    static func fillQuantity(key: UInt64, tradeId: Int64, spec: MarketSpec) -> Int64 {
        let h = SimHash.hash(key, .fillQty, tradeId)
        let typical = max(1, spec.typicalLots)
        var lots = 1 + Int64(h % UInt64(2 * typical))
        switch (h >> 32) % 16 {
        case 0: lots *= 16
        case 1, 2: lots *= 4
        case 3, 4, 5, 6: lots = max(1, lots / 4)
        default: break
        }
        return lots * spec.lotSize
    }
}
