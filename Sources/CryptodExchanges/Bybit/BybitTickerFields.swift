import CryptodModel

/// The ticker members REST (`/v5/market/tickers`) and the stream (`tickers.{symbol}`) share.
///
/// Fields Bybit leaves out (a linear `delta` only carries what changed) or writes as `""` stay `nil`.
/// `price24hPcnt` is a fraction and becomes a percent here, exactly (``ExactDecimal/fractionToPercent()``).
enum BybitTickerFields {
    /// Reads `key` into `ticker` when it is a ticker field; otherwise skips the value. `symbol` is returned
    /// through `symbol` so the caller can check or build the market.
    static func read(
        _ key: JSONKey, _ c: inout JSONCursor, into ticker: inout Ticker, symbol: inout String?
    ) throws(ExchangeParseError) {
        if key == "symbol" {
            symbol = try BybitField.string(&c, "symbol")
        } else if key == "lastPrice" {
            ticker.last = try BybitField.optionalNonNegative(&c, "lastPrice")
        } else if key == "bid1Price" {
            ticker.bid = try BybitField.optionalNonNegative(&c, "bid1Price")
        } else if key == "bid1Size" {
            ticker.bidQuantity = try BybitField.optionalNonNegative(&c, "bid1Size")
        } else if key == "ask1Price" {
            ticker.ask = try BybitField.optionalNonNegative(&c, "ask1Price")
        } else if key == "ask1Size" {
            ticker.askQuantity = try BybitField.optionalNonNegative(&c, "ask1Size")
        } else if key == "prevPrice24h" {
            ticker.open = try BybitField.optionalNonNegative(&c, "prevPrice24h")
        } else if key == "highPrice24h" {
            ticker.high = try BybitField.optionalNonNegative(&c, "highPrice24h")
        } else if key == "lowPrice24h" {
            ticker.low = try BybitField.optionalNonNegative(&c, "lowPrice24h")
        } else if key == "volume24h" {
            ticker.volume = try BybitField.optionalNonNegative(&c, "volume24h")
        } else if key == "turnover24h" {
            ticker.quoteVolume = try BybitField.optionalNonNegative(&c, "turnover24h")
        } else if key == "price24hPcnt" {
            if let fraction = try BybitField.optionalDecimal(&c, "price24hPcnt") {
                guard let percent = fraction.fractionToPercent() else {
                    throw ExchangeParseError(.invalidValue, "price24hPcnt \(fraction) out of range as a percent")
                }
                ticker.changePercent = percent
            }
        } else {
            try c.skip()
        }
    }
}
