import CryptodModel

/// The JSON bodies cryptod hands to applications outside it: RabbitMQ messages and Redis cache values
/// (contract in docs/events.md and docs/redis.md).
///
/// Unlike ``MarketEventJSON`` (the internal shape shared with the client WebSocket and the JSONL files), these
/// bodies are made for consumers such as a Laravel application: one flat object per event, snake_case keys,
/// prices and quantities as strings with the exchange's exact digits, and every time twice — RFC 3339 text
/// (`time`) and integer epoch milliseconds (`time_ms`) — so no consumer has to parse dates or floats. A
/// missing optional value is `null`, so every body of a type has the same keys.
///
/// `leading` writes the members that come first (event id and type, or a cache value's `type`); `trailing`
/// the ones after the type-specific fields (`conflated`).
package enum EventEnvelopeJSON {
    /// Bumped when a field changes meaning or disappears; new fields do not bump it.
    package static let schemaVersion: Int64 = 1

    package typealias Members = (inout JSONWriter) -> Void

    // MARK: - Bodies

    /// A ticker: `last`, best `bid`/`ask`, 24 h `open`/`high`/`low`, volumes, `change_percent`.
    package static func ticker(_ ticker: Ticker, leading: Members? = nil, trailing: Members? = nil) -> [UInt8] {
        body(ticker.market, leading: leading, trailing: trailing) { json in
            time("time", ticker.time, into: &json)
            time("received_at", ticker.receivedAt, into: &json)
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
    }

    /// One trade (a batch of trades becomes one body per trade).
    package static func trade(_ trade: Trade, leading: Members? = nil, trailing: Members? = nil) -> [UInt8] {
        body(trade.market, leading: leading, trailing: trailing) { json in
            json.field("trade_id", trade.id)
            json.field("price", trade.price)
            json.field("quantity", trade.quantity)
            json.field("side", trade.side.description)
            time("time", trade.time, into: &json)
            time("received_at", trade.receivedAt, into: &json)
            json.field("origin", trade.origin.description)
        }
    }

    /// A candle; `close_time` is the last millisecond of the interval (as Binance reports it).
    package static func candle(_ candle: Candle, leading: Members? = nil, trailing: Members? = nil) -> [UInt8] {
        body(candle.market, leading: leading, trailing: trailing) { json in
            json.field("interval", candle.interval.description)
            time("open_time", candle.openTime, into: &json)
            time("close_time", closeTime(of: candle), into: &json)
            json.field("open", candle.open)
            json.field("high", candle.high)
            json.field("low", candle.low)
            json.field("close", candle.close)
            json.field("volume", candle.volume)
            json.field("quote_volume", candle.quoteVolume)
            json.key("trade_count")
            if let count = candle.tradeCount { json.value(count) } else { json.null() }
            json.field("is_closed", candle.isClosed)
            time("received_at", candle.receivedAt, into: &json)
            json.field("origin", candle.origin.description)
        }
    }

    /// The best levels of a book (a snapshot already cut to `depth` levels per side), best first, each level
    /// `[price, quantity]`; `best_bid`/`best_ask` repeat the first level's price for consumers that need only
    /// the top.
    package static func book(
        _ book: BookSnapshot, depth: Int, leading: Members? = nil, trailing: Members? = nil
    ) -> [UInt8] {
        body(book.market, leading: leading, trailing: trailing) { json in
            json.field("update_id", book.updateID)
            json.field("sequence", book.sequence)
            time("time", book.time, into: &json)
            time("received_at", book.receivedAt, into: &json)
            json.field("depth", Int64(depth))
            json.field("best_bid", book.bids.first?.price)
            json.field("best_ask", book.asks.first?.price)
            levels("bids", book.bids, into: &json)
            levels("asks", book.asks, into: &json)
            json.field("origin", book.origin.description)
        }
    }

    /// A gap in one market's stream opened or closed (`closed_at` is `null` while open).
    package static func gap(_ gap: StreamGap, leading: Members? = nil, trailing: Members? = nil) -> [UInt8] {
        body(gap.market, leading: leading, trailing: trailing) { json in
            json.field("channel", gap.channel)
            json.field("state", gap.state.description)
            time("opened_at", gap.openedAt, into: &json)
            time("closed_at", gap.closedAt, into: &json)
            json.field("recovered", gap.recovered)
            json.field("reason", gap.reason)
        }
    }

    /// A connection's or a market's state; `market` and `symbol` are `null` for a whole connection.
    package static func status(_ status: SourceStatus, leading: Members? = nil, trailing: Members? = nil) -> [UInt8] {
        var json = JSONWriter(capacity: 256)
        json.object { json in
            leading?(&json)
            json.field("exchange", status.exchange.rawValue)
            if let market = status.market {
                json.field("market", market.type.description)
                json.field("symbol", market.symbol)
            } else {
                json.key("market")
                json.null()
                json.key("symbol")
                json.null()
            }
            json.field("state", status.state.description)
            json.field("reason", status.reason)
            time("time", status.time, into: &json)
            trailing?(&json)
        }
        return json.bytes
    }

    // MARK: - Pieces

    /// The last millisecond of `candle`'s interval.
    package static func closeTime(of candle: Candle) -> Timestamp {
        candle.interval.nextOpenTime(after: candle.openTime).advanced(byNanoseconds: -1_000_000)
    }

    /// `name` as RFC 3339 text and `name_ms` as epoch milliseconds (both `null` when absent).
    package static func time(_ name: String, _ value: Timestamp?, into json: inout JSONWriter) {
        json.field(name, value)
        json.key(name + "_ms")
        if let value { json.value(value.milliseconds) } else { json.null() }
    }

    private static func body(
        _ market: MarketKey, leading: Members?, trailing: Members?, fields: (inout JSONWriter) -> Void
    ) -> [UInt8] {
        var json = JSONWriter(capacity: 512)
        json.object { json in
            leading?(&json)
            json.field("exchange", market.exchange.rawValue)
            json.field("market", market.type.description)
            json.field("symbol", market.symbol)
            fields(&json)
            trailing?(&json)
        }
        return json.bytes
    }

    private static func levels(_ name: String, _ levels: [BookLevel], into json: inout JSONWriter) {
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
}
