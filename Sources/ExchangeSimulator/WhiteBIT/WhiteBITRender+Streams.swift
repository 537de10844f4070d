import NIOCore

/// WebSocket payloads, field by field in the order of the documentation's examples.
extension WhiteBITRender {
    /// `{"period":86400,"last":…,"open":…,"close":…,"high":…,"low":…,"volume":…,"deal":…}` for
    /// `market_update`/`market_request`; without `period` and `close` for the UTC-day variant.
    static func marketStats(_ w: inout JSONWriter, _ stats: WhiteBITVenue.Stats, spec: MarketSpec, period: Int64?) {
        let price = spec.priceDigits
        if let period {
            w.raw("{\"period\":"); w.int(period)
            w.raw(",\"last\":")
        } else {
            w.raw("{\"last\":")
        }
        Self.decimal(&w, stats.last, digits: price)
        w.raw(",\"open\":"); Self.decimal(&w, stats.open, digits: price)
        if period != nil {
            w.raw(",\"close\":"); Self.decimal(&w, stats.last, digits: price)
        }
        w.raw(",\"high\":"); Self.decimal(&w, stats.high, digits: price)
        w.raw(",\"low\":"); Self.decimal(&w, stats.low, digits: price)
        w.raw(",\"volume\":"); Self.decimal(&w, wide: stats.volume, scale: 8, digits: spec.quantityDigits)
        w.raw(",\"deal\":"); Self.decimal(&w, wide: stats.deal, scale: 16, digits: price + spec.quantityDigits)
        w.raw("}")
    }

    /// `{"id":null,"method":"<method>","params":[` — the common update prefix.
    static func updatePrefix(_ w: inout JSONWriter, _ method: StaticString) {
        w.raw("{\"id\":null,\"method\":\""); w.raw(method); w.raw("\",\"params\":[")
    }

    /// The data object of a `depth_update` (and, without ids, of a `depth_request` answer).
    static func depthData(
        _ w: inout JSONWriter, spec: MarketSpec, time: Int64, updateId: Int64?, pastUpdateId: Int64?,
        asks: [BookLevel], bids: [BookLevel], eventTime: Int64?
    ) {
        w.raw("{\"timestamp\":"); Self.seconds(&w, time)
        if let updateId {
            w.raw(",\"update_id\":"); w.int(updateId)
        }
        if let pastUpdateId {
            w.raw(",\"past_update_id\":"); w.int(pastUpdateId)
        }
        w.raw(",\"asks\":"); Self.levels(&w, asks, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        w.raw(",\"bids\":"); Self.levels(&w, bids, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        if let eventTime {
            w.raw(",\"event_time\":"); Self.seconds(&w, eventTime)
        }
        w.raw("}")
    }

    /// `depth_update`: `[isFullReload, {timestamp, update_id, past_update_id?, asks, bids, event_time}, market]`.
    static func depthUpdate(
        _ w: inout JSONWriter, symbol: String, spec: MarketSpec, snapshot: Bool, time: Int64, updateId: Int64,
        pastUpdateId: Int64?, asks: [BookLevel], bids: [BookLevel], eventTime: Int64
    ) {
        Self.updatePrefix(&w, "depth_update")
        w.bool(snapshot)
        w.raw(",")
        Self.depthData(
            &w, spec: spec, time: time, updateId: updateId, pastUpdateId: snapshot ? nil : pastUpdateId, asks: asks,
            bids: bids, eventTime: eventTime)
        w.raw(",\""); w.rawString(symbol); w.raw("\"]}")
    }

    /// `bookTicker_update`: `[[transactionTime, messageTime, market, update_id, bid, bidAmount, ask, askAmount]]`,
    /// keys in the fixture's order (`method`, `params`, `id`).
    static func bookTicker(
        _ w: inout JSONWriter, symbol: String, spec: MarketSpec, transactionTime: Int64, messageTime: Int64,
        updateId: Int64, bid: BookLevel, ask: BookLevel
    ) {
        w.raw("{\"method\":\"bookTicker_update\",\"params\":[[")
        Self.seconds(&w, transactionTime)
        w.raw(","); Self.seconds(&w, messageTime)
        w.raw(",\""); w.rawString(symbol)
        w.raw("\","); w.int(updateId)
        w.raw(","); Self.decimal(&w, bid.price, digits: spec.priceDigits)
        w.raw(","); Self.decimal(&w, bid.quantity, digits: spec.quantityDigits)
        w.raw(","); Self.decimal(&w, ask.price, digits: spec.priceDigits)
        w.raw(","); Self.decimal(&w, ask.quantity, digits: spec.quantityDigits)
        w.raw("]],\"id\":null}")
    }
}
