// MARK: - Strings

extension TOMLParser {
    /// `"…"`: escapes allowed, no newlines.
    mutating func parseBasicString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw TOMLError(.syntax, "unterminated string (opened here)", at: start) }
            switch b {
            case .quote:
                advance()
                return String(decoding: out, as: UTF8.self)
            case .backslash:
                try parseEscape(into: &out)
            case .lf, .cr:
                throw error("strings in double quotes end on the same line; use \"\"\" for multi-line strings")
            default:
                try appendPlain(b, to: &out)
            }
        }
    }

    /// `'…'`: taken verbatim, no newlines.
    mutating func parseLiteralString() throws(TOMLError) -> String {
        let start = position
        advance()
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw TOMLError(.syntax, "unterminated string (opened here)", at: start) }
            switch b {
            case .apostrophe:
                advance()
                return String(decoding: out, as: UTF8.self)
            case .lf, .cr:
                throw error("strings in single quotes end on the same line; use ''' for multi-line strings")
            default:
                try appendPlain(b, to: &out)
            }
        }
    }

    /// `"""…"""`: escapes, newlines, and a backslash at the end of a line joining lines.
    mutating func parseMultiLineBasicString() throws(TOMLError) -> String {
        let start = position
        advance(3)
        try skipNewlineAfterOpening()
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw TOMLError(.syntax, "unterminated string (opened here)", at: start) }
            switch b {
            case .quote:
                if try closeMultiLine(.quote, into: &out) { return String(decoding: out, as: UTF8.self) }
            case .backslash:
                if isLineEndingBackslash() {
                    advance()
                    while let c = peek(), c == .space || c == .tab || c == .lf || c == .cr {
                        try skipOneSpaceOrNewline(c)
                    }
                } else {
                    try parseEscape(into: &out)
                }
            case .lf, .cr:
                try appendNewline(to: &out)
            default:
                try appendPlain(b, to: &out)
            }
        }
    }

    /// `'''…'''`: verbatim, newlines allowed.
    mutating func parseMultiLineLiteralString() throws(TOMLError) -> String {
        let start = position
        advance(3)
        try skipNewlineAfterOpening()
        var out: [UInt8] = []
        while true {
            guard let b = peek() else { throw TOMLError(.syntax, "unterminated string (opened here)", at: start) }
            switch b {
            case .apostrophe:
                if try closeMultiLine(.apostrophe, into: &out) { return String(decoding: out, as: UTF8.self) }
            case .lf, .cr:
                try appendNewline(to: &out)
            default:
                try appendPlain(b, to: &out)
            }
        }
    }

    // MARK: - Pieces

    /// A newline right after the opening delimiter is not part of the string.
    private mutating func skipNewlineAfterOpening() throws(TOMLError) {
        if peek() == .lf || peek() == .cr { try consumeNewline() }
    }

    /// At a run of quote characters: up to two may end the content, three more close the string.
    /// Returns true when the string was closed.
    private mutating func closeMultiLine(_ delimiter: UInt8, into out: inout [UInt8]) throws(TOMLError) -> Bool {
        var run = 0
        while peek(run) == delimiter { run += 1 }
        if run < 3 {
            out.append(contentsOf: repeatElement(delimiter, count: run))
            advance(run)
            return false
        }
        if run > 5 {
            advance(5)
            throw error("too many quote characters in a row at the end of a multi-line string")
        }
        out.append(contentsOf: repeatElement(delimiter, count: run - 3))
        advance(run)
        return true
    }

    /// True when the backslash at the cursor is followed only by spaces/tabs up to the end of the line.
    private func isLineEndingBackslash() -> Bool {
        var offset = 1
        while let c = peek(offset), c == .space || c == .tab { offset += 1 }
        return peek(offset) == .lf || (peek(offset) == .cr && peek(offset + 1) == .lf)
    }

    private mutating func skipOneSpaceOrNewline(_ c: UInt8) throws(TOMLError) {
        if c == .lf || c == .cr { try consumeNewline() } else { advance() }
    }

    private mutating func appendNewline(to out: inout [UInt8]) throws(TOMLError) {
        if peek() == .cr {
            guard peek(1) == .lf else { throw error("a carriage return must be followed by a line feed") }
            out.append(.cr)
            advance()
        }
        out.append(.lf)
        advance()
    }

    /// Copies one byte of ordinary content, refusing control characters TOML requires to be escaped.
    private mutating func appendPlain(_ b: UInt8, to out: inout [UInt8]) throws(TOMLError) {
        if (b < 0x20 && b != .tab) || b == 0x7F {
            throw error(
                "\(describeCurrent()) must be escaped in a string (for example \\u\(Self.hex(UInt32(b), width: 4)))")
        }
        out.append(b)
        advance()
    }

    /// Reads `\n`, `\t`, `\"`, `\\`, `\b`, `\f`, `\r`, `\uXXXX` or `\UXXXXXXXX` at the cursor.
    private mutating func parseEscape(into out: inout [UInt8]) throws(TOMLError) {
        let start = position
        advance()
        guard let e = peek() else { throw TOMLError(.syntax, "unterminated escape sequence", at: start) }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "b"): 0x08, UInt8(ascii: "t"): .tab, UInt8(ascii: "n"): .lf, UInt8(ascii: "f"): 0x0C,
            UInt8(ascii: "r"): .cr, .quote: .quote, .backslash: .backslash,
        ]
        if let replacement = simple[e] {
            out.append(replacement)
            advance()
            return
        }
        let width = e == UInt8(ascii: "u") ? 4 : e == UInt8(ascii: "U") ? 8 : 0
        guard width > 0 else {
            throw TOMLError(
                .syntax,
                "invalid escape sequence \\\(describeCurrent().trimmingQuotes); valid ones are \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX",
                at: start)
        }
        advance()
        var value: UInt32 = 0
        for _ in 0..<width {
            guard let h = peek(), let digit = Self.hexValue(h) else {
                throw TOMLError(
                    .syntax, "\\\(Character(Unicode.Scalar(e))) needs exactly \(width) hex digits", at: start)
            }
            value = value << 4 | digit
            advance()
        }
        guard let scalar = Unicode.Scalar(value) else {
            throw TOMLError(
                .syntax, "U+\(Self.hex(value, width: 4)) is not a Unicode scalar value (surrogate or beyond U+10FFFF)",
                at: start)
        }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
    }

    static func hexValue(_ b: UInt8) -> UInt32? {
        switch b {
        case 0x30...0x39: UInt32(b - 0x30)
        case 0x41...0x46: UInt32(b - 0x41 + 10)
        case 0x61...0x66: UInt32(b - 0x61 + 10)
        default: nil
        }
    }
}

extension String {
    /// `'x'` → `x`, for splicing a described character into an escape.
    fileprivate var trimmingQuotes: String {
        hasPrefix("'") && hasSuffix("'") && count >= 3 ? String(dropFirst().dropLast()) : self
    }
}
