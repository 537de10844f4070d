import CryptodFormats
import CryptodIPC
import CryptodModel
import Hummingbird

extension RESTAPI {
    /// `GET /api/v1/exchanges/{exchange}/ohlcv/{symbol}`: stored candles from PostgreSQL with the coverage of
    /// the range, paged by an opaque cursor.
    func ohlcv(_ inputs: RouteInputs) async throws -> Response {
        let (key, exchange) = try market(inputs)
        let offered = exchange.profile.candleIntervals.map(\.description)
        let name = try inputs.choice("timeframe", allowed: offered, what: "a timeframe of \(exchange.id)") ?? "1m"
        guard let interval = CandleInterval(name: name) else {
            throw GatewayHTTPError(.badRequest, .badTimeframe, "unknown timeframe \"\(name)\"")
        }
        let limit = try inputs.integer("limit")
        let query: CandleHistory.Query
        if let cursor = inputs.text("cursor"), !cursor.isEmpty {
            guard inputs.text("start") == nil, inputs.text("end") == nil else {
                throw GatewayHTTPError(
                    .badRequest, .badRange, "give either cursor or start/end: a cursor already holds the range")
            }
            query = try OHLCVCursor.decode(cursor, market: key, interval: interval, limit: limit)
        } else {
            let start = try inputs.time("start")
            let end = try inputs.time("end") ?? Timestamp(nanoseconds: WallClock.nowNanoseconds())
            if let start, !(start < end) {
                throw GatewayHTTPError(
                    .badRequest, .badRange,
                    "start (\(start)) must be before end (\(end)); end is exclusive and defaults to now")
            }
            query = CandleHistory.Query(
                market: key, interval: interval, direction: start == nil ? .backward : .forward, start: start, end: end,
                limit: limit)
        }
        guard let history else {
            throw GatewayHTTPError(
                .serviceUnavailable, .historyUnavailable,
                "candle history needs PostgreSQL: set gateway.postgres_url or writer.postgres_url to a valid URL")
        }
        let page: CandleHistory.Page?
        do {
            page = try await history.page(query)
            metrics.historyQuery(succeeded: true)
        } catch {
            metrics.historyQuery(succeeded: false)
            logger.warning("history query failed", metadata: ["market": "\(key)", "error": "\(error)"])
            throw GatewayHTTPError(
                .serviceUnavailable, .historyUnavailable,
                "PostgreSQL could not answer: \(error.message). Live data is still served; retry later",
                headers: [.retryAfter: "5"])
        }
        guard let page else {
            throw GatewayHTTPError(
                .notFound, .noData,
                "no candles of \(key.exchange) \(key.type) \(key.symbol) are stored; the writer stores markets "
                    + "with the postgres sink (writer.sinks) once their data arrives")
        }
        return JSONBody.object { json in
            json.field("exchange", key.exchange.rawValue)
            json.field("market", key.type.description)
            json.field("symbol", key.symbol)
            json.field("timeframe", interval.description)
            json.field("start", page.start)
            json.field("end", page.end)
            json.key("candles")
            json.array { json in
                for row in page.rows {
                    json.object { json in
                        json.field("open_time", row.openTime)
                        json.field("open", row.open)
                        json.field("high", row.high)
                        json.field("low", row.low)
                        json.field("close", row.close)
                        json.field("volume", row.volume)
                        json.key("quote_volume")
                        if let value = row.quoteVolume { json.value(value) } else { json.null() }
                        json.key("trade_count")
                        if let value = row.tradeCount { json.value(value) } else { json.null() }
                        json.field("closed", row.closed)
                        json.field("revisions", row.revisions)
                        json.field("derived", row.derived)
                    }
                }
            }
            json.key("coverage")
            json.object { json in
                json.field("state", CandleHistory.summary(page.coverage))
                json.key("ranges")
                json.array { json in
                    for range in page.coverage {
                        json.object { json in
                            json.field("start", range.start)
                            json.field("end", range.end)
                            json.field("state", range.state)
                        }
                    }
                }
            }
            json.key("next_cursor")
            if let next = page.next { json.value(OHLCVCursor.encode(next)) } else { json.null() }
        }
    }
}

/// The opaque `next_cursor` of an ohlcv page: the direction and range of the next page and the market it
/// belongs to, so a cursor used with another market or timeframe is refused instead of answering wrongly.
enum OHLCVCursor {
    static func encode(_ query: CandleHistory.Query) -> String {
        let start = query.start.map { "\($0.nanoseconds)" } ?? "-"
        let text =
            "1|\(query.direction.rawValue)|\(start)|\(query.end.nanoseconds)|\(query.market)|\(query.interval)"
        return RESTAPI.hex(text)
    }

    static func decode(
        _ cursor: String, market: MarketKey, interval: CandleInterval, limit: Int
    ) throws
        -> CandleHistory.Query
    {
        let refusal = GatewayHTTPError(
            .badRequest, .badCursor,
            "\"\(cursor.prefix(80))\" is not a cursor of this query; pass next_cursor of the previous page unchanged, "
                + "with the same symbol, market and timeframe")
        guard let text = RESTAPI.unhex(cursor) else { throw refusal }
        let parts = text.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 6, parts[0] == "1",
            let direction = CandleHistory.Query.Direction(rawValue: parts[1]),
            let end = Int64(parts[3])
        else { throw refusal }
        guard parts[4] == market.description, parts[5] == interval.description else {
            throw GatewayHTTPError(
                .badRequest, .badCursor,
                "this cursor pages \(parts[4]) \(parts[5]), not \(market) \(interval); use it with the same query")
        }
        let start: Timestamp?
        if parts[2] == "-" {
            start = nil
        } else {
            guard let value = Int64(parts[2]) else { throw refusal }
            start = Timestamp(nanoseconds: value)
        }
        return CandleHistory.Query(
            market: market, interval: interval, direction: direction, start: start,
            end: Timestamp(nanoseconds: end), limit: limit)
    }
}
