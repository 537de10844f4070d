import NIOCore

/// Appends JSON text to a `ByteBuffer` without any intermediate representation.
///
/// The hot stream path writes fixed payloads field by field (`raw` for the constant parts, typed
/// appenders for values), so punctuation is the caller's job. Decimal values are written from
/// scaled integers through `Units`, never through `Double`.
package struct JSONWriter {
    package var buffer: ByteBuffer

    package init(capacity: Int = 256) {
        self.buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    package init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    @inline(__always)
    package mutating func raw(_ text: StaticString) {
        self.buffer.writeStaticString(text)
    }

    @inline(__always)
    package mutating func raw(_ bytes: ByteBuffer) {
        var copy = bytes
        self.buffer.writeBuffer(&copy)
    }

    @inline(__always)
    package mutating func rawString(_ text: String) {
        self.buffer.writeString(text)
    }

    @inline(__always)
    package mutating func int(_ value: Int64) {
        Units.writeInteger(value, into: &self.buffer)
    }

    @inline(__always)
    package mutating func int(_ value: Int) {
        Units.writeInteger(Int64(value), into: &self.buffer)
    }

    @inline(__always)
    package mutating func bool(_ value: Bool) {
        if value { self.buffer.writeStaticString("true") } else { self.buffer.writeStaticString("false") }
    }

    @inline(__always)
    package mutating func null() {
        self.buffer.writeStaticString("null")
    }

    /// A quoted decimal string of `units` (1e-8 scale) with exactly `digits` fraction digits.
    @inline(__always)
    package mutating func decimal(_ units: Int64, digits: Int) {
        self.buffer.writeInteger(UInt8(ascii: "\""))
        Units.write(units, digits: digits, into: &self.buffer)
        self.buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// A quoted decimal string of a wide value held at `scale` fraction digits, cut to `digits`.
    package mutating func decimal(wide value: Int128, scale: Int, digits: Int) {
        self.buffer.writeInteger(UInt8(ascii: "\""))
        Units.write(wide: value, scale: scale, digits: digits, into: &self.buffer)
        self.buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// A quoted, escaped JSON string.
    package mutating func string(_ text: String) {
        self.buffer.writeInteger(UInt8(ascii: "\""))
        Self.escape(text, into: &self.buffer)
        self.buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Writes `text` escaped per RFC 8259 (quote, backslash and control characters).
    package static func escape(_ text: String, into buffer: inout ByteBuffer) {
        var needsEscape = false
        for byte in text.utf8 where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            needsEscape = true
            break
        }
        guard needsEscape else {
            buffer.writeString(text)
            return
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case 0x0A: buffer.writeStaticString("\\n")
            case 0x0D: buffer.writeStaticString("\\r")
            case 0x09: buffer.writeStaticString("\\t")
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0x0F)])
            default: buffer.writeInteger(byte)
            }
        }
    }
}
