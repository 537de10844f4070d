import CryptodModel
import Foundation
import Testing

@Suite("Timestamp")
struct TimestampTests {
    /// Expected text computed outside Swift (Python's datetime on integer seconds plus the nanosecond
    /// remainder), so the table does not come from the code under test.
    static let knownInstants: [(Int64, String, String)] = [
        (0, "1970-01-01T00:00:00.000000000Z", "1970-01-01T00:00:00.000Z"),
        (1, "1970-01-01T00:00:00.000000001Z", "1970-01-01T00:00:00.000Z"),
        (-1, "1969-12-31T23:59:59.999999999Z", "1969-12-31T23:59:59.999Z"),
        (999_999_999, "1970-01-01T00:00:00.999999999Z", "1970-01-01T00:00:00.999Z"),
        (-999_999_999, "1969-12-31T23:59:59.000000001Z", "1969-12-31T23:59:59.000Z"),
        (-1_000_000_000, "1969-12-31T23:59:59.000000000Z", "1969-12-31T23:59:59.000Z"),
        (951_782_400_000_000_000, "2000-02-29T00:00:00.000000000Z", "2000-02-29T00:00:00.000Z"),
        (951_868_799_999_999_999, "2000-02-29T23:59:59.999999999Z", "2000-02-29T23:59:59.999Z"),
        (1_709_164_800_123_456_789, "2024-02-29T00:00:00.123456789Z", "2024-02-29T00:00:00.123Z"),
        (68_169_600_000_000_000, "1972-02-29T00:00:00.000000000Z", "1972-02-29T00:00:00.000Z"),
        (-2_208_988_800_000_000_000, "1900-01-01T00:00:00.000000000Z", "1900-01-01T00:00:00.000Z"),
        (-31_536_000_000_000_000, "1969-01-01T00:00:00.000000000Z", "1969-01-01T00:00:00.000Z"),
        (4_102_444_800_000_000_000, "2100-01-01T00:00:00.000000000Z", "2100-01-01T00:00:00.000Z"),
        (.max, "2262-04-11T23:47:16.854775807Z", "2262-04-11T23:47:16.854Z"),
        (.min, "1677-09-21T00:12:43.145224192Z", "1677-09-21T00:12:43.145Z"),
        (1_234_567_890_123_456_789, "2009-02-13T23:31:30.123456789Z", "2009-02-13T23:31:30.123Z"),
        (-5_000_000_000_000_000_000, "1811-07-23T15:06:40.000000000Z", "1811-07-23T15:06:40.000Z"),
        (946_684_799_999_000_000, "1999-12-31T23:59:59.999000000Z", "1999-12-31T23:59:59.999Z"),
        (1_735_689_599_999_999_999, "2024-12-31T23:59:59.999999999Z", "2024-12-31T23:59:59.999Z"),
    ]

    @Test("ISO-8601 text of known instants", arguments: knownInstants)
    func knownInstant(_ nanoseconds: Int64, _ nanoText: String, _ milliText: String) {
        let time = Timestamp(nanoseconds: nanoseconds)
        #expect(time.iso8601(fractionDigits: 9) == nanoText)
        #expect(time.iso8601(fractionDigits: 3) == milliText)
        #expect(time.description == milliText)
        #expect(time.iso8601(fractionDigits: 0) == String(milliText.prefix(19)) + "Z")
        #expect(time.iso8601(fractionDigits: 6) == String(nanoText.prefix(26)) + "Z")
    }

    @Test("fraction digits are clamped to 0...9")
    func fractionDigitsClamped() {
        let time = Timestamp(nanoseconds: 1_709_164_800_123_456_789)
        #expect(time.iso8601(fractionDigits: -3) == "2024-02-29T00:00:00Z")
        #expect(time.iso8601(fractionDigits: 12) == "2024-02-29T00:00:00.123456789Z")
        #expect(time.iso8601(fractionDigits: 1) == "2024-02-29T00:00:00.1Z")
    }

    @Test("whole-second text agrees with Foundation's ISO 8601 formatter on random instants")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions = [.withInternetDateTime]
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0x7173)
        for iteration in 0..<2_000 {
            let seconds = Int64.random(in: -9_223_372_036...9_223_372_035, using: &random)
            let expected = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
            #expect(
                Timestamp(seconds: seconds).iso8601(fractionDigits: 0) == expected,
                "\(seconds) s (seed \(seed), #\(iteration))")
        }
    }

    // MARK: - Civil calendar

    /// Walks the proleptic Gregorian calendar one day at a time from 1970-01-01, with the leap rule spelled
    /// out, and checks both conversions against it.
    @Test("civil date and day number agree with a day-by-day walk, 1559...2380", arguments: [1, -1])
    func civilAgainstWalk(direction: Int64) {
        func isLeap(_ year: Int64) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }
        func length(_ year: Int64, _ month: Int64) -> Int64 {
            switch month {
            case 2: isLeap(year) ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        }
        var (year, month, day): (Int64, Int64, Int64) = (1970, 1, 1)
        var days: Int64 = 0
        while abs(days) <= 150_000 {
            let civil = Timestamp.civil(fromDays: days)
            guard civil == (year, month, day), Timestamp.days(year: year, month: month, day: day) == days else {
                let back = Timestamp.days(year: year, month: month, day: day)
                Issue.record("day \(days): civil \(civil), days \(back), walk \(year)-\(month)-\(day)")
                return
            }
            if direction > 0 {
                day += 1
                if day > length(year, month) {
                    day = 1
                    month += 1
                    if month > 12 { (year, month) = (year + 1, 1) }
                }
            } else {
                day -= 1
                if day < 1 {
                    month -= 1
                    if month < 1 { (year, month) = (year - 1, 12) }
                    day = length(year, month)
                }
            }
            days += direction
        }
    }

    @Test("days(year:month:day:) inverts civil(fromDays:) over ±10 million days")
    func civilRoundTripWide() {
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0xC1)
        let edges: [Int64] = [-10_000_000, -719_468, -106_752, -1, 0, 1, 106_751, 2_932_896, 10_000_000]
        let days = edges + (0..<20_000).map { _ in Int64.random(in: -10_000_000...10_000_000, using: &random) }
        for value in days {
            let (year, month, day) = Timestamp.civil(fromDays: value)
            #expect((1...12).contains(month) && (1...31).contains(day))
            #expect(Timestamp.days(year: year, month: month, day: day) == value, "day \(value) (seed \(seed))")
        }
    }

    // MARK: - Units

    @Test("unit initialisers and floor conversions")
    func units() {
        #expect(Timestamp(milliseconds: 1_700_000_000_123).nanoseconds == 1_700_000_000_123_000_000)
        #expect(Timestamp(microseconds: -1).nanoseconds == -1_000)
        #expect(Timestamp(seconds: -2).nanoseconds == -2_000_000_000)
        #expect(Timestamp(nanoseconds: -1).milliseconds == -1)
        #expect(Timestamp(nanoseconds: -1).seconds == -1)
        #expect(Timestamp(nanoseconds: 1_999_999).milliseconds == 1)
        #expect(Timestamp(nanoseconds: -1_000_000).milliseconds == -1)
        #expect(Timestamp(nanoseconds: -1_000_001).milliseconds == -2)
        #expect(Timestamp(nanoseconds: .min).seconds == -9_223_372_037)
        #expect(Timestamp.epoch.advanced(byNanoseconds: -5) < .epoch)
        #expect(Timestamp(seconds: 1) == Timestamp(milliseconds: 1_000))
    }

    @Test(
        "floorDivided rounds toward negative infinity",
        arguments: [
            (7, 2, 3), (-7, 2, -4), (7, -2, -4), (-7, -2, 3), (6, 3, 2), (-6, 3, -2), (0, 5, 0), (-1, 86_400, -1),
            (Int64.min, 1_000_000_000, -9_223_372_037), (Int64.max, 1_000_000_000, 9_223_372_036),
        ] as [(Int64, Int64, Int64)])
    func floorDivided(_ value: Int64, _ divisor: Int64, _ expected: Int64) {
        #expect(value.floorDivided(by: divisor) == expected)
    }
}
