import NIOCore

/// A small JSON tree for non-hot answers (admin API, exchange metadata).
///
/// `.number` holds the literal text so integers and decimals are emitted exactly as given.
package enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    package static func int(_ value: Int64) -> JSONValue { .number(String(value)) }
    package static func int(_ value: Int) -> JSONValue { .number(String(value)) }

    /// A JSON number with the exact decimal text of `units` (1e-8 scale).
    package static func units(_ value: Int64, digits: Int) -> JSONValue {
        .number(Units.string(value, digits: digits))
    }

    /// A JSON string holding the decimal text of `units`.
    package static func decimalString(_ value: Int64, digits: Int) -> JSONValue {
        .string(Units.string(value, digits: digits))
    }

    package static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    /// Serialises compactly, keys in the given order.
    package func write(into buffer: inout ByteBuffer) {
        switch self {
        case .null: buffer.writeStaticString("null")
        case .bool(let value): buffer.writeStaticString(value ? "true" : "false")
        case .number(let text): buffer.writeString(text)
        case .string(let text):
            buffer.writeInteger(UInt8(ascii: "\""))
            JSONWriter.escape(text, into: &buffer)
            buffer.writeInteger(UInt8(ascii: "\""))
        case .array(let items):
            buffer.writeInteger(UInt8(ascii: "["))
            for (index, item) in items.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                item.write(into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .object(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                buffer.writeInteger(UInt8(ascii: "\""))
                JSONWriter.escape(member.0, into: &buffer)
                buffer.writeStaticString("\":")
                member.1.write(into: &buffer)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    package var buffer: ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        self.write(into: &buffer)
        return buffer
    }

    package var text: String { String(buffer: self.buffer) }

    // MARK: - Reading (control messages, admin bodies)

    /// Parses JSON text; nil when it is not valid JSON. Numbers keep their literal text so integer
    /// ids round-trip exactly.
    package static func parse(_ bytes: ByteBuffer) -> JSONValue? {
        let raw = bytes.getBytes(at: bytes.readerIndex, length: bytes.readableBytes) ?? []
        var parser = JSONParser(bytes: raw)
        return try? parser.parseDocument()
    }

    package static func parse(_ text: String) -> JSONValue? {
        var parser = JSONParser(bytes: Array(text.utf8))
        return try? parser.parseDocument()
    }

    package subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.0 == key }?.1
    }

    package var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    package var int64Value: Int64? {
        switch self {
        case .number(let text):
            return Int64(text) ?? Double(text).flatMap { $0 == $0.rounded() ? Int64(exactly: $0) : nil }
        case .string(let text): return Int64(text)
        default: return nil
        }
    }

    package var doubleValue: Double? {
        switch self {
        case .number(let text), .string(let text): return Double(text)
        default: return nil
        }
    }

    package var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    package var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    package var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
