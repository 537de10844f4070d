import CryptodModel

/// The JSON form of market data, shared by every output (client WebSocket, RabbitMQ, Redis, files).
///
/// Shape, stable across outputs (documented in docs/api.md):
/// `{"type":"trade","exchange":"binance","market":"spot","symbol":"BTCUSDT", …type-specific fields…}`.
/// Prices and quantities are JSON strings with the exchange's exact digits; times are RFC 3339 UTC strings
/// with 3, 6 or 9 fractional digits (as many as needed to be exact); ids are strings or integers as noted.
/// Market data (tickers, trades, candles, book events) always carries `"origin"` (`live`, `gap_fill`,
/// `backfill`, `resync`, `injected`; for trades, on each trade), so every event of a type has the same keys.
/// Events without a market (an instrument list, a status of a whole connection) carry only `"exchange"`.
public enum MarketEventJSON {
    /// The event's `type` value.
    public static func typeName(_ event: MarketEvent) -> String {
        switch event {
        case .ticker: "ticker"
        case .trades: "trades"
        case .candle: "candle"
        case .bookSnapshot: "book_snapshot"
        case .bookDelta: "book_delta"
        case .instruments: "instruments"
        case .gap: "stream_gap"
        case .status: "source_status"
        }
    }

    /// Encodes one event as a JSON object.
    public static func encode(_ event: MarketEvent) -> [UInt8] {
        var json = JSONWriter()
        write(event, into: &json)
        return json.bytes
    }

    /// Writes one event as a JSON object, for callers that embed it (e.g. with delivery metadata).
    public static func write(
        _ event: MarketEvent, into json: inout JSONWriter, extra: ((inout JSONWriter) -> Void)? = nil
    ) {
        json.object { json in
            json.field("type", typeName(event))
            if let market = event.market {
                writeMarket(market, into: &json)
            } else if let exchange = event.exchange {
                json.field("exchange", exchange.rawValue)
            }
            extra?(&json)
            switch event {
            case .ticker(let ticker): writeTicker(ticker, into: &json)
            case .trades(let trades): writeTrades(trades, into: &json)
            case .candle(let candle): writeCandle(candle, into: &json)
            case .bookSnapshot(let snapshot): writeSnapshot(snapshot, into: &json)
            case .bookDelta(let delta): writeDelta(delta, into: &json)
            case .instruments(let list): writeInstruments(list, into: &json)
            case .gap(let gap): writeGap(gap, into: &json)
            case .status(let status): writeStatus(status, into: &json)
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
        json.field("origin", ticker.origin.description)
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
                    json.field("origin", trade.origin.description)
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
        json.field("origin", candle.origin.description)
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
        json.field("origin", snapshot.origin.description)
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
        json.field("origin", delta.origin.description)
    }

    static func writeInstruments(_ list: InstrumentList, into json: inout JSONWriter) {
        json.key("instruments")
        json.array { json in
            for instrument in list.instruments {
                json.object { json in
                    json.field("market", instrument.market.type.description)
                    json.field("symbol", instrument.market.symbol)
                    json.field("base", instrument.base)
                    json.field("quote", instrument.quote)
                    json.field("status", instrument.status.description)
                    json.field("tick_size", instrument.tickSize)
                    json.field("lot_size", instrument.lotSize)
                    json.field("min_quantity", instrument.minQuantity)
                    json.field("min_notional", instrument.minNotional)
                }
            }
        }
    }

    static func writeGap(_ gap: StreamGap, into json: inout JSONWriter) {
        json.field("channel", gap.channel)
        json.field("state", gap.state.description)
        json.field("opened_at", gap.openedAt)
        json.field("closed_at", gap.closedAt)
        json.field("recovered", gap.recovered)
        json.field("reason", gap.reason)
    }

    static func writeStatus(_ status: SourceStatus, into json: inout JSONWriter) {
        if status.market == nil {
            // Same keys as a market's status: `market` and `symbol` are null for the whole connection.
            json.key("market")
            json.null()
            json.key("symbol")
            json.null()
        }
        json.field("state", status.state.description)
        json.field("reason", status.reason)
        json.field("time", status.time)
    }
}
