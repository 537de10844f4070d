// MARK: - Position

/// A place in a TOML document: 1-based line and column (columns count Unicode scalars, not bytes).
package struct TOMLPosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1-based line.
    package var line: Int
    /// 1-based column, in Unicode scalars.
    package var column: Int

    /// A position.
    package init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }

    package static func < (lhs: TOMLPosition, rhs: TOMLPosition) -> Bool {
        (lhs.line, lhs.column) < (rhs.line, rhs.column)
    }

    package var description: String { "line \(line), column \(column)" }
}

// MARK: - Value

/// One TOML value together with where it starts in the document, so configuration errors can point at it.
///
/// Date and time values are not represented: cryptod's configuration uses none, and the parser rejects them
/// with a clear message instead of carrying a type nobody reads.
package struct TOMLValue: Sendable, Equatable {
    /// The value itself. Arrays of tables appear as `.array` of `.table` values.
    package enum Kind: Sendable, Equatable {
        case string(String)
        case integer(Int64)
        case float(Double)
        case boolean(Bool)
        case array([TOMLValue])
        case table(TOMLTable)
    }

    /// The value.
    package var kind: Kind
    /// Where the value starts.
    package var position: TOMLPosition

    package init(_ kind: Kind, at position: TOMLPosition) {
        self.kind = kind
        self.position = position
    }

    /// The TOML type name used in error messages ("string", "integer", …).
    package var typeName: String {
        switch kind {
        case .string: "string"
        case .integer: "integer"
        case .float: "float"
        case .boolean: "boolean"
        case .array(let items):
            items.isEmpty || !items.allSatisfy({ if case .table = $0.kind { true } else { false } })
                ? "array" : "array of tables"
        case .table: "table"
        }
    }

    /// "an integer", "a string": the type name for use in a sentence.
    package var typeNameWithArticle: String {
        let name = typeName
        return ("aeiou".contains(name.first!) ? "an " : "a ") + name
    }

    /// The value written back as inline TOML (`"a\"b"`, `[1, 2]`, `{ k = 1 }`), for messages and dumps.
    package var tomlText: String {
        switch kind {
        case .string(let s): TOMLValue.quoted(s)
        case .integer(let i): String(i)
        case .float(let d): TOMLValue.floatText(d)
        case .boolean(let b): b ? "true" : "false"
        case .array(let items): "[" + items.map(\.tomlText).joined(separator: ", ") + "]"
        case .table(let t):
            t.isEmpty
                ? "{}"
                : "{ "
                    + t.entries.map { "\(TOMLValue.keyText($0.key)) = \($0.value.tomlText)" }
                    .joined(separator: ", ") + " }"
        }
    }

    // MARK: - Rendering helpers

    /// A TOML basic string literal for `s`, escaping what TOML requires.
    package static func quoted(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// A key as TOML would accept it: bare when possible, quoted otherwise.
    package static func keyText(_ key: String) -> String {
        let bare = !key.isEmpty && key.utf8.allSatisfy { TOMLParser.isBareKeyByte($0) }
        return bare ? key : quoted(key)
    }

    static func floatText(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        let text = "\(d)"
        // Swift prints 1e+20 style exponents without a fraction; TOML accepts that, and "1.0" keeps floats floats.
        return text.contains(".") || text.contains("e") ? text : text + ".0"
    }
}

// MARK: - Table

/// A TOML table: keys in document order, each with its value and position.
package struct TOMLTable: Sendable, Equatable {
    /// Keys in the order they were first defined.
    package private(set) var keys: [String] = []
    private var storage: [String: TOMLValue] = [:]
    /// Where the table was defined (its header, the `{`, or the first dotted key creating it).
    package var position: TOMLPosition

    /// An empty table defined at `position`.
    package init(position: TOMLPosition = TOMLPosition(line: 1, column: 1)) {
        self.position = position
    }

    /// The value of `key` in this table (not a dotted path; see ``value(at:)``).
    package subscript(key: String) -> TOMLValue? { storage[key] }

    package var isEmpty: Bool { keys.isEmpty }
    package var count: Int { keys.count }

    /// The entries in document order.
    package var entries: [(key: String, value: TOMLValue)] { keys.map { ($0, storage[$0]!) } }

    /// Adds or replaces `key`. The parser has already rejected duplicates; replacing is for building tables in code.
    package mutating func set(_ key: String, _ value: TOMLValue) {
        if storage.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    /// Follows a dotted path of table keys (`["exchanges", "binance"]`) and returns the value there.
    package func value(at path: [String]) -> TOMLValue? {
        guard let first = path.first, let value = storage[first] else { return nil }
        if path.count == 1 { return value }
        guard case .table(let inner) = value.kind else { return nil }
        return inner.value(at: Array(path.dropFirst()))
    }
}
