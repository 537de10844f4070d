/// Binance spot's published request weights (`REQUEST_WEIGHT`), so every caller charges the governor the
/// same numbers the exchange counts (`shared/exchanges/binance.md`, `docs/exchsim.md`).
///
/// Heavier is safe, lighter is not: where a parameter is out of the published range the heaviest matching
/// weight is returned.
public enum BinanceWeights {
    /// `GET /api/v3/depth`: 5 for `limit` 1–100, 25 to 500, 50 to 1000, 250 to 5000 (the default is 100).
    public static func depth(limit: Int = 100) -> Int {
        switch limit {
        case ...100: 5
        case ...500: 25
        case ...1000: 50
        default: 250
        }
    }

    /// `GET /api/v3/klines` and `/uiKlines`.
    public static let klines = 2
    /// `GET /api/v3/trades`.
    public static let trades = 25
    /// `GET /api/v3/historicalTrades`.
    public static let historicalTrades = 25
    /// `GET /api/v3/aggTrades`.
    public static let aggTrades = 4
    /// `GET /api/v3/exchangeInfo`.
    public static let exchangeInfo = 20
    /// `GET /api/v3/account` (signed: key verification).
    public static let account = 20
    /// `GET /api/v3/time`.
    public static let time = 1
    /// `GET /api/v3/ping`.
    public static let ping = 1
    /// `GET /api/v3/avgPrice`.
    public static let avgPrice = 2

    /// `GET /api/v3/ticker/24hr`: 2 for one symbol or up to 20 symbols, 40 for 21–100, 80 for more or all.
    ///
    /// - Parameter symbols: how many symbols are asked for; `nil` means all.
    public static func ticker24hr(symbols: Int?) -> Int {
        guard let symbols else { return 80 }
        switch symbols {
        case ...20: return 2
        case ...100: return 40
        default: return 80
        }
    }

    /// `GET /api/v3/ticker/price`: 2 for one symbol, 4 for several or all (`symbols` nil).
    public static func tickerPrice(symbols: Int?) -> Int { symbols == 1 ? 2 : 4 }

    /// `GET /api/v3/ticker/bookTicker`: 2 for one symbol, 4 for several or all (`symbols` nil).
    public static func bookTicker(symbols: Int?) -> Int { symbols == 1 ? 2 : 4 }
}
