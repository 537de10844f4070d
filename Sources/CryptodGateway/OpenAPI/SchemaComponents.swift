/// The named schemas of the OpenAPI document (`#/components/schemas/…`), the shapes the handlers write.
enum SchemaComponents {
    typealias P = JSONSchema.Property

    static let origins = ["live", "gap_fill", "backfill", "resync", "injected"]
    static let marketTypes = ["spot", "linear", "inverse"]

    static let all: [(name: String, schema: JSONSchema, description: String)] = [
        (
            "Decimal", .string(.init(pattern: #"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"#)),
            "An exact decimal, as a string with the digits the exchange sent (\"0.00010000\"); parse it with a "
                + "decimal type, never a binary float."
        ),
        (
            "Error",
            .object([
                P(
                    "error",
                    .object([
                        P("code", .string(), "Stable machine code (see docs/api.md)."),
                        P("message", .string(), "What was wrong and what is accepted."),
                    ]))
            ]), "Every error answer."
        ),
        (
            "Ticker",
            .object(
                marketFields("ticker") + [
                    P("time", .nullable(.dateTime)), P("received_at", .dateTime),
                ]
                    + [
                        "last", "last_quantity", "bid", "bid_quantity", "ask", "ask_quantity", "open", "high", "low",
                        "volume", "quote_volume", "change_percent",
                    ].map { P($0, .nullable(.decimal)) } + [
                        P("origin", .choice(origins))
                    ]), "The latest ticker of a market; fields the exchange does not send are null."
        ),
        (
            "Trade",
            .object([
                P("id", .string()), P("price", .decimal), P("quantity", .decimal),
                P("side", .choice(["buy", "sell", "unknown"]), "The taker's side."), P("time", .nullable(.dateTime)),
                P("received_at", .dateTime), P("origin", .choice(origins)),
            ]), "One trade."
        ),
        (
            "Trades", .object(marketFields("trades") + [P("trades", .array(.ref("Trade")))]),
            "Trades of one market, oldest first."
        ),
        (
            "Candle",
            .object(
                marketFields("candle") + [
                    P("interval", .string()), P("open_time", .dateTime), P("open", .decimal), P("high", .decimal),
                    P("low", .decimal), P("close", .decimal), P("volume", .decimal),
                    P("quote_volume", .nullable(.decimal)), P("trade_count", .nullable(.integer())),
                    P("closed", .boolean), P("received_at", .dateTime), P("origin", .choice(origins)),
                ]), "The latest candle of a market and interval."
        ),
        (
            "HistoricalCandle",
            .object([
                P("open_time", .dateTime), P("open", .decimal), P("high", .decimal), P("low", .decimal),
                P("close", .decimal), P("volume", .decimal), P("quote_volume", .nullable(.decimal)),
                P("trade_count", .nullable(.integer())), P("closed", .boolean),
                P("revisions", .integer(minimum: 0), "How often the closed candle was corrected afterwards."),
                P(
                    "derived", .boolean,
                    "Built by cryptod from smaller stored candles: a timeframe the exchange does not offer."),
            ]), "A stored candle (PostgreSQL `historical_data`)."
        ),
        (
            "CoverageRange",
            .object([
                P("start", .dateTime), P("end", .dateTime),
                P(
                    "state", .choice(["present", "empty", "missing", "unknown"]),
                    "present: stored; empty: the exchange had none; missing: a fetch failed; unknown: never fetched."),
            ]), "A stretch of time and what the coverage ledger knows about it."
        ),
        (
            "OHLCV",
            .object([
                P("exchange", .string()), P("market", .choice(marketTypes)), P("symbol", .string()),
                P("timeframe", .string()), P("start", .dateTime), P("end", .dateTime),
                P("candles", .array(.ref("HistoricalCandle")), "Oldest first."),
                P(
                    "coverage",
                    .object([
                        P("state", .choice(["complete", "partial", "none"])),
                        P("ranges", .array(.ref("CoverageRange"))),
                    ]), "What candle_coverage says about [start, end)."),
                P("next_cursor", .nullable(.string()), "Pass as ?cursor= for the next page; null on the last page."),
            ]), "A page of stored candles."
        ),
        (
            "OrderBook",
            .object(
                marketFields("order_book") + [
                    P("update_id", .integer(minimum: 0)), P("sequence", .nullable(.integer(minimum: 0))),
                    P("time", .nullable(.dateTime)), P("received_at", .dateTime),
                    P(
                        "sync_state", .choice(["synced", "resyncing", "degraded"]),
                        "synced: snapshot plus every delta; resyncing/degraded: the last good levels, maybe stale."),
                    P("depth", .integer(minimum: 1)),
                    P("bids", .array(.ref("BookLevel")), "Best (highest) first."),
                    P("asks", .array(.ref("BookLevel")), "Best (lowest) first."),
                ]), "The top of an order book as the gateway holds it."
        ),
        ("BookLevel", .array(.decimal, maxItems: 2), "[price, quantity]."),
        (
            "Instrument",
            .object([
                P("market", .choice(marketTypes)), P("symbol", .string()), P("unified", .string(), "BASE/QUOTE."),
                P("base", .string()), P("quote", .string()), P("status", .string()), P("tick_size", .decimal),
                P("lot_size", .decimal), P("min_quantity", .nullable(.decimal)), P("min_notional", .nullable(.decimal)),
            ]), "A market the exchange lists."
        ),
        (
            "ExchangeStatus",
            .object([
                P("exchange", .string()), P("enabled", .boolean), P("process", .string(), "The ingestor's name."),
                P(
                    "state", .choice(["ready", "not_ready", "not_running", "not_answering", "failed", "disabled"]),
                    "The ingestor process, as /health judges it."),
                P("problem", .nullable(.string())),
                P("connection", .nullable(.string()), "The exchange connection's last reported state."),
                P("connection_reason", .nullable(.string())), P("connection_changed_at", .nullable(.dateTime)),
                P("last_event_at", .nullable(.dateTime)), P("markets_with_data", .integer(minimum: 0)),
            ]), "How an exchange's ingestor and connection are doing."
        ),
    ]

    static func marketFields(_ type: String) -> [P] {
        [
            P("type", .string()), P("exchange", .string()), P("market", .choice(marketTypes)),
            P("symbol", .string()),
        ]
    }
}
