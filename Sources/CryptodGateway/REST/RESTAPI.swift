import CryptodConfig
import CryptodFormats
import CryptodModel
import CryptodRuntime
import Hummingbird
import Logging

/// The REST endpoints on `gateway.rest_listen` (documented in docs/api.md).
///
/// | Endpoint | Answer |
/// | --- | --- |
/// | `GET /health` | 200 when every configured process is ready, else 503 naming what is wrong |
/// | `GET /metrics` | every process's metrics, merged (Prometheus text 0.0.4) |
/// | `GET /api/v1/status` | each process's status details and the supervisor's view |
/// | `GET /api/v1/markets` | the markets the gateway has data for |
/// | `GET /api/v1/tickers/{exchange}/{symbol}` | the latest ticker |
/// | `GET /api/v1/trades/{exchange}/{symbol}?limit=N` | the latest N trades, oldest first (default 100) |
/// | `GET /api/v1/candles/{exchange}/{symbol}/{interval}` | the latest candle of that interval |
struct RESTAPI: Sendable {
    let state: MarketState
    let survey: ProcessSurvey
    let cluster: ClusterMetrics
    let topology: @Sendable () -> Topology
    let logger: Logger

    /// Trades returned when `limit` is not given.
    static let defaultTradeLimit = 100

    static let endpoints: [(path: String, methods: [HTTPRequest.Method])] = [
        "/health", "/metrics", "/api/v1/status", "/api/v1/markets", "/api/v1/tickers/:exchange/:symbol",
        "/api/v1/trades/:exchange/:symbol", "/api/v1/candles/:exchange/:symbol/:interval",
    ].map { ($0, [.get, .head]) }

    func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        // First, so that it wraps every route and the router's not-found answer too.
        router.add(middleware: ErrorMiddleware(endpoints: Self.endpoints, logger: logger))
        router.get("/health") { _, _ in await health(detailed: false) }
        router.get("/api/v1/status") { _, _ in await health(detailed: true) }
        router.get("/metrics") { _, _ in await metrics() }
        router.get("/api/v1/markets") { _, _ in markets() }
        router.get("/api/v1/tickers/:exchange/:symbol") { _, context in try ticker(context) }
        router.get("/api/v1/trades/:exchange/:symbol") { request, context in try trades(request, context) }
        router.get("/api/v1/candles/:exchange/:symbol/:interval") { _, context in try candle(context) }
        return router
    }

    // MARK: - Processes

    private func health(detailed: Bool) async -> Response {
        let report = await survey.survey(topology())
        if !report.healthy && !detailed {
            logger.debug(
                "health check: not every process is ready",
                metadata: ["problems": "\(report.processes.compactMap(\.problem))"])
        }
        // /api/v1/status answers 200 whenever it could look; /health's status code is the verdict.
        let status: HTTPResponse.Status = detailed || report.healthy ? .ok : .serviceUnavailable
        return JSONBody.response(status, bytes: report.json(detailed: detailed))
    }

    private func metrics() async -> Response {
        let text = await cluster.scrape(topology())
        return Response(
            status: .ok, headers: [.contentType: CryptodMetrics.contentType, .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    // MARK: - Market data

    private func markets() -> Response {
        JSONBody.object { json in
            json.key("markets")
            json.array { json in
                for summary in state.summaries() {
                    json.object { json in
                        json.field("exchange", summary.key.exchange)
                        json.field("market", summary.market.description)
                        json.field("symbol", summary.key.symbol)
                        json.field("ticker", summary.hasTicker)
                        json.field("trades", Int64(summary.tradeCount))
                        json.key("candle_intervals")
                        json.array { json in
                            for interval in summary.candleIntervals { json.value(interval.description) }
                        }
                    }
                }
            }
        }
    }

    private func ticker(_ context: BasicRequestContext) throws -> Response {
        let key = try Self.market(context)
        guard let ticker = state.ticker(key) else { throw noData("ticker", key) }
        return event(.ticker(ticker))
    }

    private func trades(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let key = try Self.market(context)
        var limit = Self.defaultTradeLimit
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), (1...state.tradeHistory).contains(value) else {
                throw GatewayHTTPError(
                    .badRequest, .badLimit, "limit must be an integer from 1 to \(state.tradeHistory), not \"\(text)\"")
            }
            limit = value
        }
        let trades = state.trades(key, limit: limit)
        guard !trades.isEmpty else { throw noData("trades", key) }
        return event(.trades(trades))
    }

    private func candle(_ context: BasicRequestContext) throws -> Response {
        let key = try Self.market(context)
        let text = context.parameters.get("interval") ?? ""
        guard let interval = CandleInterval(name: text) else {
            throw GatewayHTTPError(
                .badRequest, .badInterval,
                "unknown interval \"\(text)\"; use one of \(TopicPattern.intervalList)"
            )
        }
        guard let candle = state.candle(key, interval: interval) else { throw noData("\(interval) candle", key) }
        return event(.candle(candle))
    }

    private func event(_ event: MarketEvent) -> Response {
        JSONBody.response(.ok, bytes: MarketEventJSON.encode(event))
    }

    /// The exchange and symbol of the path, checked.
    private static func market(_ context: BasicRequestContext) throws -> MarketState.SymbolKey {
        let exchange = context.parameters.get("exchange") ?? ""
        guard ExchangeID(exchange) != nil else {
            throw GatewayHTTPError(
                .badRequest, .badExchange,
                "\"\(exchange)\" is not an exchange name; use lowercase, e.g. binance, bybit, whitebit")
        }
        let symbol = context.parameters.get("symbol") ?? ""
        guard TopicPattern.isSymbol(symbol) else {
            throw GatewayHTTPError(
                .badRequest, .badSymbol,
                "\"\(symbol)\" is not a symbol; write it as the exchange does, e.g. BTCUSDT or BTC_USDT")
        }
        return MarketState.SymbolKey(exchange: exchange, symbol: symbol)
    }

    private func noData(_ what: String, _ key: MarketState.SymbolKey) -> GatewayHTTPError {
        let known = state.summaries().filter { $0.key.exchange == key.exchange }.map(\.key.symbol)
        let hint =
            known.isEmpty
            ? "no market data from \(key.exchange) has arrived yet; check that its ingestor runs (GET /health)"
            : "data from \(key.exchange) has arrived for \(known.joined(separator: ", "))"
        return GatewayHTTPError(
            .notFound, .noData,
            "no \(what) received yet for \(key.exchange) \(key.symbol); \(hint). "
                + "Is \(key.symbol) in exchanges.\(key.exchange).markets?"
        )
    }
}
