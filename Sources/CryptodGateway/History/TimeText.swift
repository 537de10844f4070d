import CryptodModel

/// Times in query parameters: RFC 3339 (`2026-07-01T10:00:00Z`, `2026-07-01T10:00:00.5+02:00`), a bare
/// date (`2026-07-01`, midnight UTC) or integer milliseconds since the epoch (`1782900000000`).
enum TimeText {
    static let accepted =
        "RFC 3339 (2026-07-01T10:00:00Z, 2026-07-01T10:00:00.250+02:00), a date (2026-07-01) or milliseconds "
        + "since the epoch (1782900000000)"

    static func parse(_ text: String) -> Timestamp? {
        if let milliseconds = Int64(text) {
            guard (-62_135_596_800_000...253_402_300_799_999).contains(milliseconds) else { return nil }
            return Timestamp(milliseconds: milliseconds)
        }
        let bytes = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[from..<(from + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func at(_ index: Int, _ char: Character) -> Bool { index < bytes.count && bytes[index] == char.asciiValue }
        guard let year = digits(0, 4), at(4, "-"), let month = digits(5, 2), at(7, "-"), let day = digits(8, 2),
            (1...12).contains(month), (1...31).contains(day)
        else { return nil }
        let days = Timestamp.days(year: year, month: month, day: day)
        // Reject 2026-02-31 rather than roll it into March.
        guard Timestamp.civil(fromDays: days) == (year, month, day) else { return nil }
        if bytes.count == 10 { return Timestamp(seconds: days * 86_400) }
        guard at(10, "T") || at(10, "t") || at(10, " "), let hour = digits(11, 2), at(13, ":"),
            let minute = digits(14, 2), at(16, ":"), let second = digits(17, 2), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var nanos: Int64 = 0
        if at(index, ".") {
            index += 1
            var scale: Int64 = 100_000_000
            let first = index
            while index < bytes.count, (48...57).contains(bytes[index]) {
                nanos += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > first, index - first <= 9 else { return nil }
        }
        var offset: Int64 = 0
        if at(index, "Z") || at(index, "z") {
            index += 1
        } else if at(index, "+") || at(index, "-") {
            guard let hours = digits(index + 1, 2), at(index + 3, ":"), let minutes = digits(index + 4, 2), hours < 24,
                minutes < 60
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (at(index, "-") ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Timestamp(nanoseconds: seconds * 1_000_000_000 + nanos)
    }
}
