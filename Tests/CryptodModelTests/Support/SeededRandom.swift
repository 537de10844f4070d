#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SplitMix64: tiny, fast and fully determined by its seed, so a failing property run can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The seed for property tests: `CRYPTOD_PROPERTY_SEED` (decimal or 0x-hex) when set, else a fixed one,
    /// so CI runs are repeatable and a reported seed reproduces a failure.
    static var propertySeed: UInt64 {
        guard let raw = getenv("CRYPTOD_PROPERTY_SEED").map({ String(cString: $0) }) else { return 0x0C0F_FEE0_2026 }
        let parsed = raw.hasPrefix("0x") ? UInt64(raw.dropFirst(2), radix: 16) : UInt64(raw)
        guard let parsed else { fatalError("CRYPTOD_PROPERTY_SEED must be an unsigned integer, got \(raw)") }
        return parsed
    }
}
