import CryptodConfig
import CryptodExchanges
import CryptodFormats
import CryptodModel
import CryptodWire
import Hummingbird

/// An exchange a request names, with what cryptod knows about it.
struct ResolvedExchange {
    var id: ExchangeID
    var api: any ExchangeAPI
    var profile: ExchangeProfile
    var config: ExchangeConfig?

    var enabled: Bool { config?.enabled ?? false }
    /// The market type used when `?market=` is absent: Bybit's configured category, else the only one.
    var defaultMarket: MarketType {
        if profile.hasCategory, let category = config?.category { return category }
        return api.marketTypes.first ?? .spot
    }
}

extension RESTAPI {
    // MARK: - Names in the path

    /// The `{exchange}` of the path: 400 when it is not an exchange name, 404 when cryptod has no adapter.
    func exchange(_ inputs: RouteInputs) throws -> ResolvedExchange {
        let name = inputs.text("exchange") ?? ""
        guard let id = ExchangeID(name) else {
            throw GatewayHTTPError(
                .badRequest, .badExchange,
                "\"\(name)\" is not an exchange name; use lowercase, e.g. \(Self.supportedNames)")
        }
        guard let api = ExchangeRegistry.api(for: id), let profile = ExchangeProfile.profile(for: id) else {
            throw GatewayHTTPError(
                .notFound, .unknownExchange,
                "cryptod has no exchange \"\(name)\"; the exchanges are \(Self.supportedNames)"
            )
        }
        return ResolvedExchange(id: id, api: api, profile: profile, config: configuration().exchange(id))
    }

    static var supportedNames: String { ExchangeRegistry.supported.map(\.rawValue).joined(separator: ", ") }

    /// `?market=`, checked against the exchange's market types.
    func marketType(_ inputs: RouteInputs, _ exchange: ResolvedExchange) throws -> MarketType {
        let served = exchange.api.marketTypes.map(\.description)
        guard
            let name = try inputs.choice(
                "market", allowed: served,
                what: "a market type of \(exchange.id) (it serves \(served.joined(separator: ", ")))")
        else { return exchange.defaultMarket }
        return MarketType(name: name) ?? exchange.defaultMarket
    }

    /// The market of `{exchange}`, `{symbol}` and `?market=`. The symbol may be the exchange's spelling or
    /// unified (`BTC/USDT`), any case. 404 `unknown_symbol` when the exchange's instrument list has arrived
    /// and does not list it.
    func market(_ inputs: RouteInputs) throws -> (MarketKey, ResolvedExchange) {
        let exchange = try exchange(inputs)
        let type = try marketType(inputs, exchange)
        let text = inputs.text("symbol") ?? ""
        let allowed = text.utf8.allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == 95
                || byte == 45
                || byte == 47
        }
        guard (1...64).contains(text.utf8.count), allowed else {
            throw GatewayHTTPError(
                .badRequest, .badSymbol,
                "\"\(text)\" is not a symbol; write it as the exchange does, e.g. \(Self.example(exchange.id)), or "
                    + "unified, e.g. BTC/USDT (BTC%2FUSDT in a path)")
        }
        let directory = state.directory(exchange.id)
        var key = directory.market(exchange: exchange.id, symbol: text, type: type)
        if key == nil, exchange.profile.symbols.accepts(text.uppercased()) {
            key = MarketKey(exchange: exchange.id, type: type, symbol: text.uppercased())
        }
        guard let key else {
            throw GatewayHTTPError(
                .badRequest, .badSymbol,
                "\"\(text)\" is not a symbol of \(exchange.id); write \(exchange.profile.symbols.description), "
                    + "or unified BASE/QUOTE (BTC/USDT)")
        }
        if let listed = state.instruments(exchange.id), listed.contains(where: { $0.market.type == type }),
            state.instrument(key) == nil
        {
            let some = listed.filter { $0.market.type == type }.prefix(5).map(\.market.symbol)
            throw GatewayHTTPError(
                .notFound, .unknownSymbol,
                "\(exchange.id) lists no \(type) market \(key.symbol); it lists e.g. \(some.joined(separator: ", ")) "
                    + "(all: GET /api/v1/exchanges/\(exchange.id)/markets)")
        }
        return (key, exchange)
    }

    private static func example(_ exchange: ExchangeID) -> String {
        exchange == .whitebit ? "BTC_USDT" : "BTCUSDT"
    }

    /// 404 `no_data`: what has arrived from the exchange instead, and what to check.
    func noData(_ what: String, _ key: MarketKey) -> GatewayHTTPError {
        let known = state.summaries().filter { $0.key.exchange == key.exchange }.map(\.key.symbol)
        let hint =
            known.isEmpty
            ? "no market data from \(key.exchange) has arrived yet; check that its ingestor runs (GET /health)"
            : "data from \(key.exchange) has arrived for \(Array(Set(known)).sorted().joined(separator: ", "))"
        return GatewayHTTPError(
            .notFound, .noData,
            "no \(what) received yet for \(key.exchange) \(key.symbol); \(hint). "
                + "Is \(key.symbol) in exchanges.\(key.exchange).markets, or subscribed at run time?"
        )
    }

    // MARK: - Exchanges

    func exchanges() -> Response {
        let configuration = configuration()
        return JSONBody.object { json in
            json.key("exchanges")
            json.array { json in
                for id in ExchangeRegistry.supported {
                    guard let api = ExchangeRegistry.api(for: id), let profile = ExchangeProfile.profile(for: id) else {
                        continue
                    }
                    let exchange = ResolvedExchange(
                        id: id, api: api, profile: profile, config: configuration.exchange(id))
                    json.object { json in
                        json.field("name", id.rawValue)
                        json.field("enabled", exchange.enabled)
                        json.key("market_types")
                        json.array { json in for type in api.marketTypes { json.value(type.description) } }
                        json.field("default_market", exchange.defaultMarket.description)
                    }
                }
            }
        }
    }

    func exchangesStatus() async -> Response {
        let configuration = configuration()
        let statuses = await withTaskGroup(of: (Int, ExchangeState).self) { group in
            for (index, id) in ExchangeRegistry.supported.enumerated() {
                group.addTask { (index, await exchangeState(id, configuration)) }
            }
            var all: [(Int, ExchangeState)] = []
            for await entry in group { all.append(entry) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return JSONBody.object { json in
            json.key("exchanges")
            json.array { json in for status in statuses { status.write(into: &json) } }
        }
    }

    func exchangeStatus(_ inputs: RouteInputs) async throws -> Response {
        let exchange = try exchange(inputs)
        let status = await exchangeState(exchange.id, configuration())
        return JSONBody.object { json in status.writeMembers(into: &json) }
    }

    struct ExchangeState: Sendable {
        var exchange: ExchangeID
        var enabled: Bool
        var process: String
        var state: String
        var problem: String?
        var connection: MarketState.Connection?
        var lastEvent: Timestamp?
        var markets: Int

        func write(into json: inout JSONWriter) {
            json.object { writeMembers(into: &$0) }
        }

        func writeMembers(into json: inout JSONWriter) {
            json.field("exchange", exchange.rawValue)
            json.field("enabled", enabled)
            json.field("process", process)
            json.field("state", state)
            json.key("problem")
            if let problem { json.value(problem) } else { json.null() }
            json.key("connection")
            if let connection { json.value(connection.state.description) } else { json.null() }
            json.key("connection_reason")
            if let reason = connection?.reason, !reason.isEmpty { json.value(reason) } else { json.null() }
            json.field("connection_changed_at", connection?.time)
            json.field("last_event_at", lastEvent)
            json.field("markets_with_data", Int64(markets))
        }
    }

    /// The ingestor's process state (asked over its socket) and the exchange connection it last reported.
    func exchangeState(_ id: ExchangeID, _ configuration: Configuration) async -> ExchangeState {
        let name = ProcessName.ingestor(id)
        let enabled = configuration.exchange(id)?.enabled ?? false
        var result = ExchangeState(
            exchange: id, enabled: enabled, process: name.description, state: "disabled", problem: nil,
            connection: state.connection(id), lastEvent: state.lastEvent(id),
            markets: Set(state.summaries().filter { $0.key.exchange == id }.map(\.key)).count)
        guard enabled else {
            result.problem = "exchanges.\(id).enabled is false"
            return result
        }
        let path = Topology.socketPath(for: name, runtimeDirectory: configuration.daemon.runtimeDirectory)
        switch await survey.request(.statusRequest, path: path) {
        case .success(.statusReply(let status)):
            result.state = status.ready ? "ready" : "not_ready"
            if !status.ready { result.problem = "starting: not ready yet" }
        case .success(let other):
            result.state = "not_answering"
            result.problem = "answered \(other.type) instead of a status"
        case .failure(.noSocket(let path)):
            result.state = "not_running"
            result.problem = "no socket at \(path)"
        case .failure(let failure):
            result.state = "not_answering"
            result.problem = failure.description
        }
        return result
    }

    func exchangeInfo(_ inputs: RouteInputs) throws -> Response {
        let exchange = try exchange(inputs)
        let instruments = state.instruments(exchange.id)
        return JSONBody.object { json in
            json.field("name", exchange.id.rawValue)
            json.field("enabled", exchange.enabled)
            json.key("market_types")
            json.array { json in for type in exchange.api.marketTypes { json.value(type.description) } }
            json.field("default_market", exchange.defaultMarket.description)
            json.key("timeframes")
            json.array { json in for interval in exchange.profile.candleIntervals { json.value(interval.description) } }
            json.field("book_depths", exchange.profile.bookDepths.description)
            json.field("symbol_format", exchange.profile.symbols.description)
            json.key("markets")
            json.array { json in for market in exchange.config?.markets ?? [] { json.value(market) } }
            json.key("channels")
            json.array { json in for channel in exchange.config?.channels ?? [] { json.value(channel.rawValue) } }
            json.key("instruments")
            if let instruments { json.value(Int64(instruments.count)) } else { json.null() }
        }
    }

    func timeframes(_ inputs: RouteInputs) throws -> Response {
        let exchange = try exchange(inputs)
        return JSONBody.object { json in
            json.field("exchange", exchange.id.rawValue)
            json.key("timeframes")
            json.array { json in for interval in exchange.profile.candleIntervals { json.value(interval.description) } }
        }
    }

    func markets(_ inputs: RouteInputs) throws -> Response {
        let exchange = try exchange(inputs)
        let type: MarketType? = inputs.text("market") == nil ? nil : try marketType(inputs, exchange)
        let instruments = state.instruments(exchange.id)
        let directory = state.directory(exchange.id)
        return JSONBody.object { json in
            json.field("exchange", exchange.id.rawValue)
            json.field("instruments_received", instruments != nil)
            json.key("markets")
            json.array { json in
                for instrument in instruments ?? [] where type == nil || instrument.market.type == type {
                    json.object { json in
                        json.field("market", instrument.market.type.description)
                        json.field("symbol", instrument.market.symbol)
                        json.field(
                            "unified",
                            directory.unified(instrument.market)
                                ?? SymbolNotation.unified(base: instrument.base, quote: instrument.quote))
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
    }

    // MARK: - Live market data

    func ticker(_ inputs: RouteInputs) throws -> Response {
        let (key, _) = try market(inputs)
        guard let ticker = state.ticker(key) else { throw noData("ticker", key) }
        return JSONBody.response(.ok, bytes: MarketEventJSON.encode(.ticker(ticker)))
    }

    func orderBook(_ inputs: RouteInputs) throws -> Response {
        let (key, _) = try market(inputs)
        let depth = try inputs.integer("depth")
        guard let view = books.view(key, depth: depth) else { throw noData("order book", key) }
        return JSONBody.object { json in
            json.field("type", "order_book")
            json.field("exchange", key.exchange.rawValue)
            json.field("market", key.type.description)
            json.field("symbol", key.symbol)
            json.field("update_id", view.updateID)
            json.field("sequence", view.sequence)
            json.field("time", view.time)
            json.field("received_at", view.receivedAt)
            json.field("sync_state", view.syncState.rawValue)
            json.field("depth", Int64(depth))
            for (name, levels) in [("bids", view.bids), ("asks", view.asks)] {
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
    }

    func trades(_ inputs: RouteInputs) throws -> Response {
        let (key, _) = try market(inputs)
        let limit = try inputs.integer("limit")
        let trades = state.trades(key, limit: limit)
        guard !trades.isEmpty else { throw noData("trades", key) }
        return JSONBody.response(.ok, bytes: MarketEventJSON.encode(.trades(trades)))
    }

    func candle(_ inputs: RouteInputs) throws -> Response {
        let (key, _) = try market(inputs)
        let text = inputs.text("interval") ?? ""
        guard let interval = CandleInterval(name: text) else {
            throw GatewayHTTPError(
                .badRequest, .badInterval,
                "unknown interval \"\(text)\"; use one of \(CandleInterval.allCases.map(\.description).joined(separator: " "))"
            )
        }
        guard let candle = state.candle(key, interval: interval) else { throw noData("\(interval) candle", key) }
        return JSONBody.response(.ok, bytes: MarketEventJSON.encode(.candle(candle)))
    }

    func legacyMarkets() -> Response {
        JSONBody.object { json in
            json.key("markets")
            json.array { json in
                for summary in state.summaries() {
                    json.object { json in
                        json.field("exchange", summary.key.exchange.rawValue)
                        json.field("market", summary.key.type.description)
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
}
