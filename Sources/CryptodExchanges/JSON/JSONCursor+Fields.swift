import CryptodModel

/// Field-named reads: the same accessors, with the member's name put in front of any error, so a parse
/// error says `"p": invalid_value …` without the caller wrapping every read. The name is only formatted on
/// the error path.
extension JSONCursor {
    @inline(__always)
    public mutating func decimal(field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        do { return try decimal() } catch { throw error.inField("\(field)") }
    }

    /// A decimal that must be greater than zero (prices).
    @inline(__always)
    public mutating func positiveDecimal(field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        let at = offset
        let value = try decimal(field: field)
        guard value.mantissa > 0 else {
            throw ExchangeParseError(.invalidValue, "\"\(field)\": \(value) is not positive at byte \(at)")
        }
        return value
    }

    /// A decimal that must not be negative (quantities, volumes).
    @inline(__always)
    public mutating func nonNegativeDecimal(field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        let at = offset
        let value = try decimal(field: field)
        guard value.mantissa >= 0 else {
            throw ExchangeParseError(.invalidValue, "\"\(field)\": \(value) is negative at byte \(at)")
        }
        return value
    }

    @inline(__always)
    public mutating func int64(field: StaticString) throws(ExchangeParseError) -> Int64 {
        do { return try int64() } catch { throw error.inField("\(field)") }
    }

    @inline(__always)
    public mutating func uint64(field: StaticString) throws(ExchangeParseError) -> UInt64 {
        do { return try uint64() } catch { throw error.inField("\(field)") }
    }

    @inline(__always)
    public mutating func bool(field: StaticString) throws(ExchangeParseError) -> Bool {
        do { return try bool() } catch { throw error.inField("\(field)") }
    }

    public mutating func string(field: StaticString) throws(ExchangeParseError) -> String {
        do { return try string() } catch { throw error.inField("\(field)") }
    }

    /// A string's raw bytes (no unescaping), named on error.
    @inline(__always)
    public mutating func rawString(field: StaticString) throws(ExchangeParseError) -> UnsafeRawBufferPointer {
        do { return try rawString() } catch { throw error.inField("\(field)") }
    }
}
