/// An independent oracle for ``ExactDecimal``: arbitrary-precision decimals as digit arrays, with schoolbook
/// arithmetic. Slow and obviously correct; it shares no code (and no `Int128`) with the type under test.
struct ReferenceDecimal: CustomStringConvertible {
    var negative: Bool
    /// Magnitude of the mantissa, most significant digit first, no leading zeros; empty for zero.
    var digits: [UInt8]
    var scale: Int

    /// Parses `-?[0-9]+(\.[0-9]+)?`, the grammar's shape without its leading-zero rule (the oracle is lenient).
    init(_ text: String) {
        var body = Substring(text)
        negative = body.hasPrefix("-")
        if negative { body = body.dropFirst() }
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        let integer = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        scale = fraction.count
        digits = Self.trimmed((integer + fraction).map { $0.asciiValue! - 48 })
        if digits.isEmpty { negative = false }
    }

    init(negative: Bool, digits: [UInt8], scale: Int) {
        self.digits = Self.trimmed(digits)
        self.negative = self.digits.isEmpty ? false : negative
        self.scale = scale
    }

    var isZero: Bool { digits.isEmpty }
    /// Digits in the mantissa (zero has none): what must stay at or under 38.
    var mantissaDigits: Int { digits.count }

    /// The text with exactly `scale` fractional digits, as ``ExactDecimal/description`` must print it.
    var description: String {
        var padded = digits.map { Character(String($0)) }
        while padded.count <= scale { padded.insert("0", at: 0) }
        var text = String(padded)
        if scale > 0 { text.insert(".", at: text.index(text.endIndex, offsetBy: -scale)) }
        return (negative ? "-" : "") + text
    }

    func aligned(to newScale: Int) -> [UInt8] {
        precondition(newScale >= scale)
        return digits.isEmpty ? [] : digits + Array(repeating: 0, count: newScale - scale)
    }

    // MARK: - Operations

    static func compare(_ lhs: ReferenceDecimal, _ rhs: ReferenceDecimal) -> Int {
        if lhs.negative != rhs.negative { return lhs.negative ? -1 : 1 }
        let target = max(lhs.scale, rhs.scale)
        let order = compareMagnitudes(lhs.aligned(to: target), rhs.aligned(to: target))
        return lhs.negative ? -order : order
    }

    static func + (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> ReferenceDecimal {
        let target = max(lhs.scale, rhs.scale)
        let a = lhs.aligned(to: target)
        let b = rhs.aligned(to: target)
        if lhs.negative == rhs.negative {
            return ReferenceDecimal(negative: lhs.negative, digits: addMagnitudes(a, b), scale: target)
        }
        if compareMagnitudes(a, b) >= 0 {
            return ReferenceDecimal(negative: lhs.negative, digits: subtractMagnitudes(a, b), scale: target)
        }
        return ReferenceDecimal(negative: rhs.negative, digits: subtractMagnitudes(b, a), scale: target)
    }

    static prefix func - (value: ReferenceDecimal) -> ReferenceDecimal {
        ReferenceDecimal(negative: !value.negative, digits: value.digits, scale: value.scale)
    }

    static func * (lhs: ReferenceDecimal, rhs: ReferenceDecimal) -> ReferenceDecimal {
        ReferenceDecimal(
            negative: lhs.negative != rhs.negative, digits: multiplyMagnitudes(lhs.digits, rhs.digits),
            scale: lhs.scale + rhs.scale)
    }

    // MARK: - Digit arithmetic

    static func trimmed(_ digits: [UInt8]) -> [UInt8] {
        Array(digits.drop(while: { $0 == 0 }))
    }

    static func compareMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> Int {
        let a = trimmed(a)
        let b = trimmed(b)
        if a.count != b.count { return a.count < b.count ? -1 : 1 }
        for (x, y) in zip(a, b) where x != y { return x < y ? -1 : 1 }
        return 0
    }

    static func addMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var carry = 0
        var i = a.count - 1
        var j = b.count - 1
        while i >= 0 || j >= 0 || carry > 0 {
            let sum = (i >= 0 ? Int(a[i]) : 0) + (j >= 0 ? Int(b[j]) : 0) + carry
            result.append(UInt8(sum % 10))
            carry = sum / 10
            i -= 1
            j -= 1
        }
        return trimmed(result.reversed())
    }

    /// `a - b` for `a >= b`.
    static func subtractMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var borrow = 0
        var j = b.count - 1
        for i in stride(from: a.count - 1, through: 0, by: -1) {
            var difference = Int(a[i]) - borrow - (j >= 0 ? Int(b[j]) : 0)
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 10 }
            result.append(UInt8(difference))
            j -= 1
        }
        return trimmed(result.reversed())
    }

    static func multiplyMagnitudes(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] {
        if a.isEmpty || b.isEmpty { return [] }
        var cells = Array(repeating: 0, count: a.count + b.count)
        for (i, x) in a.reversed().enumerated() {
            for (j, y) in b.reversed().enumerated() { cells[i + j] += Int(x) * Int(y) }
        }
        var carry = 0
        for index in cells.indices {
            let total = cells[index] + carry
            cells[index] = total % 10
            carry = total / 10
        }
        precondition(carry == 0)
        return trimmed(cells.reversed().map { UInt8($0) })
    }
}
