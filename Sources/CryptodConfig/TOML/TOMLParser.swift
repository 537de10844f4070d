// MARK: - Bytes

extension UInt8 {
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote = UInt8(ascii: "\"")
    static let apostrophe = UInt8(ascii: "'")
    static let hash = UInt8(ascii: "#")
    static let equals = UInt8(ascii: "=")
    static let dot = UInt8(ascii: ".")
    static let comma = UInt8(ascii: ",")
    static let backslash = UInt8(ascii: "\\")
    static let leftBracket = UInt8(ascii: "[")
    static let rightBracket = UInt8(ascii: "]")
    static let leftBrace = UInt8(ascii: "{")
    static let rightBrace = UInt8(ascii: "}")

    var isDigit: Bool { self >= 0x30 && self <= 0x39 }
    var isLetter: Bool { (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A) }
}

// MARK: - Parser

/// A recursive-descent TOML 1.0 parser over UTF-8 bytes.
///
/// It works on bytes because every TOML delimiter is ASCII; the input is a Swift `String`, so the bytes are
/// valid UTF-8 and multi-byte characters can be copied through untouched.
struct TOMLParser {
    let bytes: [UInt8]
    var index = 0
    private var line = 1
    private var lineStart = 0

    init(_ text: String) {
        var utf8 = Array(text.utf8)
        if utf8.starts(with: [0xEF, 0xBB, 0xBF]) { utf8.removeFirst(3) }
        bytes = utf8
    }

    static func isBareKeyByte(_ b: UInt8) -> Bool {
        b.isLetter || b.isDigit || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
    }

    // MARK: - Document

    mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        let root = TOMLTableNode(origin: .root, position: TOMLPosition(line: 1, column: 1))
        var current = root
        var currentPath: [String] = []
        while true {
            skipWhitespace()
            guard let byte = peek() else { break }
            switch byte {
            case .hash:
                try skipComment()
            case .lf, .cr:
                try consumeNewline()
            case .leftBracket:
                (current, currentPath) = try parseHeader(root: root)
                try expectLineEnd(after: "the table header")
            default:
                let (key, value) = try parseKeyValue()
                try current.insertKeyValue(key, value, prefix: currentPath)
                try expectLineEnd(after: "the value of \"\(TOMLTableNode.display(key.map(\.name)))\"")
            }
        }
        return root.freeze()
    }

    private mutating func parseHeader(root: TOMLTableNode) throws(TOMLError) -> (TOMLTableNode, [String]) {
        let start = position
        advance()
        let isArray = peek() == .leftBracket
        if isArray { advance() }
        let key = try parseKey()
        let closing = isArray ? "]]" : "]"
        guard peek() == .rightBracket, !isArray || peek(1) == .rightBracket else {
            throw error("expected '\(closing)' to close the table header, found \(describeCurrent())")
        }
        advance(isArray ? 2 : 1)
        let table =
            isArray
            ? try root.appendTableArrayElement(key, at: start)
            : try root.openTable(key, at: start)
        return (table, key.map(\.name))
    }

    private mutating func parseKeyValue() throws(TOMLError) -> ([TOMLKeyPart], TOMLValue) {
        let key = try parseKey()
        guard peek() == .equals else {
            let name = TOMLTableNode.display(key.map(\.name))
            throw error("expected '=' after the key \"\(name)\", found \(describeCurrent())")
        }
        advance()
        skipWhitespace()
        return (key, try parseValue())
    }

    // MARK: - Keys

    /// Reads `a`, `"quoted key"`, `'literal'` or a dotted combination; skips whitespace around it.
    mutating func parseKey() throws(TOMLError) -> [TOMLKeyPart] {
        var parts: [TOMLKeyPart] = []
        while true {
            skipWhitespace()
            let start = position
            let name: String
            switch peek() {
            case .quote?:
                if peek(1) == .quote && peek(2) == .quote {
                    throw error("multi-line strings cannot be keys")
                }
                name = try parseBasicString()
            case .apostrophe?:
                if peek(1) == .apostrophe && peek(2) == .apostrophe {
                    throw error("multi-line strings cannot be keys")
                }
                name = try parseLiteralString()
            case let b? where Self.isBareKeyByte(b):
                let from = index
                while let c = peek(), Self.isBareKeyByte(c) { advance() }
                name = String(decoding: bytes[from..<index], as: UTF8.self)
            default:
                throw error(
                    "expected a key (letters, digits, '_' and '-', or a quoted string), found \(describeCurrent())")
            }
            parts.append(TOMLKeyPart(name: name, position: start))
            skipWhitespace()
            guard peek() == .dot else { return parts }
            advance()
        }
    }

    // MARK: - Values

    mutating func parseValue() throws(TOMLError) -> TOMLValue {
        guard let byte = peek() else { throw error("expected a value, found end of file") }
        let start = position
        switch byte {
        case .quote:
            let multiLine = peek(1) == .quote && peek(2) == .quote
            return TOMLValue(.string(multiLine ? try parseMultiLineBasicString() : try parseBasicString()), at: start)
        case .apostrophe:
            let multiLine = peek(1) == .apostrophe && peek(2) == .apostrophe
            return TOMLValue(
                .string(multiLine ? try parseMultiLineLiteralString() : try parseLiteralString()), at: start)
        case .leftBracket:
            return try parseArray()
        case .leftBrace:
            return try parseInlineTable()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return try parseBoolean()
        case _
        where byte.isDigit || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: "i") || byte == UInt8(ascii: "n"):
            return try parseNumber()
        case .lf, .cr, .hash:
            throw error("expected a value, found \(describeCurrent())")
        default:
            let hint = byte.isLetter ? " (strings must be quoted)" : ""
            throw error(
                "expected a value (string, number, boolean, array or inline table), found \(describeCurrent())\(hint)")
        }
    }

    private mutating func parseBoolean() throws(TOMLError) -> TOMLValue {
        let start = position
        for (word, value) in [("true", true), ("false", false)] where matches(word) {
            if let next = peek(word.utf8.count), Self.isBareKeyByte(next) { break }
            advance(word.utf8.count)
            return TOMLValue(.boolean(value), at: start)
        }
        throw error("expected a value, found \(describeCurrent()) (strings must be quoted; booleans are true or false)")
    }

    private mutating func parseArray() throws(TOMLError) -> TOMLValue {
        let start = position
        advance()
        var items: [TOMLValue] = []
        while true {
            try skipArrayFiller()
            if peek() == .rightBracket {
                advance()
                return TOMLValue(.array(items), at: start)
            }
            items.append(try parseValue())
            try skipArrayFiller()
            switch peek() {
            case .comma?:
                advance()
            case .rightBracket?:
                advance()
                return TOMLValue(.array(items), at: start)
            case nil:
                throw TOMLError(.syntax, "unterminated array (opened here)", at: start)
            default:
                throw error("expected ',' or ']' in the array, found \(describeCurrent())")
            }
        }
    }

    private mutating func parseInlineTable() throws(TOMLError) -> TOMLValue {
        let start = position
        advance()
        let node = TOMLTableNode(origin: .inline, position: start)
        skipWhitespace()
        if peek() == .rightBrace {
            advance()
            return TOMLValue(.table(node.freeze()), at: start)
        }
        while true {
            let (key, value) = try parseKeyValue()
            try node.insertKeyValue(key, value, prefix: [])
            skipWhitespace()
            switch peek() {
            case .comma?:
                advance()
                skipWhitespace()
                if peek() == .rightBrace { throw error("inline tables may not have a trailing comma") }
            case .rightBrace?:
                advance()
                return TOMLValue(.table(node.freeze()), at: start)
            case .lf?, .cr?, nil:
                throw error("inline tables must close on the same line; use a [table] for longer ones")
            default:
                throw error("expected ',' or '}' in the inline table, found \(describeCurrent())")
            }
        }
    }

    // MARK: - Whitespace, comments, newlines

    mutating func skipWhitespace() {
        while let b = peek(), b == .space || b == .tab { advance() }
    }

    /// Whitespace, newlines and comments: what may separate array elements.
    private mutating func skipArrayFiller() throws(TOMLError) {
        while let b = peek() {
            switch b {
            case .space, .tab: advance()
            case .lf, .cr: try consumeNewline()
            case .hash: try skipComment()
            default: return
            }
        }
    }

    private mutating func skipComment() throws(TOMLError) {
        advance()
        while let b = peek(), b != .lf {
            if b == .cr && peek(1) == .lf { return }
            if (b < 0x20 && b != .tab) || b == 0x7F {
                throw error("\(describeCurrent()) is not allowed in a comment")
            }
            advance()
        }
    }

    mutating func consumeNewline() throws(TOMLError) {
        if peek() == .cr {
            guard peek(1) == .lf else { throw error("a carriage return must be followed by a line feed") }
            advance()
        }
        advance()
    }

    private mutating func expectLineEnd(after what: String) throws(TOMLError) {
        skipWhitespace()
        if peek() == .hash { try skipComment() }
        guard let b = peek() else { return }
        guard b == .lf || b == .cr else {
            throw error("expected the end of the line after \(what), found \(describeCurrent())")
        }
        try consumeNewline()
    }

    // MARK: - Cursor

    func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        return index + utf8.count <= bytes.count && bytes[index..<index + utf8.count].elementsEqual(utf8)
    }

    /// Moves forward, counting lines; every byte goes through here so positions stay right in multi-line strings.
    mutating func advance(_ count: Int = 1) {
        for _ in 0..<count where index < bytes.count {
            if bytes[index] == .lf {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
    }

    var position: TOMLPosition {
        let scalars = bytes[lineStart..<index].reduce(0) { $1 & 0xC0 == 0x80 ? $0 : $0 + 1 }
        return TOMLPosition(line: line, column: scalars + 1)
    }

    func error(_ message: String, _ kind: TOMLError.Kind = .syntax) -> TOMLError {
        TOMLError(kind, message, at: position)
    }

    /// Names the character at the cursor for error messages.
    func describeCurrent() -> String {
        guard let b = peek() else { return "end of file" }
        switch b {
        case .lf, .cr: return "end of line"
        case .tab: return "a tab"
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(b)))'"
        case 0..<0x20, 0x7F: return "control character U+\(Self.hex(UInt32(b), width: 4))"
        default:
            let tail = bytes[index..<min(index + 4, bytes.count)]
            let scalar = String(decoding: tail, as: UTF8.self).unicodeScalars.first ?? "?"
            return "'\(scalar)'"
        }
    }

    static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
