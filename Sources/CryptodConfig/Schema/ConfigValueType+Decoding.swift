import Foundation

/// A value as written, before it is checked: from the file (with its position) or from an environment variable.
package enum ConfigInput: Sendable, Equatable {
    case toml(TOMLValue)
    case environment(String)

    /// The value as it would be written in TOML, for messages (environment text is shown as a string).
    package var tomlText: String {
        switch self {
        case .toml(let v): v.tomlText
        case .environment(let s): TOMLValue.quoted(s)
        }
    }
}

// MARK: - Decoding

extension ConfigValueType {
    /// Checks `input` against this type and returns the effective value.
    /// - Parameter baseDirectory: absolute directory that relative paths are resolved against.
    package func decode(_ input: ConfigInput, baseDirectory: String) -> Result<ConfigValue, ValueProblem> {
        switch self {
        case .bool:
            switch input {
            case .toml(let v):
                guard case .boolean(let b) = v.kind else { return .failure(Self.found(v)) }
                return .success(.bool(b))
            case .environment(let s):
                guard let b = ["true": true, "false": false][s.trimmingSpaces.lowercased()] else {
                    return .failure(ValueProblem("not a boolean", code: .typeMismatch))
                }
                return .success(.bool(b))
            }
        case .integer(let allowed):
            return Self.integer(input).flatMap { i in
                allowed.allows(i)
                    ? .success(.integer(i)) : .failure(ValueProblem("must be \(allowed)", code: .outOfRange))
            }
        case .float(let above, let atMost):
            return Self.float(input).flatMap { d in
                d > above && d <= atMost
                    ? .success(.float(d))
                    : .failure(ValueProblem("must be greater than \(above) and at most \(atMost)", code: .outOfRange))
            }
        case .string:
            return Self.string(input).map { .string($0) }
        case .secret:
            return Self.string(input).map { .secret(SecretString($0)) }
        case .path(let emptyMeans):
            return Self.string(input).flatMap { Self.path($0, emptyAllowed: emptyMeans != nil, base: baseDirectory) }
        case .duration(let min):
            if case .toml(let v) = input, case .integer(let i) = v.kind {
                return .failure(
                    ValueProblem("a duration needs a unit: write \"\(i)s\" or \"\(i)ms\"", code: .typeMismatch))
            }
            return Self.string(input).flatMap(DurationSyntax.parse).flatMap { d in
                d >= min
                    ? .success(.duration(d))
                    : .failure(ValueProblem("must be at least \(DurationSyntax.format(min))", code: .outOfRange))
            }
        case .size(let range):
            let bytes: Result<Int, ValueProblem>
            if case .toml(let v) = input, case .integer(let i) = v.kind {
                bytes =
                    i >= 0 ? .success(Int(i)) : .failure(ValueProblem("a size cannot be negative", code: .outOfRange))
            } else {
                bytes = Self.string(input).flatMap(SizeSyntax.parse)
            }
            return bytes.flatMap { b in
                range.contains(b)
                    ? .success(.size(b))
                    : .failure(
                        ValueProblem(
                            "must be between \(SizeSyntax.format(range.lowerBound)) and \(SizeSyntax.format(range.upperBound))",
                            code: .outOfRange))
            }
        case .address:
            return Self.string(input).flatMap(ListenAddress.parse).map { .address($0) }
        case .url(let schemes):
            return Self.string(input).flatMap { s in
                Self.urlProblem(s, schemes: schemes).map { .failure($0) } ?? .success(.string(s))
            }
        case .credentialURL(let schemes, let emptyMeans):
            return Self.string(input).flatMap { s in
                if s.isEmpty, emptyMeans != nil { return .success(.secret(SecretString(""))) }
                if let problem = Self.urlProblem(s, schemes: schemes, credentials: true) { return .failure(problem) }
                return .success(.secret(SecretString.url(s)))
            }
        case .choice(let words):
            return Self.string(input).flatMap { s in
                words.contains(s)
                    ? .success(.string(s))
                    : .failure(
                        ValueProblem(
                            "unknown value \(TOMLValue.quoted(s))", suggestion: Suggestions.closest(to: s, among: words)
                        ))
            }
        case .choiceList(let allowed, let known, let restriction):
            return Self.list(input) { item in
                if allowed.contains(item) { return nil }
                if known.contains(item), let restriction {
                    return ValueProblem("\(TOMLValue.quoted(item)) is not offered by \(restriction)")
                }
                return ValueProblem(
                    "unknown value \(TOMLValue.quoted(item))", suggestion: Suggestions.closest(to: item, among: allowed)
                )
            }
        case .symbolList(let rule):
            return Self.list(input) { item in
                rule.accepts(item) ? nil : ValueProblem("\(TOMLValue.quoted(item)) is not a valid symbol")
            }
        case .originList:
            return Self.list(input) { item in
                if item == "*" { return nil }
                if let problem = Self.urlProblem(item, schemes: ["http", "https"]) { return problem }
                let rest = item[item.range(of: "://")!.upperBound...]
                return rest.contains("/")
                    ? ValueProblem(
                        "\(TOMLValue.quoted(item)) is not an origin: write scheme://host[:port] without a path")
                    : nil
            }
        }
    }

    // MARK: - Pieces

    /// "found a string" for a value of the wrong TOML type.
    private static func found(_ v: TOMLValue) -> ValueProblem {
        ValueProblem("found \(v.typeNameWithArticle)", code: .typeMismatch)
    }

    private static func string(_ input: ConfigInput) -> Result<String, ValueProblem> {
        switch input {
        case .toml(let v):
            guard case .string(let s) = v.kind else { return .failure(found(v)) }
            return .success(s)
        case .environment(let s):
            return .success(s)
        }
    }

    private static func integer(_ input: ConfigInput) -> Result<Int, ValueProblem> {
        switch input {
        case .toml(let v):
            guard case .integer(let i) = v.kind else { return .failure(found(v)) }
            return .success(Int(i))
        case .environment(let s):
            guard let i = Int(s.trimmingSpaces) else {
                return .failure(ValueProblem("not an integer", code: .typeMismatch))
            }
            return .success(i)
        }
    }

    private static func float(_ input: ConfigInput) -> Result<Double, ValueProblem> {
        switch input {
        case .toml(let v):
            switch v.kind {
            case .float(let d): return .success(d)
            case .integer(let i): return .success(Double(i))
            default: return .failure(found(v))
            }
        case .environment(let s):
            guard let d = Double(s.trimmingSpaces) else {
                return .failure(ValueProblem("not a number", code: .typeMismatch))
            }
            return .success(d)
        }
    }

    /// A TOML array of strings, or comma-separated words in the environment; every item checked, none twice.
    private static func list(
        _ input: ConfigInput, check: (String) -> ValueProblem?
    ) -> Result<ConfigValue, ValueProblem> {
        var items: [String] = []
        switch input {
        case .toml(let v):
            guard case .array(let elements) = v.kind else { return .failure(found(v)) }
            for element in elements {
                guard case .string(let s) = element.kind else {
                    let problem = found(element)
                    return .failure(ValueProblem(problem.message + " in the list", code: .typeMismatch))
                }
                items.append(s)
            }
        case .environment(let s):
            items = s.split(separator: ",").map(\.trimmingSpaces).filter { !$0.isEmpty }
        }
        var seen = Set<String>()
        for item in items {
            if let problem = check(item) { return .failure(problem) }
            guard seen.insert(item).inserted else {
                return .failure(ValueProblem("\(TOMLValue.quoted(item)) is listed twice"))
            }
        }
        return .success(.list(items))
    }

    /// Resolves a relative path against `base` and normalises `.` and `..`.
    private static func path(_ text: String, emptyAllowed: Bool, base: String) -> Result<ConfigValue, ValueProblem> {
        if text.isEmpty {
            return emptyAllowed ? .success(.string("")) : .failure(ValueProblem("the path must not be empty"))
        }
        if text.contains("\0") { return .failure(ValueProblem("the path contains a NUL character")) }
        if text.hasPrefix("~") {
            return .failure(ValueProblem("\"~\" is not expanded; write an absolute path or one relative to the file"))
        }
        return .success(.string(resolve(text, against: base)))
    }

    /// `base/text` (or `text` when absolute) without `.`, `..` and repeated slashes.
    package static func resolve(_ text: String, against base: String) -> String {
        let joined = text.hasPrefix("/") ? text : base + "/" + text
        var parts: [Substring] = []
        for part in joined.split(separator: "/") where part != "." {
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
            } else {
                parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `text` with the password of its `user:password@` replaced by `<redacted>` (the user and host stay
    /// visible, so `config show` and logs still say where the writer connects).
    package static func redactingPassword(_ text: String) -> String {
        guard let separator = text.range(of: "://") else { return text }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return text
        }
        return String(text[..<authority.index(after: colon)]) + SecretString.placeholder + String(text[at...])
    }

    /// Nil when `text` is an absolute URL with an allowed scheme and a host (and a valid port if any).
    private static func urlProblem(_ text: String, schemes: [String], credentials: Bool = false) -> ValueProblem? {
        let allowed = schemes.joined(separator: " or ")
        guard let separator = text.range(of: "://") else {
            return ValueProblem("the URL needs a scheme (\(allowed)) and a host")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else { return ValueProblem("the scheme must be \(allowed)") }
        if text.contains(where: { $0 == " " || $0.isNewline || $0 == "\t" }) {
            return ValueProblem("the URL contains white space")
        }
        var authority = text[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        if authority.contains("@") {
            guard credentials else {
                return ValueProblem("credentials do not belong in the URL; use api_key and api_secret")
            }
            authority = authority[authority.index(after: authority.lastIndex(of: "@")!)...]
        }
        if authority.isEmpty { return ValueProblem("the URL has no host") }
        let hasPort = authority.hasPrefix("[") ? authority.contains("]:") : authority.contains(":")
        if hasPort, case .failure(let problem) = ListenAddress.parse(String(authority)) { return problem }
        if !hasPort {
            if authority.hasPrefix("[") {
                if case .failure(let problem) = ListenAddress.parse(authority + ":1") { return problem }
            } else if let problem = ListenAddress.hostProblem(authority) {
                return problem
            }
        }
        return URL(string: text) == nil ? ValueProblem("not a valid URL") : nil
    }
}
