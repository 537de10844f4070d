import CryptodModel

/// The candle intervals each exchange serves over REST (and so can be backfilled), from the one timeframe
/// mapping in ``TimeframeNotation``.
public enum ExchangeIntervals {
    public static func supported(by exchange: ExchangeID) -> [CandleInterval] {
        CandleInterval.allCases.filter { supports(exchange, $0) }
    }

    public static func supports(_ exchange: ExchangeID, _ interval: CandleInterval) -> Bool {
        switch exchange {
        case .binance: true
        case .bybit: TimeframeNotation.bybit(interval) != nil
        case .whitebit: TimeframeNotation.whitebit(interval) != nil
        default: false
        }
    }
}
