/// Counter-based hashing: every random quantity of the market is a pure function of its key.
///
/// This is what makes history computable for any past range without storing it: a trade count, a
/// price knot or a book level size is `hash(symbolKey, purpose, coordinates…)`, never the next draw of
/// a stateful generator. The finaliser is SplitMix64's, which passes BigCrush on counters.
package enum SimHash {
    /// Purposes keep independent streams apart for the same coordinates.
    package enum Purpose: UInt64 {
        case priceKnot = 1
        case dayActivity = 2
        case orderSplit = 3
        case extraSplit = 4
        case orderTime = 5
        case side = 6
        case fillQty = 7
        case fillSpread = 8
        case bookLevel = 9
        case churn = 10
        case spread = 11
        case weekActivity = 12
        case dayExtras = 13
        case market = 14
        case fault = 15
        case touchTopUp = 16
    }

    @inline(__always)
    package static func mix(_ input: UInt64) -> UInt64 {
        var z = input &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    @inline(__always)
    package static func hash(_ key: UInt64, _ purpose: Purpose, _ a: Int64, _ b: Int64 = 0, _ c: Int64 = 0) -> UInt64 {
        var h = mix(key ^ (purpose.rawValue &* 0xD6E8_FEB8_6659_FD93))
        h = mix(h ^ UInt64(bitPattern: a))
        h = mix(h ^ (UInt64(bitPattern: b) &* 0x9E37_79B9_7F4A_7C15))
        return mix(h ^ (UInt64(bitPattern: c) &* 0xC2B2_AE3D_27D4_EB4F))
    }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    package static func unit(_ h: UInt64) -> Double {
        Double(h >> 11) * 0x1.0p-53
    }

    /// Uniform in [-1, 1).
    @inline(__always)
    package static func signedUnit(_ h: UInt64) -> Double {
        unit(h) * 2 - 1
    }

    /// FNV-1a of a string: keys symbols by name so that adding a market never changes another's
    /// history.
    package static func fnv1a(_ text: String) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// The key of one market under one seed.
    package static func marketKey(seed: UInt64, name: String) -> UInt64 {
        mix(mix(seed) ^ fnv1a(name))
    }
}

/// Deterministic math built only from IEEE-754 basic operations, which are exactly rounded on every
/// platform, so the same seed gives the same prices on every machine (libm's `exp` need not).
package enum DetMath {
    private static let ln2 = 0.693_147_180_559_945_3

    /// e^x for |x| < ~700.
    package static func exp(_ x: Double) -> Double {
        let n = (x / ln2).rounded(.toNearestOrEven)
        let r = x - n * ln2
        // Taylor series of e^r for |r| <= ln2/2; 14 terms reach full double precision.
        var term = 1.0
        var sum = 1.0
        for k in 1...14 {
            term = term * r / Double(k)
            sum += term
        }
        return sum * Double(sign: .plus, exponent: Int(n), significand: 1.0)
    }

    /// Integer floor division (toward negative infinity).
    @inline(__always)
    package static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
