import CryptodModel

/// Bybit V5 public market data, spot and linear (USDT/USDC perpetuals and futures).
///
/// The market type is part of every ``MarketKey``: spot and linear `BTCUSDT` are two markets, asked for
/// with `category=spot|linear` on REST and on separate connections (`/v5/public/spot`, `/v5/public/linear`)
/// on the stream. Books come from the stream (a snapshot, then deltas), so ``bookSnapshotRequest(market:depth:)``
/// is `nil`; ``auditSnapshotRequest(market:depth:)`` fetches the REST book the audit compares against.
///
/// Choices where the protocol leaves room:
/// - ``parseTickers(_:type:receivedAt:)`` returns every symbol of the category (Bybit answers them all in
///   one call); the ingestor keeps the markets it serves. A category with a single market is asked for with
///   `symbol=` instead, so the answer is small.
/// - ``maxTradesPerRequest`` is linear's 1000; spot requests are clamped to 60
///   (``maxTradesPerRequest(type:)``).
/// - Linear ticker deltas carry only changed fields: hold a ``BybitTickerMerger`` next to the parser.
public struct BybitAPI: ExchangeAPI {
    public init() {}

    public var exchange: ExchangeID { .bybit }
    public var marketTypes: [MarketType] { [.spot, .linear] }
    public var bookRule: BookSyncRule { .streamSnapshotThenDeltas }

    /// Stream book depths Bybit offers for spot and linear.
    public static let streamDepths = [1, 50, 200, 1000]
    /// `X-BAPI-RECV-WINDOW`, in ms (Bybit's default).
    public static let recvWindow = 5_000
    /// Characters of `args` one public connection may carry in all (bybit.md §4.1).
    public static let maxArgsCharactersPerConnection = 21_000
    /// Spot accepts at most 10 `args` per subscribe request; linear has no limit, 100 keeps frames small.
    public static func maxArgsPerRequest(type: MarketType) -> Int { type == .spot ? 10 : 100 }

    /// The smallest stream depth covering `depth`: 1 → 1, up to 50 → 50, up to 200 → 200, more → 1000;
    /// 0 or less (no depth configured) → 50.
    public func streamBookDepth(forConfigured depth: Int) -> Int { Self.streamDepth(depth) }

    static func streamDepth(_ depth: Int) -> Int {
        switch depth {
        case ...0: 50
        case 1: 1
        case 2...50: 50
        case 51...200: 200
        default: 1000
        }
    }

    /// Whether Bybit has candles of `interval` (it lacks `1s`, `8h` and `3d`).
    public func supports(_ interval: CandleInterval) -> Bool { TimeframeNotation.bybit(interval) != nil }

    // MARK: - REST requests

    public func serverTimeRequest() -> RESTRequest { RESTRequest(path: "/v5/market/time") }

    /// Spot answers every instrument in one page; linear pages by `cursor`, 1000 a page (Bybit's maximum).
    public func instrumentsRequests(type: MarketType) -> [RESTRequest] { [instrumentsRequest(type: type, cursor: nil)] }

    func instrumentsRequest(type: MarketType, cursor: String?) -> RESTRequest {
        var query = [(name: "category", value: type.description)]
        if type != .spot { query.append((name: "limit", value: "1000")) }
        if let cursor { query.append((name: "cursor", value: cursor)) }
        return RESTRequest(path: "/v5/market/instruments-info", query: query)
    }

    /// `nil`: the stream's snapshot starts every book.
    public func bookSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest? { nil }

    /// The REST book for the book audit: `limit` 1…1000 (spot and linear).
    public func auditSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest {
        RESTRequest(
            path: "/v5/market/orderbook",
            query: [
                (name: "category", value: market.type.description), (name: "symbol", value: market.symbol),
                (name: "limit", value: String(min(max(depth, 1), 1000))),
            ])
    }

    public var maxCandlesPerRequest: Int { 1000 }

    /// `/v5/market/kline`. An interval Bybit lacks is sent under cryptod's name and refused by Bybit
    /// (`10001`), visible as `.exchangeError`; check ``supports(_:)`` first.
    public func candlesRequest(
        market: MarketKey, interval: CandleInterval, start: Timestamp?, end: Timestamp?, limit: Int
    ) -> RESTRequest {
        var query: [(name: String, value: String)] = [
            (name: "category", value: market.type.description), (name: "symbol", value: market.symbol),
            (name: "interval", value: TimeframeNotation.bybit(interval) ?? interval.description),
        ]
        if let start { query.append((name: "start", value: String(start.milliseconds))) }
        if let end { query.append((name: "end", value: String(end.milliseconds))) }
        query.append((name: "limit", value: String(min(max(limit, 1), maxCandlesPerRequest))))
        return RESTRequest(path: "/v5/market/kline", query: query)
    }

    public var maxTradesPerRequest: Int { 1000 }

    /// Spot 60, linear (and inverse) 1000.
    public func maxTradesPerRequest(type: MarketType) -> Int { type == .spot ? 60 : 1000 }

    /// Bybit only serves recent trades: there is no paging by id.
    public var supportsTradesFromID: Bool { false }

    /// `/v5/market/recent-trade`; `fromID` is ignored (``supportsTradesFromID`` is false).
    public func tradesRequest(market: MarketKey, fromID: String?, limit: Int) -> RESTRequest {
        RESTRequest(
            path: "/v5/market/recent-trade",
            query: [
                (name: "category", value: market.type.description), (name: "symbol", value: market.symbol),
                (name: "limit", value: String(min(max(limit, 1), maxTradesPerRequest(type: market.type)))),
            ])
    }

    /// One request per market type present (`category=` answers every symbol of it), in ``marketTypes``
    /// order; `symbol=` when a type has a single market.
    public func tickersRequests(markets: [MarketKey]) -> [RESTRequest] {
        var symbols: [MarketType: Set<String>] = [:]
        for market in markets { symbols[market.type, default: []].insert(market.symbol) }
        let order = marketTypes + MarketType.allCases.filter { !marketTypes.contains($0) }
        return order.compactMap { type in
            guard let names = symbols[type] else { return nil }
            var query = [(name: "category", value: type.description)]
            if names.count == 1, let only = names.first { query.append((name: "symbol", value: only)) }
            return RESTRequest(path: "/v5/market/tickers", query: query)
        }
    }

    // MARK: - REST answers

    public func parseServerTime(_ body: [UInt8]) throws(ExchangeParseError) -> Timestamp {
        try BybitRESTParser.serverTime(body)
    }

    /// One page; `next` asks for the page after it while `nextPageCursor` is not `""`.
    public func parseInstruments(_ body: [UInt8], type: MarketType) throws(ExchangeParseError) -> InstrumentPage {
        let (instruments, cursor) = try BybitRESTParser.instruments(body, type: type)
        return InstrumentPage(instruments: instruments, next: cursor.map { instrumentsRequest(type: type, cursor: $0) })
    }

    /// The REST book (`/v5/market/orderbook`), for the audit.
    public func parseBookSnapshot(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> BookSnapshot
    {
        try BybitRESTParser.bookSnapshot(body, market: market, receivedAt: receivedAt)
    }

    public func parseCandles(
        _ body: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle] {
        try BybitRESTParser.candles(
            body, market: market, interval: interval, receivedAt: receivedAt, exchangeNow: exchangeNow)
    }

    public func parseTrades(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Trade]
    {
        try BybitRESTParser.trades(body, market: market, receivedAt: receivedAt)
    }

    /// Every ticker of the category, not only the requested markets (see the type's notes).
    public func parseTickers(
        _ body: [UInt8], type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Ticker]
    {
        try BybitRESTParser.tickers(body, type: type, receivedAt: receivedAt)
    }

    // MARK: - WebSocket

    public func webSocketPath(type: MarketType) -> String { "/v5/public/\(type.description)" }

    /// A bound on topics per connection; the 21,000-character `args` budget is checked in
    /// ``canShareConnection(_:with:)``.
    public var maxSubscriptionsPerConnection: Int { 500 }

    /// Bybit documents no inbound message limit for public streams; 10 a second is a polite pace.
    public var maxClientMessagesPerSecond: Int { 10 }

    /// Same market type (one category per connection), under the topic count and under 21,000 characters
    /// of `args`.
    public func canShareConnection(_ subscription: StreamSubscription, with existing: [StreamSubscription]) -> Bool {
        guard !existing.contains(where: { $0.market.type != subscription.market.type }) else { return false }
        guard existing.count < maxSubscriptionsPerConnection else { return false }
        let used = existing.reduce(0) { $0 + BybitTopic($1).description.utf8.count }
        return used + BybitTopic(subscription).description.utf8.count <= Self.maxArgsCharactersPerConnection
    }

    /// `{"req_id":"N","op":"subscribe","args":[…]}`, at most 10 args a message on spot; `nextID` gives each
    /// message its `req_id` (echoed in the ack).
    public func subscribeMessages(
        _ added: [StreamSubscription], all: [StreamSubscription], nextID: inout UInt64
    )
        -> [String]
    {
        requests("subscribe", added, nextID: &nextID)
    }

    public func unsubscribeMessages(
        _ removed: [StreamSubscription], remaining: [StreamSubscription], nextID: inout UInt64
    ) -> [String] {
        requests("unsubscribe", removed, nextID: &nextID)
    }

    private func requests(_ op: String, _ subscriptions: [StreamSubscription], nextID: inout UInt64) -> [String] {
        guard let type = subscriptions.first?.market.type else { return [] }
        let topics = subscriptions.map { BybitTopic($0).description }
        let chunk = Self.maxArgsPerRequest(type: type)
        var messages: [String] = []
        var start = 0
        while start < topics.count {
            let args = topics[start..<min(start + chunk, topics.count)]
            let list = args.map { "\"\(Self.jsonEscaped($0))\"" }.joined(separator: ",")
            messages.append("{\"req_id\":\"\(nextID)\",\"op\":\"\(op)\",\"args\":[\(list)]}")
            nextID &+= 1
            start += chunk
        }
        return messages
    }

    /// Topics are ASCII symbols and digits; quotes and backslashes are escaped anyway so a strange symbol
    /// can never break the frame.
    static func jsonEscaped(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else {
            return text
        }
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case let s where s.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(s.value, radix: 16).count)
                    + String(s.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `{"op":"ping"}` every 20 s: Bybit never pings and drops a silent connection after ~10 minutes.
    public var clientPing: ClientPing? { ClientPing(message: "{\"op\":\"ping\"}", interval: .seconds(20)) }

    /// See ``BybitStreamParser`` for what each frame becomes.
    public func parseStreamMessage(
        _ bytes: UnsafeRawBufferPointer, context: StreamContext, receivedAt: Timestamp, into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        try BybitStreamParser.parse(bytes, context: context, receivedAt: receivedAt, into: &events)
    }
}
