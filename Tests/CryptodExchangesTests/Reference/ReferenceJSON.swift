/// The reference parser's JSON: a plain recursive-descent reader that builds a tree, written apart from
/// ``JSONCursor`` (no shared code) so the fuzz target and the oracle tests can check one against the other.
///
/// Numbers keep their text (never `Double`), strings keep their raw bytes and are unescaped only when a
/// reader asks for the text. Object keys and enumerated literals (`"e":"trade"`, `"type":"delta"`) are
/// compared as written: the exchanges send them unescaped, and the fast parsers compare bytes too.
indirect enum RefJSON: Sendable {
    case object([(key: [UInt8], value: RefJSON)])
    case array([RefJSON])
    case string(raw: [UInt8], escaped: Bool)
    case number([UInt8])
    case bool(Bool)
    case null

    /// Same limit as the fast cursor: deeper nesting is refused, not recursed into.
    static let maxDepth = 64

    /// Parses a whole document (surrounding whitespace allowed); `nil` when it is not JSON.
    static func parse(_ bytes: [UInt8]) -> RefJSON? {
        var reader = Reader(bytes: bytes)
        guard let value = reader.value(depth: 0) else { return nil }
        reader.whitespace()
        return reader.at == bytes.count ? value : nil
    }

    /// The last member named `key` (written without escapes), as a JSON object lookup.
    subscript(_ key: String) -> RefJSON? {
        guard case .object(let members) = self else { return nil }
        let wanted = Array(key.utf8)
        return members.last(where: { $0.key == wanted })?.value
    }

    var isObject: Bool {
        if case .object = self { return true }
        return false
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    var members: [(key: [UInt8], value: RefJSON)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    var elements: [RefJSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The raw bytes of a string (escapes as written).
    var rawString: [UInt8]? {
        if case .string(let raw, _) = self { return raw }
        return nil
    }

    /// Whether this is a string written exactly as `literal`.
    func isLiteral(_ literal: String) -> Bool { rawString == Array(literal.utf8) }

    /// The unescaped text of a string; `nil` for other kinds, lone surrogates or invalid UTF-8.
    var text: String? {
        guard case .string(let raw, _) = self else { return nil }
        return RefJSON.unescape(raw)
    }

    static func unescape(_ raw: [UInt8]) -> String? {
        var out: [UInt8] = []
        var i = 0
        func hex(_ at: Int) -> UInt32? {
            guard at + 4 <= raw.count else { return nil }
            var value: UInt32 = 0
            for byte in raw[at..<at + 4] {
                guard let digit = Reader.hexDigit(byte) else { return nil }
                value = value * 16 + digit
            }
            return value
        }
        while i < raw.count {
            let byte = raw[i]
            if byte != 0x5C {
                out.append(byte)
                i += 1
                continue
            }
            guard i + 1 < raw.count else { return nil }
            let code = raw[i + 1]
            i += 2
            switch code {
            case 0x22, 0x5C, 0x2F: out.append(code)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                guard let first = hex(i) else { return nil }
                i += 4
                var scalarValue = first
                if (0xD800..<0xDC00).contains(first) {
                    guard i + 6 <= raw.count, raw[i] == 0x5C, raw[i + 1] == 0x75, let second = hex(i + 2),
                        (0xDC00..<0xE000).contains(second)
                    else { return nil }
                    scalarValue = 0x10000 + (first - 0xD800) * 0x400 + (second - 0xDC00)
                    i += 6
                }
                guard let scalar = Unicode.Scalar(scalarValue) else { return nil }
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: return nil
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    private struct Reader {
        let bytes: [UInt8]
        var at = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        static func hexDigit(_ byte: UInt8) -> UInt32? {
            switch byte {
            case 0x30...0x39: UInt32(byte - 0x30)
            case 0x41...0x46: UInt32(byte - 0x41 + 10)
            case 0x61...0x66: UInt32(byte - 0x61 + 10)
            default: nil
            }
        }

        mutating func whitespace() {
            while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
        }

        mutating func value(depth: Int) -> RefJSON? {
            whitespace()
            guard at < bytes.count else { return nil }
            switch bytes[at] {
            case 0x7B: return object(depth: depth + 1)
            case 0x5B: return array(depth: depth + 1)
            case 0x22: return string().map { .string(raw: $0.raw, escaped: $0.escaped) }
            case 0x74: return word("true") ? .bool(true) : nil
            case 0x66: return word("false") ? .bool(false) : nil
            case 0x6E: return word("null") ? .null : nil
            default: return number()
            }
        }

        mutating func word(_ text: String) -> Bool {
            let expected = Array(text.utf8)
            guard at + expected.count <= bytes.count, Array(bytes[at..<at + expected.count]) == expected else {
                return false
            }
            at += expected.count
            return true
        }

        mutating func object(depth: Int) -> RefJSON? {
            guard depth <= RefJSON.maxDepth else { return nil }
            at += 1
            var members: [(key: [UInt8], value: RefJSON)] = []
            whitespace()
            if at < bytes.count, bytes[at] == 0x7D {
                at += 1
                return .object(members)
            }
            while true {
                whitespace()
                guard at < bytes.count, bytes[at] == 0x22, let key = string() else { return nil }
                whitespace()
                guard at < bytes.count, bytes[at] == 0x3A else { return nil }
                at += 1
                guard let value = value(depth: depth) else { return nil }
                members.append((key.raw, value))
                whitespace()
                guard at < bytes.count else { return nil }
                if bytes[at] == 0x2C {
                    at += 1
                    continue
                }
                guard bytes[at] == 0x7D else { return nil }
                at += 1
                return .object(members)
            }
        }

        mutating func array(depth: Int) -> RefJSON? {
            guard depth <= RefJSON.maxDepth else { return nil }
            at += 1
            var elements: [RefJSON] = []
            whitespace()
            if at < bytes.count, bytes[at] == 0x5D {
                at += 1
                return .array(elements)
            }
            while true {
                guard let element = value(depth: depth) else { return nil }
                elements.append(element)
                whitespace()
                guard at < bytes.count else { return nil }
                if bytes[at] == 0x2C {
                    at += 1
                    continue
                }
                guard bytes[at] == 0x5D else { return nil }
                at += 1
                return .array(elements)
            }
        }

        /// A string at `at` (the opening quote): its raw content and whether it holds escapes.
        mutating func string() -> (raw: [UInt8], escaped: Bool)? {
            at += 1
            let start = at
            var escaped = false
            while at < bytes.count {
                let byte = bytes[at]
                if byte == 0x22 {
                    let raw = Array(bytes[start..<at])
                    at += 1
                    return (raw, escaped)
                }
                if byte < 0x20 { return nil }
                if byte == 0x5C {
                    escaped = true
                    guard at + 1 < bytes.count else { return nil }
                    let code = bytes[at + 1]
                    if code == 0x75 {
                        guard at + 6 <= bytes.count,
                            bytes[(at + 2)..<(at + 6)].allSatisfy({ Reader.hexDigit($0) != nil })
                        else { return nil }
                        at += 6
                    } else {
                        guard [0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74].contains(code) else { return nil }
                        at += 2
                    }
                    continue
                }
                at += 1
            }
            return nil
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() -> RefJSON? {
            let start = at
            func digits() -> Int {
                var n = 0
                while at < bytes.count, (0x30...0x39).contains(bytes[at]) {
                    at += 1
                    n += 1
                }
                return n
            }
            if at < bytes.count, bytes[at] == 0x2D { at += 1 }
            guard at < bytes.count else { return nil }
            if bytes[at] == 0x30 {
                at += 1
            } else {
                guard digits() > 0 else { return nil }
            }
            if at < bytes.count, bytes[at] == 0x2E {
                at += 1
                guard digits() > 0 else { return nil }
            }
            if at < bytes.count, bytes[at] == 0x65 || bytes[at] == 0x45 {
                at += 1
                if at < bytes.count, bytes[at] == 0x2B || bytes[at] == 0x2D { at += 1 }
                guard digits() > 0 else { return nil }
            }
            return .number(Array(bytes[start..<at]))
        }
    }
}
