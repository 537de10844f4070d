/// An exact decimal number that keeps the scale it was written with.
///
/// Exchanges send prices and quantities as decimal strings such as `"0.00010000"`. cryptod must hand the
/// same string to PostgreSQL, Redis, RabbitMQ and its own clients, so this type stores the digits as an
/// integer mantissa plus the number of fractional digits (`scale`) and renders them back unchanged:
/// `ExactDecimal("0.00010000")!.description == "0.00010000"`. There is no `Double` anywhere on this path.
///
/// Equality, hashing and ordering are numeric (`"1.0" == "1.00"`), so two spellings of a price land on the
/// same order-book level; use ``isIdentical(to:)`` to compare representations.
///
/// Accepted text form: `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with at most 38 significant digits in all and at most
/// 38 fractional digits. Exponents, a leading `+`, leading zeros and empty parts are rejected: exchanges never
/// send them, and accepting them would break the promise that the text round-trips.
///
/// The one exception to the round trip is negative zero: `"-0.00"` parses (it matches the grammar, and an
/// exchange may print a rounded change that way) but an integer mantissa has no sign for zero, so it prints
/// as `"0.00"`, with its scale kept. Numerically the two are the same value in every sink.
public struct ExactDecimal: Sendable {
    /// The value times 10^scale.
    public let mantissa: Int128
    /// Digits after the decimal point, 0...38.
    public let scale: UInt8

    /// The largest scale, and the largest number of digits, an `Int128` mantissa holds without overflow.
    public static let maxDigits = 38

    /// Creates a value from its parts. Returns `nil` when `scale` is over ``maxDigits`` or the mantissa has
    /// more than ``maxDigits`` digits.
    public init?(mantissa: Int128, scale: UInt8) {
        guard Int(scale) <= Self.maxDigits, mantissa.magnitude < Self.digitLimit else { return nil }
        self.mantissa = mantissa
        self.scale = scale
    }

    /// Internal initialiser for values already known to be in range.
    init(uncheckedMantissa mantissa: Int128, scale: UInt8) {
        self.mantissa = mantissa
        self.scale = scale
    }

    public static let zero = ExactDecimal(uncheckedMantissa: 0, scale: 0)

    /// 10^38: mantissas stay below this so any two values can be compared after rescaling checks.
    static let digitLimit: UInt128 = {
        var value: UInt128 = 1
        for _ in 0..<maxDigits { value *= 10 }
        return value
    }()

    /// Powers of ten that fit in `Int128` (10^0 ... 10^38).
    static let powersOfTen: [Int128] = {
        var table: [Int128] = []
        var value: Int128 = 1
        for index in 0...maxDigits {
            table.append(value)
            if index < maxDigits { value *= 10 }
        }
        return table
    }()

    public var isZero: Bool { mantissa == 0 }
    public var isNegative: Bool { mantissa < 0 }

    /// True when both values have the same digits and the same scale, so they print the same text.
    public func isIdentical(to other: ExactDecimal) -> Bool {
        mantissa == other.mantissa && scale == other.scale
    }

    /// The same number with trailing fractional zeros removed (`"1.2300"` → `"1.23"`).
    public var normalized: ExactDecimal {
        var m = mantissa
        var s = scale
        while s > 0, m % 10 == 0 {
            m /= 10
            s -= 1
        }
        return ExactDecimal(uncheckedMantissa: m, scale: s)
    }

    /// The same number written with `newScale` fractional digits, or `nil` when that would drop non-zero
    /// digits or overflow.
    public func rescaled(to newScale: UInt8) -> ExactDecimal? {
        if newScale == scale { return self }
        // Checked before indexing `powersOfTen`: a scale past 38 is out of the type's domain, not a trap.
        guard Int(newScale) <= Self.maxDigits else { return nil }
        if newScale > scale {
            let factor = Self.powersOfTen[Int(newScale - scale)]
            let (product, overflow) = mantissa.multipliedReportingOverflow(by: factor)
            guard !overflow else { return nil }
            return ExactDecimal(mantissa: product, scale: newScale)
        }
        let factor = Self.powersOfTen[Int(scale - newScale)]
        guard mantissa % factor == 0 else { return nil }
        return ExactDecimal(uncheckedMantissa: mantissa / factor, scale: newScale)
    }
}

// MARK: - Equality, hashing and ordering (numeric)

extension ExactDecimal: Equatable, Hashable, Comparable {
    public static func == (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) == 0
    }

    public func hash(into hasher: inout Hasher) {
        let canonical = normalized
        hasher.combine(canonical.mantissa)
        hasher.combine(canonical.scale)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        compare(lhs, rhs) < 0
    }

    /// -1, 0 or 1. Rescales the value with fewer fractional digits; when that overflows, its magnitude is
    /// necessarily the larger one, so the sign decides.
    static func compare(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> Int {
        if lhs.scale == rhs.scale { return lhs.mantissa == rhs.mantissa ? 0 : (lhs.mantissa < rhs.mantissa ? -1 : 1) }
        let lhsSmaller = lhs.scale < rhs.scale
        let (small, large) = lhsSmaller ? (lhs, rhs) : (rhs, lhs)
        let factor = powersOfTen[Int(large.scale - small.scale)]
        let (scaled, overflow) = small.mantissa.multipliedReportingOverflow(by: factor)
        let order: Int
        if overflow {
            order = small.mantissa < 0 ? -1 : 1
        } else {
            order = scaled == large.mantissa ? 0 : (scaled < large.mantissa ? -1 : 1)
        }
        return lhsSmaller ? order : -order
    }
}

// MARK: - Arithmetic (exact; nil on overflow)

extension ExactDecimal {
    /// `self + other` at the larger of the two scales, or `nil` when the exact sum has more than 38 digits
    /// at that scale.
    public func adding(_ other: ExactDecimal) -> ExactDecimal? {
        let target = max(scale, other.scale)
        // Aligned in UInt128 magnitudes, not via `rescaled`: the aligned operand may pass 10^38 (or even
        // Int128.max) while the sum still fits, as in 1.8e37 + -9e36 written with one more decimal.
        guard let a = alignedMagnitude(to: target), let b = other.alignedMagnitude(to: target) else { return nil }
        let negative: Bool
        let magnitude: UInt128
        if isNegative == other.isNegative {
            let (sum, overflow) = a.addingReportingOverflow(b)
            guard !overflow else { return nil }
            (negative, magnitude) = (isNegative, sum)
        } else {
            (negative, magnitude) = a >= b ? (isNegative, a - b) : (other.isNegative, b - a)
        }
        guard magnitude < Self.digitLimit else { return nil }
        let signed = Int128(magnitude)
        return ExactDecimal(uncheckedMantissa: negative ? -signed : signed, scale: target)
    }

    /// `|mantissa| * 10^(target - scale)`, or `nil` past `UInt128.max` (then no sum with a 38-digit value fits).
    private func alignedMagnitude(to target: UInt8) -> UInt128? {
        let factor = UInt128(Self.powersOfTen[Int(target - scale)])
        let (product, overflow) = mantissa.magnitude.multipliedReportingOverflow(by: factor)
        return overflow ? nil : product
    }

    /// `self - other` at the larger of the two scales, or `nil` when the exact difference does not fit.
    public func subtracting(_ other: ExactDecimal) -> ExactDecimal? {
        adding(ExactDecimal(uncheckedMantissa: -other.mantissa, scale: other.scale))
    }

    /// `self * other` with scale `self.scale + other.scale`, or `nil` when that scale is over 38 or the exact
    /// product has more than 38 digits.
    public func multiplied(by other: ExactDecimal) -> ExactDecimal? {
        let newScale = Int(scale) + Int(other.scale)
        guard newScale <= Self.maxDigits else { return nil }
        let (product, overflow) = mantissa.multipliedReportingOverflow(by: other.mantissa)
        guard !overflow else { return nil }
        return ExactDecimal(mantissa: product, scale: UInt8(newScale))
    }
}
