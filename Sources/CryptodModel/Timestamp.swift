/// A point in time as nanoseconds since the Unix epoch (UTC).
///
/// Exchanges use milliseconds (Binance, Bybit), or seconds with up to seven fractional digits (WhiteBIT);
/// nanoseconds hold all of them exactly, until the year 2262.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }
    // The unit initialisers trap outside 1677-09-21...2262-04-11 (Int64 nanoseconds); adapters reading
    // untrusted exchange numbers range-check them first.
    public init(milliseconds: Int64) { self.nanoseconds = milliseconds * 1_000_000 }
    public init(microseconds: Int64) { self.nanoseconds = microseconds * 1_000 }
    public init(seconds: Int64) { self.nanoseconds = seconds * 1_000_000_000 }

    public static let epoch = Timestamp(nanoseconds: 0)

    public var milliseconds: Int64 { nanoseconds.floorDivided(by: 1_000_000) }
    public var seconds: Int64 { nanoseconds.floorDivided(by: 1_000_000_000) }

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public func advanced(byNanoseconds delta: Int64) -> Timestamp { Timestamp(nanoseconds: nanoseconds + delta) }

    /// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-22T09:18:40.123Z`.
    public var description: String { iso8601(fractionDigits: 3) }

    /// RFC 3339 in UTC with 0...9 fractional digits.
    public func iso8601(fractionDigits: Int = 3) -> String {
        let digits = min(max(fractionDigits, 0), 9)
        let secondsTotal = seconds
        // Floor remainder, computed without `seconds * 10^9`: that product overflows in the last partial
        // second before Int64.min (1677-09-21T00:12:43Z).
        let remainder = nanoseconds % 1_000_000_000
        let nanos = remainder < 0 ? remainder + 1_000_000_000 : remainder
        let days = secondsTotal.floorDivided(by: 86_400)
        let secondOfDay = secondsTotal - days * 86_400
        let (year, month, day) = Self.civil(fromDays: days)
        var text = Self.pad(year, 4) + "-" + Self.pad(month, 2) + "-" + Self.pad(day, 2)
        text += "T" + Self.pad(secondOfDay / 3600, 2) + ":" + Self.pad(secondOfDay % 3600 / 60, 2) + ":"
        text += Self.pad(secondOfDay % 60, 2)
        if digits > 0 {
            var divisor: Int64 = 1
            for _ in 0..<(9 - digits) { divisor *= 10 }
            text += "." + Self.pad(nanos / divisor, digits)
        }
        return text + "Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
    public static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    /// A proleptic Gregorian date to days since 1970-01-01 (`days_from_civil`).
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = y.floorDivided(by: 400)
        let yearOfEra = y - era * 400
        let monthIndex = month > 2 ? month - 3 : month + 9
        let dayOfYear = (153 * monthIndex + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func pad(_ value: Int64, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }
}

extension Int64 {
    /// Division rounding toward negative infinity, so times before 1970 land in the right second/day.
    @inlinable
    public func floorDivided(by divisor: Int64) -> Int64 {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
