/// The taker's side of a trade (the side that crossed the spread).
public enum TradeSide: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case unknown = 0
    case buy = 1
    case sell = 2

    public var description: String {
        switch self {
        case .unknown: "unknown"
        case .buy: "buy"
        case .sell: "sell"
        }
    }
}

/// One public trade.
public struct Trade: Sendable, Hashable {
    public var market: MarketKey
    /// The exchange's trade id as text: Binance and WhiteBIT send integers, Bybit a UUID.
    public var id: String
    public var price: ExactDecimal
    public var quantity: ExactDecimal
    public var side: TradeSide
    /// When the exchange says the trade happened.
    public var time: Timestamp
    /// When cryptod received it.
    public var receivedAt: Timestamp
    /// Live, or fetched to fill a gap or by a backfill.
    public var origin: DataOrigin

    public init(
        market: MarketKey, id: String, price: ExactDecimal, quantity: ExactDecimal, side: TradeSide,
        time: Timestamp, receivedAt: Timestamp, origin: DataOrigin = .live
    ) {
        self.market = market
        self.id = id
        self.price = price
        self.quantity = quantity
        self.side = side
        self.time = time
        self.receivedAt = receivedAt
        self.origin = origin
    }
}

/// A 24-hour rolling ticker. Fields an exchange does not send are `nil` (WhiteBIT's v4 ticker has no
/// bid/ask, Binance's mini ticker no change figures).
public struct Ticker: Sendable, Hashable {
    public var market: MarketKey
    public var time: Timestamp
    public var receivedAt: Timestamp
    public var last: ExactDecimal?
    public var lastQuantity: ExactDecimal?
    public var bid: ExactDecimal?
    public var bidQuantity: ExactDecimal?
    public var ask: ExactDecimal?
    public var askQuantity: ExactDecimal?
    public var open: ExactDecimal?
    public var high: ExactDecimal?
    public var low: ExactDecimal?
    /// Base-asset volume over the window.
    public var volume: ExactDecimal?
    /// Quote-asset volume (turnover) over the window.
    public var quoteVolume: ExactDecimal?
    /// Percent change as the exchange reports it (Bybit sends a fraction; adapters convert to percent).
    public var changePercent: ExactDecimal?
    public var origin: DataOrigin

    public init(market: MarketKey, time: Timestamp, receivedAt: Timestamp, origin: DataOrigin = .live) {
        self.market = market
        self.time = time
        self.receivedAt = receivedAt
        self.origin = origin
    }
}

/// An OHLCV candle.
public struct Candle: Sendable, Hashable {
    public var market: MarketKey
    public var interval: CandleInterval
    public var openTime: Timestamp
    public var open: ExactDecimal
    public var high: ExactDecimal
    public var low: ExactDecimal
    public var close: ExactDecimal
    /// Base-asset volume.
    public var volume: ExactDecimal
    /// Quote-asset volume, where the exchange reports it.
    public var quoteVolume: ExactDecimal?
    public var tradeCount: Int64?
    /// False while the candle is still forming (a live kline before its close).
    public var isClosed: Bool
    public var receivedAt: Timestamp
    /// Live, or fetched by a backfill or to fill a gap.
    public var origin: DataOrigin

    public init(
        market: MarketKey, interval: CandleInterval, openTime: Timestamp, open: ExactDecimal, high: ExactDecimal,
        low: ExactDecimal, close: ExactDecimal, volume: ExactDecimal, quoteVolume: ExactDecimal? = nil,
        tradeCount: Int64? = nil, isClosed: Bool, receivedAt: Timestamp, origin: DataOrigin = .live
    ) {
        self.market = market
        self.interval = interval
        self.openTime = openTime
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
        self.quoteVolume = quoteVolume
        self.tradeCount = tradeCount
        self.isClosed = isClosed
        self.receivedAt = receivedAt
        self.origin = origin
    }
}

/// A price level: an absolute quantity at a price. Quantity zero in a delta removes the level.
public struct BookLevel: Sendable, Hashable {
    public var price: ExactDecimal
    public var quantity: ExactDecimal

    public init(price: ExactDecimal, quantity: ExactDecimal) {
        self.price = price
        self.quantity = quantity
    }
}

/// A full order-book image at one update id. Bids high to low, asks low to high.
public struct BookSnapshot: Sendable, Hashable {
    public var market: MarketKey
    /// Binance `lastUpdateId`, Bybit `u`, WhiteBIT `update_id`.
    public var updateID: UInt64
    /// Bybit's cross sequence `seq`, where sent.
    public var sequence: UInt64?
    public var time: Timestamp?
    public var receivedAt: Timestamp
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    /// Live (the exchange's own snapshot message), or taken over REST while (re)synchronising.
    public var origin: DataOrigin

    public init(
        market: MarketKey, updateID: UInt64, sequence: UInt64? = nil, time: Timestamp?, receivedAt: Timestamp,
        bids: [BookLevel], asks: [BookLevel], origin: DataOrigin = .live
    ) {
        self.market = market
        self.updateID = updateID
        self.sequence = sequence
        self.time = time
        self.receivedAt = receivedAt
        self.bids = bids
        self.asks = asks
        self.origin = origin
    }
}

/// Changed levels between two update ids.
public struct BookDelta: Sendable, Hashable {
    public var market: MarketKey
    /// Binance `U`; equals ``lastUpdateID`` where the exchange sends a single id.
    public var firstUpdateID: UInt64
    /// Binance `u`, Bybit `u`, WhiteBIT `update_id`.
    public var lastUpdateID: UInt64
    /// WhiteBIT `past_update_id` (Binance futures `pu`), where sent.
    public var previousUpdateID: UInt64?
    public var sequence: UInt64?
    public var time: Timestamp?
    public var receivedAt: Timestamp
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    /// Live, or a buffered delta re-joined to a fresh snapshot during a resync.
    public var origin: DataOrigin

    public init(
        market: MarketKey, firstUpdateID: UInt64, lastUpdateID: UInt64, previousUpdateID: UInt64? = nil,
        sequence: UInt64? = nil, time: Timestamp?, receivedAt: Timestamp, bids: [BookLevel], asks: [BookLevel],
        origin: DataOrigin = .live
    ) {
        self.market = market
        self.firstUpdateID = firstUpdateID
        self.lastUpdateID = lastUpdateID
        self.previousUpdateID = previousUpdateID
        self.sequence = sequence
        self.time = time
        self.receivedAt = receivedAt
        self.bids = bids
        self.asks = asks
        self.origin = origin
    }
}

/// Any normalised market-data event an ingestor produces.
public enum MarketEvent: Sendable, Hashable {
    case ticker(Ticker)
    case trades([Trade])
    case candle(Candle)
    case bookSnapshot(BookSnapshot)
    case bookDelta(BookDelta)
    /// An exchange's instrument list (markets, status, price and quantity grids).
    case instruments(InstrumentList)
    /// A hole in one market's stream opened or closed.
    case gap(StreamGap)
    /// A connection's or a market's state changed (connected, resyncing, degraded…).
    case status(SourceStatus)

    /// The market the event belongs to (for `trades`, the first trade's; a batch is one market); `nil` for an
    /// instrument list and for a status of a whole connection.
    public var market: MarketKey? {
        switch self {
        case .ticker(let value): value.market
        case .trades(let values): values.first?.market
        case .candle(let value): value.market
        case .bookSnapshot(let value): value.market
        case .bookDelta(let value): value.market
        case .instruments: nil
        case .gap(let value): value.market
        case .status(let value): value.market
        }
    }

    /// The exchange the event comes from (`nil` only for an empty trade batch).
    public var exchange: ExchangeID? {
        switch self {
        case .instruments(let value): value.exchange
        case .status(let value): value.exchange
        default: market?.exchange
        }
    }
}
