import CryptodModel

// The one place for symbol, timeframe and time-unit conventions of every exchange. Adapters call these;
// nothing else spells a symbol or an interval.

// MARK: - Symbols

/// Symbol spellings: the exchange's own (`BTCUSDT`, `BTC_USDT`), stream names (`btcusdt`) and the unified
/// form clients may use (`BTC/USDT`).
public enum SymbolNotation {
    /// `BTC/USDT`.
    public static func unified(base: String, quote: String) -> String { "\(base)/\(quote)" }

    /// The exchange's REST spelling for a base/quote pair.
    public static func exchangeSymbol(_ exchange: ExchangeID, base: String, quote: String) -> String {
        exchange == .whitebit ? "\(base)_\(quote)" : "\(base)\(quote)"
    }

    /// Binance stream names use lower-case symbols.
    public static func binanceStreamSymbol(_ symbol: String) -> String { symbol.lowercased() }

    /// Base and quote from a symbol whose spelling separates them (`BTC_USDT`, `BTC/USDT`); `nil` for
    /// concatenated symbols, which need the instrument list (``SymbolDirectory``).
    public static func split(_ symbol: String) -> (base: String, quote: String)? {
        for separator in ["/", "_"] where symbol.contains(separator) {
            let parts = symbol.split(separator: Character(separator), omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
        return nil
    }
}

/// Maps unified symbols to the exchange's and back, from the instruments the exchange lists.
public struct SymbolDirectory: Sendable {
    private var byUnified: [String: [MarketType: String]] = [:]
    private var unifiedBySymbol: [MarketKey: String] = [:]

    public init(instruments: [Instrument] = []) {
        for instrument in instruments { add(instrument) }
    }

    public mutating func add(_ instrument: Instrument) {
        let unified = SymbolNotation.unified(base: instrument.base, quote: instrument.quote)
        byUnified[unified, default: [:]][instrument.market.type] = instrument.market.symbol
        unifiedBySymbol[instrument.market] = unified
    }

    /// The market a client means by `symbol` (exchange spelling or unified, any case) and `type`.
    public func market(exchange: ExchangeID, symbol: String, type: MarketType) -> MarketKey? {
        let upper = symbol.uppercased()
        if let native = byUnified[upper]?[type] { return MarketKey(exchange: exchange, type: type, symbol: native) }
        let key = MarketKey(exchange: exchange, type: type, symbol: upper)
        if unifiedBySymbol[key] != nil { return key }
        if let (base, quote) = SymbolNotation.split(upper) {
            return MarketKey(
                exchange: exchange, type: type,
                symbol: SymbolNotation.exchangeSymbol(exchange, base: base, quote: quote))
        }
        return nil
    }

    /// `BTC/USDT` for a known market.
    public func unified(_ market: MarketKey) -> String? { unifiedBySymbol[market] }
}

// MARK: - Timeframes

/// Candle interval names per exchange.
public enum TimeframeNotation {
    /// Binance and WhiteBIT REST: `1m`, `1h`, `1d`, `1w`, `1M` (WhiteBIT has no `1s`).
    public static func binance(_ interval: CandleInterval) -> String { interval.description }

    /// Bybit: minutes as numbers (`1`, `60`, `720`), then `D`, `W`, `M`; `nil` for intervals Bybit lacks.
    public static func bybit(_ interval: CandleInterval) -> String? {
        switch interval {
        case .m1: "1"
        case .m3: "3"
        case .m5: "5"
        case .m15: "15"
        case .m30: "30"
        case .h1: "60"
        case .h2: "120"
        case .h4: "240"
        case .h6: "360"
        case .h12: "720"
        case .d1: "D"
        case .w1: "W"
        case .month1: "M"
        case .s1, .h8, .d3: nil
        }
    }

    /// The interval a Bybit name stands for.
    public static func bybitInterval(_ name: String) -> CandleInterval? {
        CandleInterval.allCases.first { bybit($0) == name }
    }

    /// WhiteBIT REST names: as Binance, without `1s`.
    public static func whitebit(_ interval: CandleInterval) -> String? { interval == .s1 ? nil : interval.description }

    /// WhiteBIT WebSocket intervals are seconds (the calendar month is 2592000).
    public static func whitebitSeconds(_ interval: CandleInterval) -> Int64? {
        switch interval {
        case .s1: nil
        case .month1: 2_592_000
        default: interval.seconds
        }
    }

    /// The interval a WhiteBIT WebSocket interval in seconds stands for.
    public static func whitebitInterval(seconds: Int64) -> CandleInterval? {
        CandleInterval.allCases.first { whitebitSeconds($0) == seconds }
    }

    /// Parses `1m`, `5m`, … (the seed's and Binance's names).
    public static func interval(named name: String) -> CandleInterval? { CandleInterval(name: name) }
}

// MARK: - Time units

/// Exchange time fields to ``Timestamp``, range-checked (an absurd number from an exchange is an error,
/// never a trap).
public enum TimeUnits {
    /// 1677-09-22 … 2262-04-10, in milliseconds: what `Timestamp` holds.
    static let millisecondRange: ClosedRange<Int64> = -9_223_372_036_854...9_223_372_036_854

    public static func milliseconds(_ value: Int64) throws(ExchangeParseError) -> Timestamp {
        guard millisecondRange.contains(value) else {
            throw ExchangeParseError(.invalidValue, "time \(value) ms out of range")
        }
        return Timestamp(milliseconds: value)
    }

    public static func seconds(_ value: Int64) throws(ExchangeParseError) -> Timestamp {
        guard (-9_223_372_036...9_223_372_036).contains(value) else {
            throw ExchangeParseError(.invalidValue, "time \(value) s out of range")
        }
        return Timestamp(seconds: value)
    }

    /// A candle's open time, from the epoch to a month before the end of ``Timestamp``: every candle's close
    /// time (``CandleInterval/nextOpenTime(after:)``, which the ingestor, the writer and the gateway compute)
    /// must be representable, or `Timestamp(seconds:)` traps there (found by the parser oracle on a kline
    /// opening at 9223372036854 ms).
    public static func candleOpenTime(_ time: Timestamp) throws(ExchangeParseError) -> Timestamp {
        guard time.nanoseconds >= 0, time.seconds <= 9_223_372_036 - 32 * 86_400 else {
            throw ExchangeParseError(.invalidValue, "candle open time \(time.nanoseconds / 1_000_000) ms out of range")
        }
        return time
    }

    /// Seconds with a fraction (`1689600180.5164471`, WhiteBIT), exact to the nanosecond: parsed as a
    /// decimal, never through `Double` (which loses the last digits).
    public static func fractionalSeconds(_ value: ExactDecimal) throws(ExchangeParseError) -> Timestamp {
        guard !value.isNegative else { throw ExchangeParseError(.invalidValue, "negative time \(value)") }
        let scale = Int(value.scale)
        var mantissa = value.mantissa
        var nanos: Int128
        if scale <= 9 {
            var factor: Int128 = 1
            for _ in 0..<(9 - scale) { factor *= 10 }
            // Checked before multiplying: a 38-digit mantissa times 10^9 would overflow Int128.
            guard mantissa <= Int128(Int64.max) / factor else {
                throw ExchangeParseError(.invalidValue, "time \(value) s out of range")
            }
            nanos = mantissa * factor
        } else {
            for _ in 0..<(scale - 9) { mantissa /= 10 }
            nanos = mantissa
        }
        guard nanos <= Int128(Int64.max) else {
            throw ExchangeParseError(.invalidValue, "time \(value) s out of range")
        }
        return Timestamp(nanoseconds: Int64(nanos))
    }
}
