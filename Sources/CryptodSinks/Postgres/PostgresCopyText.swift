import CryptodModel

/// Builds the body of a `COPY … FROM STDIN` in PostgreSQL's text format: one line per row, fields separated
/// by tabs, `\N` for NULL, and backslash, tab, newline and carriage return escaped in text.
///
/// Decimals are written with ``ExactDecimal/appendText(to:)`` (no `Double` anywhere), so NUMERIC receives
/// the exchange's digits and scale unchanged. Timestamps are written as UTC text with microseconds, the
/// precision of `timestamptz` (nanoseconds are truncated toward the past).
struct PostgresCopyText {
    private(set) var bytes: [UInt8] = []
    private(set) var rows = 0
    private var fieldsInRow = 0

    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: - Fields

    mutating func null() {
        separate()
        bytes.append(UInt8(ascii: "\\"))
        bytes.append(UInt8(ascii: "N"))
    }

    mutating func text(_ value: String) {
        separate()
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "\\"))
            case UInt8(ascii: "\t"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "t"))
            case UInt8(ascii: "\n"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"):
                bytes.append(UInt8(ascii: "\\"))
                bytes.append(UInt8(ascii: "r"))
            // A NUL byte is left as it is: PostgreSQL text cannot hold it and rejects the row with SQLSTATE
            // 22021, which quarantines that row instead of silently changing the data.
            default: bytes.append(byte)
            }
        }
    }

    mutating func text(_ value: String?) {
        if let value { text(value) } else { null() }
    }

    mutating func decimal(_ value: ExactDecimal) {
        separate()
        value.appendText(to: &bytes)
    }

    mutating func decimal(_ value: ExactDecimal?) {
        if let value { decimal(value) } else { null() }
    }

    mutating func integer(_ value: Int64) {
        separate()
        appendDigits(of: value)
    }

    mutating func integer(_ value: Int64?) {
        if let value { integer(value) } else { null() }
    }

    mutating func unsigned(_ value: UInt64) {
        separate()
        appendDigits(magnitude: value)
    }

    mutating func boolean(_ value: Bool) {
        separate()
        bytes.append(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    /// `2026-01-02 03:04:05.123456+00`.
    mutating func timestamp(_ value: Timestamp) {
        separate()
        let seconds = value.nanoseconds.floorDivided(by: 1_000_000_000)
        let micros = (value.nanoseconds - seconds * 1_000_000_000) / 1_000
        let days = seconds.floorDivided(by: 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = Timestamp.civil(fromDays: days)
        appendPadded(year, 4)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(month, 2)
        bytes.append(UInt8(ascii: "-"))
        appendPadded(day, 2)
        bytes.append(UInt8(ascii: " "))
        appendPadded(secondOfDay / 3600, 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 3600 / 60, 2)
        bytes.append(UInt8(ascii: ":"))
        appendPadded(secondOfDay % 60, 2)
        bytes.append(UInt8(ascii: "."))
        appendPadded(micros, 6)
        bytes.append(UInt8(ascii: "+"))
        bytes.append(UInt8(ascii: "0"))
        bytes.append(UInt8(ascii: "0"))
    }

    /// Ends the current row.
    mutating func endRow() {
        bytes.append(UInt8(ascii: "\n"))
        rows += 1
        fieldsInRow = 0
    }

    // MARK: - Helpers

    private mutating func separate() {
        if fieldsInRow > 0 { bytes.append(UInt8(ascii: "\t")) }
        fieldsInRow += 1
    }

    private mutating func appendDigits(of value: Int64) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDigits(magnitude: value.magnitude)
    }

    private mutating func appendDigits(magnitude: UInt64) {
        var value = magnitude
        var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes hold UInt64.max's 20 digits
        withUnsafeMutableBytes(of: &scratch) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            } while value > 0
            bytes.append(contentsOf: buffer[index...])
        }
    }

    /// `value` (non-negative) with leading zeros to `width` digits.
    private mutating func appendPadded(_ value: Int64, _ width: Int) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var remaining = value
        while divisor > 0 {
            bytes.append(UInt8(ascii: "0") + UInt8(remaining / divisor % 10))
            remaining %= divisor
            divisor /= 10
        }
    }
}
