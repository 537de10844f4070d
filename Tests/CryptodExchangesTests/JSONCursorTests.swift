import CryptodExchanges
import CryptodModel
import Foundation
import Testing

/// A JSON value as the cursor reads it, for the tests: numbers keep their exact text.
private indirect enum JSONTree: Equatable, CustomStringConvertible {
    case object([(String, JSONTree)])
    case array([JSONTree])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    static func == (lhs: JSONTree, rhs: JSONTree) -> Bool {
        switch (lhs, rhs) {
        case (.object(let a), .object(let b)):
            a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case (.array(let a), .array(let b)): a == b
        case (.string(let a), .string(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.null, .null): true
        default: false
        }
    }

    var description: String {
        switch self {
        case .object(let members): "{" + members.map { "\($0.0.debugDescription):\($0.1)" }.joined(separator: ",") + "}"
        case .array(let items): "[" + items.map(\.description).joined(separator: ",") + "]"
        case .string(let text): text.debugDescription
        case .number(let text): text
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }

    /// Reads one value with the cursor's public API.
    static func read(_ cursor: inout JSONCursor) throws(ExchangeParseError) -> JSONTree {
        switch try cursor.peek() {
        case .object:
            var members: [(String, JSONTree)] = []
            try cursor.object { key, c throws(ExchangeParseError) in members.append((key.string, try read(&c))) }
            return .object(members)
        case .array:
            var items: [JSONTree] = []
            try cursor.array { c throws(ExchangeParseError) in items.append(try read(&c)) }
            return .array(items)
        case .string: return .string(try cursor.string())
        case .number: return .number(try cursor.decimal().description)
        case .bool: return .bool(try cursor.bool())
        case .null:
            guard cursor.null() else { throw ExchangeParseError(.malformedJSON, "bad null") }
            return .null
        }
    }

    /// Parses a whole document.
    static func parse(_ text: String) throws(ExchangeParseError) -> JSONTree {
        try JSONCursor.parse(Array(text.utf8)) { c throws(ExchangeParseError) in
            let tree = try read(&c)
            try c.finish()
            return tree
        }
    }
}

/// Runs `body` on a cursor over `text`.
private func withCursor<T>(
    _ text: String, _ body: (inout JSONCursor) throws(ExchangeParseError) -> T
) throws(ExchangeParseError) -> T {
    try JSONCursor.parse(Array(text.utf8), body)
}

/// The kind of error `body` throws, or `nil` when it does not throw.
private func errorKind(_ body: () throws -> Void) -> ExchangeParseError.Kind? {
    do {
        try body()
        return nil
    } catch let error as ExchangeParseError {
        return error.kind
    } catch {
        Issue.record("unexpected error type: \(error)")
        return nil
    }
}

@Suite("JSONCursor")
struct JSONCursorTests {
    // MARK: - Kinds

    @Test("peek reports every kind after whitespace")
    func kinds() throws {
        let cases: [(String, JSONKind)] = [
            (" {}", .object), ("\n[]", .array), ("\t\"x\"", .string), ("\r\n-1", .number), ("0", .number),
            ("true", .bool), ("false", .bool), ("null", .null),
        ]
        for (text, kind) in cases {
            #expect(try withCursor(text) { c throws(ExchangeParseError) in try c.peek() } == kind, "\(text)")
        }
        #expect(
            errorKind { try withCursor("   ") { c throws(ExchangeParseError) in _ = try c.peek() } } == .malformedJSON)
        #expect(
            errorKind { try withCursor("x") { c throws(ExchangeParseError) in _ = try c.peek() } } == .malformedJSON)
    }

    @Test("objects, arrays and scalars read in one pass with key matching")
    func objectWalk() throws {
        let text =
            #"{"e":"trade","E":1700000000123,"p":"0.00010000","q":12.5,"m":true,"n":null,"a":[1,2,3],"o":{"x":[]}}"#
        try withCursor(text) { c throws(ExchangeParseError) in
            var seen: [String] = []
            try c.object { key, c throws(ExchangeParseError) in
                seen.append(key.string)
                switch key {
                case "e": #expect(try c.string() == "trade")
                case "E": #expect(try c.int64() == 1_700_000_000_123)
                case "p": #expect(try c.decimal().description == "0.00010000")
                case "q": #expect(try c.decimal().description == "12.5")
                case "m": #expect(try c.bool() == true)
                case "n":
                    let wasNull = c.null()
                    #expect(wasNull)
                case "a":
                    var values: [UInt64] = []
                    try c.array { c throws(ExchangeParseError) in values.append(try c.uint64()) }
                    #expect(values == [1, 2, 3])
                default: try c.skip()
                }
            }
            try c.finish()
            #expect(seen == ["e", "E", "p", "q", "m", "n", "a", "o"])
        }
        #expect(JSONKey(UnsafeRawBufferPointer(start: nil, count: 0)) == "")
    }

    @Test("empty containers and deep-but-legal nesting")
    func nesting() throws {
        #expect(try JSONTree.parse("{}") == .object([]))
        #expect(try JSONTree.parse("[ ]") == .array([]))
        #expect(try JSONTree.parse("[[[]],{}]") == .array([.array([.array([])]), .object([])]))
        let legal =
            String(repeating: "[", count: JSONCursor.maxDepth) + String(repeating: "]", count: JSONCursor.maxDepth)
        #expect(throws: Never.self) { try JSONTree.parse(legal) }
        let deep =
            String(repeating: "[", count: JSONCursor.maxDepth + 1)
            + String(repeating: "]", count: JSONCursor.maxDepth + 1)
        #expect(errorKind { _ = try JSONTree.parse(deep) } == .malformedJSON)
        let deepObjects = String(repeating: #"{"a":"#, count: 100) + "1" + String(repeating: "}", count: 100)
        #expect(errorKind { _ = try JSONTree.parse(deepObjects) } == .malformedJSON)
        var skipped = JSONCursor(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(errorKind { try skipped.skip() } == .malformedJSON)
        // skip() enforces the depth limit too.
        #expect(errorKind { try withCursor(deep) { c throws(ExchangeParseError) in try c.skip() } } == .malformedJSON)
    }

    @Test("whitespace anywhere between tokens")
    func whitespace() throws {
        let text = " \n\t{ \r\n\"a\" \t: [ 1 , \"b\" , { } ] ,\"c\":true } \n"
        #expect(
            try JSONTree.parse(text)
                == .object([("a", .array([.number("1"), .string("b"), .object([])])), ("c", .bool(true))]))
    }

    // MARK: - Strings

    @Test("escapes and unicode are decoded")
    func escapes() throws {
        let cases: [(String, String)] = [
            (#""a\"b""#, "a\"b"), (#""\\""#, "\\"), (#""\/""#, "/"), (#""\b\f\n\r\t""#, "\u{08}\u{0C}\n\r\t"),
            (#""\u0041\u00e9\u20AC""#, "Aé€"), (#""\ud83d\ude00""#, "😀"), (#""\uD834\uDD1E x""#, "𝄞 x"),
            ("\"héllo 世界 😀\"", "héllo 世界 😀"), (#""""#, ""), (#""\u0000""#, "\u{0}"),
        ]
        for (json, expected) in cases {
            #expect(try withCursor(json) { c throws(ExchangeParseError) in try c.string() } == expected, "\(json)")
        }
        let bad = [
            #""\x""#, #""\u12""#, #""\u12G4""#, #""\ud83d""#, #""\ud83dx""#, #""\ude00""#, #""\ud83d\u0041""#,
            "\"a\u{01}b\"", "\"tab\there\"", #""abc"#, #""\"#,
        ]
        for json in bad {
            #expect(
                errorKind { _ = try withCursor(json) { c throws(ExchangeParseError) in try c.string() } }
                    == .malformedJSON, "\(json)")
        }
        // Invalid UTF-8 bytes in a string.
        let invalidUTF8: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        #expect(
            errorKind { _ = try JSONCursor.parse(invalidUTF8) { c throws(ExchangeParseError) in try c.string() } }
                == .malformedJSON)
        // rawString keeps escapes as written.
        try withCursor(#""BTC\u0055SDT""#) { c throws(ExchangeParseError) in
            let raw = try c.rawString()
            #expect(String(decoding: raw, as: UTF8.self) == #"BTC\u0055SDT"#)
        }
    }

    @Test("keys are raw bytes and compare to literals")
    func keys() throws {
        try withCursor(#"{"lastUpdateId":1,"bids":2,"b":3,"":4}"#) { c throws(ExchangeParseError) in
            var hits: [Int64] = []
            try c.object { key, c throws(ExchangeParseError) in
                if key == "lastUpdateId" {
                    hits.append(try c.int64() * 10)
                } else if key == "b" {
                    hits.append(try c.int64() * 100)
                } else if key == "" {
                    hits.append(try c.int64() * 1000)
                } else {
                    #expect(!(key == "bid")); #expect(!(key == "bidsx")); try c.skip()
                }
            }
            #expect(hits == [10, 300, 4000])
        }
    }

    // MARK: - Numbers

    @Test("decimals keep the exact text, from strings and number tokens")
    func decimals() throws {
        for text in [
            "0.00010000", "12345.67800000", "-1.5", "0", "0.0", "99999999999999999999999999999999999999",
            "0.00000000000000000000000000000000000001",
        ] {
            #expect(
                try withCursor("\"\(text)\"") { c throws(ExchangeParseError) in try c.decimal() }.description == text)
            #expect(try withCursor(text) { c throws(ExchangeParseError) in try c.decimal() }.description == text)
        }
    }

    @Test("decimals reject exponents, NaN, Infinity, empty, odd forms and other kinds")
    func decimalRejections() throws {
        let invalid = [
            "1e5", "1E5", "1.5e-3", "\"1e5\"", "\"NaN\"", "\"Infinity\"", "\"-Infinity\"", "\"\"", "\"01\"", "\"+1\"",
            "\".5\"", "\"1.\"", "\" 1\"", "\"1,5\"", "\"0x10\"", "true", "null", "{}", "[]",
            "\"123456789012345678901234567890123456789\"", "123456789012345678901234567890123456789", "\"1\\u0030\"",
        ]
        for text in invalid {
            #expect(
                errorKind { _ = try withCursor(text) { c throws(ExchangeParseError) in try c.decimal() } }
                    == .invalidValue, "\(text)")
        }
        for text in ["NaN", "Infinity", "-", "01x", "1.", ".5", "+1", "--1"] {
            let kind = errorKind {
                try withCursor(text) { c throws(ExchangeParseError) in
                    _ = try c.decimal()
                    try c.finish()
                }
            }
            #expect(kind == .malformedJSON, "\(text)")
        }
    }

    @Test("the short-decimal fast path agrees with ExactDecimal.parse on random text")
    func decimalFastPathDifferential() throws {
        var rng = SplitMix64(seed: 99)
        let alphabet = Array("0000123456789..-")
        var checked = 0
        for round in 0..<20_000 {
            let text: String
            if round % 2 == 0 {
                text = String(
                    (0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            } else {
                let whole = String(UInt64.random(in: 0...UInt64.max, using: &rng)).prefix(
                    Int.random(in: 1...20, using: &rng))
                let fraction = String(
                    (0..<Int.random(in: 0...20, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
                text = (Bool.random(using: &rng) ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
            }
            let reference = ExactDecimal(text)
            let mine = try? withCursor("\"\(text)\"") { c throws(ExchangeParseError) in try c.decimal() }
            #expect(mine?.mantissa == reference?.mantissa && mine?.scale == reference?.scale, "\(text)")
            if reference != nil { checked += 1 }
        }
        #expect(checked > 9_000)
    }

    @Test("decimalPair reads [price, quantity] and skips extras")
    func decimalPair() throws {
        let pair = try withCursor(#"[ "0.0024" , "10", 3, ["x"] ]"#) { c throws(ExchangeParseError) in
            try c.decimalPair()
        }
        #expect(pair.0.description == "0.0024" && pair.1.description == "10")
        #expect(try withCursor("[1.5,2]") { c throws(ExchangeParseError) in try c.decimalPair() }.1.description == "2")
        #expect(
            errorKind { _ = try withCursor("[]") { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .missingField)
        #expect(
            errorKind { _ = try withCursor(#"["1"]"#) { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .missingField)
        #expect(
            errorKind { _ = try withCursor(#"["1" "2"]"#) { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .malformedJSON)
        #expect(
            errorKind { _ = try withCursor(#"["1","x"]"#) { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .invalidValue)
        #expect(
            errorKind { _ = try withCursor(#"{"a":1}"#) { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .invalidValue)
        #expect(
            errorKind { _ = try withCursor(#"["1","2""#) { c throws(ExchangeParseError) in try c.decimalPair() } }
                == .malformedJSON)
    }

    @Test("integers from tokens and digit strings, range-checked")
    func integers() throws {
        func int(_ text: String) throws(ExchangeParseError) -> Int64 {
            try withCursor(text) { c throws(ExchangeParseError) in try c.int64() }
        }
        func uint(_ text: String) throws(ExchangeParseError) -> UInt64 {
            try withCursor(text) { c throws(ExchangeParseError) in try c.uint64() }
        }
        #expect(try int("1700000000000") == 1_700_000_000_000)
        #expect(try int("\"1700000000000\"") == 1_700_000_000_000)
        #expect(try int("-42") == -42)
        #expect(try int("9223372036854775807") == Int64.max)
        #expect(try int("-9223372036854775808") == Int64.min)
        #expect(try uint("18446744073709551615") == UInt64.max)
        #expect(try uint("0") == 0)
        for text in [
            "9223372036854775808", "-9223372036854775809", "1.0", "1e3", "\"\"", "\"1.5\"", "\"01\"", "\"-\"", "true",
            "\"x\"", "[1]",
        ] {
            #expect(errorKind { _ = try int(text) } == .invalidValue, "\(text)")
        }
        for text in ["18446744073709551616", "-1", "\"-1\"", "99999999999999999999999999", "1.5"] {
            #expect(errorKind { _ = try uint(text) } == .invalidValue, "\(text)")
        }
        // Huge numbers are still skippable and well-formed.
        let huge = "[" + String(repeating: "9", count: 5000) + ".5e+999]"
        #expect(throws: Never.self) {
            try withCursor(huge) { c throws(ExchangeParseError) in
                try c.skip(); try c.finish()
            }
        }
    }

    @Test("number grammar is strict")
    func numberGrammar() throws {
        for bad in [
            "[01]", "[1.]", "[.1]", "[-]", "[1e]", "[1e+]", "[+1]", "[1.e5]", "[- 1]", "[0x1]", "[Infinity]", "[NaN]",
        ] {
            #expect(
                errorKind {
                    try withCursor(bad) { c throws(ExchangeParseError) in
                        try c.skip(); try c.finish()
                    }
                } == .malformedJSON, "\(bad)")
        }
        for good in ["[0]", "[-0]", "[1.5E+3]", "[1e-7]", "[-0.0e0]", "[123]"] {
            #expect(throws: Never.self) {
                try withCursor(good) { c throws(ExchangeParseError) in
                    try c.skip(); try c.finish()
                }
            }
        }
    }

    // MARK: - Literals and structure

    @Test("bool and null")
    func literals() throws {
        #expect(try withCursor("true") { c throws(ExchangeParseError) in try c.bool() })
        #expect(try !withCursor("false") { c throws(ExchangeParseError) in try c.bool() })
        #expect(errorKind { _ = try withCursor("1") { c throws(ExchangeParseError) in try c.bool() } } == .invalidValue)
        #expect(
            errorKind { _ = try withCursor("tru") { c throws(ExchangeParseError) in try c.bool() } } == .malformedJSON)
        #expect(
            errorKind { _ = try withCursor("trux") { c throws(ExchangeParseError) in try c.bool() } } == .malformedJSON)
        try withCursor("[null, 1, nul]") { c throws(ExchangeParseError) in
            var index = 0
            let kind = errorKind {
                try c.array { c throws(ExchangeParseError) in
                    defer { index += 1 }
                    if index == 0 { let n = c.null(); #expect(n) }
                    if index == 1 { let n = c.null(); #expect(!n); _ = try c.int64() }
                    if index == 2 { let n = c.null(); #expect(!n); try c.skip() }
                }
            }
            #expect(kind == .malformedJSON)
        }
    }

    @Test("structural errors are malformedJSON")
    func structure() throws {
        let bad = [
            "{", "}", "[", "]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "[1,]", "[,1]", "{a:1}", "{'a':1}", "[1 2]",
            "{\"a\":1 \"b\":2}", "[1]]", "{}{}", "[1]x", "{\"a\":1]", "[1}", "", " ", "\"abc",
        ]
        for text in bad {
            #expect(errorKind { _ = try JSONTree.parse(text) } == .malformedJSON, "\(text)")
        }
        // A body that does not consume an element is caught, never loops.
        #expect(
            errorKind {
                try withCursor("[1,2]") { c throws(ExchangeParseError) in
                    try c.array { _ throws(ExchangeParseError) in }
                }
            } == .malformedJSON)
        #expect(
            errorKind {
                try withCursor("{\"a\":1}") { c throws(ExchangeParseError) in
                    try c.object { _, _ throws(ExchangeParseError) in }
                }
            } == .malformedJSON)
        // Wrong kinds are invalidValue.
        #expect(
            errorKind {
                try withCursor("[1]") { c throws(ExchangeParseError) in
                    try c.object { _, c throws(ExchangeParseError) in try c.skip() }
                }
            } == .invalidValue)
        #expect(
            errorKind {
                try withCursor("{}") { c throws(ExchangeParseError) in
                    try c.array { c throws(ExchangeParseError) in try c.skip() }
                }
            } == .invalidValue)
        #expect(
            errorKind { _ = try withCursor("12") { c throws(ExchangeParseError) in try c.string() } } == .invalidValue)
    }

    @Test("errors name the byte offset and never the payload")
    func errorDetail() throws {
        do throws(ExchangeParseError) {
            _ = try JSONTree.parse(#"{"secretfield": 12 34}"#)
            Issue.record("expected a throw")
        } catch {
            #expect(error.detail.contains("byte 19"))
            #expect(!error.detail.contains("secretfield"))
        }
    }

    // MARK: - Truncation and corruption

    static let sample = #"""
        {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1700000000123,"s":"BTCUSDT","U":157,"u":160,
        "b":[["0.0024","10"],["0.0023","-0"]],"a":[["0.0026","100"]],"x":[true,false,null,-1.5,"\u00e9\ud83d\ude00\n"]}}
        """#

    @Test("every truncation of a sample throws, never crashes or hangs")
    func truncation() throws {
        let bytes = Array(Self.sample.utf8)
        #expect(throws: Never.self) {
            try JSONCursor.parse(bytes) { c throws(ExchangeParseError) in
                _ = try JSONTree.read(&c); try c.finish()
            }
        }
        #expect(throws: Never.self) {
            try JSONCursor.parse(bytes) { c throws(ExchangeParseError) in
                try c.skip(); try c.finish()
            }
        }
        for length in 0..<bytes.count where !bytes[length...].allSatisfy({ $0 == 0x20 || $0 == 0x0A }) {
            let prefix = Array(bytes[..<length])
            let viaTree = errorKind {
                _ = try JSONCursor.parse(prefix) { c throws(ExchangeParseError) in
                    let t = try JSONTree.read(&c); try c.finish(); return t
                }
            }
            let viaSkip = errorKind {
                try JSONCursor.parse(prefix) { c throws(ExchangeParseError) in
                    try c.skip(); try c.finish()
                }
            }
            #expect(viaTree == .malformedJSON, "prefix \(length)")
            #expect(viaSkip == .malformedJSON, "prefix \(length)")
        }
        // Exponents are legal JSON (skip() accepts them) even though decimal() refuses them.
        let withExponent = Array(#"{"a":[-1.5e+3,2E-7,0e0],"b":"x"}"#.utf8)
        #expect(throws: Never.self) {
            try JSONCursor.parse(withExponent) { c throws(ExchangeParseError) in
                try c.skip(); try c.finish()
            }
        }
        for length in 0..<withExponent.count {
            let prefix = Array(withExponent[..<length])
            #expect(
                errorKind {
                    try JSONCursor.parse(prefix) { c throws(ExchangeParseError) in
                        try c.skip(); try c.finish()
                    }
                } == .malformedJSON)
        }
    }

    @Test("random byte corruption throws or parses, never crashes")
    func corruption() throws {
        var rng = SplitMix64(seed: 7)
        let bytes = Array(Self.sample.utf8)
        let alphabet = Array("{}[]\":,\\0123456789-.eEtfnu \u{7F}".utf8) + [0x00, 0x80, 0xFF]
        for _ in 0..<3000 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                mutated[Int.random(in: 0..<mutated.count, using: &rng)] = alphabet.randomElement(using: &rng)!
            }
            _ = errorKind {
                try JSONCursor.parse(mutated) { c throws(ExchangeParseError) in
                    try c.skip(); try c.finish()
                }
            }
            _ = errorKind {
                _ = try JSONCursor.parse(mutated) { c throws(ExchangeParseError) in try JSONTree.read(&c) }
            }
        }
    }

    // MARK: - Differential test against Foundation

    @Test("generated documents parse as JSONSerialization parses them")
    func differential() throws {
        var rng = SplitMix64(seed: 20_261_201)
        for round in 0..<400 {
            var generator = DocumentGenerator(rng: rng)
            let (text, expected) = generator.value(depth: 0)
            rng = generator.rng
            let mine: JSONTree
            do throws(ExchangeParseError) {
                mine = try JSONTree.parse(text)
            } catch {
                Issue.record("round \(round): cursor rejected a valid document: \(error)\n\(text)")
                continue
            }
            #expect(mine == expected, "round \(round): \(text)")
            let foundation = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
            #expect(Self.matches(mine, foundation), "round \(round): Foundation disagrees on \(text)")
        }
    }

    /// Whether a cursor tree and a JSONSerialization value describe the same document.
    fileprivate static func matches(_ tree: JSONTree, _ value: Any) -> Bool {
        switch tree {
        case .object(let members):
            guard let dictionary = value as? [String: Any], dictionary.count == members.count else { return false }
            return members.allSatisfy { key, member in dictionary[key].map { matches(member, $0) } ?? false }
        case .array(let items):
            guard let array = value as? [Any], array.count == items.count else { return false }
            return zip(items, array).allSatisfy { matches($0, $1) }
        case .string(let text): return (value as? String) == text
        case .number(let text):
            guard let number = value as? NSNumber else { return false }
            let expected = Double(text)!
            return number.doubleValue == expected || abs(number.doubleValue - expected) <= abs(expected) * 1e-12
        case .bool(let flag): return (value as? Bool) == flag
        case .null: return value is NSNull
        }
    }
}

// MARK: - Generators

/// A small deterministic RNG so failures reproduce.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random JSON text with the tree it stands for: varied whitespace, escapes of every form, non-ASCII
/// text, integers and exact decimals (no exponents: the cursor refuses them as decimals by design).
private struct DocumentGenerator {
    var rng: SplitMix64

    mutating func ws() -> String {
        [" ", "", "", "\n", "\t", "\r\n  "].randomElement(using: &rng)!
    }

    mutating func value(depth: Int) -> (String, JSONTree) {
        let choice = depth >= 5 ? Int.random(in: 2...6, using: &rng) : Int.random(in: 0...6, using: &rng)
        switch choice {
        case 0:
            var members: [(String, JSONTree)] = []
            var parts: [String] = []
            var keys = Set<String>()
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let key = plainKey()
                let keyText = "\"" + key + "\""
                guard keys.insert(key).inserted else { continue }
                let (valueText, member) = value(depth: depth + 1)
                parts.append(ws() + keyText + ws() + ":" + ws() + valueText + ws())
                members.append((key, member))
            }
            return ("{" + ws() + parts.joined(separator: ",") + "}", .object(members))
        case 1:
            var items: [JSONTree] = []
            var parts: [String] = []
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                let (text, item) = value(depth: depth + 1)
                parts.append(ws() + text + ws())
                items.append(item)
            }
            return ("[" + ws() + parts.joined(separator: ",") + "]", .array(items))
        case 2:
            let (text, decoded) = string()
            return (text, .string(decoded))
        case 3:
            let integer = Int64.random(in: -1_000_000_000_000...1_000_000_000_000, using: &rng)
            return ("\(integer)", .number("\(integer)"))
        case 4:
            let whole = Int.random(in: 0...99999, using: &rng)
            let fraction = String(
                (0..<Int.random(in: 1...8, using: &rng)).map { _ in "0123456789".randomElement(using: &rng)! })
            let text = (Bool.random(using: &rng) ? "-" : "") + "\(whole).\(fraction)"
            return (text, .number(ExactDecimal(text)!.description))
        case 5:
            let flag = Bool.random(using: &rng)
            return ("\(flag)", .bool(flag))
        default:
            return ("null", .null)
        }
    }

    /// A key as exchanges write them: no escapes (``JSONKey`` hands out raw bytes by design).
    mutating func plainKey() -> String {
        String((0..<Int.random(in: 0...6, using: &rng)).map { _ in "abcXYZ019_@é€😀 ".randomElement(using: &rng)! })
    }

    /// A JSON string literal and its decoded text.
    mutating func string() -> (String, String) {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\u{08}", "\u{0C}", "\n", "\r", "\t", "\u{01}", "\u{1F}", "é", "ß",
            "€", "世", "\u{FFFD}", "😀", "𝄞", "\u{7F}",
        ]
        var text = "\""
        var decoded = ""
        for _ in 0..<Int.random(in: 0...8, using: &rng) {
            let scalar = pool.randomElement(using: &rng)!
            decoded.unicodeScalars.append(scalar)
            let forceEscape = Int.random(in: 0..<4, using: &rng) == 0
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "/": text += forceEscape ? "\\/" : "/"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            default:
                if scalar.value < 0x20 || forceEscape {
                    for unit in String(scalar).utf16 {
                        let hex = String(unit, radix: 16, uppercase: Bool.random(using: &rng))
                        text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    }
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        return (text + "\"", decoded)
    }
}
