import CryptodExchanges
import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodWire

/// The `inject` control command (`POST /api/v1/stream/process`): one message pushed through this ingestor
/// as if the exchange had sent it, for testing consumers.
///
/// A native frame goes through the adapter's own stream parser, exactly as a WebSocket frame does; a
/// normalized event is cryptod's JSON (``MarketEventJSONReader``). Tickers, trades and candles are then
/// published like live ones (conflation, writer, gateway) with origin `injected`, but past the trade
/// de-duplicator and candle tracker, so the live stream's state is untouched. Book events are refused: the
/// book is kept synchronised with the exchange by update id, and an injected level would corrupt it.
extension ExchangeSource {
    static let injectExamples =
        #"{"format":"native","market":"spot","message":"{\"e\":\"24hrTicker\",\"s\":\"BTCUSDT\",…}"} or "#
        + #"{"format":"normalized","event":{"type":"trades","exchange":"binance","market":"spot","symbol":"BTCUSDT","#
        + #""trades":[{"id":"1","price":"64000.10","quantity":"0.00010000","side":"buy","time":"2026-07-01T10:00:00.250Z"}]}}"#

    /// Answers one `inject` request: `.ok` with `{"published":N,"events":[…],"origin":"injected"}`, or
    /// `.invalidRequest` saying what was wrong.
    func inject(argument: String) -> (ControlReply.Result, String) {
        func refuse(_ message: String) -> (ControlReply.Result, String) {
            (.invalidRequest, "\(message). A good argument: \(Self.injectExamples)")
        }
        let value: JSONReader.Value
        do { value = try JSONReader.parse(argument) } catch { return refuse("the argument is \(error)") }
        guard case .object(let members) = value else { return refuse("the argument must be a JSON object") }
        let known = ["exchange", "format", "message", "market", "interval", "event"]
        if let unknown = members.first(where: { !known.contains($0.key) }) {
            return refuse("unknown field \"\(unknown.key.prefix(40))\"; known: \(known.joined(separator: ", "))")
        }
        if let named = value["exchange"] {
            guard case .string(let name) = named, name == api.exchange.rawValue else {
                return refuse("\"exchange\" names another exchange than this ingestor's (\(api.exchange))")
            }
        }
        let format: String
        switch value["format"] {
        case .string(let name)?: format = name
        case nil: format = value["event"] != nil ? "normalized" : "native"
        case let other?: return refuse("\"format\" must be \"native\" or \"normalized\", not \(other.kind)")
        }
        let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        let events: [MarketEvent]
        switch format {
        case "native":
            guard value["event"] == nil else {
                return refuse("\"event\" goes with format normalized; native takes \"message\"")
            }
            switch nativeEvents(value, receivedAt: receivedAt) {
            case .success(let parsed): events = parsed
            case .failure(let problem): return refuse(problem.message)
            }
        case "normalized":
            guard value["message"] == nil, value["market"] == nil, value["interval"] == nil else {
                return refuse("format normalized takes only \"event\" (its market is inside it)")
            }
            switch normalizedEvent(value["event"], receivedAt: receivedAt) {
            case .success(let parsed): events = [parsed]
            case .failure(let problem): return refuse(problem.message)
            }
        default:
            return refuse("\"format\" must be \"native\" or \"normalized\", not \"\(format.prefix(40))\"")
        }
        // All or nothing: an event that breaks a protocol rule is found before anything is sent.
        for event in events {
            do { try Message(event).validate() } catch {
                return refuse("the message makes an event cryptod cannot carry: \(error)")
            }
        }
        do {
            guard try publishInjected(events) else {
                return (.failed, "\(api.exchange)'s market data has not started yet; try again in a few seconds")
            }
        } catch {
            return (.failed, "could not queue the events on the outbound streams: \(error)")
        }
        var json = JSONWriter()
        json.object { json in
            json.field("published", Int64(events.count))
            json.key("events")
            json.array { json in
                for event in events {
                    json.object { json in
                        json.field("type", MarketEventJSON.typeName(event))
                        json.field("market", event.market?.type.description ?? "")
                        json.field("symbol", event.market?.symbol ?? "")
                        if case .trades(let trades) = event { json.field("trades", Int64(trades.count)) }
                    }
                }
            }
            json.field("origin", DataOrigin.injected.description)
        }
        return (.ok, json.string)
    }

    private struct Problem: Error { let message: String }

    /// The frame through the adapter's parser; the market data it holds, marked injected.
    private func nativeEvents(_ value: JSONReader.Value, receivedAt: Timestamp) -> Result<[MarketEvent], Problem> {
        let frame: String
        switch value["message"] {
        case .string(let text)?: frame = text
        // The frame given as JSON rather than as a string holding it: the same text, compacted.
        case .object(let members)?: frame = JSONReader.Value.object(members).serialized
        case .array(let values)?: frame = JSONReader.Value.array(values).serialized
        case nil:
            return .failure(Problem(message: "format native needs \"message\": the exchange's WebSocket text frame"))
        case let other?:
            return .failure(
                Problem(message: "\"message\" must be the WebSocket text frame as a string, not \(other.kind)"))
        }
        var type = MarketType.spot
        if let named = value["market"] {
            guard case .string(let name) = named, let parsed = MarketType(name: name), api.marketTypes.contains(parsed)
            else {
                return .failure(
                    Problem(
                        message: "\"market\" must be one \(api.exchange) serves: "
                            + api.marketTypes.map(\.description).joined(separator: ", ")))
            }
            type = parsed
        }
        var interval: CandleInterval?
        if let named = value["interval"] {
            guard case .string(let name) = named, let parsed = CandleInterval(name: name) else {
                return .failure(Problem(message: "\"interval\" must be a candle interval such as 1m"))
            }
            interval = parsed
        }
        var parsed: [StreamEvent] = []
        let bytes = Array(frame.utf8)
        let failure: ExchangeParseError? = bytes.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try api.parseStreamMessage(
                    raw, context: StreamContext(type: type, candleInterval: interval), receivedAt: receivedAt,
                    into: &parsed)
                return nil
            } catch {
                return error
            }
        }
        if let failure {
            return .failure(Problem(message: "\(api.exchange)'s stream parser refused the frame: \(failure)"))
        }
        var events: [MarketEvent] = []
        var other: [String] = []
        for event in parsed {
            switch event {
            case .ticker(var ticker):
                ticker.origin = .injected
                events.append(.ticker(ticker))
            case .trades(var trades):
                for index in trades.indices { trades[index].origin = .injected }
                if !trades.isEmpty { events.append(.trades(trades)) }
            case .candle(var candle):
                candle.origin = .injected
                events.append(.candle(candle))
            case .bookSnapshot, .bookDelta:
                return .failure(Problem(message: Self.bookRefusal))
            case .subscribed(let id): other.append("a subscription acknowledgement (id \(id ?? "none"))")
            case .rejected(_, let message): other.append("the exchange refusing a request (\(message.prefix(120)))")
            case .pong: other.append("a pong")
            case .serverShutdown: other.append("a notice that the server will close the connection")
            case .serverTime: other.append("the exchange's clock")
            }
        }
        guard !events.isEmpty else {
            let what = other.isEmpty ? "nothing" : other.joined(separator: ", ")
            return .failure(
                Problem(
                    message: "the frame holds no market data: \(api.exchange)'s stream parser read it as \(what); "
                        + "inject a ticker, trade or candle frame"))
        }
        return .success(events)
    }

    static let bookRefusal =
        "order-book snapshots and deltas cannot be injected: the ingestor keeps each book synchronised with the "
        + "exchange by update id, and an injected book event would corrupt the live book every consumer reads; "
        + "inject tickers, trades or candles"

    /// cryptod's own JSON of a ticker, trades or candle for this exchange, marked injected.
    private func normalizedEvent(_ value: JSONReader.Value?, receivedAt: Timestamp) -> Result<MarketEvent, Problem> {
        guard let value else {
            return .failure(Problem(message: "format normalized needs \"event\": a ticker, trades or candle object"))
        }
        if case .string(let type)? = value["type"], type.hasPrefix("book") {
            return .failure(Problem(message: Self.bookRefusal))
        }
        let event: MarketEvent
        do {
            event = try MarketEventJSONReader.read(value, receivedAt: receivedAt)
        } catch {
            let field = error.field.isEmpty ? "event" : "event.\(error.field)"
            return .failure(Problem(message: "\"\(field)\": \(error.message)"))
        }
        guard let market = event.market, market.exchange == api.exchange else {
            return .failure(
                Problem(
                    message:
                        "\"event.exchange\" is \(event.market?.exchange.rawValue ?? "missing"); this is the ingestor of \(api.exchange)"
                ))
        }
        guard api.marketTypes.contains(market.type) else {
            return .failure(
                Problem(
                    message: "\"event.market\" \(market.type) is not served by \(api.exchange); accepted: "
                        + api.marketTypes.map(\.description).joined(separator: ", ")))
        }
        // The exchange's spelling of the symbol (BTC/USDT → BTCUSDT), as live data has it.
        let key = self.market(symbol: market.symbol, type: market.type)
        switch event {
        case .ticker(var ticker):
            ticker.market = key
            ticker.origin = .injected
            return .success(.ticker(ticker))
        case .trades(var trades):
            for index in trades.indices {
                trades[index].market = key
                trades[index].origin = .injected
            }
            return .success(.trades(trades))
        case .candle(var candle):
            candle.market = key
            candle.origin = .injected
            return .success(.candle(candle))
        default:
            return .failure(Problem(message: "\"event.type\" must be ticker, trades or candle"))
        }
    }
}
