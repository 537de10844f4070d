import CryptodModel

/// Reads shared by Binance's REST and stream parsers: book levels, symbols, times and error bodies.
enum BinanceRead {
    /// `[["price","qty"], …]` appended to `levels`. Prices must be positive, quantities not negative (a
    /// zero quantity in a diff removes the level). Extra elements after the two are skipped.
    @inline(__always)
    static func levels(
        _ c: inout JSONCursor, field: StaticString, into levels: inout [BookLevel]
    )
        throws(ExchangeParseError)
    {
        try c.array { (c) throws(ExchangeParseError) in
            let at = c.offset
            let price: ExactDecimal
            let quantity: ExactDecimal
            do throws(ExchangeParseError) { (price, quantity) = try c.decimalPair() } catch {
                throw error.inField("\(field)")
            }
            guard price.mantissa > 0, quantity.mantissa >= 0 else {
                throw ExchangeParseError(
                    .invalidValue,
                    "\"\(field)\": level \(price) × \(quantity) has a non-positive price or negative quantity at byte \(at)"
                )
            }
            // Most diffs carry a handful of levels: one allocation instead of four doublings.
            if levels.capacity == 0 { levels.reserveCapacity(8) }
            levels.append(BookLevel(price: price, quantity: quantity))
        }
    }

    /// A non-empty symbol as the exchange spells it; `uppercase` for stream names (`btcusdt@trade`).
    @inline(__always)
    static func symbol(
        _ bytes: UnsafeRawBufferPointer, field: StaticString, uppercase: Bool = false
    )
        throws(ExchangeParseError) -> String
    {
        guard !bytes.isEmpty else { throw ExchangeParseError(.invalidValue, "\"\(field)\": empty symbol") }
        // The raw bytes are the symbol unless they hold an escape or are not UTF-8 (found by the parser
        // oracle: `"BTC\u0055SDT"` became a symbol with a backslash, invalid bytes a U+FFFD one).
        let text: String
        if bytes.contains(UInt8(ascii: "\\")) {
            text = try JSONCursor.unescape(bytes, at: 0)
        } else if let valid = String(validating: bytes, as: UTF8.self) {
            text = valid
        } else {
            throw ExchangeParseError(.malformedJSON, "\"\(field)\": symbol is not UTF-8")
        }
        return uppercase ? text.uppercased() : text
    }

    /// Milliseconds to a ``Timestamp``, range-checked.
    @inline(__always)
    static func milliseconds(_ c: inout JSONCursor, field: StaticString) throws(ExchangeParseError) -> Timestamp {
        let value = try c.int64(field: field)
        do { return try TimeUnits.milliseconds(value) } catch { throw error.inField("\(field)") }
    }

    /// An error body's `{"code":…,"msg":…}` as the `.exchangeError` it stands for, with WhiteBIT's and
    /// Bybit's `code N: message` wording.
    static func exchangeError(code: Int64, message: String) -> ExchangeParseError {
        ExchangeParseError(.exchangeError, "code \(code): \(message)")
    }

    /// The code and message of a Binance error body (`{"code":-1121,"msg":"Invalid symbol."}`), or `nil`
    /// when `body` is not one.
    static func errorBody(_ body: [UInt8]) -> (code: Int64, message: String)? {
        try? JSONCursor.parse(body) { (c) throws(ExchangeParseError) -> (code: Int64, message: String)? in
            guard try c.peek() == .object else { return nil }
            var code: Int64?
            var message = ""
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "code": code = try c.int64()
                case "msg": message = try c.string()
                default: try c.skip()
                }
            }
            return code.map { ($0, message) }
        }
    }
}
