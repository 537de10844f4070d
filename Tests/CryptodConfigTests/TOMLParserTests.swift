import Testing

@testable import CryptodConfig

/// Valid TOML 1.0 documents, including the spec's corner cases.
@Suite struct TOMLParserTests {
    // MARK: - Scalars

    @Test(
        arguments: [
            ("+99", 99), ("42", 42), ("0", 0), ("-17", -17), ("1_000", 1000), ("5_349_221", 5_349_221),
            ("0xDEADBEEF", 0xDEAD_BEEF), ("0xdead_beef", 0xDEAD_BEEF), ("0o755", 0o755), ("0b1101_0110", 0b1101_0110),
            ("0x00ff", 255), ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
        ] as [(String, Int64)])
    func integers(text: String, expected: Int64) throws {
        #expect(try tomlValue("n = \(text)", "n") == .integer(expected))
    }

    @Test(
        arguments: [
            ("+1.0", 1.0), ("3.1415", 3.1415), ("-0.01", -0.01), ("5e+22", 5e22), ("1e06", 1e6), ("-2E-2", -0.02),
            ("6.626e-34", 6.626e-34), ("224_617.445_991", 224_617.445_991), ("0.0", 0), ("-0.0", -0.0),
            ("inf", .infinity), ("+inf", .infinity), ("-inf", -.infinity), ("1e1_0", 1e10),
        ] as [(String, Double)])
    func floats(text: String, expected: Double) throws {
        #expect(try tomlValue("x = \(text)", "x") == .float(expected))
    }

    @Test(arguments: ["nan", "+nan", "-nan"])
    func notANumber(text: String) throws {
        guard case .float(let value) = try tomlValue("x = \(text)", "x") else {
            Issue.record("\(text) is not a float")
            return
        }
        #expect(value.isNaN)
    }

    @Test func booleans() throws {
        #expect(try tomlValue("a = true", "a") == .boolean(true))
        #expect(try tomlValue("a = false", "a") == .boolean(false))
    }

    // MARK: - Strings

    @Test(arguments: [
        (#"s = "plain""#, "plain"),
        (#"s = "tab\there""#, "tab\there"),
        (#"s = "quote \" backslash \\""#, #"quote " backslash \"#),
        (#"s = "\b\f\n\r""#, "\u{08}\u{0C}\n\r"),
        (#"s = "\u00E9 \U0001F600""#, "é 😀"),
        ("s = \"raw é and tab\tinside\"", "raw é and tab\tinside"),
        (#"s = 'C:\Users\nodejs\templates'"#, #"C:\Users\nodejs\templates"#),
        (#"s = '<\i\c*\s*>'"#, #"<\i\c*\s*>"#),
        ("s = \"\"\"\nRoses are red\nViolets are blue\"\"\"", "Roses are red\nViolets are blue"),
        (
            "s = \"\"\"\nThe quick brown \\\n\n\n  fox jumps over \\\n    the lazy dog.\"\"\"",
            "The quick brown fox jumps over the lazy dog."
        ),
        ("s = \"\"\"\\\n       The quick brown \\\n       fox.\\\n       \"\"\"", "The quick brown fox."),
        ("s = \"\"\"trailing space backslash \\   \n  joined\"\"\"", "trailing space backslash joined"),
        (
            #"s = """Here are two quotation marks: "". Simple enough.""""#,
            #"Here are two quotation marks: "". Simple enough."#
        ),
        ("s = \"\"\"Here are three quotation marks: \"\"\\\".\"\"\"", #"Here are three quotation marks: """."#),
        (
            ##"s = """"This," she said, "is just a pointless statement."""""##,
            ##""This," she said, "is just a pointless statement.""##
        ),
        (
            "s = '''\nThe first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n'''",
            "The first newline is\ntrimmed in raw strings.\n   All other whitespace\n   is preserved.\n"
        ),
        (#"s = '''I [dw]on't need \d{2} apples'''"#, #"I [dw]on't need \d{2} apples"#),
        (##"s = ''''That,' she said, 'is still pointless.''''"##, ##"'That,' she said, 'is still pointless.'"##),
        (#"s = """#, ""),
        (#"s = ''"#, ""),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try tomlValue(text, "s") == .string(expected))
    }

    @Test func crlfLineEndingsAreNewlines() throws {
        let table = try TOML.parse("a = 1\r\nb = \"\"\"x\r\ny\"\"\"\r\n# c\r\n")
        #expect(table["a"]?.kind == .integer(1))
        #expect(table["b"]?.kind == .string("x\r\ny"))
        #expect(table["b"]?.position.line == 2)
    }

    // MARK: - Keys

    @Test func keyForms() throws {
        let doc = """
            bare_key = 1
            bare-key = 2
            1234 = 3
            "127.0.0.1" = 4
            "ʎǝʞ" = 5
            'quoted "value"' = 6
            "" = 7
            site."google.com" = 8
            fruit . color = 9
            3.14159 = "pi"
            """
        let table = try TOML.parse(doc)
        #expect(table["bare_key"]?.kind == .integer(1))
        #expect(table["bare-key"]?.kind == .integer(2))
        #expect(table["1234"]?.kind == .integer(3))
        #expect(table["127.0.0.1"]?.kind == .integer(4))
        #expect(table["ʎǝʞ"]?.kind == .integer(5))
        #expect(table["quoted \"value\""]?.kind == .integer(6))
        #expect(table[""]?.kind == .integer(7))
        #expect(table.value(at: ["site", "google.com"])?.kind == .integer(8))
        #expect(table.value(at: ["fruit", "color"])?.kind == .integer(9))
        #expect(table.value(at: ["3", "14159"])?.kind == .string("pi"))
        #expect(
            table.keys == [
                "bare_key", "bare-key", "1234", "127.0.0.1", "ʎǝʞ", "quoted \"value\"", "", "site", "fruit", "3",
            ])
    }

    // MARK: - Tables

    @Test func tablesAndDottedKeysFollowTheSpec() throws {
        let doc = """
            # dotted keys create tables; sub-tables of them may still get headers
            [fruit]
            apple.color = "red"
            apple.taste.sweet = true

            [fruit.apple.texture]
            smooth = true

            # a super-table created implicitly may be defined afterwards
            [x.y.z.w]
            deep = 1
            [x]
            shallow = 2

            [ dog . "tater.man" ]
            type.name = "pug"
            """
        let table = try TOML.parse(doc)
        #expect(table.value(at: ["fruit", "apple", "color"])?.kind == .string("red"))
        #expect(table.value(at: ["fruit", "apple", "taste", "sweet"])?.kind == .boolean(true))
        #expect(table.value(at: ["fruit", "apple", "texture", "smooth"])?.kind == .boolean(true))
        #expect(table.value(at: ["x", "y", "z", "w", "deep"])?.kind == .integer(1))
        #expect(table.value(at: ["x", "shallow"])?.kind == .integer(2))
        #expect(table.value(at: ["dog", "tater.man", "type", "name"])?.kind == .string("pug"))
        #expect(table["x"]?.position.line == 12, "an implicit table takes the line of the header defining it")
    }

    @Test func arraysOfTables() throws {
        let doc = """
            [[products]]
            name = "Hammer"
            sku = 738594937

            [[products]]  # empty table within the array

            [[products]]
            name = "Nail"

            [[fruits]]
            name = "apple"
            [fruits.physical]
            color = "red"
            [[fruits.varieties]]
            name = "red delicious"
            [[fruits.varieties]]
            name = "granny smith"

            [[fruits]]
            name = "banana"
            [[fruits.varieties]]
            name = "plantain"
            """
        let table = try TOML.parse(doc)
        guard case .array(let products) = table["products"]?.kind, case .array(let fruits) = table["fruits"]?.kind
        else {
            Issue.record("arrays of tables missing: \(table)")
            return
        }
        #expect(products.count == 3)
        #expect(products.map(\.position.line) == [1, 5, 7])
        guard case .table(let empty) = products[1].kind, case .table(let banana) = fruits[1].kind else {
            Issue.record("elements are not tables")
            return
        }
        #expect(empty.isEmpty)
        #expect(banana.value(at: ["name"])?.kind == .string("banana"))
        guard case .table(let apple) = fruits[0].kind, case .array(let varieties) = apple["varieties"]?.kind else {
            Issue.record("nested array of tables missing")
            return
        }
        #expect(varieties.count == 2)
        #expect(apple.value(at: ["physical", "color"])?.kind == .string("red"))
        #expect(TOMLValue(.array(products), at: .init(line: 1, column: 1)).typeName == "array of tables")
    }

    @Test func inlineTablesAndArrays() throws {
        let doc = """
            point = { x = 1, y = -2 }
            animal = { type.name = "pug", legs = 4 }
            empty = {}
            nested = { inner = { deep = [1, 2] } }
            mixed = [ 1, "two", 3.0, [4], { five = 5 } ]
            multi = [
              "a",  # comment after an element
              # a comment line
              "b",
            ]
            none = []
            """
        let table = try TOML.parse(doc)
        #expect(table.value(at: ["point", "y"])?.kind == .integer(-2))
        #expect(table.value(at: ["animal", "type", "name"])?.kind == .string("pug"))
        #expect(table.value(at: ["empty"])?.kind == .table(TOMLTable(position: .init(line: 3, column: 9))))
        #expect(table.value(at: ["nested", "inner", "deep"])?.tomlText == "[1, 2]")
        #expect(table["mixed"]?.tomlText == #"[1, "two", 3.0, [4], { five = 5 }]"#)
        #expect(table["multi"]?.tomlText == #"["a", "b"]"#)
        #expect(table["none"]?.kind == .array([]))
    }

    // MARK: - Positions and odds

    @Test func valuesCarryLineAndColumn() throws {
        let table = try TOML.parse("a = 1\n\n  [s]\n  key   =   \"v\"\n  \"é\" = 'é' # ok\n")
        #expect(table["a"]?.position == TOMLPosition(line: 1, column: 5))
        #expect(table.value(at: ["s", "key"])?.position == TOMLPosition(line: 4, column: 13))
        #expect(table.value(at: ["s", "é"])?.position == TOMLPosition(line: 5, column: 9))
        #expect(table["s"]?.position == TOMLPosition(line: 3, column: 3))
    }

    @Test func bareKeysAreASCIIAndColumnsCountCharacters() {
        // TOML 1.0 bare keys are ASCII only; the error column counts "é" as one character, not two bytes.
        #expect(tomlError("\"é\" = 1\nö = 1")?.position == TOMLPosition(line: 2, column: 1))
        #expect(tomlError("k = \"é\\q\"")?.position == TOMLPosition(line: 1, column: 7))
    }

    @Test func byteOrderMarkAndEmptyDocuments() throws {
        #expect(try TOML.parse("\u{FEFF}a = 1")["a"]?.kind == .integer(1))
        #expect(try TOML.parse("").isEmpty)
        #expect(try TOML.parse("# only a comment\n\n   \n").isEmpty)
    }

    @Test func renderingRoundTrips() throws {
        let doc = #"a = "q\"\n\u0001é"  "# + "\nb = [1, 2.5, true, { c = 'd' }]\n"
        let table = try TOML.parse(doc)
        for (key, value) in table.entries {
            let again = try TOML.parse("\(key) = \(value.tomlText)")
            #expect(again[key]?.tomlText == value.tomlText)
            #expect(again[key]?.typeName == value.typeName)
        }
    }
}
