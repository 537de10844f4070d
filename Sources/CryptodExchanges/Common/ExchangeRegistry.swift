import CryptodModel

/// Every exchange cryptod has an adapter for. Adding an exchange: its folder under
/// `Sources/CryptodExchanges/`, one line here, its fixtures and tests (docs/exchanges.md).
public enum ExchangeRegistry {
    /// The adapter for `exchange`, or `nil` when this build has none.
    /// - Parameter bookDepth: the configured `book_depth` (WhiteBIT's book rule carries its window).
    public static func api(for exchange: ExchangeID, bookDepth: Int = 100) -> (any ExchangeAPI)? {
        switch exchange {
        case .binance: BinanceAPI()
        case .bybit: BybitAPI()
        case .whitebit: WhiteBITAPI(bookDepth: bookDepth)
        default: nil
        }
    }

    /// The exchanges with an adapter, in documentation order.
    public static let supported: [ExchangeID] = [.binance, .bybit, .whitebit]
}
