import CryptodModel

/// Numbers: the JSON number grammar, exact decimals (strings or tokens), integers and book-level pairs.
extension JSONCursor {
    /// Scans a number token at `index` by the JSON grammar; leaves `index` after it.
    @inline(__always)
    mutating func scanNumber() throws(ExchangeParseError) -> (start: Int, end: Int, integral: Bool) {
        let start = index
        let count = bytes.count
        var integral = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < count else { throw malformed("truncated number") }
        let lead = bytes[index]
        if lead == UInt8(ascii: "0") {
            index += 1
        } else if lead >= UInt8(ascii: "1"), lead <= UInt8(ascii: "9") {
            index += 1
            while index < count, Self.isDigit(bytes[index]) { index += 1 }
        } else {
            throw malformed("bad number")
        }
        if index < count, bytes[index] == UInt8(ascii: ".") {
            integral = false
            index += 1
            guard index < count, Self.isDigit(bytes[index]) else { throw malformed("bad number fraction") }
            while index < count, Self.isDigit(bytes[index]) { index += 1 }
        }
        if index < count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            integral = false
            index += 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < count, Self.isDigit(bytes[index]) else { throw malformed("bad number exponent") }
            while index < count, Self.isDigit(bytes[index]) { index += 1 }
        }
        return (start, index, integral)
    }

    @inline(__always)
    static func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The next number or string of digits as raw bytes: `0.001`, `"0.001"`, `"1700000000000"`.
    @inline(__always)
    mutating func numericText(_ what: StaticString) throws(ExchangeParseError) -> (UnsafeRawBufferPointer, Int) {
        let first = try nextByte(what)
        let at = index
        if first == UInt8(ascii: "\"") {
            let range = try scanString()
            if range.escaped { throw invalid("escaped text where \(what) was expected", at: at) }
            return (UnsafeRawBufferPointer(rebasing: bytes[range.start..<range.end]), at)
        }
        guard first == UInt8(ascii: "-") || Self.isDigit(first) else { throw wrongKind(what, found: first) }
        let range = try scanNumber()
        return (UnsafeRawBufferPointer(rebasing: bytes[range.start..<range.end]), at)
    }

    /// An exact decimal from a string (`"0.00010000"`) or a number token (`0.001`).
    /// - Throws: `.invalidValue` for `""`, `NaN`, `Infinity`, exponents, leading zeros, more than 38 digits
    ///   or any other kind of value.
    @inline(__always)
    public mutating func decimal() throws(ExchangeParseError) -> ExactDecimal {
        skipWhitespace()
        if let value = shortDecimal() { return value }
        let (text, at) = try numericText("decimal")
        do {
            return try ExactDecimal.parse(text)
        } catch {
            throw invalid("\(error)", at: at)
        }
    }

    /// The common case of ``decimal()`` in one pass over the bytes: a quoted or bare decimal of at most 18
    /// digits (so the mantissa fits a `UInt64` with no overflow checks) under exactly `ExactDecimal.parse`'s
    /// grammar. Returns `nil`, without moving, for anything else (longer, escaped, exponent, malformed):
    /// the general path then decides and names the error. It made depth diffs ~2× faster: the general
    /// `UInt128` parser behind a separate string scan dominated the profile.
    @inline(__always)
    mutating func shortDecimal() -> ExactDecimal? {
        let count = bytes.count
        var i = index
        guard i < count else { return nil }
        let quoted = bytes[i] == UInt8(ascii: "\"")
        if quoted { i += 1 }
        var negative = false
        if i < count, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        }
        let integerStart = i
        var value: UInt64 = 0
        while i < count {
            let digit = bytes[i] &- UInt8(ascii: "0")
            if digit >= 10 { break }
            value = value &* 10 &+ UInt64(digit)
            i += 1
        }
        let integerDigits = i - integerStart
        // One integer digit at least, and no leading zero ("05").
        guard integerDigits > 0, integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return nil }
        var scale = 0
        if i < count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            let fractionStart = i
            while i < count {
                let digit = bytes[i] &- UInt8(ascii: "0")
                if digit >= 10 { break }
                value = value &* 10 &+ UInt64(digit)
                i += 1
            }
            scale = i - fractionStart
            guard scale > 0 else { return nil }
        }
        guard integerDigits + scale <= 18 else { return nil }
        if quoted {
            guard i < count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            i += 1
        } else if i < count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            return nil
        }
        let magnitude = Int128(value)
        guard let decimal = ExactDecimal(mantissa: negative ? -magnitude : magnitude, scale: UInt8(scale)) else {
            return nil
        }
        index = i
        return decimal
    }

    /// A `[price, quantity]` pair (book levels on every exchange): an array whose first two elements are
    /// decimals; further elements are skipped. No closure, so it is the fast path for depth messages.
    /// - Throws: `.missingField` for a pair with fewer than two elements, `.invalidValue` for non-decimals.
    @inline(__always)
    public mutating func decimalPair() throws(ExchangeParseError) -> (ExactDecimal, ExactDecimal) {
        let first = try nextByte("a [price, quantity] pair")
        guard first == UInt8(ascii: "[") else { throw wrongKind("array", found: first) }
        let at = index
        try enter()
        index += 1
        if try nextByte("a decimal") == UInt8(ascii: "]") {
            throw ExchangeParseError(.missingField, "empty pair at byte \(at)")
        }
        let a = try decimal()
        var separator = try nextByte("',' or ']'")
        if separator == UInt8(ascii: "]") {
            throw ExchangeParseError(.missingField, "pair with one element at byte \(at)")
        }
        guard separator == UInt8(ascii: ",") else { throw malformed("expected ','") }
        index += 1
        let b = try decimal()
        while true {
            separator = try nextByte("',' or ']'")
            index += 1
            if separator == UInt8(ascii: "]") { break }
            guard separator == UInt8(ascii: ",") else {
                index -= 1
                throw malformed("expected ',' or ']'")
            }
            try skip()
        }
        depth -= 1
        return (a, b)
    }

    /// A signed integer from a number token or a string of digits (`"1700000000000"`).
    /// - Throws: `.invalidValue` for fractions, exponents, overflow or other kinds.
    @inline(__always)
    public mutating func int64() throws(ExchangeParseError) -> Int64 {
        let (text, at) = try numericText("integer")
        var i = 0
        var negative = false
        if text.count > 0, text[0] == UInt8(ascii: "-") {
            negative = true
            i = 1
        }
        guard let magnitude = Self.digits(text, from: i), magnitude <= UInt64(Int64.max) + (negative ? 1 : 0) else {
            throw invalid("not an integer in Int64 range", at: at)
        }
        return negative ? Int64(truncatingIfNeeded: 0 &- magnitude) : Int64(magnitude)
    }

    /// An unsigned integer from a number token or a string of digits.
    /// - Throws: `.invalidValue` for signs, fractions, exponents, overflow or other kinds.
    @inline(__always)
    public mutating func uint64() throws(ExchangeParseError) -> UInt64 {
        let (text, at) = try numericText("unsigned integer")
        guard let value = Self.digits(text, from: 0) else { throw invalid("not an integer in UInt64 range", at: at) }
        return value
    }

    /// `[0-9]+` without a superfluous leading zero, or `nil` (also on overflow).
    @inline(__always)
    static func digits(_ text: UnsafeRawBufferPointer, from start: Int) -> UInt64? {
        let count = text.count
        guard start < count else { return nil }
        if text[start] == UInt8(ascii: "0"), count - start > 1 { return nil }
        var value: UInt64 = 0
        var i = start
        while i < count {
            let digit = text[i] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = times10.addingReportingOverflow(UInt64(digit))
            guard !o1, !o2 else { return nil }
            value = sum
            i += 1
        }
        return value
    }
}
