import CryptodModel

/// What cryptod needs to know about one exchange's public API, without doing any I/O: how to build each
/// REST request, how to read each answer, how to subscribe to WebSocket streams, and how to read each
/// stream message. The ingestor (CryptodIngestor) owns the connections, the rate-limit governor and the
/// order books; an adapter only translates. Adding an exchange is one type conforming to this protocol,
/// one line in ``ExchangeRegistry``, and its fixtures.
public protocol ExchangeAPI: Sendable {
    var exchange: ExchangeID { get }
    /// Market types this adapter serves (Bybit: spot and linear).
    var marketTypes: [MarketType] { get }
    /// How order books are synchronised on this exchange.
    var bookRule: BookSyncRule { get }
    /// Order-book depth to subscribe to / snapshot for a configured `book_depth`.
    func streamBookDepth(forConfigured depth: Int) -> Int

    // MARK: - REST

    func serverTimeRequest() -> RESTRequest
    func parseServerTime(_ body: [UInt8]) throws(ExchangeParseError) -> Timestamp

    func instrumentsRequests(type: MarketType) -> [RESTRequest]
    func parseInstruments(_ body: [UInt8], type: MarketType) throws(ExchangeParseError) -> InstrumentPage

    /// The REST book snapshot the sync rule needs (Binance), `nil` where the stream sends snapshots.
    func bookSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest?
    func parseBookSnapshot(
        _ body: [UInt8], market: MarketKey, receivedAt: Timestamp
    ) throws(ExchangeParseError)
        -> BookSnapshot
    /// The REST top-of-book a periodic audit compares the local book with (read with
    /// ``parseBookSnapshot(_:market:receivedAt:)``); `nil` when the exchange has none.
    func auditSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest?

    /// Most candles one klines request returns.
    var maxCandlesPerRequest: Int { get }
    /// Candles of `interval` with open time in `start...end` (both optional), at most `limit`.
    func candlesRequest(
        market: MarketKey, interval: CandleInterval, start: Timestamp?, end: Timestamp?, limit: Int
    )
        -> RESTRequest
    /// Candles oldest first. `exchangeNow` is the exchange's clock: a candle is closed when its end is at or
    /// before it.
    func parseCandles(
        _ body: [UInt8], market: MarketKey, interval: CandleInterval, receivedAt: Timestamp, exchangeNow: Timestamp
    ) throws(ExchangeParseError) -> [Candle]

    /// Most trades one trades request returns.
    var maxTradesPerRequest: Int { get }
    /// Recent trades, or trades from `fromID` on where the exchange supports it (Binance `fromId`).
    func tradesRequest(market: MarketKey, fromID: String?, limit: Int) -> RESTRequest
    /// Whether `tradesRequest(fromID:)` really pages from an id (else only recent trades exist).
    var supportsTradesFromID: Bool { get }
    /// Trades oldest first.
    func parseTrades(_ body: [UInt8], market: MarketKey, receivedAt: Timestamp) throws(ExchangeParseError) -> [Trade]

    /// Requests covering `markets` with as many symbols per request as the exchange allows.
    func tickersRequests(markets: [MarketKey]) -> [RESTRequest]
    func parseTickers(_ body: [UInt8], type: MarketType, receivedAt: Timestamp) throws(ExchangeParseError) -> [Ticker]

    /// A signed request that proves an API key works (and shows its permissions).
    func verifyKeyRequest(credentials: APICredentials, now: Timestamp, sign: HMACSigner) -> RESTRequest
    func parseKeyVerification(status: Int, body: [UInt8]) -> KeyVerification

    // MARK: - WebSocket

    /// Path (and query) on `ws_url` for a connection carrying streams of `type`.
    func webSocketPath(type: MarketType) -> String
    /// Most subscriptions one connection may carry.
    var maxSubscriptionsPerConnection: Int { get }
    /// Most client messages per second on one connection (Binance: 5).
    var maxClientMessagesPerSecond: Int { get }
    /// Whether `subscription` may join a connection already carrying `existing` (WhiteBIT: one candle
    /// interval per connection).
    func canShareConnection(_ subscription: StreamSubscription, with existing: [StreamSubscription]) -> Bool
    /// Messages that subscribe `added` on a connection that will then carry `all` (added included).
    func subscribeMessages(_ added: [StreamSubscription], all: [StreamSubscription], nextID: inout UInt64) -> [String]
    /// Messages that unsubscribe `removed` on a connection that keeps `remaining`.
    func unsubscribeMessages(
        _ removed: [StreamSubscription], remaining: [StreamSubscription], nextID: inout UInt64
    )
        -> [String]
    /// A client-side keepalive (Bybit `{"op":"ping"}`, WhiteBIT `ping`), or `nil` when the server pings.
    var clientPing: ClientPing? { get }
    /// Reads one text frame. Appends what it carries to `events`.
    func parseStreamMessage(
        _ bytes: UnsafeRawBufferPointer, context: StreamContext, receivedAt: Timestamp, into events: inout [StreamEvent]
    ) throws(ExchangeParseError)
}

/// Facts about the connection a frame arrived on that the frame itself does not carry.
public struct StreamContext: Sendable, Hashable {
    /// Bybit spot and linear streams look alike; the connection's path tells them apart.
    public var type: MarketType
    /// WhiteBIT candle rows carry no interval: a connection has one candle subscription.
    public var candleInterval: CandleInterval?

    public init(type: MarketType, candleInterval: CandleInterval? = nil) {
        self.type = type
        self.candleInterval = candleInterval
    }
}

/// One page of instruments; `next` is another request when the exchange paginates (Bybit linear cursor).
public struct InstrumentPage: Sendable {
    public var instruments: [Instrument]
    public var next: RESTRequest?

    public init(instruments: [Instrument], next: RESTRequest? = nil) {
        self.instruments = instruments
        self.next = next
    }
}

/// A keepalive message the client must send.
public struct ClientPing: Sendable, Hashable {
    public var message: String
    public var interval: Duration

    public init(message: String, interval: Duration) {
        self.message = message
        self.interval = interval
    }
}

/// An API key and secret. The secret never appears in `description`.
public struct APICredentials: Sendable, CustomStringConvertible {
    public var key: String
    public var secret: String

    public init(key: String, secret: String) {
        self.key = key
        self.secret = secret
    }

    public var description: String { "key \(key.prefix(4))… (secret redacted)" }
}

/// HMAC digests computed by the caller (libcrypto lives above this module).
public struct HMACSigner: Sendable {
    public enum Algorithm: Sendable { case sha256, sha512 }
    public let sign: @Sendable (_ algorithm: Algorithm, _ key: [UInt8], _ message: [UInt8]) -> [UInt8]

    public init(_ sign: @escaping @Sendable (_ algorithm: Algorithm, _ key: [UInt8], _ message: [UInt8]) -> [UInt8]) {
        self.sign = sign
    }

    /// Lower-case hex of the digest.
    public func hex(_ algorithm: Algorithm, key: String, message: String) -> String {
        let digest = sign(algorithm, Array(key.utf8), Array(message.utf8))
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(digest.count * 2)
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// What a key check found. `detail` says which part was wrong (key, signature, clock skew, IP) and never
/// contains the secret.
public struct KeyVerification: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        case valid
        case invalidKey = "invalid_key"
        case invalidSignature = "invalid_signature"
        case clockSkew = "clock_skew"
        case ipNotAllowed = "ip_not_allowed"
        case rateLimited = "rate_limited"
        case unknown
    }

    public var outcome: Outcome
    public var permissions: [String]
    public var detail: String

    public init(outcome: Outcome, permissions: [String] = [], detail: String) {
        self.outcome = outcome
        self.permissions = permissions
        self.detail = detail
    }
}

extension ExchangeAPI {
    /// By default the audit reads the sync snapshot at the audit's depth.
    public func auditSnapshotRequest(market: MarketKey, depth: Int) -> RESTRequest? {
        bookSnapshotRequest(market: market, depth: depth)
    }
}
