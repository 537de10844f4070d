/// Parsing and printing of ``ExactDecimal``.
extension ExactDecimal: CustomStringConvertible, LosslessStringConvertible {
    /// Parses the exchange's text form; `nil` when it is not a plain decimal (see ``ExactDecimal``).
    public init?(_ description: String) {
        var text = description
        let parsed = text.withUTF8 { try? ExactDecimal.parse(UnsafeRawBufferPointer($0)) }
        guard let parsed else { return nil }
        self = parsed
    }

    /// Parses the text form from UTF-8 bytes, the path hand-written JSON scanners use.
    /// - Throws: ``ExactDecimal/ParseError`` naming what was wrong.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ParseError) -> ExactDecimal {
        var index = 0
        let count = bytes.count
        guard count > 0 else { throw ParseError(.empty) }
        var negative = false
        if bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        var magnitude: UInt128 = 0
        var digits = 0
        var scale = 0
        var sawPoint = false
        var integerDigits = 0
        let firstDigit = index
        while index < count {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                guard !sawPoint else { throw ParseError(.malformed) }
                guard integerDigits > 0 else { throw ParseError(.malformed) }
                sawPoint = true
            } else if byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
                if sawPoint {
                    scale += 1
                } else {
                    // A leading zero is only allowed as the sole integer digit ("0.5", not "05").
                    if integerDigits == 1, bytes[firstDigit] == UInt8(ascii: "0") { throw ParseError(.malformed) }
                    integerDigits += 1
                }
                if magnitude != 0 || byte != UInt8(ascii: "0") { digits += 1 }
                guard digits <= maxDigits, scale <= maxDigits else { throw ParseError(.tooManyDigits) }
                magnitude = magnitude * 10 + UInt128(byte - UInt8(ascii: "0"))
            } else {
                throw ParseError(.malformed)
            }
            index += 1
        }
        guard integerDigits > 0 else { throw ParseError(.malformed) }
        if sawPoint, scale == 0 { throw ParseError(.malformed) }
        let signed = Int128(magnitude)
        return ExactDecimal(uncheckedMantissa: negative ? -signed : signed, scale: UInt8(scale))
    }

    /// The text form, with exactly ``scale`` fractional digits.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44)
        appendText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the text form as UTF-8, for writers that build JSON or SQL without intermediate strings.
    public func appendText(to bytes: inout [UInt8]) {
        if mantissa < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = mantissa.magnitude
        var reversed: [UInt8] = []
        reversed.reserveCapacity(40)
        repeat {
            reversed.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        let fractional = Int(scale)
        while reversed.count <= fractional { reversed.append(UInt8(ascii: "0")) }
        for position in stride(from: reversed.count - 1, through: 0, by: -1) {
            bytes.append(reversed[position])
            if position == fractional, fractional > 0 { bytes.append(UInt8(ascii: ".")) }
        }
    }

    /// Why a decimal text was rejected.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public enum Reason: Sendable, Equatable {
            case empty
            case malformed
            case tooManyDigits
        }

        public let reason: Reason

        init(_ reason: Reason) { self.reason = reason }

        public var description: String {
            switch reason {
            case .empty: "empty decimal"
            case .malformed: "not a plain decimal (expected digits with an optional '-' and '.', e.g. \"0.00010000\")"
            case .tooManyDigits: "decimal has more than \(ExactDecimal.maxDigits) digits"
            }
        }
    }
}

extension ExactDecimal: ExpressibleByStringLiteral {
    /// For constants in code and tests; traps on a malformed literal, which is a programming error.
    public init(stringLiteral value: String) {
        guard let parsed = ExactDecimal(value) else { preconditionFailure("invalid decimal literal \"\(value)\"") }
        self = parsed
    }
}
