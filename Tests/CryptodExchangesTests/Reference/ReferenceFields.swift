import CryptodModel

/// Why the reference parser refused a message (the oracle only compares accept/refuse and values).
struct RefReject: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Field readers of the reference parser, written from the exchanges' documented formats rather than from
/// the fast readers: decimals are strings or number tokens in plain notation (no exponent, no leading
/// zero, at most 38 digits and 38 decimals); integers are number tokens or digit strings.
enum RefField {
    /// The text a decimal or integer may be written in: a number token, or an unescaped string.
    static func numericText(_ value: RefJSON?, _ field: String) throws(RefReject) -> [UInt8] {
        switch value {
        case .number(let text): return text
        case .string(let raw, let escaped) where !escaped: return raw
        case nil: throw RefReject("\(field): missing")
        default: throw RefReject("\(field): not a number or digit string")
        }
    }

    static func decimal(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal {
        let text = try numericText(value, field)
        var i = 0
        var negative = false
        if i < text.count, text[i] == 0x2D {
            negative = true
            i += 1
        }
        var mantissa: Int128 = 0
        var significant = 0
        var integerDigits = 0
        var scale = 0
        var sawPoint = false
        while i < text.count {
            let byte = text[i]
            if byte == 0x2E {
                guard !sawPoint, integerDigits > 0 else { throw RefReject("\(field): bad decimal") }
                sawPoint = true
            } else if (0x30...0x39).contains(byte) {
                if sawPoint { scale += 1 } else { integerDigits += 1 }
                if mantissa != 0 || byte != 0x30 { significant += 1 }
                guard significant <= 38, scale <= 38 else { throw RefReject("\(field): too many digits") }
                mantissa = mantissa * 10 + Int128(byte - 0x30)
            } else {
                throw RefReject("\(field): bad decimal")
            }
            i += 1
        }
        guard integerDigits > 0, !sawPoint || scale > 0 else { throw RefReject("\(field): bad decimal") }
        let start = negative ? 1 : 0
        if integerDigits > 1, text[start] == 0x30 { throw RefReject("\(field): leading zero") }
        guard let decimal = ExactDecimal(mantissa: negative ? -mantissa : mantissa, scale: UInt8(scale)) else {
            throw RefReject("\(field): out of range")
        }
        return decimal
    }

    static func nonNegative(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal {
        let decimal = try decimal(value, field)
        guard !decimal.isNegative else { throw RefReject("\(field): negative") }
        return decimal
    }

    static func positive(_ value: RefJSON?, _ field: String) throws(RefReject) -> ExactDecimal {
        let decimal = try decimal(value, field)
        guard decimal.mantissa > 0 else { throw RefReject("\(field): not positive") }
        return decimal
    }

    /// `[0-9]+` without a superfluous leading zero, as a magnitude.
    private static func magnitude(_ text: ArraySlice<UInt8>, _ field: String) throws(RefReject) -> UInt64 {
        guard !text.isEmpty, text.allSatisfy({ (0x30...0x39).contains($0) }),
            text.count == 1 || text.first != 0x30
        else { throw RefReject("\(field): not an integer") }
        guard let value = UInt64(String(decoding: text, as: UTF8.self)) else {
            throw RefReject("\(field): integer overflow")
        }
        return value
    }

    static func int64(_ value: RefJSON?, _ field: String) throws(RefReject) -> Int64 {
        let text = try numericText(value, field)
        if text.first == 0x2D {
            let m = try magnitude(text.dropFirst(), field)
            guard m <= UInt64(Int64.max) + 1 else { throw RefReject("\(field): integer overflow") }
            return m == UInt64(Int64.max) + 1 ? Int64.min : -Int64(m)
        }
        let m = try magnitude(text[...], field)
        guard m <= UInt64(Int64.max) else { throw RefReject("\(field): integer overflow") }
        return Int64(m)
    }

    static func uint64(_ value: RefJSON?, _ field: String) throws(RefReject) -> UInt64 {
        try magnitude(try numericText(value, field)[...], field)
    }

    /// Milliseconds since the epoch, within what ``Timestamp`` holds.
    static func milliseconds(_ value: RefJSON?, _ field: String) throws(RefReject) -> Timestamp {
        let ms = try int64(value, field)
        guard ms.magnitude <= 9_223_372_036_854 else { throw RefReject("\(field): time out of range") }
        return Timestamp(milliseconds: ms)
    }

    /// Seconds with an optional fraction (WhiteBIT), truncated to the nanosecond.
    static func fractionalSeconds(_ value: RefJSON?, _ field: String) throws(RefReject) -> Timestamp {
        let decimal = try decimal(value, field)
        guard !decimal.isNegative else { throw RefReject("\(field): negative time") }
        var nanos = decimal.mantissa
        var scale = Int(decimal.scale)
        while scale > 9 {
            nanos /= 10
            scale -= 1
        }
        while scale < 9 {
            let (product, overflow) = nanos.multipliedReportingOverflow(by: 10)
            guard !overflow, product <= Int128(Int64.max) else { throw RefReject("\(field): time out of range") }
            nanos = product
            scale += 1
        }
        guard nanos <= Int128(Int64.max) else { throw RefReject("\(field): time out of range") }
        return Timestamp(nanoseconds: Int64(nanos))
    }

    /// A candle opens between the epoch and a month before the end of ``Timestamp`` (its close time must be
    /// representable).
    static func candleOpen(_ time: Timestamp) throws(RefReject) -> Timestamp {
        guard time.nanoseconds >= 0, time.nanoseconds <= (9_223_372_036 - 32 * 86_400) * 1_000_000_000 + 999_999_999
        else { throw RefReject("candle open time out of range") }
        return time
    }

    static func bool(_ value: RefJSON?, _ field: String) throws(RefReject) -> Bool {
        guard case .bool(let flag) = value else { throw RefReject("\(field): not a bool") }
        return flag
    }

    static func text(_ value: RefJSON?, _ field: String) throws(RefReject) -> String {
        guard let value else { throw RefReject("\(field): missing") }
        guard let text = value.text else { throw RefReject("\(field): not a valid string") }
        return text
    }

    static func nonEmptyText(_ value: RefJSON?, _ field: String) throws(RefReject) -> String {
        let text = try text(value, field)
        guard !text.isEmpty else { throw RefReject("\(field): empty") }
        return text
    }

    static func object(_ value: RefJSON?, _ field: String) throws(RefReject) -> RefJSON {
        guard let value, value.isObject else { throw RefReject("\(field): not an object") }
        return value
    }

    static func array(_ value: RefJSON?, _ field: String) throws(RefReject) -> [RefJSON] {
        guard let elements = value?.elements else { throw RefReject("\(field): not an array") }
        return elements
    }

    /// Reads `field` with `read` when the member is present (so a bad optional value still refuses).
    static func optional<T>(
        _ value: RefJSON?, _ read: (RefJSON?) throws(RefReject) -> T
    ) throws(RefReject) -> T? {
        guard let value else { return nil }
        return try read(value)
    }
}
