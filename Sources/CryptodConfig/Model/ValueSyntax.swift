// MARK: - Problems

/// What is wrong with one value, before the loader adds the key, file and line to make a ``ConfigError``.
package struct ValueProblem: Error, Sendable, Equatable {
    /// What is wrong, without key or location.
    package var message: String
    /// The error code the loader will use.
    package var code: ConfigError.Code
    /// A likely intended value, for "did you mean".
    package var suggestion: String?

    package init(_ message: String, code: ConfigError.Code = .invalidValue, suggestion: String? = nil) {
        self.message = message
        self.code = code
        self.suggestion = suggestion
    }
}

// MARK: - Durations

/// Reading and writing durations as the configuration spells them: `"500ms"`, `"1s"`, `"5m"`, `"1h"`, `"1d"`.
package enum DurationSyntax {
    /// Units from largest to smallest with their length in milliseconds.
    static let units: [(name: String, milliseconds: Int64)] = [
        ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1),
    ]

    /// Reads a whole number followed by a unit.
    package static func parse(_ text: String) -> Result<Duration, ValueProblem> {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCIIDigit }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces
        guard !digits.isEmpty else {
            return .failure(ValueProblem("not a duration: write a whole number followed by a unit"))
        }
        guard !unit.isEmpty else {
            return .failure(ValueProblem("a duration needs a unit: write \"\(digits)s\" or \"\(digits)ms\""))
        }
        guard let factor = units.first(where: { $0.name == unit })?.milliseconds else {
            return .failure(ValueProblem("unknown duration unit \"\(unit)\" (use ms, s, m, h or d)"))
        }
        guard let amount = Int64(digits) else { return .failure(ValueProblem("the duration is too long")) }
        let (ms, overflow) = amount.multipliedReportingOverflow(by: factor)
        guard !overflow, ms <= Int64.max / 1_000_000 else { return .failure(ValueProblem("the duration is too long")) }
        return .success(.milliseconds(ms))
    }

    /// The largest exact unit, but seconds below 100 s (`"60s"` reads better than `"1m"`):
    /// `.seconds(300)` → `"5m"`, `.seconds(60)` → `"60s"`, `.milliseconds(1500)` → `"1500ms"`.
    package static func format(_ duration: Duration) -> String {
        let ms = milliseconds(duration)
        if ms == 0 { return "0s" }
        if ms % 1_000 == 0 && ms < 100_000 { return "\(ms / 1_000)s" }
        let unit = units.first { ms % $0.milliseconds == 0 }!
        return "\(ms / unit.milliseconds)\(unit.name)"
    }

    /// The duration in whole milliseconds (configuration values never have a finer resolution).
    package static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}

// MARK: - Sizes

/// Reading and writing byte sizes: an integer number of bytes, or `"64KiB"`, `"16MiB"`, `"2GiB"` (powers of
/// 1024) and `"64KB"`, `"16MB"`, `"2GB"` (powers of 1000).
package enum SizeSyntax {
    static let units: [(name: String, bytes: Int)] = [
        ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
        ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1_000), ("B", 1),
    ]

    /// Reads a number of bytes with an optional unit.
    package static func parse(_ text: String) -> Result<Int, ValueProblem> {
        let trimmed = text.trimmingSpaces
        let digits = trimmed.prefix { $0.isASCIIDigit }
        let unit = trimmed.dropFirst(digits.count).trimmingSpaces
        guard !digits.isEmpty else {
            return .failure(ValueProblem("not a size: write a number of bytes or a number with KiB, MiB or GiB"))
        }
        let factor: Int
        if unit.isEmpty {
            factor = 1
        } else if let known = units.first(where: { $0.name == unit }) {
            factor = known.bytes
        } else {
            let hint = units.first { $0.name.lowercased() == unit.lowercased() }.map { " (did you mean \($0.name)?)" }
            return .failure(ValueProblem("unknown size unit \"\(unit)\"\(hint ?? ""); use KiB, MiB, GiB or KB, MB, GB"))
        }
        guard let amount = Int(digits) else { return .failure(ValueProblem("the size is too large")) }
        let (bytes, overflow) = amount.multipliedReportingOverflow(by: factor)
        guard !overflow else { return .failure(ValueProblem("the size is too large")) }
        return .success(bytes)
    }

    /// The shortest exact binary spelling: `16777216` → `"16MiB"`, `1000` → `"1000B"`.
    package static func format(_ bytes: Int) -> String {
        for unit in units where unit.name.hasSuffix("iB") && bytes != 0 && bytes % unit.bytes == 0 {
            return "\(bytes / unit.bytes)\(unit.name)"
        }
        return "\(bytes)B"
    }
}

// MARK: - Text helpers

extension StringProtocol {
    /// Without leading and trailing spaces and tabs (Foundation-free, so the module stays light).
    var trimmingSpaces: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s = s.dropFirst() }
        while let c = s.last, c == " " || c == "\t" { s = s.dropLast() }
        return String(s)
    }
}

// MARK: - Did you mean

/// "Did you mean" for misspelt keys, sections and words, by edit distance.
package enum Suggestions {
    /// The candidate closest to `word`, if it is close enough to be a plausible typo.
    ///
    /// Close enough: at most a third of the word's length in edits (at least 1, at most 3), so `rest_lisen`
    /// finds `rest_listen` but `port` does not find `sort`-like strangers in long lists.
    package static func closest(to word: String, among candidates: [String]) -> String? {
        let limit = min(3, max(1, word.count / 3))
        var best: (candidate: String, distance: Int)?
        for candidate in candidates {
            let d = distance(word.lowercased(), candidate.lowercased())
            if d <= limit, d < (best?.distance ?? .max) { best = (candidate, d) }
        }
        return best?.candidate
    }

    /// Levenshtein distance, counting an adjacent swap (`lvel` → `levl`) as one edit like a typist would.
    package static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous2 = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previous2[j - 2] + 1)
                }
            }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return previous[b.count]
    }
}
