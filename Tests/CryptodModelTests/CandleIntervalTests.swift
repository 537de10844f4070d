import CryptodModel
import Foundation
import Testing

@Suite("CandleInterval")
struct CandleIntervalTests {
    /// 2024-03-15T13:47:12.345Z, a Friday. Expected opens computed with Python's datetime.
    static let friday = Timestamp(nanoseconds: 1_710_510_432_345_000_000)

    static let opensOnFriday: [(CandleInterval, String)] = [
        (.s1, "2024-03-15T13:47:12Z"), (.m1, "2024-03-15T13:47:00Z"), (.m3, "2024-03-15T13:45:00Z"),
        (.m5, "2024-03-15T13:45:00Z"), (.m15, "2024-03-15T13:45:00Z"), (.m30, "2024-03-15T13:30:00Z"),
        (.h1, "2024-03-15T13:00:00Z"), (.h2, "2024-03-15T12:00:00Z"), (.h4, "2024-03-15T12:00:00Z"),
        (.h6, "2024-03-15T12:00:00Z"), (.h8, "2024-03-15T08:00:00Z"), (.h12, "2024-03-15T12:00:00Z"),
        (.d1, "2024-03-15T00:00:00Z"), (.d3, "2024-03-15T00:00:00Z"), (.w1, "2024-03-11T00:00:00Z"),
        (.month1, "2024-03-01T00:00:00Z"),
    ]

    @Test("open time of the candle holding a known instant, for every interval")
    func openTimes() {
        let covered = Set(Self.opensOnFriday.map(\.0))
        #expect(covered == Set(CandleInterval.allCases), "add the new interval to the table")
        for (interval, expected) in Self.opensOnFriday {
            #expect(interval.openTime(containing: Self.friday).iso8601(fractionDigits: 0) == expected, "\(interval)")
        }
    }

    @Test("before 1970: weeks still start on Monday, months on the 1st")
    func beforeEpoch() {
        let time = Timestamp(seconds: -3_600)  // 1969-12-31T23:00:00Z, a Wednesday
        #expect(CandleInterval.w1.openTime(containing: time).iso8601(fractionDigits: 0) == "1969-12-29T00:00:00Z")
        #expect(CandleInterval.d3.openTime(containing: time).iso8601(fractionDigits: 0) == "1969-12-29T00:00:00Z")
        #expect(CandleInterval.month1.openTime(containing: time).iso8601(fractionDigits: 0) == "1969-12-01T00:00:00Z")
        #expect(CandleInterval.d1.openTime(containing: time).iso8601(fractionDigits: 0) == "1969-12-31T00:00:00Z")
        #expect(CandleInterval.h1.openTime(containing: Timestamp(nanoseconds: -1)).seconds == -3_600)
    }

    @Test("an instant lies in [open, next open) and next opens are aligned, for every interval")
    func containment() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0xCA)
        for iteration in 0..<1_000 {
            // 1901...2200, with nanoseconds.
            let time = Timestamp(
                nanoseconds: Int64.random(in: -2_177_452_800_000_000_000...7_258_118_400_000_000_000, using: &random))
            for interval in CandleInterval.allCases {
                let open = interval.openTime(containing: time)
                let next = interval.nextOpenTime(after: open)
                let context = "\(interval) at \(time.iso8601(fractionDigits: 9)) (seed \(seed), #\(iteration))"
                #expect(open <= time && time < next, "\(context)")
                #expect(open.nanoseconds % 1_000_000_000 == 0, "\(context)")
                #expect(interval.openTime(containing: next) == next, "\(context)")
                #expect(interval.openTime(containing: next.advanced(byNanoseconds: -1)) == open, "\(context)")
                let date = Date(timeIntervalSince1970: TimeInterval(open.seconds))
                let parts = calendar.dateComponents([.weekday, .day, .hour, .minute, .second], from: date)
                switch interval {
                case .w1:
                    #expect(
                        parts.weekday == 2 && parts.hour == 0 && parts.minute == 0 && parts.second == 0, "\(context)")
                    #expect(next.seconds - open.seconds == 604_800)
                case .month1:
                    #expect(parts.day == 1 && parts.hour == 0 && parts.minute == 0 && parts.second == 0, "\(context)")
                    let days = (next.seconds - open.seconds) / 86_400
                    #expect((28...31).contains(days), "\(context)")
                default:
                    let length = try #require(interval.seconds)
                    #expect(open.seconds % length == 0, "\(context)")
                    #expect(next.seconds - open.seconds == length, "\(context)")
                }
            }
        }
    }

    @Test("calendar months step through year ends and leap Februaries")
    func monthSteps() {
        var open = CandleInterval.month1.openTime(containing: Timestamp(seconds: 946_684_800))  // 2000-01-01
        var lengths: [Int64] = []
        var texts: [String] = []
        for _ in 0..<14 {
            let next = CandleInterval.month1.nextOpenTime(after: open)
            lengths.append((next.seconds - open.seconds) / 86_400)
            open = next
            texts.append(String(open.iso8601(fractionDigits: 0).prefix(10)))
        }
        #expect(lengths == [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31, 28])
        #expect(texts.first == "2000-02-01")
        #expect(texts[11] == "2001-01-01")
        #expect(texts.last == "2001-03-01")
    }

    @Test("names round-trip and match Binance's spelling")
    func names() {
        let expected = [
            "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h", "1d", "3d", "1w", "1M",
        ]
        #expect(CandleInterval.allCases.map(\.description) == expected)
        for interval in CandleInterval.allCases {
            #expect(CandleInterval(name: interval.description) == interval)
        }
        for name in ["", "1H", "60m", "1mo", "1W", "1 m", "2d", "1Y"] {
            #expect(CandleInterval(name: name) == nil, "\(name)")
        }
    }

    @Test("raw values are frozen and order follows length")
    func rawValues() {
        #expect(CandleInterval.allCases.map(\.rawValue) == Array(1...16))
        #expect(CandleInterval.allCases.sorted() == CandleInterval.allCases)
        let fixed = CandleInterval.allCases.compactMap(\.seconds)
        #expect(fixed == fixed.sorted() && Set(fixed).count == fixed.count)
        #expect(CandleInterval.month1.seconds == nil)
    }
}
