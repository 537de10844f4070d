import CryptodModel

/// Binance spot (`/api/v3`, combined WebSocket streams on `/stream`).
///
/// Books follow binance.md §5: buffer `<sym>@depth@100ms` diffs, fetch a REST snapshot, join on `U`/`u`
/// (``BookSyncRule/restSnapshotThenDiffs``). Request weights come from ``BinanceWeights`` so the governor
/// charges what Binance counts. Parsing is in ``BinanceRESTParser`` and ``BinanceStreamParser``; the stream
/// hot path (depth, trade, ticker, kline) runs on ``JSONCursor`` with no Foundation.
public struct BinanceAPI: ExchangeAPI {
    public init() {}

    public var exchange: ExchangeID { .binance }
    public var marketTypes: [MarketType] { [.spot] }
    public var bookRule: BookSyncRule { .restSnapshotThenDiffs }

    /// Deepest REST snapshot Binance serves.
    public static let maxSnapshotDepth = 5_000

    /// Always the deepest snapshot: the diff stream carries the whole book, and a level below a shallower
    /// snapshot would stay unknown until it changes (binance.md §5 step 7), so the top `depth` levels could
    /// be wrong after the price moves. The extra weight (250 instead of 5) is paid once per (re)sync.
    public func streamBookDepth(forConfigured depth: Int) -> Int { Self.maxSnapshotDepth }

    // MARK: - REST

    static let apiPrefix = "/api/v3"

    public func serverTimeRequest() -> RESTRequest {
        RESTRequest(path: "\(Self.apiPrefix)/time", weight: BinanceWeights.time)
    }

    public func parseServerTime(_ body: [UInt8]) throws(ExchangeParseError) -> Timestamp {
        try BinanceRESTParser.serverTime(body)
    }

    public func instrumentsRequests(type: MarketType) -> [RESTRequest] {
        guard type == .spot else { return [] }
        return [RESTRequest(path: "\(Self.apiPrefix)/exchangeInfo", weight: BinanceWeights.exchangeInfo)]
    }

    public func parseInstruments(_ body: [UInt8], type: MarketType) throws(ExchangeParseError) -> InstrumentPage {
        guard type == .spot else {
            throw ExchangeParseError(.invalidValue, "Binance adapter serves spot only, not \(type)")
        }
        return InstrumentPage(instruments: try BinanceRESTParser.instruments(body))
    }

    /// `GET /api/v3/depth?symbol=…&limit=…`, `limit` clamped to 1…5000, weight 5/25/50/250 by limit.
    public func bookSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest? {
        let limit = min(max(depth, 1), Self.maxSnapshotDepth)
        return RESTRequest(
            path: "\(Self.apiPrefix)/depth", query: [("symbol", market.symbol), ("limit", String(limit))],
            weight: BinanceWeights.depth(limit: limit)
        )
    }

    public func parseBookSnapshot(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> BookSnapshot
    {
        try BinanceRESTParser.bookSnapshot(body, market: market, receivedAt: receivedAt)
    }

    public var maxCandlesPerRequest: Int { 1_000 }

    /// `GET /api/v3/klines?symbol&interval[&startTime][&endTime]&limit` (weight 2, `limit` 1…1000).
    public func candlesRequest(
        market: MarketKey, interval: CandleInterval, start: Timestamp?, end: Timestamp?, limit: Int
    ) -> RESTRequest {
        var query: [(name: String, value: String)] = [
            ("symbol", market.symbol), ("interval", TimeframeNotation.binance(interval)),
        ]
        if let start { query.append(("startTime", String(start.milliseconds))) }
        if let end { query.append(("endTime", String(end.milliseconds))) }
        query.append(("limit", String(min(max(limit, 1), maxCandlesPerRequest))))
        return RESTRequest(path: "\(Self.apiPrefix)/klines", query: query, weight: BinanceWeights.klines)
    }

    public func parseCandles(
        _ body: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle] {
        try BinanceRESTParser.candles(
            body, market: market, interval: interval, receivedAt: receivedAt, exchangeNow: exchangeNow
        )
    }

    public var maxTradesPerRequest: Int { 1_000 }
    public var supportsTradesFromID: Bool { true }

    /// Recent trades (`/api/v3/trades`), or `/api/v3/historicalTrades?fromId=` (both weight 25).
    public func tradesRequest(market: MarketKey, fromID: String?, limit: Int) -> RESTRequest {
        var query: [(name: String, value: String)] = [("symbol", market.symbol)]
        query.append(("limit", String(min(max(limit, 1), maxTradesPerRequest))))
        guard let fromID else {
            return RESTRequest(path: "\(Self.apiPrefix)/trades", query: query, weight: BinanceWeights.trades)
        }
        query.append(("fromId", fromID))
        return RESTRequest(
            path: "\(Self.apiPrefix)/historicalTrades", query: query, weight: BinanceWeights.historicalTrades
        )
    }

    public func parseTrades(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Trade]
    {
        try BinanceRESTParser.trades(body, market: market, receivedAt: receivedAt)
    }

    /// Most symbols in one `symbols=[…]` ticker request: the 40-weight band ends at 100 (binance.md §2.2).
    public static let maxTickerSymbolsPerRequest = 100

    /// `GET /api/v3/ticker/24hr`: `symbol=X` for one market, else `symbols=["A","B"]` in chunks of ≤ 100
    /// (weight 2 up to 20 symbols, 40 up to 100). Spot Binance markets only, each symbol once.
    public func tickersRequests(markets: [MarketKey]) -> [RESTRequest] {
        var seen = Set<String>()
        let symbols = markets.filter { $0.exchange == .binance && $0.type == .spot }.map(\.symbol).filter {
            seen.insert($0).inserted
        }
        var requests: [RESTRequest] = []
        var start = 0
        while start < symbols.count {
            let chunk = symbols[start..<min(start + Self.maxTickerSymbolsPerRequest, symbols.count)]
            start += chunk.count
            let query: [(name: String, value: String)] =
                chunk.count == 1
                ? [("symbol", chunk[chunk.startIndex])]
                : [("symbols", "[" + chunk.map { "\"\($0)\"" }.joined(separator: ",") + "]")]
            requests.append(
                RESTRequest(
                    path: "\(Self.apiPrefix)/ticker/24hr", query: query,
                    weight: BinanceWeights.ticker24hr(symbols: chunk.count)
                )
            )
        }
        return requests
    }

    public func parseTickers(
        _ body: [UInt8], type: MarketType, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> [Ticker]
    {
        try BinanceRESTParser.tickers(body, receivedAt: receivedAt)
    }

    // MARK: - WebSocket (see BinanceAPI+WebSocket.swift)

    public func webSocketPath(type: MarketType) -> String { "/stream" }
    /// Binance: 1024 streams per connection.
    public var maxSubscriptionsPerConnection: Int { 1_024 }
    /// Binance: 5 incoming messages per second (pings, pongs and control messages all count).
    public var maxClientMessagesPerSecond: Int { 5 }
    /// The server pings (a WebSocket frame every 20 s); the client only answers.
    public var clientPing: ClientPing? { nil }

    public func parseStreamMessage(
        _ bytes: UnsafeRawBufferPointer, context: StreamContext, receivedAt: Timestamp, into events: inout [StreamEvent]
    ) throws(ExchangeParseError) {
        try BinanceStreamParser.parse(bytes, receivedAt: receivedAt, into: &events)
    }
}
