// MARK: - Numbers

extension TOMLParser {
    /// Integers (decimal, `0x`, `0o`, `0b`, with `_` between digits), floats (fraction and/or exponent,
    /// `inf`, `nan`), and the start of a date or time, which is rejected.
    mutating func parseNumber() throws(TOMLError) -> TOMLValue {
        let start = position
        if looksLikeDateOrTime() {
            throw TOMLError(
                .unsupported,
                "dates and times are not supported in cryptod's configuration (no key uses them); quote the value if you meant a string",
                at: start)
        }
        let from = index
        while let b = peek(), Self.isNumberByte(b) { advance() }
        let token = Array(bytes[from..<index])
        let text = String(decoding: token, as: UTF8.self)
        func invalid(_ why: String) -> TOMLError {
            TOMLError(.syntax, "invalid number \(text): \(why)", at: start)
        }
        guard !token.isEmpty else { throw error("expected a value, found \(describeCurrent())") }

        var body = token[...]
        let signed = body.first == UInt8(ascii: "+") || body.first == UInt8(ascii: "-")
        let negative = body.first == UInt8(ascii: "-")
        if signed { body = body.dropFirst() }

        if body.elementsEqual("inf".utf8) {
            return TOMLValue(.float(negative ? -.infinity : .infinity), at: start)
        }
        if body.elementsEqual("nan".utf8) {
            return TOMLValue(.float(.nan), at: start)
        }
        if body.count > 2, body.first == UInt8(ascii: "0"), let radix = Self.radix(body[body.startIndex + 1]) {
            if signed { throw invalid("a sign is not allowed with the 0x, 0o and 0b prefixes") }
            let digits = try Self.digits(body.dropFirst(2), radix: radix, invalid)
            guard let value = Int64(digits, radix: radix) else { throw invalid("does not fit in 64 bits") }
            return TOMLValue(.integer(value), at: start)
        }
        let isFloat = body.contains(.dot) || body.contains(UInt8(ascii: "e")) || body.contains(UInt8(ascii: "E"))
        if isFloat {
            return TOMLValue(.float(try Self.float(body, negative: negative, invalid)), at: start)
        }
        let digits = try Self.digits(body, radix: 10, invalid)
        if digits.count > 1 && digits.hasPrefix("0") { throw invalid("leading zeros are not allowed") }
        guard let value = Int64((negative ? "-" : "") + digits) else { throw invalid("does not fit in 64 bits") }
        return TOMLValue(.integer(value), at: start)
    }

    // MARK: - Pieces

    private static func isNumberByte(_ b: UInt8) -> Bool {
        b.isDigit || b.isLetter || b == UInt8(ascii: "_") || b == .dot || b == UInt8(ascii: "+")
            || b == UInt8(ascii: "-")
    }

    private static func radix(_ b: UInt8) -> Int? {
        switch b {
        case UInt8(ascii: "x"): 16
        case UInt8(ascii: "o"): 8
        case UInt8(ascii: "b"): 2
        default: nil
        }
    }

    /// `YYYY-` or `HH:` at the cursor: the start of a TOML date, date-time or time.
    private func looksLikeDateOrTime() -> Bool {
        let fourDigits = (0..<4).allSatisfy { peek($0)?.isDigit == true }
        if fourDigits && peek(4) == UInt8(ascii: "-") { return true }
        let twoDigits = (0..<2).allSatisfy { peek($0)?.isDigit == true }
        return twoDigits && peek(2) == UInt8(ascii: ":")
    }

    /// Checks digits of `radix` with single underscores between them, and returns them without underscores.
    private static func digits(
        _ bytes: ArraySlice<UInt8>, radix: Int, _ invalid: (String) -> TOMLError
    ) throws(TOMLError) -> String {
        guard !bytes.isEmpty else { throw invalid("digits expected") }
        var out = ""
        var previousWasDigit = false
        for b in bytes {
            if b == UInt8(ascii: "_") {
                guard previousWasDigit else { throw invalid("'_' must be between two digits") }
                previousWasDigit = false
                continue
            }
            guard let value = hexValue(b), Int(value) < radix else {
                let name = [2: "binary", 8: "octal", 10: "decimal", 16: "hexadecimal"][radix]!
                throw invalid("'\(Character(Unicode.Scalar(b)))' is not a \(name) digit")
            }
            out.append(Character(Unicode.Scalar(b)))
            previousWasDigit = true
        }
        guard previousWasDigit else { throw invalid("'_' must be between two digits") }
        return out
    }

    /// `int-part [. digits] [e [sign] digits]` with at least a fraction or an exponent.
    private static func float(
        _ body: ArraySlice<UInt8>, negative: Bool, _ invalid: (String) -> TOMLError
    ) throws(TOMLError) -> Double {
        let exponentStart = body.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let mantissa = body[..<(exponentStart ?? body.endIndex)]
        let dot = mantissa.firstIndex(of: .dot)
        let integerPart = try digits(mantissa[..<(dot ?? mantissa.endIndex)], radix: 10, invalid)
        if integerPart.count > 1 && integerPart.hasPrefix("0") { throw invalid("leading zeros are not allowed") }
        var text = (negative ? "-" : "") + integerPart
        if let dot {
            let fraction = mantissa[(dot + 1)...]
            guard !fraction.isEmpty else { throw invalid("a digit must follow the decimal point") }
            text += "." + (try digits(fraction, radix: 10, invalid))
        }
        if let exponentStart {
            var exponent = body[(exponentStart + 1)...]
            var sign = ""
            if let first = exponent.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
                sign = first == UInt8(ascii: "-") ? "-" : ""
                exponent = exponent.dropFirst()
            }
            text += "e" + sign + (try digits(exponent, radix: 10, invalid))
        }
        guard let value = Double(text) else { throw invalid("not a valid float") }
        return value
    }
}
