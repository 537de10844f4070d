import CryptodModel

/// What a market stream carries.
public enum StreamChannel: Sendable, Hashable, Comparable, CustomStringConvertible {
    case ticker
    case trades
    case candles(CandleInterval)
    case book

    public var description: String {
        switch self {
        case .ticker: "ticker"
        case .trades: "trades"
        case .candles(let interval): "candles:\(interval)"
        case .book: "book"
        }
    }

    private var order: (Int, UInt8) {
        switch self {
        case .ticker: (0, 0)
        case .trades: (1, 0)
        case .candles(let interval): (2, interval.rawValue)
        case .book: (3, 0)
        }
    }

    public static func < (lhs: StreamChannel, rhs: StreamChannel) -> Bool { lhs.order < rhs.order }
}

/// One stream of one market: the unit of subscription, sharding and runtime subscribe/unsubscribe.
public struct StreamSubscription: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var market: MarketKey
    public var channel: StreamChannel
    /// Book depth for `.book` (what was subscribed: Bybit 50/200/1000, WhiteBIT 1…100); 0 otherwise.
    public var depth: Int

    public init(market: MarketKey, channel: StreamChannel, depth: Int = 0) {
        self.market = market
        self.channel = channel
        self.depth = depth
    }

    public var description: String { "\(market)/\(channel)" }

    public static func < (lhs: StreamSubscription, rhs: StreamSubscription) -> Bool {
        (lhs.market, lhs.channel) < (rhs.market, rhs.channel)
    }
}

/// What one stream message carried, normalised.
public enum StreamEvent: Sendable, Hashable {
    case ticker(Ticker)
    case trades([Trade])
    case candle(Candle)
    /// A full book from the stream (Bybit `snapshot`, WhiteBIT full reload).
    case bookSnapshot(BookSnapshot)
    /// Changed levels (Binance `depthUpdate`, Bybit `delta`, WhiteBIT incremental).
    case bookDelta(BookDelta)
    /// A subscription request was accepted (`id` as the exchange echoes it, if any).
    case subscribed(id: String?)
    /// A request was refused: the exchange's words.
    case rejected(id: String?, message: String)
    case pong
    /// The server will close this connection soon (Binance `serverShutdown`): reconnect make-before-break.
    case serverShutdown
    /// The exchange's clock as seen in a message without market data (WhiteBIT `time`).
    case serverTime(Timestamp)
}

/// How order books are synchronised on an exchange (the per-symbol rules are in ``BookSynchronizer``).
public enum BookSyncRule: Sendable, Hashable {
    /// Binance spot: buffer diffs, fetch a REST snapshot, join on `U`/`u`.
    case restSnapshotThenDiffs
    /// Bybit: the stream sends a snapshot, then deltas with consecutive `u`; any snapshot replaces the book.
    case streamSnapshotThenDeltas
    /// WhiteBIT: the stream sends a full reload, then incrementals chained by `past_update_id`; each side is
    /// truncated to the subscribed depth after every update.
    case streamSnapshotThenIncremental(depth: Int)
}

/// A malformed or unexpected message from an exchange. `kind` feeds the per-kind parse-error metric;
/// `detail` names the field and never holds more than a short excerpt of the payload.
public struct ExchangeParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case malformedJSON = "malformed_json"
        case unknownMessage = "unknown_message"
        case missingField = "missing_field"
        case invalidValue = "invalid_value"
        case oversize
        /// The exchange answered with its own error body (`{"code":-1121,…}`, `retCode != 0`).
        case exchangeError = "exchange_error"
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "\(kind.rawValue): \(detail)" }
}
