import CryptodModel

/// The JSON form of market data, shared by every output (client WebSocket, RabbitMQ, Redis, files).
///
/// Shape, stable across outputs (documented in docs/api.md):
/// `{"type":"trade","exchange":"binance","market":"spot","symbol":"BTCUSDT", …type-specific fields…}`.
/// Prices and quantities are JSON strings with the exchange's exact digits; times are RFC 3339 UTC strings
/// with 3, 6 or 9 fractional digits (as many as needed to be exact); ids are strings or integers as noted.
public enum MarketEventJSON {
    /// The event's `type` value.
    public static func typeName(_ event: MarketEvent) -> String {
        switch event {
        case .ticker: "ticker"
        case .trades: "trades"
        case .candle: "candle"
        case .bookSnapshot: "book_snapshot"
        case .bookDelta: "book_delta"
        }
    }

    /// Encodes one event as a JSON object.
    public static func encode(_ event: MarketEvent) -> [UInt8] {
        var json = JSONWriter()
        write(event, into: &json)
        return json.bytes
    }

    /// Writes one event as a JSON object, for callers that embed it (e.g. with delivery metadata).
    public static func write(_ event: MarketEvent, into json: inout JSONWriter, extra: ((inout JSONWriter) -> Void)? = nil) {
        json.object { json in
            json.field("type", typeName(event))
            if let market = event.market { writeMarket(market, into: &json) }
            extra?(&json)
            switch event {
            case .ticker(let ticker): writeTicker(ticker, into: &json)
            case .trades(let trades): writeTrades(trades, into: &json)
            case .candle(let candle): writeCandle(candle, into: &json)
            case .bookSnapshot(let snapshot): writeSnapshot(snapshot, into: &json)
            case .bookDelta(let delta): writeDelta(delta, into: &json)
            }
        }
    }

    static func writeMarket(_ market: MarketKey, into json: inout JSONWriter) {
        json.field("exchange", market.exchange.rawValue)
        json.field("market", market.type.description)
        json.field("symbol", market.symbol)
    }

    static func writeTicker(_ ticker: Ticker, into json: inout JSONWriter) {
        json.field("time", ticker.time)
        json.field("received_at", ticker.receivedAt)
        json.field("last", ticker.last)
        json.field("last_quantity", ticker.lastQuantity)
        json.field("bid", ticker.bid)
        json.field("bid_quantity", ticker.bidQuantity)
        json.field("ask", ticker.ask)
        json.field("ask_quantity", ticker.askQuantity)
        json.field("open", ticker.open)
        json.field("high", ticker.high)
        json.field("low", ticker.low)
        json.field("volume", ticker.volume)
        json.field("quote_volume", ticker.quoteVolume)
        json.field("change_percent", ticker.changePercent)
    }

    static func writeTrades(_ trades: [Trade], into json: inout JSONWriter) {
        json.key("trades")
        json.array { json in
            for trade in trades {
                json.object { json in
                    json.field("id", trade.id)
                    json.field("price", trade.price)
                    json.field("quantity", trade.quantity)
                    json.field("side", trade.side.description)
                    json.field("time", trade.time)
                    json.field("received_at", trade.receivedAt)
                }
            }
        }
    }

    static func writeCandle(_ candle: Candle, into json: inout JSONWriter) {
        json.field("interval", candle.interval.description)
        json.field("open_time", candle.openTime)
        json.field("open", candle.open)
        json.field("high", candle.high)
        json.field("low", candle.low)
        json.field("close", candle.close)
        json.field("volume", candle.volume)
        json.field("quote_volume", candle.quoteVolume)
        json.key("trade_count")
        if let count = candle.tradeCount { json.value(count) } else { json.null() }
        json.field("closed", candle.isClosed)
        json.field("received_at", candle.receivedAt)
    }

    static func writeLevels(_ name: String, _ levels: [BookLevel], into json: inout JSONWriter) {
        json.key(name)
        json.array { json in
            for level in levels {
                json.array { json in
                    json.value(level.price)
                    json.value(level.quantity)
                }
            }
        }
    }

    static func writeSnapshot(_ snapshot: BookSnapshot, into json: inout JSONWriter) {
        json.field("update_id", snapshot.updateID)
        json.field("sequence", snapshot.sequence)
        json.field("time", snapshot.time)
        json.field("received_at", snapshot.receivedAt)
        writeLevels("bids", snapshot.bids, into: &json)
        writeLevels("asks", snapshot.asks, into: &json)
    }

    static func writeDelta(_ delta: BookDelta, into json: inout JSONWriter) {
        json.field("first_update_id", delta.firstUpdateID)
        json.field("last_update_id", delta.lastUpdateID)
        json.field("previous_update_id", delta.previousUpdateID)
        json.field("sequence", delta.sequence)
        json.field("time", delta.time)
        json.field("received_at", delta.receivedAt)
        writeLevels("bids", delta.bids, into: &json)
        writeLevels("asks", delta.asks, into: &json)
    }
}
