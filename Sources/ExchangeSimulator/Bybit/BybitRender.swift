import NIOCore

/// Bybit stream payloads, written field by field in the key order of the documentation's examples.
enum BybitRender {
    /// `orderbook.{depth}.{symbol}`. Spot (every depth) and level 1 put `ts` before `type`, the other
    /// linear depths after it (bybit.md §5).
    static func book(
        _ w: inout JSONWriter, topic: String, category: BybitCategory, depth: UInt32, symbol: String, grid: BybitGrid,
        message: BybitTopicStore.BookMessage, ts: Int64
    ) {
        let type: StaticString = message.isSnapshot ? "snapshot" : "delta"
        w.raw("{\"topic\":\"")
        w.rawString(topic)
        if category == .spot || depth == 1 {
            w.raw("\",\"ts\":")
            w.int(ts)
            w.raw(",\"type\":\"")
            w.raw(type)
            w.raw("\"")
        } else {
            w.raw("\",\"type\":\"")
            w.raw(type)
            w.raw("\",\"ts\":")
            w.int(ts)
        }
        w.raw(",\"data\":{\"s\":\"")
        w.rawString(symbol)
        w.raw("\",\"b\":")
        grid.levels(&w, message.bids)
        w.raw(",\"a\":")
        grid.levels(&w, message.asks)
        w.raw(",\"u\":")
        w.int(message.u)
        w.raw(",\"seq\":")
        w.int(message.seq)
        w.raw("},\"cts\":")
        w.int(message.cts)
        w.raw("}")
    }

    /// `tickers.{symbol}`: spot `{topic, ts, type, cs, data}`, linear `{topic, type, data, cs, ts}`.
    static func ticker(
        _ w: inout JSONWriter, topic: String, category: BybitCategory, message: BybitTopicStore.TickerMessage, ts: Int64
    ) {
        let names = category == .spot ? BybitTickerFields.spotStream : BybitTickerFields.linearStream
        w.raw("{\"topic\":\"")
        w.rawString(topic)
        if category == .spot {
            w.raw("\",\"ts\":")
            w.int(ts)
            w.raw(",\"type\":\"snapshot\",\"cs\":")
            w.int(message.cs)
            w.raw(",\"data\":")
            BybitTickerFields.object(&w, names: names, values: message.values)
            w.raw("}")
            return
        }
        w.raw(message.isSnapshot ? "\",\"type\":\"snapshot\",\"data\":" : "\",\"type\":\"delta\",\"data\":")
        BybitTickerFields.object(
            &w, names: names, values: message.values, only: message.isSnapshot ? nil : message.changed)
        w.raw(",\"cs\":")
        w.int(message.cs)
        w.raw(",\"ts\":")
        w.int(ts)
        w.raw("}")
    }

    /// `kline.{interval}.{symbol}`: one candle; `confirm` once it has closed.
    static func kline(
        _ w: inout JSONWriter, topic: String, interval: String, candle: Candle, confirm: Bool, grid: BybitGrid,
        ts: Int64
    ) {
        let s = candle.summary
        w.raw("{\"topic\":\"")
        w.rawString(topic)
        w.raw("\",\"data\":[{\"start\":")
        w.int(candle.openTime)
        w.raw(",\"end\":")
        w.int(candle.closeTime)
        w.raw(",\"interval\":\"")
        w.rawString(interval)
        w.raw("\",\"open\":")
        grid.price(&w, s.open)
        w.raw(",\"close\":")
        grid.price(&w, s.close)
        w.raw(",\"high\":")
        grid.price(&w, s.high)
        w.raw(",\"low\":")
        grid.price(&w, s.low)
        w.raw(",\"volume\":")
        w.string(grid.volumeText(s.volume))
        w.raw(",\"turnover\":")
        w.string(BybitFormat.trimmed(s.quoteVolume, scale: 16, maxDigits: 8))
        w.raw(",\"confirm\":")
        w.bool(confirm)
        w.raw(",\"timestamp\":")
        w.int(ts)
        w.raw("}],\"ts\":")
        w.int(ts)
        w.raw(",\"type\":\"snapshot\"}")
    }

    /// One trade of `publicTrade.{symbol}` (`L`, the tick direction, exists for derivatives only).
    struct Trade {
        var trade: TradeRecord
        var id: String
        var direction: String?
    }

    /// `publicTrade.{symbol}`: a batch of trades in time order.
    static func trades(
        _ w: inout JSONWriter, topic: String, symbol: String, grid: BybitGrid, trades: ArraySlice<Trade>, ts: Int64
    ) {
        w.raw("{\"topic\":\"")
        w.rawString(topic)
        w.raw("\",\"type\":\"snapshot\",\"ts\":")
        w.int(ts)
        w.raw(",\"data\":[")
        for (index, item) in trades.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("{\"T\":")
            w.int(item.trade.time)
            w.raw(",\"s\":\"")
            w.rawString(symbol)
            w.raw(item.trade.isBuyerMaker ? "\",\"S\":\"Sell\",\"v\":" : "\",\"S\":\"Buy\",\"v\":")
            grid.size(&w, item.trade.quantity)
            w.raw(",\"p\":")
            grid.price(&w, item.trade.price)
            if let direction = item.direction {
                w.raw(",\"L\":\"")
                w.rawString(direction)
                w.raw("\"")
            }
            w.raw(",\"i\":\"")
            w.rawString(item.id)
            w.raw("\",\"BT\":false,\"seq\":")
            w.int(item.trade.aggregateId)
            w.raw("}")
        }
        w.raw("]}")
    }
}
