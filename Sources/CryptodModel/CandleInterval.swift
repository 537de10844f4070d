/// A candle's length. Raw values are frozen: they appear on the wire and in storage.
public enum CandleInterval: UInt8, Sendable, Hashable, CaseIterable, Comparable, CustomStringConvertible {
    case s1 = 1
    case m1 = 2
    case m3 = 3
    case m5 = 4
    case m15 = 5
    case m30 = 6
    case h1 = 7
    case h2 = 8
    case h4 = 9
    case h6 = 10
    case h8 = 11
    case h12 = 12
    case d1 = 13
    case d3 = 14
    case w1 = 15
    /// A calendar month (UTC); its length varies, so ``seconds`` is `nil`.
    case month1 = 16

    /// The conventional name, as Binance spells it: `1s`, `1m`, … `1w`, `1M`.
    public var description: String {
        switch self {
        case .s1: "1s"
        case .m1: "1m"
        case .m3: "3m"
        case .m5: "5m"
        case .m15: "15m"
        case .m30: "30m"
        case .h1: "1h"
        case .h2: "2h"
        case .h4: "4h"
        case .h6: "6h"
        case .h8: "8h"
        case .h12: "12h"
        case .d1: "1d"
        case .d3: "3d"
        case .w1: "1w"
        case .month1: "1M"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }

    /// Fixed length in seconds, or `nil` for the calendar month.
    public var seconds: Int64? {
        switch self {
        case .s1: 1
        case .m1: 60
        case .m3: 180
        case .m5: 300
        case .m15: 900
        case .m30: 1800
        case .h1: 3600
        case .h2: 7200
        case .h4: 14_400
        case .h6: 21_600
        case .h8: 28_800
        case .h12: 43_200
        case .d1: 86_400
        case .d3: 259_200
        case .w1: 604_800
        case .month1: nil
        }
    }

    public static func < (lhs: CandleInterval, rhs: CandleInterval) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The open time of the candle containing `time`. Weeks start on Monday 00:00 UTC (as on Binance);
    /// 3-day candles count from the epoch; months start on the 1st. Like ``Timestamp``'s unit initialisers,
    /// it traps when the open time falls before 1677-09-21, the first representable instant.
    public func openTime(containing time: Timestamp) -> Timestamp {
        if let length = seconds {
            let second = time.seconds
            if self == .w1 {
                // 1970-01-01 was a Thursday: weeks start on Monday 1969-12-29, three days earlier.
                let sinceMonday = second + 3 * 86_400
                return Timestamp(seconds: sinceMonday.floorDivided(by: length) * length - 3 * 86_400)
            }
            return Timestamp(seconds: second.floorDivided(by: length) * length)
        }
        let days = time.seconds.floorDivided(by: 86_400)
        let (year, month, _) = Timestamp.civil(fromDays: days)
        return Timestamp(seconds: Timestamp.days(year: year, month: month, day: 1) * 86_400)
    }

    /// The open time of the candle after the one opening at `openTime`.
    public func nextOpenTime(after openTime: Timestamp) -> Timestamp {
        if let length = seconds { return Timestamp(seconds: openTime.seconds + length) }
        let (year, month, _) = Timestamp.civil(fromDays: openTime.seconds.floorDivided(by: 86_400))
        let nextMonth = month == 12 ? 1 : month + 1
        let nextYear = month == 12 ? year + 1 : year
        return Timestamp(seconds: Timestamp.days(year: nextYear, month: nextMonth, day: 1) * 86_400)
    }
}
