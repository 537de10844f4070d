/// The subset of PromQL the alert rules and health signals use, parsed and evaluated over a
/// ``ScrapeHistory`` with Prometheus's semantics, so that a rule means the same here as in Prometheus:
///
/// - instant selectors `name{l="v", l!="v", l=~"re", l!~"re"}`: the series of the newest scrape at or
///   before the evaluation time, within a 5 minute lookback (a series that left the scrape is gone, as
///   with Prometheus's staleness markers);
/// - range selectors `name{…}[5m]` for `rate`, `increase`, `delta`, `max_over_time`, `min_over_time`,
///   `avg_over_time` (rate/increase/delta extrapolate exactly like Prometheus);
/// - `sum`, `max`, `min`, `avg`, `count` with `by (…)` or `without (…)`;
/// - `histogram_quantile(φ, v)` over `_bucket` series with `le`;
/// - `+ - * /` and `> < >= <= == !=` between vectors and scalars (one-to-one matching on all labels, or
///   `on(…)`/`ignoring(…)`), `and`, `or`, `unless`, parentheses, unary minus and number literals.
package indirect enum PromQLExpression: Sendable, Equatable {
    case number(Double)
    case selector(name: String, matchers: [LabelMatcher])
    case range(name: String, matchers: [LabelMatcher], seconds: Double)
    case call(function: String, arguments: [PromQLExpression])
    case aggregate(op: String, grouping: Grouping?, argument: PromQLExpression, parameter: PromQLExpression?)
    case binary(op: String, lhs: PromQLExpression, rhs: PromQLExpression, matching: Matching?)
    case negate(PromQLExpression)

    package enum Grouping: Sendable, Equatable {
        case by([String])
        case without([String])
    }

    package enum Matching: Sendable, Equatable {
        case on([String])
        case ignoring([String])
    }
}

package struct LabelMatcher: Sendable, Equatable {
    package enum Kind: String, Sendable { case equal = "=", notEqual = "!=", regex = "=~", notRegex = "!~" }
    package var label: String
    package var kind: Kind
    package var value: String

    func matches(_ labels: Labels) -> Bool {
        let actual = labels[label] ?? ""
        switch kind {
        case .equal: return actual == value
        case .notEqual: return actual != value
        case .regex: return Self.regexMatches(value, actual)
        case .notRegex: return !Self.regexMatches(value, actual)
        }
    }

    /// Anchored regular-expression match, as PromQL's (RE2) `=~`.
    static func regexMatches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? Regex(pattern) else { return false }
        return (try? regex.wholeMatch(in: text)) != nil
    }
}

package struct PromQLError: Error, Sendable, Equatable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// One element of an instant vector: labels (without the metric name) and value. `name` is kept only by
/// selectors and filtering comparisons, as in Prometheus.
package struct VectorElement: Sendable, Equatable {
    package var name: String?
    package var labels: Labels
    package var value: Double

    package init(name: String? = nil, labels: Labels, value: Double) {
        self.name = name
        self.labels = labels
        self.value = value
    }
}

package enum PromQLValue: Sendable, Equatable {
    case scalar(Double)
    case vector([VectorElement])

    package var elements: [VectorElement] {
        switch self {
        case .scalar(let value): [VectorElement(labels: [:], value: value)]
        case .vector(let elements): elements
        }
    }
}

// MARK: - Parser

extension PromQLExpression {
    /// Parses `text`.
    /// - Throws: ``PromQLError`` naming what was expected and where.
    package static func parse(_ text: String) throws -> PromQLExpression {
        var parser = PromQLParser(tokens: try PromQLLexer.tokens(text))
        let expression = try parser.expression(0)
        guard parser.peek == .end else { throw PromQLError(message: "unexpected \(parser.peek) in \(text)") }
        return expression
    }
}

enum PromQLToken: Equatable, CustomStringConvertible {
    case identifier(String)
    case number(Double)
    case string(String)
    case duration(Double)
    case symbol(String)
    case end

    var description: String {
        switch self {
        case .identifier(let name): "'\(name)'"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .duration(let seconds): "[\(seconds)s]"
        case .symbol(let symbol): "'\(symbol)'"
        case .end: "end of expression"
        }
    }
}

enum PromQLLexer {
    static func tokens(_ text: String) throws -> [PromQLToken] {
        let chars = Array(text.unicodeScalars)
        var tokens: [PromQLToken] = []
        var index = 0
        while index < chars.count {
            let character = chars[index]
            if character == " " || character == "\n" || character == "\t" {
                index += 1
                continue
            }
            if character.properties.isAlphabetic || character == "_" || character == ":" {
                var word = ""
                while index < chars.count,
                    chars[index].properties.isAlphabetic || chars[index] == "_" || chars[index] == ":"
                        || ("0"..."9").contains(chars[index])
                {
                    word.unicodeScalars.append(chars[index])
                    index += 1
                }
                tokens.append(.identifier(word))
                continue
            }
            if ("0"..."9").contains(character) || character == "." {
                var word = ""
                while index < chars.count,
                    ("0"..."9").contains(chars[index]) || chars[index] == "." || chars[index] == "e"
                        || (chars[index] == "-" && word.last == "e")
                {
                    word.unicodeScalars.append(chars[index])
                    index += 1
                }
                guard let value = Double(word) else { throw PromQLError(message: "bad number \(word)") }
                tokens.append(.number(value))
                continue
            }
            if character == "\"" || character == "'" {
                index += 1
                var value = ""
                while index < chars.count, chars[index] != character {
                    if chars[index] == "\\", index + 1 < chars.count {
                        index += 1
                        value.unicodeScalars.append(chars[index] == "n" ? "\n" : chars[index])
                    } else {
                        value.unicodeScalars.append(chars[index])
                    }
                    index += 1
                }
                guard index < chars.count else { throw PromQLError(message: "unterminated string") }
                index += 1
                tokens.append(.string(value))
                continue
            }
            if character == "[" {
                index += 1
                var word = ""
                while index < chars.count, chars[index] != "]" {
                    word.unicodeScalars.append(chars[index])
                    index += 1
                }
                guard index < chars.count, let seconds = parseDuration(word) else {
                    throw PromQLError(message: "bad range [\(word)]")
                }
                index += 1
                tokens.append(.duration(seconds))
                continue
            }
            let two = index + 1 < chars.count ? String(character) + String(chars[index + 1]) : ""
            if ["!=", "=~", "!~", ">=", "<=", "=="].contains(two) {
                tokens.append(.symbol(two))
                index += 2
                continue
            }
            let one = String(character)
            guard "{}(),=<>+-*/".contains(one) else { throw PromQLError(message: "unexpected character \(one)") }
            tokens.append(.symbol(one))
            index += 1
        }
        tokens.append(.end)
        return tokens
    }

    /// `30s`, `5m`, `1h`, `1h30m`, `500ms`, `1d`.
    static func parseDuration(_ text: String) -> Double? {
        var total = 0.0
        var digits = ""
        var chars = Array(text)
        guard !chars.isEmpty else { return nil }
        var index = 0
        while index < chars.count {
            let character = chars[index]
            if character.isNumber {
                digits.append(character)
                index += 1
                continue
            }
            guard let amount = Double(digits) else { return nil }
            digits = ""
            if character == "m", index + 1 < chars.count, chars[index + 1] == "s" {
                total += amount / 1000
                index += 2
                continue
            }
            switch character {
            case "s": total += amount
            case "m": total += amount * 60
            case "h": total += amount * 3600
            case "d": total += amount * 86400
            case "w": total += amount * 604_800
            default: return nil
            }
            index += 1
        }
        chars = []
        return digits.isEmpty ? total : nil
    }
}

struct PromQLParser {
    var tokens: [PromQLToken]
    var position = 0

    var peek: PromQLToken { tokens[position] }

    mutating func next() -> PromQLToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    mutating func expect(_ symbol: String) throws {
        let token = next()
        guard token == .symbol(symbol) else { throw PromQLError(message: "expected '\(symbol)', found \(token)") }
    }

    static let aggregations: Set<String> = ["sum", "max", "min", "avg", "count"]
    static let functions: Set<String> = [
        "rate", "increase", "delta", "max_over_time", "min_over_time", "avg_over_time", "histogram_quantile",
        "abs", "clamp_min", "clamp_max",
    ]

    /// Binary operators by precedence (higher binds tighter).
    static func precedence(_ token: PromQLToken) -> (op: String, level: Int)? {
        switch token {
        case .identifier("or"): ("or", 1)
        case .identifier("and"): ("and", 2)
        case .identifier("unless"): ("unless", 2)
        case .symbol("=="), .symbol("!="), .symbol(">"), .symbol("<"), .symbol(">="), .symbol("<="):
            if case .symbol(let op) = token { (op, 3) } else { nil }
        case .symbol("+"), .symbol("-"): if case .symbol(let op) = token { (op, 4) } else { nil }
        case .symbol("*"), .symbol("/"): if case .symbol(let op) = token { (op, 5) } else { nil }
        default: nil
        }
    }

    mutating func expression(_ minimum: Int) throws -> PromQLExpression {
        var lhs = try unary()
        while let (op, level) = Self.precedence(peek), level > minimum {
            _ = next()
            var matching: PromQLExpression.Matching?
            if case .identifier(let word) = peek, word == "on" || word == "ignoring" {
                _ = next()
                let labels = try labelList()
                matching = word == "on" ? .on(labels) : .ignoring(labels)
            }
            let rhs = try expression(level)
            lhs = .binary(op: op, lhs: lhs, rhs: rhs, matching: matching)
        }
        return lhs
    }

    mutating func unary() throws -> PromQLExpression {
        if peek == .symbol("-") {
            _ = next()
            return .negate(try unary())
        }
        if peek == .symbol("+") {
            _ = next()
            return try unary()
        }
        return try primary()
    }

    mutating func primary() throws -> PromQLExpression {
        switch next() {
        case .number(let value):
            return .number(value)
        case .symbol("("):
            let inner = try expression(0)
            try expect(")")
            return inner
        case .identifier(let word) where Self.aggregations.contains(word):
            var grouping: PromQLExpression.Grouping?
            if case .identifier(let keyword) = peek, keyword == "by" || keyword == "without" {
                _ = next()
                let labels = try labelList()
                grouping = keyword == "by" ? .by(labels) : .without(labels)
            }
            try expect("(")
            let argument = try expression(0)
            try expect(")")
            if grouping == nil, case .identifier(let keyword) = peek, keyword == "by" || keyword == "without" {
                _ = next()
                let labels = try labelList()
                grouping = keyword == "by" ? .by(labels) : .without(labels)
            }
            return .aggregate(op: word, grouping: grouping, argument: argument, parameter: nil)
        case .identifier(let word) where Self.functions.contains(word) && peek == .symbol("("):
            _ = next()
            var arguments: [PromQLExpression] = []
            if peek != .symbol(")") {
                arguments.append(try expression(0))
                while peek == .symbol(",") {
                    _ = next()
                    arguments.append(try expression(0))
                }
            }
            try expect(")")
            return .call(function: word, arguments: arguments)
        case .identifier(let name):
            var matchers: [LabelMatcher] = []
            if peek == .symbol("{") {
                _ = next()
                while peek != .symbol("}") {
                    guard case .identifier(let label) = next() else { throw PromQLError(message: "expected a label") }
                    guard case .symbol(let op) = next(), let kind = LabelMatcher.Kind(rawValue: op) else {
                        throw PromQLError(message: "expected a matcher after \(label)")
                    }
                    guard case .string(let value) = next() else { throw PromQLError(message: "expected a string") }
                    matchers.append(LabelMatcher(label: label, kind: kind, value: value))
                    if peek == .symbol(",") { _ = next() }
                }
                _ = next()
            }
            if case .duration(let seconds) = peek {
                _ = next()
                return .range(name: name, matchers: matchers, seconds: seconds)
            }
            return .selector(name: name, matchers: matchers)
        case let token:
            throw PromQLError(message: "unexpected \(token)")
        }
    }

    mutating func labelList() throws -> [String] {
        try expect("(")
        var labels: [String] = []
        while peek != .symbol(")") {
            guard case .identifier(let label) = next() else { throw PromQLError(message: "expected a label name") }
            labels.append(label)
            if peek == .symbol(",") { _ = next() }
        }
        _ = next()
        return labels
    }
}

// MARK: - Evaluation

extension PromQLExpression {
    /// The same expression with every range window longer than `seconds` shortened to it (the
    /// `alerts.range_cap` test knob: an induced alert resolves after the cap instead of after `[10m]`).
    package func cappingRanges(at seconds: Double) -> PromQLExpression {
        switch self {
        case .number, .selector: return self
        case .range(let name, let matchers, let range):
            return .range(name: name, matchers: matchers, seconds: Swift.min(range, seconds))
        case .call(let function, let arguments):
            return .call(function: function, arguments: arguments.map { $0.cappingRanges(at: seconds) })
        case .aggregate(let op, let grouping, let argument, let parameter):
            return .aggregate(
                op: op, grouping: grouping, argument: argument.cappingRanges(at: seconds),
                parameter: parameter?.cappingRanges(at: seconds))
        case .binary(let op, let lhs, let rhs, let matching):
            return .binary(
                op: op, lhs: lhs.cappingRanges(at: seconds), rhs: rhs.cappingRanges(at: seconds), matching: matching)
        case .negate(let inner):
            return .negate(inner.cappingRanges(at: seconds))
        }
    }
}

extension PromQLExpression {
    /// The lookback of instant selectors (Prometheus's default `--query.lookback-delta`).
    package static let lookback: Double = 300

    /// Evaluates at `time` (seconds since the epoch) over `history`.
    /// - Throws: ``PromQLError`` for a type error (a range where an instant vector belongs, …).
    package func evaluate(at time: Double, in history: ScrapeHistory) throws -> PromQLValue {
        switch self {
        case .number(let value):
            return .scalar(value)
        case .negate(let inner):
            switch try inner.evaluate(at: time, in: history) {
            case .scalar(let value): return .scalar(-value)
            case .vector(let elements):
                return .vector(elements.map { VectorElement(labels: $0.labels, value: -$0.value) })
            }
        case .selector(let name, let matchers):
            guard let scrape = history.scrape(at: time, lookback: Self.lookback) else { return .vector([]) }
            return .vector(
                scrape.samples(named: name).filter { sample in matchers.allSatisfy { $0.matches(sample.labels) } }
                    .map { VectorElement(name: name, labels: $0.labels, value: $0.value) })
        case .range:
            throw PromQLError(message: "a range vector must be the argument of a function")
        case .call(let function, let arguments):
            return try call(function, arguments, at: time, in: history)
        case .aggregate(let op, let grouping, let argument, _):
            guard case .vector(let elements) = try argument.evaluate(at: time, in: history) else {
                throw PromQLError(message: "\(op) needs an instant vector")
            }
            return .vector(Self.aggregate(op, grouping, elements))
        case .binary(let op, let lhs, let rhs, let matching):
            let left = try lhs.evaluate(at: time, in: history)
            let right = try rhs.evaluate(at: time, in: history)
            return try Self.binary(op, left, right, matching)
        }
    }

    private func call(
        _ function: String, _ arguments: [PromQLExpression], at time: Double, in history: ScrapeHistory
    ) throws -> PromQLValue {
        switch function {
        case "rate", "increase", "delta", "max_over_time", "min_over_time", "avg_over_time":
            guard arguments.count == 1, case .range(let name, let matchers, let seconds) = arguments[0] else {
                throw PromQLError(message: "\(function) needs one range vector")
            }
            var series: [Labels: [(Double, Double)]] = [:]
            var order: [Labels] = []
            for scrape in history.window(from: time - seconds, through: time) {
                for sample in scrape.samples(named: name) where matchers.allSatisfy({ $0.matches(sample.labels) }) {
                    if series[sample.labels] == nil { order.append(sample.labels) }
                    series[sample.labels, default: []].append((scrape.time, sample.value))
                }
            }
            var result: [VectorElement] = []
            for labels in order {
                let points = series[labels] ?? []
                let value: Double?
                switch function {
                case "rate":
                    value = Self.extrapolated(points, start: time - seconds, end: time, counter: true, rate: true)
                case "increase":
                    value = Self.extrapolated(points, start: time - seconds, end: time, counter: true, rate: false)
                case "delta":
                    value = Self.extrapolated(points, start: time - seconds, end: time, counter: false, rate: false)
                case "max_over_time": value = points.map(\.1).max()
                case "min_over_time": value = points.map(\.1).min()
                default: value = points.isEmpty ? nil : points.map(\.1).reduce(0, +) / Double(points.count)
                }
                if let value { result.append(VectorElement(labels: labels, value: value)) }
            }
            return .vector(result)
        case "histogram_quantile":
            guard arguments.count == 2, case .scalar(let quantile) = try arguments[0].evaluate(at: time, in: history),
                case .vector(let buckets) = try arguments[1].evaluate(at: time, in: history)
            else { throw PromQLError(message: "histogram_quantile needs a scalar and a vector") }
            return .vector(Self.histogramQuantile(quantile, buckets))
        case "abs", "clamp_min", "clamp_max":
            guard let first = arguments.first, case .vector(let elements) = try first.evaluate(at: time, in: history)
            else { throw PromQLError(message: "\(function) needs an instant vector") }
            var bound = 0.0
            if function != "abs" {
                guard arguments.count == 2, case .scalar(let value) = try arguments[1].evaluate(at: time, in: history)
                else { throw PromQLError(message: "\(function) needs a scalar bound") }
                bound = value
            }
            return .vector(
                elements.map { element in
                    let value: Double =
                        switch function {
                        case "abs": Swift.abs(element.value)
                        case "clamp_min": Swift.max(element.value, bound)
                        default: Swift.min(element.value, bound)
                        }
                    return VectorElement(labels: element.labels, value: value)
                })
        default:
            throw PromQLError(message: "unknown function \(function)")
        }
    }

    /// Prometheus's `extrapolatedRate` (promql/functions.go): the change over the samples in the range,
    /// counter resets corrected, extrapolated to the range's edges when the samples come close to them.
    static func extrapolated(
        _ points: [(Double, Double)], start: Double, end: Double, counter: Bool, rate: Bool
    ) -> Double? {
        guard points.count >= 2, let first = points.first, let last = points.last else { return nil }
        var result = last.1 - first.1
        if counter {
            var previous = first.1
            for point in points.dropFirst() {
                if point.1 < previous { result += previous }
                previous = point.1
            }
        }
        var durationToStart = first.0 - start
        let durationToEnd = end - last.0
        let sampled = last.0 - first.0
        guard sampled > 0 else { return nil }
        let average = sampled / Double(points.count - 1)
        if counter, result > 0, first.1 >= 0 {
            let durationToZero = sampled * (first.1 / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = average * 1.1
        var interval = sampled
        interval += durationToStart < threshold ? durationToStart : average / 2
        interval += durationToEnd < threshold ? durationToEnd : average / 2
        // One factor, in this order, as Prometheus 2 computes it: the last bits of the result match promtool's.
        var factor = interval / sampled
        if rate { factor /= end - start }
        return result * factor
    }

    static func groupKey(_ labels: Labels, _ grouping: Grouping?) -> Labels {
        switch grouping {
        case nil: return [:]
        case .by(let names): return labels.filter { names.contains($0.key) }
        case .without(let names): return labels.filter { !names.contains($0.key) }
        }
    }

    static func aggregate(_ op: String, _ grouping: Grouping?, _ elements: [VectorElement]) -> [VectorElement] {
        var groups: [Labels: [Double]] = [:]
        var order: [Labels] = []
        for element in elements {
            let key = groupKey(element.labels, grouping)
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(element.value)
        }
        return order.map { key in
            let values = groups[key] ?? []
            let value: Double =
                switch op {
                case "sum": values.reduce(0, +)
                case "max": values.max() ?? .nan
                case "min": values.min() ?? .nan
                case "count": Double(values.count)
                default: values.reduce(0, +) / Double(values.count)
                }
            return VectorElement(labels: key, value: value)
        }
    }

    static func histogramQuantile(_ quantile: Double, _ buckets: [VectorElement]) -> [VectorElement] {
        var groups: [Labels: [(Double, Double)]] = [:]
        var order: [Labels] = []
        for bucket in buckets {
            guard let le = bucket.labels["le"], let bound = Exposition.parseValue(le) else { continue }
            var key = bucket.labels
            key["le"] = nil
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append((bound, bucket.value))
        }
        return order.compactMap { key in
            let sorted = (groups[key] ?? []).sorted { $0.0 < $1.0 }
            guard let last = sorted.last, last.0 == .infinity, sorted.count >= 2 else { return nil }
            let total = last.1
            guard total > 0 else { return VectorElement(labels: key, value: .nan) }
            let rank = quantile * total
            var lowerBound = 0.0
            var lowerCount = 0.0
            for (index, (bound, count)) in sorted.enumerated() {
                if count >= rank {
                    if bound == .infinity { return VectorElement(labels: key, value: sorted[index - 1].0) }
                    if index == 0, bound <= 0 { return VectorElement(labels: key, value: bound) }
                    let value = lowerBound + (bound - lowerBound) * (rank - lowerCount) / (count - lowerCount)
                    return VectorElement(labels: key, value: value)
                }
                lowerBound = bound
                lowerCount = count
            }
            return nil
        }
    }

    static func matchKey(_ labels: Labels, _ matching: Matching?) -> Labels {
        switch matching {
        case nil: return labels
        case .on(let names): return labels.filter { names.contains($0.key) }
        case .ignoring(let names): return labels.filter { !names.contains($0.key) }
        }
    }

    static func apply(_ op: String, _ lhs: Double, _ rhs: Double) -> (value: Double, keep: Bool) {
        switch op {
        case "+": (lhs + rhs, true)
        case "-": (lhs - rhs, true)
        case "*": (lhs * rhs, true)
        case "/": (lhs / rhs, true)
        case ">": (lhs, lhs > rhs)
        case "<": (lhs, lhs < rhs)
        case ">=": (lhs, lhs >= rhs)
        case "<=": (lhs, lhs <= rhs)
        case "==": (lhs, lhs == rhs)
        default: (lhs, lhs != rhs)
        }
    }

    static let comparisons: Set<String> = [">", "<", ">=", "<=", "==", "!="]

    static func binary(
        _ op: String, _ left: PromQLValue, _ right: PromQLValue, _ matching: Matching?
    ) throws -> PromQLValue {
        if op == "and" || op == "or" || op == "unless" {
            guard case .vector(let lhs) = left, case .vector(let rhs) = right else {
                throw PromQLError(message: "\(op) needs two vectors")
            }
            let rightKeys = Set(rhs.map { matchKey($0.labels, matching) })
            switch op {
            case "and": return .vector(lhs.filter { rightKeys.contains(matchKey($0.labels, matching)) })
            case "unless": return .vector(lhs.filter { !rightKeys.contains(matchKey($0.labels, matching)) })
            default:
                let leftKeys = Set(lhs.map { matchKey($0.labels, matching) })
                return .vector(lhs + rhs.filter { !leftKeys.contains(matchKey($0.labels, matching)) })
            }
        }
        let comparison = comparisons.contains(op)
        switch (left, right) {
        case (.scalar(let lhs), .scalar(let rhs)):
            let (value, keep) = apply(op, lhs, rhs)
            if comparison { throw PromQLError(message: "comparisons between scalars need bool") }
            return .scalar(keep ? value : .nan)
        case (.vector(let lhs), .scalar(let rhs)):
            return .vector(
                lhs.compactMap { element in
                    let (value, keep) = apply(op, element.value, rhs)
                    guard keep else { return nil }
                    return VectorElement(name: comparison ? element.name : nil, labels: element.labels, value: value)
                })
        case (.scalar(let lhs), .vector(let rhs)):
            return .vector(
                rhs.compactMap { element in
                    let (value, keep) = apply(op, lhs, element.value)
                    guard keep else { return nil }
                    // A filtering comparison keeps the vector's sample value, as Prometheus does.
                    return VectorElement(labels: element.labels, value: comparison ? element.value : value)
                })
        case (.vector(let lhs), .vector(let rhs)):
            var byKey: [Labels: VectorElement] = [:]
            for element in rhs {
                let key = matchKey(element.labels, matching)
                if byKey[key] != nil { throw PromQLError(message: "many-to-many matching for \(op)") }
                byKey[key] = element
            }
            return .vector(
                lhs.compactMap { element in
                    guard let other = byKey[matchKey(element.labels, matching)] else { return nil }
                    let (value, keep) = apply(op, element.value, other.value)
                    guard keep else { return nil }
                    let labels = comparison ? element.labels : matchKey(element.labels, matching)
                    return VectorElement(name: comparison ? element.name : nil, labels: labels, value: value)
                })
        }
    }
}
