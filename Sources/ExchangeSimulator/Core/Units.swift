import NIOCore

/// Fixed-point arithmetic for prices and quantities: every value is an integer count of 1e-8.
///
/// Exchanges publish decimals as strings; holding them as scaled integers keeps them exact from
/// generation to the wire. Products (notional values) are widened to `Int128` at 1e-16.
package enum Units {
    /// Fraction digits of one unit.
    package static let scaleDigits = 8
    /// 10^8: units per whole.
    package static let one: Int64 = 100_000_000

    /// Powers of ten that fit in `Int64`, for scaling between digit counts.
    package static let pow10: [Int64] = {
        var values: [Int64] = [1]
        for _ in 1...18 { values.append(values[values.count - 1] * 10) }
        return values
    }()

    /// Parses a plain decimal string (`"0.001"`, `"42"`, `"-1.5"`) into units; nil if malformed or
    /// finer than 1e-8.
    package static func parse<S: StringProtocol>(_ text: S) -> Int64? {
        var negative = false
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenDot = false
        var seenDigit = false
        var index = text.utf8.startIndex
        let bytes = text.utf8
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") {
            negative = true
            index = bytes.index(after: index)
        }
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
            } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                seenDigit = true
                let digit = Int64(byte - UInt8(ascii: "0"))
                if seenDot {
                    fractionDigits += 1
                    if fractionDigits > scaleDigits {
                        if digit != 0 { return nil }
                    } else {
                        fraction = fraction * 10 + digit
                    }
                } else {
                    let (mul, o1) = whole.multipliedReportingOverflow(by: 10)
                    let (sum, o2) = mul.addingReportingOverflow(digit)
                    if o1 || o2 { return nil }
                    whole = sum
                }
            } else {
                return nil
            }
            index = bytes.index(after: index)
        }
        guard seenDigit else { return nil }
        let usedDigits = min(fractionDigits, scaleDigits)
        fraction *= pow10[scaleDigits - usedDigits]
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: one)
        if overflow { return nil }
        let value = scaled + fraction
        return negative ? -value : value
    }

    /// Number of fraction digits needed to show `units` exactly (0...8).
    package static func digitsNeeded(_ units: Int64) -> Int {
        var value = units.magnitude
        var digits = scaleDigits
        while digits > 0 && value % 10 == 0 {
            value /= 10
            digits -= 1
        }
        return digits
    }

    /// Writes a base-10 integer.
    @inline(__always)
    package static func writeInteger(_ value: Int64, into buffer: inout ByteBuffer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { scratch in
            var magnitude = value.magnitude
            var position = 24
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            if value < 0 {
                position -= 1
                scratch[position] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: scratch[position..<24])))
        }
    }

    /// Writes `units` with exactly `digits` fraction digits (0...8), truncating finer digits.
    @inline(__always)
    package static func write(_ units: Int64, digits: Int, into buffer: inout ByteBuffer) {
        write(narrow: units.magnitude, negative: units < 0, scale: scaleDigits, digits: digits, into: &buffer)
    }

    /// The 64-bit path (128-bit division is a library call: this one is several times faster and
    /// covers every price and size).
    @inline(__always)
    private static func write(
        narrow value: UInt64, negative: Bool, scale: Int, digits: Int, into buffer: inout ByteBuffer
    ) {
        let magnitude = value / UInt64(pow10[scale - digits])
        let fractionDivisor = UInt64(pow10[digits])
        var whole = magnitude / fractionDivisor
        var fraction = magnitude % fractionDivisor
        var wholeDigits = 1
        var probe = whole
        while probe >= 10 {
            probe /= 10
            wholeDigits += 1
        }
        let sign = negative && magnitude != 0 ? 1 : 0
        let length = sign + wholeDigits + (digits > 0 ? digits + 1 : 0)
        // Digits are written in place, right to left, into reserved bytes.
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            var position = length
            if digits > 0 {
                for _ in 0..<digits {
                    position -= 1
                    raw[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
                    fraction /= 10
                }
                position -= 1
                raw[position] = UInt8(ascii: ".")
            }
            repeat {
                position -= 1
                raw[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: whole % 10)
                whole /= 10
            } while whole > 0
            if sign == 1 { raw[0] = UInt8(ascii: "-") }
            return length
        }
    }

    /// Writes a value held with `scale` fraction digits using `digits` fraction digits, truncating
    /// toward zero (the exchanges cut, they do not round, notional values).
    package static func write(wide value: Int128, scale: Int, digits: Int, into buffer: inout ByteBuffer) {
        precondition(digits <= scale && scale <= 18, "unsupported decimal scale")
        if let narrow = UInt64(exactly: value.magnitude) {
            write(narrow: narrow, negative: value < 0, scale: scale, digits: digits, into: &buffer)
            return
        }
        var magnitude = value.magnitude
        let cut = UInt128(pow10[scale - digits])
        magnitude /= cut
        let fractionDivisor = UInt128(pow10[digits])
        let wholePart = magnitude / fractionDivisor
        let fractionPart = UInt64(magnitude % fractionDivisor)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { scratch in
            var position = 64
            if digits > 0 {
                var fraction = fractionPart
                for _ in 0..<digits {
                    position -= 1
                    scratch[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: fraction % 10)
                    fraction /= 10
                }
                position -= 1
                scratch[position] = UInt8(ascii: ".")
            }
            var whole = wholePart
            repeat {
                position -= 1
                scratch[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: whole % 10)
                whole /= 10
            } while whole > 0
            if value < 0 && magnitude != 0 {
                position -= 1
                scratch[position] = UInt8(ascii: "-")
            }
            buffer.writeBytes(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: scratch[position..<64])))
        }
    }

    /// `units` as a decimal string with `digits` fraction digits.
    package static func string(_ units: Int64, digits: Int) -> String {
        var buffer = ByteBufferAllocator().buffer(capacity: 32)
        write(units, digits: digits, into: &buffer)
        return String(buffer: buffer)
    }

    /// A wide value (at `scale` digits) as a decimal string with `digits` fraction digits.
    package static func string(wide value: Int128, scale: Int, digits: Int) -> String {
        var buffer = ByteBufferAllocator().buffer(capacity: 48)
        write(wide: value, scale: scale, digits: digits, into: &buffer)
        return String(buffer: buffer)
    }

    /// price × qty at 1e-16, exact.
    @inline(__always)
    package static func notional(_ price: Int64, _ qty: Int64) -> Int128 {
        Int128(price) * Int128(qty)
    }
}
