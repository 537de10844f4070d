import CryptodModel

/// One row the sink stores, with the stream position of the event it came from.
///
/// A trades event becomes one row per trade, so a bad trade can be quarantined without its neighbours.
struct PostgresRow: Sendable {
    enum Value: Sendable {
        case trade(Trade)
        case candle(Candle)
        case ticker(Ticker)
    }

    var sequence: UInt64
    var value: Value

    var market: MarketKey {
        switch value {
        case .trade(let trade): trade.market
        case .candle(let candle): candle.market
        case .ticker(let ticker): ticker.market
        }
    }

    /// The table the row is meant for (`dead_letters.target`, the `table` metric dimension).
    var target: String {
        switch value {
        case .trade: "trades"
        case .candle: "historical_data"
        case .ticker: "ticker_snapshots"
        }
    }

    /// The rows of one event; book events give none (Redis keeps the books).
    static func rows(of item: SinkItem) -> [PostgresRow] {
        switch item.event {
        case .trades(let trades): trades.map { PostgresRow(sequence: item.sequence, value: .trade($0)) }
        case .candle(let candle): [PostgresRow(sequence: item.sequence, value: .candle(candle))]
        case .ticker(let ticker): [PostgresRow(sequence: item.sequence, value: .ticker(ticker))]
        case .bookSnapshot, .bookDelta, .instruments, .gap, .status: []
        }
    }

    // MARK: - Dead-letter payload

    /// The row as a JSON object with decimals as strings (exact text), for `dead_letters.payload`.
    var payload: String {
        var json = PayloadJSON()
        json.field("exchange", market.exchange.rawValue)
        json.field("market_type", market.type.description)
        json.field("symbol", market.symbol)
        switch value {
        case .trade(let trade):
            json.field("trade_id", trade.id)
            json.field("price", trade.price)
            json.field("quantity", trade.quantity)
            json.field("side", trade.side.description)
            json.field("time_ns", String(trade.time.nanoseconds), quoted: false)
        case .candle(let candle):
            json.field("timeframe", candle.interval.description)
            json.field("open_time_ns", String(candle.openTime.nanoseconds), quoted: false)
            json.field("open", candle.open)
            json.field("high", candle.high)
            json.field("low", candle.low)
            json.field("close", candle.close)
            json.field("volume", candle.volume)
            json.field("quote_volume", candle.quoteVolume)
            json.field("trade_count", candle.tradeCount.map { String($0) }, quoted: false)
            json.field("is_closed", candle.isClosed ? "true" : "false", quoted: false)
        case .ticker(let ticker):
            json.field("time_ns", String(ticker.time.nanoseconds), quoted: false)
            json.field("last", ticker.last)
            json.field("bid", ticker.bid)
            json.field("ask", ticker.ask)
            json.field("open", ticker.open)
            json.field("high", ticker.high)
            json.field("low", ticker.low)
            json.field("volume", ticker.volume)
            json.field("quote_volume", ticker.quoteVolume)
            json.field("change_percent", ticker.changePercent)
        }
        return json.finish()
    }
}

/// A flat JSON object writer; enough for dead-letter payloads (CryptodFormats sits above this module).
private struct PayloadJSON {
    private var text = "{"

    mutating func field(_ key: String, _ value: ExactDecimal?) {
        field(key, value?.description)
    }

    mutating func field(_ key: String, _ value: String?, quoted: Bool = true) {
        if text.utf8.count > 1 { text += "," }
        text += Self.quote(key) + ":"
        guard let value else {
            text += "null"
            return
        }
        text += quoted ? Self.quote(value) : value
    }

    func finish() -> String { text + "}" }

    /// Escapes per RFC 8259; control characters (NUL included) become `\u00XX`, so the payload is plain text.
    static func quote(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
