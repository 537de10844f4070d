import Testing

@testable import CryptodConfig

/// Documents TOML rejects: each must fail at the right line with a message that says why.
@Suite struct TOMLInvalidTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let fragment: String
        var kind: TOMLError.Kind = .syntax
        var testDescription: String { fragment }
    }

    static let redefinitions: [Case] = [
        Case(
            text: "a = 1\na = 2", line: 2, fragment: "duplicate key \"a\" (first defined at line 1)", kind: .duplicate),
        Case(text: "[t]\nk = 1\nk = 2", line: 3, fragment: "duplicate key \"t.k\"", kind: .duplicate),
        Case(
            text: "[a]\nb = 1\n\n[a]", line: 4, fragment: "table [a] is defined twice (first at line 1)",
            kind: .duplicate),
        Case(text: "[a]\nb = 1\n[a.b]", line: 3, fragment: "\"a.b\" already holds an integer", kind: .duplicate),
        Case(
            text: "[fruit]\napple.color = \"red\"\n[fruit.apple]", line: 3, fragment: "already defined by dotted keys",
            kind: .duplicate),
        Case(text: "a = false\na.b = true", line: 2, fragment: "\"a\" already holds a boolean", kind: .duplicate),
        Case(
            text: "[a.b.c]\nz = 9\n[a]\nb.c.t = 1", line: 4, fragment: "already defined by a header at line 1",
            kind: .duplicate),
        Case(
            text: "fruits = []\n[[fruits]]", line: 2, fragment: "cannot append to the static array \"fruits\"",
            kind: .duplicate),
        Case(text: "[[a]]\n[a]", line: 2, fragment: "[a] is an array of tables (line 1)", kind: .duplicate),
        Case(text: "[a]\n[[a]]", line: 2, fragment: "\"a\" is already a table", kind: .duplicate),
        Case(text: "a = { x = 1 }\n[a]", line: 2, fragment: "cannot extend the inline table \"a\"", kind: .duplicate),
        Case(
            text: "a = { x = 1 }\na.y = 2", line: 2, fragment: "cannot extend the inline table \"a\"", kind: .duplicate),
        Case(text: "a = { x = 1, x = 2 }", line: 1, fragment: "duplicate key \"x\"", kind: .duplicate),
        Case(
            text: "[[a]]\nb = 1\n[x]\n[[a.b]]", line: 4, fragment: "\"a.b\" already holds an integer (line 2)",
            kind: .duplicate),
        Case(
            text: "[[a]]\nb = [1]\n[[a.b]]", line: 3, fragment: "cannot append to the static array \"a.b\"",
            kind: .duplicate),
        Case(text: "\"a\" = 1\na = 2", line: 2, fragment: "duplicate key", kind: .duplicate),
    ]

    static let syntax: [Case] = [
        Case(text: "a = 1 b = 2", line: 1, fragment: "expected the end of the line"),
        Case(text: "a = ", line: 1, fragment: "expected a value, found end of file"),
        Case(text: "a = # no value\n", line: 1, fragment: "expected a value, found '#'"),
        Case(text: "a = hello", line: 1, fragment: "strings must be quoted"),
        Case(text: "a = tru", line: 1, fragment: "strings must be quoted"),
        Case(text: "a = trueish", line: 1, fragment: "booleans are true or false"),
        Case(text: "= 1", line: 1, fragment: "expected a key"),
        Case(text: "a.b.c\n", line: 1, fragment: "expected '=' after the key \"a.b.c\""),
        Case(text: "ok = 1\n[a\nb = 1", line: 2, fragment: "expected ']' to close the table header"),
        Case(text: "[[a]\n", line: 1, fragment: "expected ']]'"),
        Case(text: "[]\n", line: 1, fragment: "expected a key"),
        Case(text: "\"\"\"key\"\"\" = 1", line: 1, fragment: "multi-line strings cannot be keys"),
        Case(text: "a = \"open", line: 1, fragment: "unterminated string"),
        Case(text: "a = \"line\nbreak\"", line: 1, fragment: "end on the same line"),
        Case(text: "a = 'line\nbreak'", line: 1, fragment: "end on the same line"),
        Case(text: "\n\na = \"\"\"never closed\n\n", line: 3, fragment: "unterminated string (opened here)"),
        Case(text: "a = \"\\x41\"", line: 1, fragment: "invalid escape sequence \\x"),
        Case(text: "a = \"\\ \"", line: 1, fragment: "invalid escape sequence"),
        Case(text: "a = \"\\u12\"", line: 1, fragment: "needs exactly 4 hex digits"),
        Case(text: "a = \"\\uD800\"", line: 1, fragment: "is not a Unicode scalar value"),
        Case(text: "a = \"\\U00110000\"", line: 1, fragment: "is not a Unicode scalar value"),
        Case(text: "a = \"bell\u{07}\"", line: 1, fragment: "must be escaped"),
        Case(text: "a = 'del\u{7F}'", line: 1, fragment: "must be escaped"),
        Case(text: "a = \"\"\"x\"\"\"\"\"\"", line: 1, fragment: "too many quote characters"),
        Case(text: "a = 1 # bad \u{01} comment", line: 1, fragment: "is not allowed in a comment"),
        Case(text: "a = 1\rb = 2", line: 1, fragment: "carriage return must be followed by a line feed"),
        Case(text: "a = 01", line: 1, fragment: "leading zeros are not allowed"),
        Case(text: "a = 00.5", line: 1, fragment: "leading zeros are not allowed"),
        Case(text: "a = 1__000", line: 1, fragment: "'_' must be between two digits"),
        Case(text: "a = 1_", line: 1, fragment: "'_' must be between two digits"),
        Case(text: "a = 1.", line: 1, fragment: "a digit must follow the decimal point"),
        Case(text: "a = .5", line: 1, fragment: "expected a value"),
        Case(text: "a = 1e", line: 1, fragment: "digits expected"),
        Case(text: "a = 1._5", line: 1, fragment: "'_' must be between two digits"),
        Case(text: "a = +0x10", line: 1, fragment: "a sign is not allowed"),
        Case(text: "a = 0xG1", line: 1, fragment: "'G' is not a hexadecimal digit"),
        Case(text: "a = 0o8", line: 1, fragment: "'8' is not a octal digit"),
        Case(text: "a = 0b102", line: 1, fragment: "'2' is not a binary digit"),
        Case(text: "a = 9223372036854775808", line: 1, fragment: "does not fit in 64 bits"),
        Case(text: "a = 0x8000000000000000", line: 1, fragment: "does not fit in 64 bits"),
        Case(text: "a = [1, 2", line: 1, fragment: "unterminated array"),
        Case(text: "a = [1 2]", line: 1, fragment: "expected ',' or ']'"),
        Case(text: "a = [,]", line: 1, fragment: "expected a value"),
        Case(text: "a = { x = 1, }", line: 1, fragment: "trailing comma"),
        Case(text: "a = { x = 1\n}", line: 1, fragment: "inline tables must close on the same line"),
        Case(text: "a = { x = 1 y = 2 }", line: 1, fragment: "expected ',' or '}'"),
    ]

    static let unsupported: [Case] = [
        Case(
            text: "d = 1979-05-27T07:32:00Z", line: 1, fragment: "dates and times are not supported", kind: .unsupported
        ),
        Case(text: "\nd = 1979-05-27", line: 2, fragment: "quote the value if you meant a string", kind: .unsupported),
        Case(text: "t = 07:32:00", line: 1, fragment: "dates and times are not supported", kind: .unsupported),
    ]

    @Test(arguments: redefinitions + syntax + unsupported)
    func rejected(_ c: Case) {
        guard let error = tomlError(c.text) else { return }
        #expect(error.position.line == c.line, "\(error)")
        #expect(error.message.contains(c.fragment), "\(error.message)")
        #expect(error.kind == c.kind)
        #expect(error.description.hasPrefix("line \(c.line), column "))
    }

    @Test func errorsPointAtTheColumn() {
        #expect(tomlError("key = \"abc\\q\"")?.position == TOMLPosition(line: 1, column: 11))
        #expect(tomlError("a = 1\n  b = 2 3")?.position == TOMLPosition(line: 2, column: 9))
        #expect(tomlError("a = 1\na = 2")?.position == TOMLPosition(line: 2, column: 1))
    }
}
