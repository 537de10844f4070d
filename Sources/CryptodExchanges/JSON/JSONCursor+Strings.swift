import CryptodModel

/// Strings: scanning (with escape and control-byte checks), raw byte ranges and unescaped text.
extension JSONCursor {
    /// Scans a string whose opening quote is at `index`; leaves `index` after the closing quote.
    /// Returns the content range and whether it holds escapes. Validates escapes and control bytes.
    @inline(__always)
    mutating func scanString() throws(ExchangeParseError) -> (start: Int, end: Int, escaped: Bool) {
        index += 1
        let start = index
        var escaped = false
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let end = index
                index += 1
                return (start, end, escaped)
            }
            if byte == UInt8(ascii: "\\") {
                escaped = true
                try scanEscape()
                continue
            }
            if byte < 0x20 { throw malformed("control character in string") }
            index += 1
        }
        throw malformed("unterminated string")
    }

    /// Validates the escape at `index` (a backslash) and steps past it.
    mutating func scanEscape() throws(ExchangeParseError) {
        index += 1
        guard index < bytes.count else { throw malformed("unterminated escape") }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case UInt8(ascii: "u"):
            index += 1
            for _ in 0..<4 {
                guard index < bytes.count else { throw malformed("unterminated \\u escape") }
                guard Self.hexValue(bytes[index]) != nil else { throw malformed("bad \\u escape") }
                index += 1
            }
        default:
            throw malformed("bad escape")
        }
    }

    @inline(__always)
    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    /// The next string's raw bytes between the quotes, escapes left as written (valid until the bytes go).
    /// Symbols and ids need no unescaping; this is the fast path for them.
    /// - Throws: `.invalidValue` when the next value is not a string.
    public mutating func rawString() throws(ExchangeParseError) -> UnsafeRawBufferPointer {
        let first = try nextByte("a string")
        guard first == UInt8(ascii: "\"") else { throw wrongKind("string", found: first) }
        let range = try scanString()
        return UnsafeRawBufferPointer(rebasing: bytes[range.start..<range.end])
    }

    /// The next string, unescaped (`\" \\ \/ \b \f \n \r \t \uXXXX`, surrogate pairs joined).
    /// - Throws: `.invalidValue` when the next value is not a string; `.malformedJSON` for invalid UTF-8 or
    ///   a lone surrogate.
    public mutating func string() throws(ExchangeParseError) -> String {
        let first = try nextByte("a string")
        guard first == UInt8(ascii: "\"") else { throw wrongKind("string", found: first) }
        let opening = index
        let range = try scanString()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[range.start..<range.end])
        var ascii = true
        for byte in raw where byte >= 0x80 {
            ascii = false
            break
        }
        if !range.escaped {
            if ascii { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else {
                throw ExchangeParseError(.malformedJSON, "invalid UTF-8 in string at byte \(opening)")
            }
            return text
        }
        return try Self.unescape(raw, at: opening)
    }

    static func unescape(_ raw: UnsafeRawBufferPointer, at opening: Int) throws(ExchangeParseError) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = 0
        let bad = ExchangeParseError(.malformedJSON, "bad escape in string at byte \(opening)")
        func hex4(_ at: Int) -> UInt32 {
            var value: UInt32 = 0
            for k in 0..<4 { value = value << 4 | (hexValue(raw[at + k]) ?? 0) }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                i += 1
                continue
            }
            // scanString already checked the escape's shape, so the bytes it names are present.
            let code = raw[i + 1]
            i += 2
            switch code {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard i + 6 <= raw.count, raw[i] == UInt8(ascii: "\\"), raw[i + 1] == UInt8(ascii: "u") else {
                        throw bad
                    }
                    let low = hex4(i + 2)
                    guard (0xDC00...0xDFFF).contains(low) else { throw bad }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw bad
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw bad }
                out.append(contentsOf: UTF8.encode(unicode)!)
            default: out.append(code)  // " \ /
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw ExchangeParseError(.malformedJSON, "invalid UTF-8 in string at byte \(opening)")
        }
        return text
    }
}
