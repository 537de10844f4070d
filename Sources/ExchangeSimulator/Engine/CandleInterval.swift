/// A candle width and its bucket alignment (UTC unless an offset is given).
///
/// Fixed widths align on multiples of the width since the epoch (shifted by the time-zone offset);
/// weeks start on Monday 00:00; months follow the calendar.
package enum CandleInterval: Sendable, Hashable {
    case milliseconds(Int64)
    case weeks(Int64)
    case months(Int64)

    package static let second: Int64 = 1_000
    package static let minute: Int64 = 60_000
    package static let hour: Int64 = 3_600_000
    package static let day: Int64 = 86_400_000
    /// 1970-01-01 was a Thursday; weeks start 4 days later, on Monday.
    private static let mondayOffset: Int64 = 4 * day

    /// Nominal width in ms (30 days for a month), for sizing default windows.
    package var nominalWidth: Int64 {
        switch self {
        case .milliseconds(let width): return width
        case .weeks(let count): return count * 7 * Self.day
        case .months(let count): return count * 30 * Self.day
        }
    }

    /// Start of the bucket containing `time`, for buckets shifted by `offset` ms (time zone).
    package func bucketStart(containing time: Int64, offset: Int64 = 0) -> Int64 {
        switch self {
        case .milliseconds(let width):
            return DetMath.floorDiv(time + offset, width) * width - offset
        case .weeks(let count):
            let width = count * 7 * Self.day
            return DetMath.floorDiv(time + offset - Self.mondayOffset, width) * width + Self.mondayOffset - offset
        case .months(let count):
            let local = time + offset
            let (year, month, _) = Self.civil(fromDays: DetMath.floorDiv(local, Self.day))
            let monthIndex = year * 12 + (month - 1)
            let aligned = DetMath.floorDiv(monthIndex, count) * count
            return Self.days(
                year: DetMath.floorDiv(aligned, 12), month: aligned - DetMath.floorDiv(aligned, 12) * 12 + 1, day: 1)
                * Self.day - offset
        }
    }

    /// Start of the bucket after the one starting at `start`.
    package func nextStart(after start: Int64, offset: Int64 = 0) -> Int64 {
        switch self {
        case .milliseconds(let width): return start + width
        case .weeks(let count): return start + count * 7 * Self.day
        case .months(let count):
            let local = start + offset
            let (year, month, _) = Self.civil(fromDays: DetMath.floorDiv(local, Self.day))
            let next = year * 12 + (month - 1) + count
            return Self.days(
                year: DetMath.floorDiv(next, 12), month: next - DetMath.floorDiv(next, 12) * 12 + 1, day: 1) * Self.day
                - offset
        }
    }

    /// Start of the bucket before the one starting at `start`.
    package func previousStart(before start: Int64, offset: Int64 = 0) -> Int64 {
        switch self {
        case .milliseconds(let width): return start - width
        case .weeks(let count): return start - count * 7 * Self.day
        case .months: return self.bucketStart(containing: start - 1, offset: offset)
        }
    }

    // MARK: - Calendar (proleptic Gregorian, Howard Hinnant's algorithms)

    /// Days since 1970-01-01 of a civil date.
    package static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = DetMath.floorDiv(y, 400)
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Civil date of a day count since 1970-01-01.
    package static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = DetMath.floorDiv(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension CandleInterval {
    /// Parses `<n><unit>` with unit s, m, h, d, w or M (month), e.g. `1s`, `15m`, `4h`, `1M`.
    package static func parse(_ text: String) -> CandleInterval? {
        guard let unit = text.last, let count = Int64(text.dropLast()), count > 0 else { return nil }
        switch unit {
        case "s": return .milliseconds(count * second)
        case "m": return .milliseconds(count * minute)
        case "h": return .milliseconds(count * hour)
        case "d": return .milliseconds(count * day)
        case "w": return .weeks(count)
        case "M": return .months(count)
        default: return nil
        }
    }
}
