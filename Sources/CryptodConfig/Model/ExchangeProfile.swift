import CryptodModel

/// What cryptod knows about a supported exchange: its default endpoints and markets, and the limits its
/// public API imposes (candle intervals, order-book depths, symbol spelling). The `[exchanges.<name>]`
/// schema entries and their validation are generated from these profiles.
package struct ExchangeProfile: Sendable, Equatable {
    /// The exchange, as the model names it.
    package let id: ExchangeID
    /// Default `rest_url`.
    package let defaultRestURL: String
    /// Default `ws_url`.
    package let defaultWebSocketURL: String
    /// Default `markets`.
    package let defaultMarkets: [String]
    /// Default `book_depth`.
    package let defaultBookDepth: Int
    /// Candle intervals the exchange offers, in ``CandleInterval`` order.
    package let candleIntervals: [CandleInterval]
    /// The `book_depth` values the exchange accepts.
    package let bookDepths: AllowedIntegers
    /// How the exchange spells symbols.
    package let symbols: SymbolRule
    /// Whether `category` (spot or linear) applies; only Bybit serves both from one API.
    package let hasCategory: Bool

    // MARK: - Known exchanges

    /// Binance spot.
    package static let binance = ExchangeProfile(
        id: .binance, defaultRestURL: "https://api.binance.com", defaultWebSocketURL: "wss://stream.binance.com:9443",
        defaultMarkets: ["BTCUSDT", "ETHUSDT"], defaultBookDepth: 1000, candleIntervals: CandleInterval.allCases,
        bookDepths: .range(1...5000), symbols: .concatenated, hasCategory: false)

    /// Bybit V5 (spot or linear).
    package static let bybit = ExchangeProfile(
        id: .bybit, defaultRestURL: "https://api.bybit.com", defaultWebSocketURL: "wss://stream.bybit.com",
        defaultMarkets: ["BTCUSDT", "ETHUSDT"], defaultBookDepth: 200,
        candleIntervals: CandleInterval.allCases.filter { ![.s1, .h8, .d3].contains($0) },
        bookDepths: .oneOf([1, 50, 200, 1000]), symbols: .concatenatedWithDash, hasCategory: true)

    /// WhiteBIT.
    package static let whitebit = ExchangeProfile(
        id: .whitebit, defaultRestURL: "https://whitebit.com", defaultWebSocketURL: "wss://api.whitebit.com/ws",
        defaultMarkets: ["BTC_USDT", "ETH_USDT"], defaultBookDepth: 100,
        candleIntervals: CandleInterval.allCases.filter { $0 != .s1 },
        bookDepths: .range(1...100), symbols: .underscored, hasCategory: false)

    /// Every supported exchange, in the order processes are started and documented.
    package static let all: [ExchangeProfile] = [binance, bybit, whitebit]

    /// The profile named `name` (`"binance"`), if cryptod supports that exchange.
    package static func named(_ name: String) -> ExchangeProfile? {
        all.first { $0.id.rawValue == name }
    }

    /// The profile for `id`, if cryptod supports that exchange.
    package static func profile(for id: ExchangeID) -> ExchangeProfile? {
        all.first { $0.id == id }
    }

    /// `binance, bybit, whitebit`, for messages.
    package static var knownNames: String { all.map(\.id.rawValue).joined(separator: ", ") }

    /// `binance`: the name used in sections and process names.
    package var name: String { id.rawValue }
}

// MARK: - Allowed integers

/// A set of allowed integers: a range, or a short list (Bybit's order-book depths).
package enum AllowedIntegers: Sendable, Equatable, CustomStringConvertible {
    case range(ClosedRange<Int>)
    case oneOf([Int])

    /// Whether `depth` is allowed.
    package func allows(_ depth: Int) -> Bool {
        switch self {
        case .range(let r): r.contains(depth)
        case .oneOf(let values): values.contains(depth)
        }
    }

    /// `1-5000` or `one of 1, 50, 200, 1000`.
    package var description: String {
        switch self {
        case .range(let r): "\(r.lowerBound)-\(r.upperBound)"
        case .oneOf(let values): "one of " + values.map(String.init).joined(separator: ", ")
        }
    }
}

// MARK: - Symbols

/// How an exchange spells market symbols.
package enum SymbolRule: Sendable, Equatable {
    /// `BTCUSDT`: upper-case letters and digits (Binance also lists a few non-ASCII letters).
    case concatenated
    /// `BTCUSDT`, or `BTCUSDT-21FEB25` for dated futures (Bybit).
    case concatenatedWithDash
    /// `BTC_USDT`: base and quote joined by one underscore (WhiteBIT).
    case underscored

    /// Whether `symbol` is spelled as the exchange spells symbols.
    package func accepts(_ symbol: String) -> Bool {
        func plain(_ c: Character) -> Bool { c.isASCII ? (c.isUppercase || c.isNumber) : false }
        switch self {
        case .concatenated:
            return (2...30).contains(symbol.count)
                && symbol.allSatisfy { plain($0) || (!$0.isASCII && $0.isLetter && !$0.isLowercase) }
        case .concatenatedWithDash:
            return (2...40).contains(symbol.count) && !symbol.hasPrefix("-") && !symbol.hasSuffix("-")
                && !symbol.contains("--") && symbol.allSatisfy { plain($0) || $0 == "-" }
        case .underscored:
            let parts = symbol.split(separator: "_", omittingEmptySubsequences: false)
            return symbol.count <= 30 && parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(plain) }
        }
    }

    /// How to write a symbol, for messages.
    package var description: String {
        switch self {
        case .concatenated: "upper-case letters and digits, e.g. \"BTCUSDT\""
        case .concatenatedWithDash: "upper-case letters, digits and '-', e.g. \"BTCUSDT\""
        case .underscored: "BASE_QUOTE in upper case, e.g. \"BTC_USDT\""
        }
    }
}
