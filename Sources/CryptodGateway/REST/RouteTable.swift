import CryptodExchanges
import CryptodModel
import CryptodOps
import Hummingbird

/// Every REST route, in documentation order: the one list the router registers, the "unknown endpoint"
/// answer names and the OpenAPI document describes, so the three cannot drift.
package struct RouteTable: Sendable {
    /// Limits that appear in the routes' parameters (from `[gateway]`).
    package struct Limits: Sendable, Equatable {
        /// Most candles one `/ohlcv` page returns (`gateway.max_page`).
        package var maxPage: Int
        /// Trades kept per market (`/api/v1/trades`' largest limit).
        package var tradeHistory: Int

        package init(maxPage: Int = 1000, tradeHistory: Int = 1000) {
            self.maxPage = maxPage
            self.tradeHistory = tradeHistory
        }
    }

    package let routes: [RouteSpec]

    /// Candles an `/ohlcv` page returns when `limit` is not given.
    static let defaultPage = 500
    /// Levels per side when `depth` is not given, and the most that may be asked for.
    static let defaultDepth = 100
    static let maxDepth = 5000
    /// Trades returned by `/api/v1/trades` when `limit` is not given.
    static let defaultTradeLimit = 100
    /// Files under /docs/assets/.
    static let assetFiles = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png", "redoc.standalone.js"]

    package init(limits: Limits = Limits()) {
        routes = Self.build(limits)
    }

    /// The route `method path` answers to, and whether the path exists for other methods.
    func lookup(method: HTTPRequest.Method, path: String) -> (route: RouteSpec?, allowed: [HTTPRequest.Method]) {
        let candidates = routes.filter { $0.matches(path) }
        // An exact template beats a trailing-symbol one (`/exchanges/status` is not a symbol route).
        return (candidates.first { $0.method == method }, candidates.map(\.method))
    }

    /// `GET /health, GET /metrics, …` for the unknown-endpoint message.
    var endpointList: String {
        routes.filter { $0.id != .docsAsset }.map { "\($0.method) \($0.path)" }.joined(separator: ", ")
    }

    // MARK: - The routes

    private static func build(_ limits: Limits) -> [RouteSpec] {
        typealias Parameter = RouteSpec.Parameter
        let exchanges = ExchangeRegistry.supported.map(\.rawValue)
        let exchange = Parameter(
            "exchange", .path, .text, errorCode: .unknownExchange, schema: .choice(exchanges),
            "The exchange, lower case: \(exchanges.joined(separator: ", ")).")
        let symbol = Parameter(
            "symbol", .path, .text, errorCode: .badSymbol,
            "The market's symbol, as the exchange writes it (BTCUSDT, BTC_USDT) or unified (BTC/USDT, escaped "
                + "BTC%2FUSDT); any case.")
        let market = Parameter(
            "market", .query, .choice(SchemaComponents.marketTypes, defaultValue: nil), errorCode: .badMarket,
            "Market type where the exchange has several (Bybit: spot or linear); default: the configured one.")
        let intervals = CandleInterval.allCases.map(\.description)
        let throttleBody = JSONSchema.object(
            [
                .init("action", .choice(["throttle", "stop", "restart"]), "What to do."),
                .init(
                    "throttle_percent", .integer(minimum: 0, maximum: 99), required: false,
                    "With throttle: the share of ticker and order-book updates to shed."),
            ], closed: true)
        let marketRefs: [Parameter] = [exchange, symbol, market]
        typealias P = JSONSchema.Property
        let healthStatuses = ["healthy", "degraded", "critical"]
        func object(_ properties: [P], _ closed: Bool = false) -> JSONSchema { .object(properties, closed: closed) }
        let subscriptionBody = object(
            [
                P("symbol", .string(.init(minLength: 1, maxLength: 64)), "BTCUSDT, BTC_USDT or BTC/USDT."),
                P("market", .choice(SchemaComponents.marketTypes), required: false, "Default: spot."),
                P(
                    "channels", .array(.string(.init(minLength: 1, maxLength: 32)), maxItems: 32), required: false,
                    "ticker, trades, book, candles:<interval>; none means all."),
            ], false)
        let subscription = object(
            [
                P("sub_id", .string(), "Pass to DELETE …/subscribe/{sub_id} to stop these streams."),
                P("exchange", .string()), P("market", .string()), P("symbol", .string()),
                P("channels", .array(.string())), P("message", .string(), "What the ingestor did."),
            ], false)
        let processList = JSONSchema.any(description: "The process survey (docs/api.md, GET /health).")
        let historyJob = JSONSchema.any(description: "A backfill job (docs/history.md).")
        let historyJobs = JSONSchema.any(description: "{\"jobs\":[…]} (and \"refused\" for bulk requests).")
        let maxBulkJobs = RESTAPI.maxBulkJobs
        return [
            // Service
            RouteSpec(
                .health, .get, "/health", tag: "service", summary: "Readiness of every process",
                description: "200 when every configured process is ready, otherwise 503 naming what is wrong.",
                response: .json(processList), errors: [.serviceUnavailable]),
            RouteSpec(
                .healthLive, .get, "/health/live", tag: "service", summary: "Liveness of the gateway",
                description: "200 whenever the gateway answers at all; asks no other process.",
                response: .json(object([P("status", .choice(["ok"])), P("time", .dateTime)], false))),
            RouteSpec(
                .metrics, .get, "/metrics", tag: "service", summary: "Prometheus metrics of every process",
                description: "Text format 0.0.4: the gateway's metrics, then every other process's, merged by family.",
                response: .prometheus),
            RouteSpec(
                .openAPI, .get, "/openapi.json", tag: "service", summary: "This OpenAPI 3.1 document",
                description: "Generated from the gateway's route table.",
                response: .json(.any(description: "An OpenAPI 3.1 document."))),
            RouteSpec(
                .docs, .get, "/docs", tag: "service", summary: "Interactive API documentation (Swagger UI)",
                description: "Every asset is served by the gateway itself.", response: .html),
            RouteSpec(
                .redoc, .get, "/redoc", tag: "service", summary: "One-page API reference (Redoc)",
                description: "Every asset is served by the gateway itself.", response: .html),
            // Dashboard (Sources/CryptodGateway/Dashboard, docs/operations.md#dashboard)
            RouteSpec(
                .dashboard, .get, "/dashboard", tag: "service", summary: "Live web dashboard",
                description: "Exchanges, rates, latency, health, alerts, buffers, workers, and a chosen market's "
                    + "book and candles, live over the WebSocket. Every asset is served by the gateway itself.",
                response: .html),
            RouteSpec(
                .dashboardConfig, .get, "/dashboard/config.json", tag: "service",
                summary: "What the dashboard page needs to start",
                description: "The WebSocket port (and URL when it listens on another address than REST), the "
                    + "configured markets, whether admin routes are enabled, and the REST poll interval.",
                response: .json(
                    object([
                        P("ws_port", .integer(minimum: 1, maximum: 65535)), P("ws_path", .string()),
                        P("ws_url", .nullable(.string()), "Set only when the page cannot use its own host."),
                        P("admin_enabled", .boolean), P("poll_seconds", .integer(minimum: 1)),
                        P(
                            "exchanges",
                            .array(
                                object([
                                    P("exchange", .string()),
                                    P("default_market", .choice(SchemaComponents.marketTypes)),
                                    P("markets", .array(.string())), P("candle_intervals", .array(.string())),
                                    P("channels", .array(.string())),
                                ]))),
                        P("time", .dateTime),
                    ]))),
            RouteSpec(
                .dashboardAsset, .get, "/dashboard/assets/{file}", tag: "service", summary: "A dashboard asset",
                description: "The dashboard's script and style sheet (Resources/dashboard).",
                parameters: [
                    Parameter(
                        "file", .path, .choice(DashboardAssets.files.keys.sorted(), defaultValue: nil),
                        errorCode: .unknownEndpoint, "The file.")
                ], response: .file, errors: [.notFound]),
            RouteSpec(
                .docsAsset, .get, "/docs/assets/{file}", tag: "service", summary: "A vendored documentation asset",
                description: "Swagger UI and Redoc files (versions and licences in the gateway's resources).",
                parameters: [
                    Parameter(
                        "file", .path, .choice(assetFiles, defaultValue: nil), errorCode: .unknownEndpoint,
                        "The file.")
                ], response: .file, errors: [.notFound]),
            // Exchanges
            RouteSpec(
                .exchanges, .get, "/api/v1/exchanges", tag: "exchanges", summary: "The supported exchanges",
                description: "Every exchange cryptod has an adapter for, and whether it is enabled.",
                response: .json(
                    object([
                        P(
                            "exchanges",
                            .array(
                                object([
                                    P("name", .string()), P("enabled", .boolean),
                                    P("market_types", .array(.choice(SchemaComponents.marketTypes))),
                                    P("default_market", .choice(SchemaComponents.marketTypes)),
                                ])))
                    ]))),
            RouteSpec(
                .exchangesStatus, .get, "/api/v1/exchanges/status", tag: "exchanges",
                summary: "Status of every exchange",
                description: "Each ingestor's process state and its exchange connection, as last reported.",
                response: .json(object([P("exchanges", .array(.ref("ExchangeStatus")))]))),
            RouteSpec(
                .exchangeInfo, .get, "/api/v1/exchanges/{exchange}/info", tag: "exchanges",
                summary: "What cryptod knows about an exchange",
                description: "Market types, timeframes, book depths, symbol spelling and the configured markets.",
                parameters: [exchange],
                response: .json(
                    object([
                        P("name", .string()), P("enabled", .boolean),
                        P("market_types", .array(.choice(SchemaComponents.marketTypes))),
                        P("default_market", .choice(SchemaComponents.marketTypes)),
                        P("timeframes", .array(.choice(intervals))), P("book_depths", .string()),
                        P("symbol_format", .string()), P("markets", .array(.string()), "Configured markets."),
                        P("channels", .array(.string())), P("instruments", .nullable(.integer(minimum: 0))),
                    ])), errors: [.notFound]),
            RouteSpec(
                .exchangeStatus, .get, "/api/v1/exchanges/{exchange}/status", tag: "exchanges",
                summary: "Status of one exchange", description: "As one entry of GET /api/v1/exchanges/status.",
                parameters: [exchange], response: .json(.ref("ExchangeStatus")), errors: [.notFound]),
            RouteSpec(
                .timeframes, .get, "/api/v1/exchanges/{exchange}/timeframes", tag: "exchanges",
                summary: "Candle timeframes of an exchange", description: "The intervals the exchange offers.",
                parameters: [exchange],
                response: .json(object([P("exchange", .string()), P("timeframes", .array(.choice(intervals)))])),
                errors: [.notFound]),
            RouteSpec(
                .markets, .get, "/api/v1/exchanges/{exchange}/markets", tag: "exchanges",
                summary: "Markets an exchange lists",
                description: "From the ingestor's instrument lists; instruments_received is false until the first "
                    + "list has arrived.",
                parameters: [exchange, market],
                response: .json(
                    object([
                        P("exchange", .string()), P("instruments_received", .boolean),
                        P("markets", .array(.ref("Instrument"))),
                    ])), errors: [.badRequest, .notFound]),
            RouteSpec(
                .verifyKey, .post, "/api/v1/exchanges/{exchange}/verify", tag: "admin",
                summary: "Check an API key with the exchange",
                description: "One signed request through the ingestor; the secret is neither stored, logged nor "
                    + "echoed.",
                parameters: [exchange],
                requestBody: object(
                    [
                        P("key", .string(.init(minLength: 1, maxLength: 256))),
                        P("secret", .string(.init(minLength: 1, maxLength: 512))),
                    ], true),
                response: .json(
                    object([
                        P(
                            "outcome",
                            .choice([
                                "valid", "invalid_key", "invalid_signature", "clock_skew", "ip_not_allowed",
                                "rate_limited", "unknown",
                            ])), P("valid", .boolean), P("permissions", .array(.string())), P("detail", .string()),
                    ])), errors: [.notFound, .conflict, .badGateway], auth: .admin),
            // Market data
            RouteSpec(
                .ticker, .get, "/api/v1/exchanges/{exchange}/ticker/{symbol}", tag: "market data",
                summary: "The latest ticker", description: "From memory: the last ticker the ingestor sent.",
                parameters: marketRefs, response: .json(.ref("Ticker")), errors: [.badRequest, .notFound]),
            RouteSpec(
                .orderBook, .get, "/api/v1/exchanges/{exchange}/orderbook/{symbol}", tag: "market data",
                summary: "The order book",
                description: "The top levels with the book's update id and sync state (the book the WebSocket "
                    + "streams).",
                parameters: marketRefs + [
                    Parameter(
                        "depth", .query, .integer(1...maxDepth, defaultValue: defaultDepth), errorCode: .badDepth,
                        "Levels per side (default \(defaultDepth)).")
                ], response: .json(.ref("OrderBook")), errors: [.badRequest, .notFound]),
            RouteSpec(
                .ohlcv, .get, "/api/v1/exchanges/{exchange}/ohlcv/{symbol}", tag: "market data",
                summary: "Stored candles (history)",
                description: "From PostgreSQL, with the coverage state of the range. With start: candles from "
                    + "start (up to end), oldest first. Without: the newest limit candles before end. Pages "
                    + "continue with ?cursor=next_cursor (alone or with the same timeframe and market).",
                parameters: marketRefs + [
                    Parameter(
                        "timeframe", .query, .choice(intervals, defaultValue: "1m"), errorCode: .badTimeframe,
                        "Candle interval (default 1m)."),
                    Parameter(
                        "start", .query, .time, errorCode: .badRange,
                        "Inclusive start: RFC 3339 (2026-07-01T00:00:00Z) or milliseconds since the epoch."),
                    Parameter("end", .query, .time, errorCode: .badRange, "Exclusive end (default: now); as start."),
                    Parameter(
                        "limit", .query, .integer(1...limits.maxPage, defaultValue: min(defaultPage, limits.maxPage)),
                        errorCode: .badLimit, aboveRangeCode: .pageTooLarge,
                        "Candles per page (default \(min(defaultPage, limits.maxPage)))."),
                    Parameter(
                        "cursor", .query, .text, errorCode: .badCursor, "next_cursor of the previous page (opaque)."),
                ], response: .json(.ref("OHLCV")), errors: [.badRequest, .notFound, .serviceUnavailable]),
            // Runtime subscriptions
            RouteSpec(
                .subscribe, .post, "/api/v1/exchanges/{exchange}/subscribe", tag: "admin",
                summary: "Start a market's streams",
                description: "Through the ingestor's runtime subscriptions; kept across its restarts until "
                    + "unsubscribed.",
                parameters: [exchange], requestBody: subscriptionBody, successStatus: .created,
                response: .json(subscription), errors: [.notFound, .conflict, .badGateway], auth: .admin),
            RouteSpec(
                .unsubscribe, .delete, "/api/v1/exchanges/{exchange}/subscribe/{sub_id}", tag: "admin",
                summary: "Stop the streams of a subscription",
                description: "sub_id is the value POST …/subscribe returned.",
                parameters: [
                    exchange,
                    Parameter("sub_id", .path, .text, errorCode: .badSubscription, "The subscription's id."),
                ], response: .json(subscription), errors: [.badRequest, .notFound, .conflict, .badGateway], auth: .admin
            ),
            RouteSpec(
                .subscriptions, .get, "/api/v1/exchanges/{exchange}/subscriptions", tag: "admin",
                summary: "The ingestor's streams",
                description: "Every stream the ingestor is subscribed to (exchange:market:symbol/channel).",
                parameters: [exchange],
                response: .json(object([P("exchange", .string()), P("streams", .array(.string()))])),
                errors: [.notFound, .conflict, .badGateway], auth: .admin),
            // Admin
            RouteSpec(
                .adminStatus, .get, "/api/v1/admin/status", tag: "admin", summary: "Every process's status",
                description: "The survey of /health with each process's details and the supervisor's view.",
                response: .json(processList), auth: .admin),
            RouteSpec(
                .adminMetrics, .get, "/api/v1/admin/metrics", tag: "admin", summary: "The gateway's REST counters",
                description: "Requests by route and status, latency percentiles, events received.",
                response: .json(.any(description: "Counters by route; see docs/api.md.")), auth: .admin),
            RouteSpec(
                .adminWebSocketStats, .get, "/api/v1/admin/websocket/stats", tag: "admin",
                summary: "WebSocket clients", description: "Connected clients, limits and slow-client drops.",
                response: .json(
                    object([
                        P("clients", .integer(minimum: 0)), P("max_clients", .integer(minimum: 0)),
                        P("queue_capacity", .integer(minimum: 0)), P("slow_disconnects", .integer(minimum: 0)),
                    ])), auth: .admin),
            // Health, alerts and recommendations (the alert monitor; docs/operations.md, "Alerts and health")
            RouteSpec(
                .streamHealth, .get, "/api/v1/stream/health", tag: "stream", summary: "Health score",
                description: "The overall health score 0-100 (the weakest process's) and its status: healthy "
                    + "(>= 80), degraded (>= 50) or critical. From the alert monitor's last evaluation.",
                response: .json(
                    object([
                        P("status", .choice(healthStatuses)), P("score", .integer(minimum: 0, maximum: 100)),
                        P("time", .string(.init(format: "date-time"))),
                    ]))),
            RouteSpec(
                .adminHealthDetailed, .get, "/api/v1/admin/health/detailed", tag: "admin",
                summary: "Health score per process",
                description: "Every process's score with each measured signal, its value and the penalty it costs "
                    + "(the formula is in docs/operations.md).",
                response: .json(
                    object([
                        P("time", .string(.init(format: "date-time"))), P("score", .integer(minimum: 0, maximum: 100)),
                        P("status", .choice(healthStatuses)),
                        P(
                            "components",
                            .array(
                                object([
                                    P("name", .string()), P("score", .integer(minimum: 0, maximum: 100)),
                                    P("status", .choice(healthStatuses)),
                                    P(
                                        "signals",
                                        .array(
                                            object([
                                                P("signal", .string()), P("value", .nullable(.number)),
                                                P("penalty", .integer(minimum: 0)), P("detail", .string()),
                                            ]))),
                                ]))),
                    ])), auth: .admin),
            RouteSpec(
                .adminAlerts, .get, "/api/v1/admin/alerts", tag: "admin", summary: "Alerts",
                description: "Pending, firing and recently resolved alerts of the rules in "
                    + "etc/prometheus/cryptod-alerts.yml, evaluated by the gateway; rules is how many there are.",
                response: .json(
                    object([
                        P("time", .string(.init(format: "date-time"))),
                        P(
                            "alerts",
                            .array(
                                object([
                                    P("name", .string()), P("severity", .choice(["critical", "warning"])),
                                    P("state", .choice(["pending", "firing", "resolved"])),
                                    P(
                                        "since", .string(.init(format: "date-time")),
                                        "Firing since, else pending since."),
                                    P("active_since", .string(.init(format: "date-time"))),
                                    P("resolved_at", .nullable(.string(.init(format: "date-time")))),
                                    P("value", .nullable(.number)), P("summary", .string()),
                                    P("description", .string()), P("labels", .map(.string())),
                                ]))),
                        P("rules", .integer(minimum: 0)),
                    ])), auth: .admin),
            RouteSpec(
                .adminRecommendations, .get, "/api/v1/admin/performance/recommendations", tag: "admin",
                summary: "Tuning recommendations",
                description: "Changes suggested by measured figures: each names the figure, its value and threshold, "
                    + "the setting to change (docs/configuration.md) and the suggested value.",
                response: .json(
                    object([
                        P("time", .string(.init(format: "date-time"))),
                        P(
                            "recommendations",
                            .array(
                                object([
                                    P("id", .string()), P("figure", .string()), P("value", .nullable(.number)),
                                    P("threshold", .nullable(.number)), P("setting", .string()),
                                    P("suggested", .string()), P("message", .string()),
                                ]))),
                    ])), auth: .admin),
            // History (forwarded to the scheduler; docs/history.md)
            RouteSpec(
                .historicalOptimized, .post, "/api/v1/historical/optimized", tag: "history",
                summary: "Backfill one market and timeframe",
                description: "Plans from what PostgreSQL holds and fetches only the missing candles, page by page "
                    + "within the exchange's budget. Answers 202 with the job; follow it at /api/v1/historical/jobs/{id}.",
                requestBody: object(
                    [
                        P("exchange", .choice(exchanges)), P("symbol", .string(.init(minLength: 1, maxLength: 64))),
                        P("timeframe", .choice(intervals)),
                        P("market", .choice(SchemaComponents.marketTypes), required: false, "Default: spot."),
                        P("start", .string(), required: false, "RFC 3339 or epoch ms; default: a day before end."),
                        P("end", .string(), required: false, "Exclusive; RFC 3339 or epoch ms; default: now."),
                        P("order", .choice(["newest_first", "oldest_first"]), required: false),
                    ], false), successStatus: .accepted, response: .json(historyJob),
                errors: [.badRequest, .conflict, .badGateway, .serviceUnavailable]),
            RouteSpec(
                .historicalBulk, .post, "/api/v1/historical/bulk-optimized", tag: "history",
                summary: "Backfill many markets × timeframes",
                description: "One job per symbol and timeframe (at most \(maxBulkJobs)); refused ones are listed with "
                    + "the reason, the others start.",
                requestBody: object(
                    [
                        P("exchange", .choice(exchanges)),
                        P("symbols", .array(.string(.init(minLength: 1, maxLength: 64)), maxItems: maxBulkJobs)),
                        P("timeframes", .array(.choice(intervals), maxItems: intervals.count)),
                        P("market", .choice(SchemaComponents.marketTypes), required: false),
                        P("start", .string(), required: false), P("end", .string(), required: false),
                        P("order", .choice(["newest_first", "oldest_first"]), required: false),
                    ], false), successStatus: .accepted, response: .json(historyJobs),
                errors: [.badRequest, .conflict, .badGateway, .serviceUnavailable]),
            RouteSpec(
                .historicalSchedule, .post, "/api/v1/admin/historical-data/schedule", tag: "admin",
                summary: "Backfill every configured market",
                description: "For the enabled exchanges (or one), each configured market × timeframes (default "
                    + "scheduler.timeframes) over start…end.",
                requestBody: object(
                    [
                        P("exchange", .choice(exchanges), required: false),
                        P("timeframes", .array(.choice(intervals)), required: false),
                        P("start", .string(), required: false), P("end", .string(), required: false),
                    ], false), successStatus: .accepted, response: .json(historyJobs),
                errors: [.conflict, .badGateway, .serviceUnavailable], auth: .admin),
            RouteSpec(
                .historicalJobs, .get, "/api/v1/historical/jobs", tag: "history", summary: "Backfill jobs",
                description: "Newest first: state, pages, candles, rate and ETA.",
                response: .json(historyJobs), errors: [.conflict, .badGateway, .serviceUnavailable]),
            RouteSpec(
                .historicalJob, .get, "/api/v1/historical/jobs/{id}", tag: "history", summary: "One backfill job",
                description: "State, ranges done (pages), candles, rate (candles/s) and ETA (s).",
                parameters: [Parameter("id", .path, .text, errorCode: .badRequest, "The job's id.")],
                response: .json(historyJob), errors: [.badRequest, .notFound, .conflict, .badGateway]),
            RouteSpec(
                .historicalCapacity, .get, "/api/v1/historical/capacity/{exchange}", tag: "history",
                summary: "An exchange's request budget",
                description: "Used/limit per budget as the ingestor's governor reports it, the window work would "
                    + "start in (IMMEDIATE, SHORT, MEDIUM, LONG) and the adaptive delay.",
                parameters: [exchange], response: .json(.any(description: "Budgets, window and delay.")),
                errors: [.notFound, .conflict, .badGateway]),
            RouteSpec(
                .historicalOptimizeCapacity, .post, "/api/v1/historical/optimize-capacity", tag: "history",
                summary: "Re-plan history work from the latest capacity",
                description: "The scheduler recomputes the window and adaptive delay of every exchange (or the one "
                    + "named) from its ingestor's latest capacity report and answers, per exchange, the plan before "
                    + "and after: budget, window, adaptive delay, next page delay and pages per minute.",
                requestBody: object([P("exchange", .choice(exchanges), required: false)], false),
                response: .json(.any(description: "{\"optimized\":[{exchange, before, after, changed}]}")),
                errors: [.badRequest, .conflict, .badGateway]),
            RouteSpec(
                .historicalCoverage, .get, "/api/v1/historical/coverage/{exchange}/{symbol}/{timeframe}",
                tag: "history", summary: "Stored, empty and missing candle ranges",
                description: "Segments of start…end (default: the last day) in time order, each present, empty (the "
                    + "exchange had no candles) or missing. Write a unified symbol escaped (BTC%2FUSDT) here.",
                parameters: [
                    exchange, Parameter("symbol", .path, .text, errorCode: .badSymbol, "The market's symbol."),
                    Parameter(
                        "timeframe", .path, .choice(intervals, defaultValue: nil), errorCode: .badTimeframe,
                        "Candle interval."), market,
                    Parameter("start", .query, .time, errorCode: .badRange, "Inclusive start (default: end − 1 day)."),
                    Parameter("end", .query, .time, errorCode: .badRange, "Exclusive end (default: now)."),
                ], response: .json(.any(description: "Coverage segments; see docs/history.md.")),
                errors: [.badRequest, .notFound, .conflict, .badGateway, .serviceUnavailable]),
            // The first API, kept for its clients.
            RouteSpec(
                .legacyStatus, .get, "/api/v1/status", tag: "legacy", summary: "Every process's status",
                description: "As /api/v1/admin/status, without a token (kept from the first API).",
                response: .json(processList), legacy: true),
            RouteSpec(
                .legacyMarkets, .get, "/api/v1/markets", tag: "legacy", summary: "Markets with data",
                description: "The markets the gateway has data for.",
                response: .json(.any(description: "{\"markets\":[…]}")), legacy: true),
            RouteSpec(
                .legacyTicker, .get, "/api/v1/tickers/{exchange}/{symbol}", tag: "legacy",
                summary: "The latest ticker", description: "As /api/v1/exchanges/{exchange}/ticker/{symbol}.",
                parameters: marketRefs, response: .json(.ref("Ticker")), errors: [.badRequest, .notFound],
                legacy: true),
            RouteSpec(
                .legacyTrades, .get, "/api/v1/trades/{exchange}/{symbol}", tag: "legacy",
                summary: "The newest trades", description: "Oldest first, from memory.",
                parameters: marketRefs + [
                    Parameter(
                        "limit", .query, .integer(1...limits.tradeHistory, defaultValue: defaultTradeLimit),
                        errorCode: .badLimit, "Trades (default \(defaultTradeLimit)).")
                ], response: .json(.ref("Trades")), errors: [.badRequest, .notFound], legacy: true),
            RouteSpec(
                .legacyCandle, .get, "/api/v1/candles/{exchange}/{symbol}/{interval}", tag: "legacy",
                summary: "The latest candle", description: "The latest candle of that interval, from memory.",
                parameters: [
                    exchange, Parameter("symbol", .path, .text, errorCode: .badSymbol, "The symbol."),
                    Parameter(
                        "interval", .path, .choice(intervals, defaultValue: nil), errorCode: .badInterval,
                        "Candle interval."), market,
                ], response: .json(.ref("Candle")), errors: [.badRequest, .notFound], legacy: true),
            // Stream processing (docs/operations.md: performance modes, throttling and emergency actions)
            RouteSpec(
                .streamStats, .get, "/api/v1/stream/stats", tag: "stream", summary: "Rates, drops and latency",
                description: "Messages per second per exchange over the last window, totals, conflated and dropped "
                    + "messages, latency percentiles per stage (exchange → ingestor, ingestor → gateway), WebSocket "
                    + "figures, and the mode and throttle in force. The same object is pushed every 2 s on the "
                    + "WebSocket topic stats.",
                response: .json(.any(description: "Stream figures; see docs/operations.md."))),
            RouteSpec(
                .streamBuffers, .get, "/api/v1/stream/buffers", tag: "stream", summary: "Conflation buffers",
                description: "Per ingestor and data type (ticker, orderbook): the mode's limits, the limits as the "
                    + "throttle stretches them, markets waiting, updates passed, flushed and conflated.",
                response: .json(.any(description: "{\"mode\":…,\"throttle_percent\":…,\"buffers\":[…]}"))),
            RouteSpec(
                .streamWorkers, .get, "/api/v1/stream/workers", tag: "stream", summary: "Worker pools",
                description: "Per process and pool: kind (fast, medium), bounds, workers now, queue depth and "
                    + "scaling decisions.",
                response: .json(.any(description: "{\"pools\":[…]}"))),
            RouteSpec(
                .streamWorkersSet, .post, "/api/v1/stream/workers", tag: "stream", summary: "Set worker bounds",
                description: "Overrides the mode's bounds of a kind in every process until the next reload; 0 "
                    + "returns a bound to the mode's.",
                requestBody: object(
                    [
                        P("kind", .choice(WorkerKind.allCases.map(\.rawValue)), "fast or medium."),
                        P("min", .integer(minimum: 0, maximum: 64), required: false),
                        P("max", .integer(minimum: 0, maximum: 64), required: false),
                    ], true), response: .json(.any(description: "The pools after the change.")),
                errors: [.badGateway], auth: .admin),
            RouteSpec(
                .streamClients, .get, "/api/v1/stream/websocket/clients", tag: "stream",
                summary: "Connected WebSocket clients",
                description: "Each client: id, remote address, when it connected, subscriptions, queued messages.",
                response: .json(.any(description: "{\"clients\":[…]}")), auth: .admin),
            RouteSpec(
                .streamBroadcast, .post, "/api/v1/stream/websocket/broadcast", tag: "stream",
                summary: "Send a message to every WebSocket client",
                description: "Queues {\"type\":\"broadcast\",\"message\":…,\"time\":…} for every connected client.",
                requestBody: object([P("message", .any(description: "Any JSON value (at most the body limit)."))]),
                response: .json(object([P("ok", .boolean), P("clients", .integer(minimum: 0))])), auth: .admin),
            RouteSpec(
                .streamThrottle, .post, "/api/v1/stream/throttle", tag: "stream", summary: "Throttle or stop",
                description: "{\"action\":\"throttle\",\"throttle_percent\":90} sheds that share of ticker and "
                    + "order-book updates and slows backfills; stop holds them and pauses backfills; restart lifts "
                    + "both. Candles and trades are never shed. Audited in every process's log.",
                requestBody: throttleBody, response: .json(.any(description: "Each process's answer.")),
                errors: [.badGateway], auth: .admin),
            RouteSpec(
                .adminEmergency, .post, "/api/v1/admin/emergency", tag: "admin", summary: "Emergency actions",
                description: "As POST /api/v1/stream/throttle: throttle, stop or restart.",
                requestBody: throttleBody, response: .json(.any(description: "Each process's answer.")),
                errors: [.badGateway], auth: .admin),
            RouteSpec(
                .adminPerformanceConfig, .post, "/api/v1/admin/performance/config", tag: "admin",
                summary: "Change performance settings at run time",
                description: "An object of [performance] keys (\"performance.mode\" or \"mode\") and values, "
                    + "checked as the configuration file is; applied in every process until the next reload. Keys "
                    + "that only a restart or the file can change are refused (409) with what to do.",
                requestBody: .map(.any(description: "A value of the key's type.")),
                response: .json(.any(description: "What changed, and each process's answer.")),
                errors: [.conflict, .badGateway], auth: .admin),
            RouteSpec(
                .streamProcess, .post, "/api/v1/stream/process", tag: "stream",
                summary: "Inject a message into the pipeline, for testing consumers",
                description: "Pushes one message through the exchange's ingestor as if the exchange had sent it: "
                    + "format native is a WebSocket text frame in the exchange's own format, read by the adapter's "
                    + "parser; format normalized is cryptod's JSON of a ticker, trades or candle event (as the "
                    + "WebSocket and the writer's files carry it). The events go through conflation to the writer "
                    + "and the gateway like live ones, with origin injected. Order-book events are refused (they "
                    + "would corrupt the live, synchronised book), and so is a frame without market data. Audited "
                    + "in the gateway's log.",
                requestBody: object(
                    [
                        P("exchange", .choice(exchanges), "The ingestor to inject into."),
                        P(
                            "format", .choice(["native", "normalized"]), required: false,
                            "Default: native with message, normalized with event."),
                        P(
                            "message", .any(description: "The frame."), required: false,
                            "With native: the exchange's WebSocket text frame as a string (or the frame as JSON)."),
                        P(
                            "market", .choice(SchemaComponents.marketTypes), required: false,
                            "With native: the connection's market type (default spot)."),
                        P(
                            "interval", .choice(intervals), required: false,
                            "With native: the candle interval, for exchanges whose candle rows carry none."),
                        P(
                            "event", .any(description: "The event."), required: false,
                            "With normalized: {\"type\":\"ticker\"|\"trades\"|\"candle\",\"exchange\":…,"
                                + "\"symbol\":…, …}; decimals as strings, times RFC 3339."),
                    ], true),
                response: .json(
                    object([
                        P("published", .integer(minimum: 0)),
                        P(
                            "events",
                            .array(object([P("type", .string()), P("market", .string()), P("symbol", .string())]))),
                        P("origin", .choice(["injected"])),
                    ])), errors: [.conflict, .badGateway], auth: .admin),
        ]
    }
}
