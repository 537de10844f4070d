import CryptodModel
import Foundation
import Testing

/// `ExactDecimal(text)` through a variable: with a literal argument Swift picks `init(stringLiteral:)`, which
/// traps instead of returning `nil`.
func parsed(_ text: String) -> ExactDecimal? { ExactDecimal(text) }

@Suite("ExactDecimal")
struct ExactDecimalTests {
    // MARK: - Parsing

    /// The grammar from the type's documentation, written independently of the parser.
    static func matchesGrammar(_ text: String) -> Bool {
        let grammar = try! Regex("^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$")
        guard (try? grammar.wholeMatch(in: text)) != nil else { return false }
        let unsigned = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
        let fraction = unsigned.split(separator: ".").dropFirst().first ?? ""
        let significant = unsigned.filter { $0 != "." }.drop(while: { $0 == "0" })
        return fraction.count <= 38 && significant.count <= 38
    }

    static let rejected: [String] = [
        "", "-", ".5", "5.", "+1", "1e5", "1E5", "01", "00", "-01", "00.5", "1.2.3", " 1", "1 ", "\t1", "1\n", "NaN",
        "nan", "Infinity", "-.5", "--1", "-+1", "1,5", "0x10", "1_000", ".", "-.", "1..2", "1.-2", "\u{0}1",
        "\u{2212}1", "\u{0661}", "\u{FF14}", "１", "1.2e-3", "e", "-0x1", "0.5.", "١٢",
        String(repeating: "9", count: 39),
        "1" + String(repeating: "0", count: 38),
        "-" + String(repeating: "9", count: 39),
        "0." + String(repeating: "0", count: 39),
        "0." + String(repeating: "1", count: 39),
        "1." + String(repeating: "0", count: 38),
        String(repeating: "9", count: 20) + "." + String(repeating: "9", count: 19),
    ]

    @Test("rejects text outside the grammar", arguments: rejected)
    func rejectsBadText(_ text: String) {
        #expect(ExactDecimal(text) == nil, "accepted \(text.debugDescription)")
        #expect(!Self.matchesGrammar(text), "the table itself is wrong about \(text.debugDescription)")
    }

    static let accepted: [String] = [
        "0", "-0", "0.0", "1", "-1", "10", "0.5", "-0.5", "123.456", "0.00010000", "30000.00000000",
        String(repeating: "9", count: 38), "-" + String(repeating: "9", count: 38),
        "0." + String(repeating: "0", count: 37) + "1", "0." + String(repeating: "9", count: 38),
        "0." + String(repeating: "0", count: 38), "1" + String(repeating: "0", count: 37),
        String(repeating: "9", count: 19) + "." + String(repeating: "9", count: 19),
        "-0." + String(repeating: "0", count: 37) + "1",
    ]

    @Test("accepts the grammar up to 38 digits and prints it back", arguments: accepted)
    func acceptsGoodText(_ text: String) throws {
        let value = try #require(ExactDecimal(text), "rejected \(text)")
        #expect(Self.matchesGrammar(text))
        if Self.isNegativeZero(text) {
            #expect(value.description == String(text.dropFirst()))
        } else {
            #expect(value.description == text)
        }
        var bytes: [UInt8] = []
        value.appendText(to: &bytes)
        #expect(bytes == Array(value.description.utf8))
    }

    static func isNegativeZero(_ text: String) -> Bool {
        text.hasPrefix("-") && text.allSatisfy { "-0.".contains($0) }
    }

    @Test("parse reports why a text was rejected")
    func parseErrors() {
        func reason(_ text: String) -> ExactDecimal.ParseError.Reason? {
            var text = text
            return text.withUTF8 { bytes -> ExactDecimal.ParseError.Reason? in
                do throws(ExactDecimal.ParseError) {
                    _ = try ExactDecimal.parse(UnsafeRawBufferPointer(bytes))
                    return nil
                } catch { return error.reason }
            }
        }
        #expect(reason("") == .empty)
        #expect(reason("1x") == .malformed)
        #expect(reason("01") == .malformed)
        #expect(reason(String(repeating: "7", count: 39)) == .tooManyDigits)
        #expect(reason("0." + String(repeating: "0", count: 39)) == .tooManyDigits)
        #expect(reason("42.5") == nil)
    }

    @Test("random texts: accepted exactly when the grammar matches, and printed back byte for byte")
    func randomTextsAgainstGrammar() {
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed)
        let alphabet = Array("-+.0123456789e 0011223344556677889")
        var accepted = 0
        for iteration in 0..<20_000 {
            let length = Int.random(in: 0...14, using: &random)
            let text = String((0..<length).map { _ in alphabet.randomElement(using: &random)! })
            let parsed = ExactDecimal(text)
            let expected = Self.matchesGrammar(text)
            let context = "seed \(seed), #\(iteration)"
            #expect(
                (parsed != nil) == expected,
                "\(text.debugDescription): parser says \(parsed != nil), grammar \(expected) (\(context))")
            if let parsed {
                accepted += 1
                let printed = Self.isNegativeZero(text) ? String(text.dropFirst()) : text
                #expect(parsed.description == printed, "seed \(seed), #\(iteration)")
            }
        }
        #expect(accepted > 1_000, "the generator should produce valid decimals too")
    }

    @Test("negative zero parses, equals zero and prints without its sign but with its scale")
    func negativeZero() throws {
        let value = try #require(parsed("-0.00"))
        #expect(value == .zero)
        #expect(!value.isNegative)
        #expect(value.scale == 2)
        #expect(value.description == "0.00")
    }

    // MARK: - Real exchange text

    /// Every decimal-looking string in the exchange fixtures (shared/ sits beside the repository).
    static func fixtureStrings() throws -> [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let directory =
            ProcessInfo.processInfo.environment["CRYPTOD_FIXTURES_DIR"].map { URL(fileURLWithPath: $0) }
            ?? root.deletingLastPathComponent().appendingPathComponent("shared/exchanges/fixtures")
        var isDirectory: ObjCBool = false
        try #require(
            FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) && isDirectory.boolValue,
            "exchange fixtures not found at \(directory.path); set CRYPTOD_FIXTURES_DIR")
        let files = try #require(
            FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil)?.allObjects as? [URL],
            "exchange fixtures not found at \(directory.path); set CRYPTOD_FIXTURES_DIR")
        var strings: [String] = []
        func walk(_ value: Any) {
            if let object = value as? [String: Any] {
                object.values.forEach(walk)
            } else if let array = value as? [Any] {
                array.forEach(walk)
            } else if let string = value as? String {
                strings.append(string)
            }
        }
        for file in files where file.pathExtension == "json" {
            walk(try JSONSerialization.jsonObject(with: Data(contentsOf: file), options: [.fragmentsAllowed]))
        }
        let looksNumeric = try Regex("^[-+]?[0-9][0-9.eE+-]*$")
        return strings.filter { (try? looksNumeric.wholeMatch(in: $0)) != nil }
    }

    @Test("every decimal string in the exchange fixtures round-trips byte for byte")
    func fixturesRoundTrip() throws {
        let candidates = try Self.fixtureStrings()
        var roundTripped = 0
        for text in candidates {
            if Self.matchesGrammar(text) {
                let value = try #require(ExactDecimal(text), "rejected fixture value \(text)")
                #expect(value.description == text)
                roundTripped += 1
            } else {
                // IP addresses and the like: they look numeric but are not decimals.
                #expect(ExactDecimal(text) == nil, "accepted \(text)")
            }
        }
        #expect(roundTripped >= 300, "only \(roundTripped) decimal strings found in the fixtures")
    }

    // MARK: - Equality, hashing, ordering

    @Test("equality is numeric across scales, with matching hashes")
    func equalityAcrossScales() throws {
        let groups: [[String]] = [
            ["1", "1.0", "1.00", "1.00000000000000000000000000000000000"],
            ["0", "0.0", "-0", "-0.000", "0." + String(repeating: "0", count: 38)],
            ["-0.5", "-0.50", "-0.500000"],
            ["123.4500", "123.45"],
        ]
        for group in groups {
            let values = try group.map { try #require(ExactDecimal($0)) }
            for a in values {
                for b in values {
                    #expect(a == b, "\(a) != \(b)")
                    #expect(a.hashValue == b.hashValue, "hash of \(a) != hash of \(b)")
                    #expect(!(a < b))
                    #expect(a.isIdentical(to: b) == (a.scale == b.scale))
                }
            }
            #expect(Set(values).count == 1)
        }
        #expect(parsed("1.0") != parsed("1.01"))
        #expect(parsed("0.1") != parsed("-0.1"))
    }

    @Test("ordering agrees with digit-string arithmetic on random values")
    func orderingAgainstReference() {
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0x0DE)
        for iteration in 0..<5_000 {
            let (a, ra) = Self.randomDecimal(&random)
            // A third of the pairs are the same number at another scale, or a neighbour of it.
            let (b, rb): (ExactDecimal, ReferenceDecimal)
            switch Int.random(in: 0..<3, using: &random) {
            case 0: (b, rb) = Self.randomDecimal(&random)
            case 1:
                let newScale = UInt8.random(in: a.scale...38, using: &random)
                if let rescaled = a.rescaled(to: newScale) {
                    (b, rb) = (rescaled, ReferenceDecimal(rescaled.description))
                } else {
                    (b, rb) = (a, ra)
                }
            default:
                let unit = ExactDecimal(mantissa: Bool.random(using: &random) ? 1 : -1, scale: a.scale)!
                if let neighbour = a.adding(unit) {
                    (b, rb) = (neighbour, ReferenceDecimal(neighbour.description))
                } else {
                    (b, rb) = (a, ra)
                }
            }
            let expected = ReferenceDecimal.compare(ra, rb)
            let context = "\(a) vs \(b) (seed \(seed), #\(iteration))"
            #expect((a < b) == (expected < 0), "\(context)")
            #expect((a == b) == (expected == 0), "\(context)")
            #expect((a > b) == (expected > 0), "\(context)")
            if expected == 0 { #expect(a.hashValue == b.hashValue, "\(context)") }
        }
    }

    @Test("sorting agrees with the reference, including across extreme scales")
    func sortingAgainstReference() {
        var random = SeededRandom(seed: SeededRandom.propertySeed ^ 0x50A7)
        var values = (0..<300).map { _ in Self.randomDecimal(&random) }
        values += [
            "99999999999999999999999999999999999999", "-99999999999999999999999999999999999999",
            "0.00000000000000000000000000000000000001", "-0.00000000000000000000000000000000000001",
            "0.99999999999999999999999999999999999999", "1", "0",
        ].map { (ExactDecimal($0)!, ReferenceDecimal($0)) }
        let sorted = values.map(\.0).sorted()
        let expected = values.sorted { ReferenceDecimal.compare($0.1, $1.1) < 0 }.map(\.0)
        #expect(zip(sorted, expected).allSatisfy { $0 == $1 })
    }

    // MARK: - Arithmetic

    @Test("add, subtract and multiply are exact and nil exactly when the result cannot be held")
    func arithmeticAgainstReference() {
        let seed = SeededRandom.propertySeed
        var random = SeededRandom(seed: seed ^ 0xA1)
        var nils = (add: 0, multiply: 0)
        for iteration in 0..<5_000 {
            let (a, ra) = Self.randomDecimal(&random)
            let (b, rb) = Self.randomDecimal(&random)
            let context = "\(a), \(b) (seed \(seed), #\(iteration))"

            let sum = ra + rb
            let expectedSum = sum.mantissaDigits <= 38 ? sum.description : nil
            #expect(a.adding(b)?.description == expectedSum, "add \(context)")
            if expectedSum == nil { nils.add += 1 }

            let difference = ra + -rb
            let expectedDifference = difference.mantissaDigits <= 38 ? difference.description : nil
            #expect(a.subtracting(b)?.description == expectedDifference, "subtract \(context)")

            let product = ra * rb
            let expectedProduct = product.mantissaDigits <= 38 && product.scale <= 38 ? product.description : nil
            #expect(a.multiplied(by: b)?.description == expectedProduct, "multiply \(context)")
            if expectedProduct == nil { nils.multiply += 1 }
        }
        // The generator must exercise both outcomes, or the test proves little.
        #expect(nils.add > 50 && nils.add < 4_000)
        #expect(nils.multiply > 50 && nils.multiply < 4_900)
    }

    @Test("arithmetic at the 38-digit edge")
    func arithmeticEdges() throws {
        let max = try #require(ExactDecimal(String(repeating: "9", count: 38)))
        let one: ExactDecimal = "1"
        #expect(max.adding(one) == nil)
        #expect(max.adding(.zero)?.isIdentical(to: max) == true)
        #expect(ExactDecimal(mantissa: -max.mantissa, scale: 0)!.subtracting(one) == nil)
        #expect(max.subtracting(max)?.description == "0")
        #expect(max.multiplied(by: one)?.isIdentical(to: max) == true)
        #expect(max.multiplied(by: "10") == nil)
        #expect(max.multiplied(by: "-1")?.description == "-" + max.description)
        // The aligned operand passes 10^38 but the sum does not: still exact.
        let big: ExactDecimal = "18000000000000000000000000000000000000"
        let negative: ExactDecimal = "-9000000000000000000000000000000000000.0"
        #expect(big.adding(negative)?.description == "9000000000000000000000000000000000000.0")
        #expect(negative.adding(big)?.description == "9000000000000000000000000000000000000.0")
        // Scales add up in a product; past 38 there is no room.
        let tiny: ExactDecimal = "0.0000000000000000001"
        #expect(tiny.multiplied(by: tiny)?.description == "0.00000000000000000000000000000000000001")
        #expect(tiny.multiplied(by: "0.00000000000000000001") == nil)
        #expect(parsed("1.5")!.multiplied(by: "-0.2")?.description == "-0.30")
        #expect(parsed("0.1")!.adding("0.2")?.description == "0.3")
        #expect(parsed("1.10")!.subtracting("1.1")?.description == "0.00")
    }

    // MARK: - Scale

    @Test("rescaled pads or drops zeros only, and is nil otherwise")
    func rescaled() throws {
        let value: ExactDecimal = "12.340"
        #expect(value.rescaled(to: 5)?.description == "12.34000")
        #expect(value.rescaled(to: 2)?.description == "12.34")
        #expect(value.rescaled(to: 1) == nil)
        #expect(value.rescaled(to: 3)?.isIdentical(to: value) == true)
        #expect(value.rescaled(to: 36)?.description == "12." + "34" + String(repeating: "0", count: 34))
        #expect(value.rescaled(to: 37) == nil, "39 digits")
        #expect(value.rescaled(to: 39) == nil)
        #expect(value.rescaled(to: 255) == nil)
        #expect(parsed("-1")!.rescaled(to: 37)?.description == "-1." + String(repeating: "0", count: 37))
        #expect(parsed("0")!.rescaled(to: 38)?.description == "0." + String(repeating: "0", count: 38))
        #expect(parsed("100")!.rescaled(to: 0)?.description == "100")
    }

    @Test("normalized drops trailing fractional zeros only")
    func normalized() {
        let cases: [(String, String)] = [
            ("1.2300", "1.23"), ("100", "100"), ("100.00", "100"), ("0.000", "0"), ("-5.50", "-5.5"),
            ("0.00010000", "0.0001"), ("-0.0", "0"), ("7", "7"),
        ]
        for (input, expected) in cases {
            let normalized = ExactDecimal(input)!.normalized
            #expect(normalized.description == expected)
            #expect(normalized == ExactDecimal(input)!)
        }
    }

    @Test("negative values")
    func negatives() throws {
        let value = try #require(parsed("-0.00375"))
        #expect(value.isNegative)
        #expect(!value.isZero)
        #expect(value.mantissa == -375)
        #expect(value.scale == 5)
        #expect(value < .zero)
        #expect(value < parsed("-0.0037")!)
        #expect(value > parsed("-0.0038")!)
        #expect(parsed("-10")! < parsed("-9.99999")!)
    }

    @Test("extreme scales and the mantissa limit")
    func extremes() throws {
        let smallest = try #require(parsed("0.00000000000000000000000000000000000001"))
        #expect(smallest.scale == 38)
        #expect(smallest.mantissa == 1)
        let largest = try #require(parsed("99999999999999999999999999999999999999"))
        #expect(smallest < largest)
        #expect(ExactDecimal(mantissa: -largest.mantissa, scale: 0)! < smallest)
        var limit: Int128 = 1
        for _ in 0..<38 { limit *= 10 }
        #expect(ExactDecimal(mantissa: limit, scale: 0) == nil)
        #expect(ExactDecimal(mantissa: -limit, scale: 0) == nil)
        #expect(ExactDecimal(mantissa: .min, scale: 0) == nil)
        #expect(ExactDecimal(mantissa: limit - 1, scale: 38)?.description == "0." + String(repeating: "9", count: 38))
        #expect(ExactDecimal(mantissa: 1, scale: 39) == nil)
        #expect(ExactDecimal(mantissa: 0, scale: 38) == .zero)
    }

    // MARK: - Random values

    /// A random decimal up to 38 digits at scale 0...38, with its oracle twin built from the same digits.
    static func randomDecimal(_ random: inout SeededRandom) -> (ExactDecimal, ReferenceDecimal) {
        // Half are exchange-sized (few digits, small scales) so products and sums mostly fit; half use the
        // whole range so overflow is common too.
        let small = Bool.random(using: &random)
        let digitCount = Int.random(in: 0...(small ? 12 : 38), using: &random)
        let digits: [UInt8] = (0..<digitCount).map { index in
            UInt8.random(in: (index == 0 ? 1 : 0)...9, using: &random)
        }
        let scale = Int.random(in: 0...(small ? 10 : 38), using: &random)
        let negative = Bool.random(using: &random)
        let reference = ReferenceDecimal(negative: negative, digits: digits, scale: scale)
        let value = ExactDecimal(reference.description)!
        return (value, reference)
    }
}
