import CryptodModel

/// Reading and checking single Bybit values, with the field's name in every error.
///
/// Bybit writes almost every number as a string and uses `""` for "no value" (`usdIndexPrice`,
/// `fundingRate` on futures); ``optionalDecimal(_:_:)`` reads that sentinel as `nil`.
enum BybitField {
    /// A decimal (string or number token), renamed errors.
    static func decimal(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        do throws(ExchangeParseError) {
            return try c.decimal()
        } catch {
            throw error.inField("\(field)")
        }
    }

    /// A decimal, or `nil` for `null` and Bybit's `""`.
    static func optionalDecimal(
        _ c: inout JSONCursor, _ field: StaticString
    ) throws(ExchangeParseError)
        -> ExactDecimal?
    {
        if c.null() { return nil }
        // Tried on a copy: on the common path the value parses and the copy becomes the cursor, so `""` costs
        // nothing unless it is there.
        var attempt = c
        do throws(ExchangeParseError) {
            let value = try attempt.decimal()
            c = attempt
            return value
        } catch {
            if try c.peek() == .string, try c.string().isEmpty { return nil }
            throw error.inField("\(field)")
        }
    }

    /// A price or size that may be zero but never negative.
    static func nonNegative(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        let value = try decimal(&c, field)
        try checkNonNegative(value, field)
        return value
    }

    /// A price or size that must be above zero (a trade's price and size, a book level's price).
    static func positive(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        let value = try decimal(&c, field)
        guard value.mantissa > 0 else { throw ExchangeParseError(.invalidValue, "\(field) \(value) is not positive") }
        return value
    }

    static func checkNonNegative(_ value: ExactDecimal, _ field: StaticString) throws(ExchangeParseError) {
        guard !value.isNegative else { throw ExchangeParseError(.invalidValue, "\(field) \(value) is negative") }
    }

    /// An optional price or size: `nil` for `""`, never negative.
    static func optionalNonNegative(
        _ c: inout JSONCursor, _ field: StaticString
    ) throws(ExchangeParseError)
        -> ExactDecimal?
    {
        guard let value = try optionalDecimal(&c, field) else { return nil }
        try checkNonNegative(value, field)
        return value
    }

    /// A millisecond time (number token or digit string), range-checked.
    static func milliseconds(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Timestamp {
        let value: Int64
        do throws(ExchangeParseError) {
            value = try c.int64()
        } catch {
            throw error.inField("\(field)")
        }
        return try TimeUnits.milliseconds(value)
    }

    static func int64(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Int64 {
        do throws(ExchangeParseError) {
            return try c.int64()
        } catch {
            throw error.inField("\(field)")
        }
    }

    static func uint64(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> UInt64 {
        do throws(ExchangeParseError) {
            return try c.uint64()
        } catch {
            throw error.inField("\(field)")
        }
    }

    static func string(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> String {
        do throws(ExchangeParseError) {
            return try c.string()
        } catch {
            throw error.inField("\(field)")
        }
    }

    static func bool(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Bool {
        do throws(ExchangeParseError) {
            return try c.bool()
        } catch {
            throw error.inField("\(field)")
        }
    }

    /// `Buy`/`Sell`: the taker's side.
    static func side(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> TradeSide {
        let text = try string(&c, field)
        switch text {
        case "Buy": return .buy
        case "Sell": return .sell
        default: throw ExchangeParseError(.invalidValue, "\(field) \"\(text.prefix(16))\" is not Buy or Sell")
        }
    }

    static func missing(_ field: StaticString, in message: String) -> ExchangeParseError {
        ExchangeParseError.missing("\(field)", in: message)
    }

    /// Whether a raw string (``JSONCursor/rawString()``) is exactly `literal`, without building a `String`.
    static func raw(_ bytes: UnsafeRawBufferPointer, is literal: StaticString) -> Bool {
        JSONKey(bytes) == literal
    }

    /// `[["price","size"], …]`: an order-book side. Prices must be positive; size `"0"` (a removal in a
    /// delta) is allowed.
    static func levels(_ c: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> [BookLevel] {
        var levels: [BookLevel] = []
        try c.array { (c) throws(ExchangeParseError) in
            var price: ExactDecimal?
            var size: ExactDecimal?
            var index = 0
            try c.array { (c) throws(ExchangeParseError) in
                switch index {
                case 0: price = try positive(&c, "level price")
                case 1: size = try nonNegative(&c, "level size")
                default: throw ExchangeParseError(.invalidValue, "\(field): a level has more than two entries")
                }
                index += 1
            }
            guard let price, let size else {
                throw ExchangeParseError(.missingField, "\(field): a level needs a price and a size")
            }
            levels.append(BookLevel(price: price, quantity: size))
        }
        return levels
    }
}
