import CryptodModel

/// Builds one JSON value into UTF-8 bytes without Foundation: the output path of market data is hot, and
/// decimals must be written as the exact strings they arrived as, which no generic encoder guarantees.
///
/// Usage: `var json = JSONWriter(); json.object { $0.field("price", decimal) }`. Keys are written in the
/// order given, so the output is deterministic (tests and golden files rely on it).
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Items written so far in each open container, innermost last.
    private var counts: [Int] = []
    /// A key was just written: the next value is its value and takes no comma.
    private var afterKey = false

    public init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    // MARK: - Containers

    public mutating func object(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "{"))
        counts.append(0)
        body(&self)
        counts.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array(_ body: (inout JSONWriter) -> Void) {
        separate()
        bytes.append(UInt8(ascii: "["))
        counts.append(0)
        body(&self)
        counts.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Starts a member of the enclosing object; the next value written is its value.
    public mutating func key(_ name: String) {
        separate()
        writeQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard let last = counts.last else { return }
        if last > 0 { bytes.append(UInt8(ascii: ",")) }
        counts[counts.count - 1] = last + 1
    }

    // MARK: - Scalars

    public mutating func value(_ text: String) {
        separate()
        writeQuoted(text)
    }

    /// A decimal as a JSON *string* with its exact digits and scale (`"0.00010000"`).
    public mutating func value(_ decimal: ExactDecimal) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        decimal.appendText(to: &bytes)
        bytes.append(UInt8(ascii: "\""))
    }

    public mutating func value(_ integer: Int64) {
        separate()
        bytes.append(contentsOf: String(integer).utf8)
    }

    public mutating func value(_ integer: UInt64) {
        separate()
        bytes.append(contentsOf: String(integer).utf8)
    }

    public mutating func value(_ flag: Bool) {
        separate()
        bytes.append(contentsOf: (flag ? "true" : "false").utf8)
    }

    /// A measurement (a rate, a ratio, a latency): a JSON number, never a price or quantity (those are
    /// ``ExactDecimal`` strings). Not finite values are written as `null`.
    public mutating func value(figure: Double) {
        separate()
        guard figure.isFinite else {
            bytes.append(contentsOf: "null".utf8)
            return
        }
        if figure == figure.rounded(), abs(figure) < 1e15 {
            bytes.append(contentsOf: String(Int64(figure)).utf8)
        } else {
            bytes.append(contentsOf: "\(figure)".utf8)
        }
    }

    public mutating func null() {
        separate()
        bytes.append(contentsOf: "null".utf8)
    }

    /// A timestamp as RFC 3339 UTC text with as many fractional digits as it needs to stay exact (3, 6 or 9).
    public mutating func value(_ time: Timestamp) {
        let nanos = time.nanoseconds - time.seconds * 1_000_000_000
        let digits = nanos % 1_000_000 == 0 ? 3 : (nanos % 1_000 == 0 ? 6 : 9)
        value(time.iso8601(fractionDigits: digits))
    }

    // MARK: - Members

    public mutating func field(_ name: String, _ text: String) {
        key(name)
        value(text)
    }

    public mutating func field(_ name: String, _ decimal: ExactDecimal) {
        key(name)
        value(decimal)
    }

    /// Writes `null` for a missing decimal, so every message of a type has the same keys.
    public mutating func field(_ name: String, _ decimal: ExactDecimal?) {
        key(name)
        if let decimal { value(decimal) } else { null() }
    }

    public mutating func field(_ name: String, _ integer: Int64) {
        key(name)
        value(integer)
    }

    public mutating func field(_ name: String, _ integer: UInt64) {
        key(name)
        value(integer)
    }

    public mutating func field(_ name: String, _ integer: UInt64?) {
        key(name)
        if let integer { value(integer) } else { null() }
    }

    public mutating func field(_ name: String, _ flag: Bool) {
        key(name)
        value(flag)
    }

    public mutating func field(_ name: String, _ time: Timestamp) {
        key(name)
        value(time)
    }

    public mutating func field(_ name: String, _ time: Timestamp?) {
        key(name)
        if let time { value(time) } else { null() }
    }

    // MARK: - Escaping

    private mutating func writeQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                bytes.append(hex[Int(byte >> 4)])
                bytes.append(hex[Int(byte & 0xF)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
