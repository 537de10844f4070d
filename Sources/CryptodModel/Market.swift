/// An exchange's identifier: lowercase ASCII letters, digits, `_` and `-` (`binance`, `bybit`, `whitebit`).
///
/// A struct rather than an enum so that a new exchange is a new value, not a wire-protocol change.
public struct ExchangeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    /// Returns `nil` unless `rawValue` is 1...32 characters of `[a-z0-9_-]`.
    public init?(_ rawValue: String) {
        guard (1...32).contains(rawValue.utf8.count),
            rawValue.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45 })
        else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { self.rawValue = known }

    public static let binance = ExchangeID(known: "binance")
    public static let bybit = ExchangeID(known: "bybit")
    public static let whitebit = ExchangeID(known: "whitebit")

    public var description: String { rawValue }
    public static func < (lhs: ExchangeID, rhs: ExchangeID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The kind of instrument: the same symbol (`BTCUSDT`) can exist as spot and as a linear perpetual on Bybit.
public enum MarketType: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case spot = 1
    /// USDT/USDC-margined perpetuals and futures.
    case linear = 2
    /// Coin-margined perpetuals and futures.
    case inverse = 3

    public var description: String {
        switch self {
        case .spot: "spot"
        case .linear: "linear"
        case .inverse: "inverse"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}

/// Identifies one market: exchange, market type and the exchange's own symbol (`BTCUSDT`, `BTC_USDT`).
public struct MarketKey: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var exchange: ExchangeID
    public var type: MarketType
    /// The symbol exactly as the exchange spells it in REST (upper case for all three exchanges).
    public var symbol: String

    public init(exchange: ExchangeID, type: MarketType = .spot, symbol: String) {
        self.exchange = exchange
        self.type = type
        self.symbol = symbol
    }

    /// `binance:spot:BTCUSDT`.
    public var description: String { "\(exchange):\(type):\(symbol)" }

    public static func < (lhs: MarketKey, rhs: MarketKey) -> Bool {
        (lhs.exchange, lhs.type.rawValue, lhs.symbol) < (rhs.exchange, rhs.type.rawValue, rhs.symbol)
    }
}

/// Whether an instrument trades.
public enum InstrumentStatus: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case trading = 1
    case halted = 2
    case preTrading = 3
    case delisted = 4
    case cancelOnly = 5

    public var description: String {
        switch self {
        case .trading: "trading"
        case .halted: "halted"
        case .preTrading: "pre_trading"
        case .delisted: "delisted"
        case .cancelOnly: "cancel_only"
        }
    }
}

/// A market's static description: assets, status and the exchange's price and quantity grids.
public struct Instrument: Sendable, Hashable {
    public var market: MarketKey
    public var base: String
    public var quote: String
    public var status: InstrumentStatus
    /// Price grid (`PRICE_FILTER.tickSize`, `priceFilter.tickSize`, `10^-moneyPrec`).
    public var tickSize: ExactDecimal
    /// Quantity grid (`LOT_SIZE.stepSize`, `basePrecision`/`qtyStep`, `10^-stockPrec`).
    public var lotSize: ExactDecimal
    public var minQuantity: ExactDecimal?
    public var minNotional: ExactDecimal?

    public init(
        market: MarketKey, base: String, quote: String, status: InstrumentStatus, tickSize: ExactDecimal,
        lotSize: ExactDecimal, minQuantity: ExactDecimal? = nil, minNotional: ExactDecimal? = nil
    ) {
        self.market = market
        self.base = base
        self.quote = quote
        self.status = status
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.minQuantity = minQuantity
        self.minNotional = minNotional
    }
}
