/// A strict RFC 8259 parser for small inbound documents (WebSocket control messages, admin bodies).
///
/// Hand-written rather than Foundation's so that numbers keep their exact text and errors carry the
/// line and column that exchange error messages quote.
package struct JSONParser {
    /// Where and why parsing failed (1-based line and column).
    package struct Failure: Error, Sendable {
        package var line: Int
        package var column: Int
        package var reason: String
    }

    private let bytes: [UInt8]
    private var position = 0
    private var depth = 0

    package init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses one value followed only by whitespace.
    package mutating func parseDocument() throws(Failure) -> JSONValue {
        self.skipWhitespace()
        let value = try self.parseValue()
        self.skipWhitespace()
        if self.position != self.bytes.count { throw self.failure("trailing characters") }
        return value
    }

    private func failure(_ reason: String) -> Failure {
        var line = 1
        var column = 1
        for index in 0..<min(self.position, self.bytes.count) {
            if self.bytes[index] == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return Failure(line: line, column: column, reason: reason)
    }

    private mutating func skipWhitespace() {
        while self.position < self.bytes.count {
            switch self.bytes[self.position] {
            case 0x20, 0x09, 0x0A, 0x0D: self.position += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(Failure) -> JSONValue {
        guard self.position < self.bytes.count else { throw self.failure("expected value") }
        switch self.bytes[self.position] {
        case UInt8(ascii: "{"): return try self.parseObject()
        case UInt8(ascii: "["): return try self.parseArray()
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "t"): try self.expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try self.expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try self.expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber()
        default: throw self.failure("expected value")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(Failure) {
        let count = literal.utf8CodeUnitCount
        guard self.position + count <= self.bytes.count else { throw self.failure("expected value") }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for offset in 0..<count where self.bytes[self.position + offset] != expected[offset] {
            throw self.failure("expected value")
        }
        self.position += count
    }

    private mutating func enter() throws(Failure) {
        self.depth += 1
        if self.depth > 64 { throw self.failure("nesting too deep") }
    }

    private mutating func parseObject() throws(Failure) -> JSONValue {
        try self.enter()
        defer { self.depth -= 1 }
        self.position += 1
        var members: [(String, JSONValue)] = []
        self.skipWhitespace()
        if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "}") {
            self.position += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "\"") else {
                throw self.failure("key must be a string")
            }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: ":") else {
                throw self.failure("expected `:`")
            }
            self.position += 1
            self.skipWhitespace()
            let value = try self.parseValue()
            members.append((key, value))
            self.skipWhitespace()
            guard self.position < self.bytes.count else { throw self.failure("EOF while parsing an object") }
            let byte = self.bytes[self.position]
            self.position += 1
            if byte == UInt8(ascii: "}") { return .object(members) }
            if byte != UInt8(ascii: ",") {
                self.position -= 1
                throw self.failure("expected `,` or `}`")
            }
        }
    }

    private mutating func parseArray() throws(Failure) -> JSONValue {
        try self.enter()
        defer { self.depth -= 1 }
        self.position += 1
        var items: [JSONValue] = []
        self.skipWhitespace()
        if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "]") {
            self.position += 1
            return .array(items)
        }
        while true {
            self.skipWhitespace()
            items.append(try self.parseValue())
            self.skipWhitespace()
            guard self.position < self.bytes.count else { throw self.failure("EOF while parsing a list") }
            let byte = self.bytes[self.position]
            self.position += 1
            if byte == UInt8(ascii: "]") { return .array(items) }
            if byte != UInt8(ascii: ",") {
                self.position -= 1
                throw self.failure("expected `,` or `]`")
            }
        }
    }

    private mutating func parseNumber() throws(Failure) -> JSONValue {
        let start = self.position
        if self.bytes[self.position] == UInt8(ascii: "-") { self.position += 1 }
        var digits = 0
        while self.position < self.bytes.count,
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.position])
        {
            self.position += 1
            digits += 1
        }
        if digits == 0 { throw self.failure("invalid number") }
        if self.position < self.bytes.count, self.bytes[self.position] == UInt8(ascii: ".") {
            self.position += 1
            var fraction = 0
            while self.position < self.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.position])
            {
                self.position += 1
                fraction += 1
            }
            if fraction == 0 { throw self.failure("invalid number") }
        }
        if self.position < self.bytes.count, self.bytes[self.position] | 0x20 == UInt8(ascii: "e") {
            self.position += 1
            if self.position < self.bytes.count,
                self.bytes[self.position] == UInt8(ascii: "+") || self.bytes[self.position] == UInt8(ascii: "-")
            {
                self.position += 1
            }
            var exponent = 0
            while self.position < self.bytes.count,
                (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self.bytes[self.position])
            {
                self.position += 1
                exponent += 1
            }
            if exponent == 0 { throw self.failure("invalid number") }
        }
        return .number(String(decoding: self.bytes[start..<self.position], as: UTF8.self))
    }

    private mutating func parseString() throws(Failure) -> String {
        self.position += 1
        var out: [UInt8] = []
        while self.position < self.bytes.count {
            let byte = self.bytes[self.position]
            self.position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard self.position < self.bytes.count else { throw self.failure("EOF while parsing a string") }
                let escape = self.bytes[self.position]
                self.position += 1
                switch escape {
                case UInt8(ascii: "\""): out.append(0x22)
                case UInt8(ascii: "\\"): out.append(0x5C)
                case UInt8(ascii: "/"): out.append(0x2F)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    let scalar = try self.parseHex4()
                    var value = scalar
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard self.position + 1 < self.bytes.count, self.bytes[self.position] == UInt8(ascii: "\\"),
                            self.bytes[self.position + 1] == UInt8(ascii: "u")
                        else { throw self.failure("invalid unicode escape") }
                        self.position += 2
                        let low = try self.parseHex4()
                        value = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let unicode = Unicode.Scalar(value) else { throw self.failure("invalid unicode escape") }
                    out.append(contentsOf: Array(String(Character(unicode)).utf8))
                default: throw self.failure("invalid escape")
                }
            case 0..<0x20:
                throw self.failure("control character in string")
            default:
                out.append(byte)
            }
        }
        throw self.failure("EOF while parsing a string")
    }

    private mutating func parseHex4() throws(Failure) -> UInt32 {
        guard self.position + 4 <= self.bytes.count else { throw self.failure("invalid unicode escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = self.bytes[self.position]
            self.position += 1
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw self.failure("invalid unicode escape")
            }
            value = value << 4 | digit
        }
        return value
    }
}
