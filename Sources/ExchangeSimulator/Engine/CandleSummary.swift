/// Aggregate statistics of the trades in a time range: one candle, one rolling-ticker window.
///
/// Summaries of adjacent ranges merge in time order, which is how 1 h and 1 d candles are built from
/// cached 1 m summaries and agree with them exactly. Volumes are wide because a month of a low-priced
/// coin overflows `Int64` at 1e-8; notional sums are at 1e-16.
package struct CandleSummary: Sendable, Equatable {
    package var count: Int64 = 0
    package var firstTradeId: Int64 = -1
    package var lastTradeId: Int64 = -1
    package var open: Int64 = 0
    package var high: Int64 = 0
    package var low: Int64 = 0
    package var close: Int64 = 0
    package var firstTime: Int64 = 0
    package var lastTime: Int64 = 0
    package var lastQuantity: Int64 = 0
    /// Base volume, units (1e-8).
    package var volume: Int128 = 0
    /// Quote volume, 1e-16.
    package var quoteVolume: Int128 = 0
    /// Base volume of buyer-initiated trades, 1e-8.
    package var takerBuyVolume: Int128 = 0
    /// Quote volume of buyer-initiated trades, 1e-16.
    package var takerBuyQuoteVolume: Int128 = 0

    package static let empty = CandleSummary()

    package init() {}

    package var isEmpty: Bool { self.count == 0 }

    /// Adds one trade that is later than every trade already in the summary.
    @inline(__always)
    package mutating func add(_ trade: TradeRecord) {
        self.add(
            id: trade.id, time: trade.time, price: trade.price, quantity: trade.quantity,
            isBuyerMaker: trade.isBuyerMaker)
    }

    @inline(__always)
    package mutating func add(id: Int64, time: Int64, price: Int64, quantity: Int64, isBuyerMaker: Bool) {
        if self.count == 0 {
            self.firstTradeId = id
            self.open = price
            self.high = price
            self.low = price
            self.firstTime = time
        } else {
            if price > self.high { self.high = price }
            if price < self.low { self.low = price }
        }
        self.count += 1
        self.lastTradeId = id
        self.close = price
        self.lastTime = time
        self.lastQuantity = quantity
        let notional = Units.notional(price, quantity)
        self.volume += Int128(quantity)
        self.quoteVolume += notional
        if !isBuyerMaker {
            self.takerBuyVolume += Int128(quantity)
            self.takerBuyQuoteVolume += notional
        }
    }

    /// Appends a summary of a later, adjacent range.
    package mutating func merge(_ later: CandleSummary) {
        guard later.count > 0 else { return }
        guard self.count > 0 else {
            self = later
            return
        }
        self.count += later.count
        self.lastTradeId = later.lastTradeId
        if later.high > self.high { self.high = later.high }
        if later.low < self.low { self.low = later.low }
        self.close = later.close
        self.lastTime = later.lastTime
        self.lastQuantity = later.lastQuantity
        self.volume += later.volume
        self.quoteVolume += later.quoteVolume
        self.takerBuyVolume += later.takerBuyVolume
        self.takerBuyQuoteVolume += later.takerBuyQuoteVolume
    }

    /// Summary of the trades of `tape` with `from <= time < to`.
    package static func of(_ tape: MinuteTape, from: Int64 = .min, to: Int64 = .max) -> CandleSummary {
        var summary = CandleSummary()
        for order in tape.orders where order.time >= from && order.time < to {
            for fill in 0..<Int(order.fills) {
                summary.add(
                    id: order.firstTradeId + Int64(fill), time: order.time, price: order.price,
                    quantity: tape.fillQuantities[Int(order.fillOffset) + fill], isBuyerMaker: order.isBuyerMaker)
            }
        }
        return summary
    }
}
