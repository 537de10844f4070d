/// The kind of value a key takes, with its constraints. Drives decoding, error messages and the docs.
package enum ConfigValueType: Sendable, Equatable {
    case bool
    case integer(AllowedIntegers)
    /// A float in `above <.. atMost` (an integer is accepted too).
    case float(above: Double, atMost: Double)
    case string
    /// A string that is never printed (``SecretString``).
    case secret
    /// A file-system path; relative paths are resolved (see ``ConfigLoader``). `emptyMeans` documents what `""`
    /// stands for; nil means it must not be empty.
    case path(emptyMeans: String?)
    /// A string such as `"5s"`, at least `atLeast`.
    case duration(atLeast: Duration)
    /// Bytes, as an integer or a string with a unit.
    case size(ClosedRange<Int>)
    /// `"HOST:PORT"` or `"[IPv6]:PORT"`.
    case address
    /// An absolute URL with one of `schemes` and a host.
    case url(schemes: [String])
    /// A URL with one of `schemes` that may carry a user and password (a database or broker); decoded as a
    /// ``SecretString`` that prints the URL with the password replaced by `<redacted>`. `emptyMeans`
    /// documents what `""` stands for; nil means it must not be empty.
    case credentialURL(schemes: [String], emptyMeans: String? = nil)
    /// One word of `allowed`.
    case choice([String])
    /// A list of distinct words of `allowed`. `known` (a superset) lists words that exist but that this key
    /// does not offer, named in `restriction` ("bybit"), so the message can say so instead of "unknown".
    case choiceList(allowed: [String], known: [String], restriction: String?)
    /// A list of distinct market symbols spelled by `rule`.
    case symbolList(SymbolRule)
    /// A list of distinct browser origins (`"https://app.example.com"`, `"http://localhost:3000"`) or `"*"`.
    case originList

    // MARK: - Descriptions

    /// Short type text for the docs: `duration (>= 1s)`, `one of json|text`.
    package var summary: String {
        switch self {
        case .bool: "bool"
        case .integer(let allowed): "integer (\(allowed))"
        case .float(let above, let atMost): "float (\(Self.number(above)) < x <= \(Self.number(atMost)))"
        case .string: "string"
        case .secret: "string (secret)"
        case .path: "path"
        case .duration(let min): "duration (>= \(DurationSyntax.format(min)))"
        case .size(let r): "size (\(SizeSyntax.format(r.lowerBound))-\(SizeSyntax.format(r.upperBound)))"
        case .address: "address"
        case .url(let schemes): "URL (" + schemes.joined(separator: ", ") + ")"
        case .credentialURL(let schemes, let emptyMeans):
            "URL (" + schemes.joined(separator: ", ") + "; password never printed"
                + (emptyMeans.map { "; \"\" = \($0)" } ?? "") + ")"
        case .choice(let words): "one of " + words.joined(separator: "|")
        case .choiceList(let allowed, _, _): "list of " + allowed.joined(separator: "|")
        case .symbolList: "list of symbols"
        case .originList: "list of origins"
        }
    }

    /// What an error message says is expected, with the key's default as the example.
    package func expectation(example: ConfigValue) -> String {
        let e = example.tomlText
        switch self {
        case .bool:
            return "true or false"
        case .integer(let allowed):
            if case .oneOf = allowed { return "an integer, \(allowed)" }
            return "an integer \(allowed)"
        case .float(let above, let atMost):
            return "a number greater than \(Self.number(above)) and at most \(Self.number(atMost)), e.g. \(e)"
        case .string, .secret:
            return "a string"
        case .path(let emptyMeans):
            let empty = emptyMeans.map { " (\"\" = \($0))" } ?? ""
            return example == .string("") ? "a path\(empty)" : "a path\(empty), e.g. \(e)"
        case .duration(let min):
            let floor = min > .milliseconds(1) ? " of at least \(DurationSyntax.format(min))" : ""
            return "a duration string\(floor) with a unit (ms, s, m, h, d), e.g. \(e)"
        case .size(let r):
            return "a size in bytes or with a unit (KiB, MiB, GiB), \(SizeSyntax.format(r.lowerBound))"
                + " to \(SizeSyntax.format(r.upperBound)), e.g. \(e)"
        case .address:
            return "\"HOST:PORT\", e.g. \(e)"
        case .url(let schemes):
            return "a URL with scheme " + schemes.joined(separator: " or ") + " and a host, e.g. \(e)"
        case .credentialURL(let schemes, let emptyMeans):
            let empty = emptyMeans.map { " (\"\" = \($0))" } ?? ""
            return "a URL with scheme " + schemes.joined(separator: " or ")
                + ", an optional user:password@ and a host\(empty)"
                + (example == .secret(SecretString("")) ? "" : ", e.g. \(e)")
        case .choice(let words):
            return "one of " + words.joined(separator: ", ")
        case .choiceList(let allowed, _, _):
            return "a list of " + allowed.joined(separator: ", ") + ", e.g. \(e)"
        case .symbolList(let rule):
            return "a list of symbols (\(rule.description)), e.g. \(e)"
        case .originList:
            return "a list of origins (scheme://host[:port], e.g. \"https://app.example.com\") or [\"*\"] for any"
        }
    }

    private static func number(_ d: Double) -> String {
        d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
    }
}
