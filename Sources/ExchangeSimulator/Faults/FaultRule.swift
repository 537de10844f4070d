/// The faults exchsim can inject, by their flag and admin-API names.
package enum FaultKind: String, CaseIterable, Sendable {
    /// Close WebSocket connections abruptly (no close frame); on REST, close without answering.
    case dropConnection = "drop_connection"
    /// Do not send a depth-diff message (clients see a gap in update ids).
    case skipDepth = "skip_depth"
    /// Send a depth-diff message twice.
    case duplicateDepth = "duplicate_depth"
    /// Swap a depth-diff message with the next one of the same stream.
    case reorderDepth = "reorder_depth"
    /// Send a broken message: truncated JSON (`mode=json`, default) or an invalid frame (`mode=frame`);
    /// on REST a truncated body.
    case malformedFrame = "malformed_frame"
    /// Delay REST answers and stream messages by `ms`.
    case latency = "latency"
    /// Hold stream messages for `ms`, then release them in order.
    case stallStream = "stall_stream"
    /// Answer REST requests with `status` (default 503) and the venue's error body.
    case http5xx = "http_5xx"
    /// Answer REST requests with the venue's rate-limit response, whatever the real usage.
    case rateLimitStorm = "rate_limit_storm"
    /// Answer a REST order-book request with the first bid's quantity changed: the book the exchange
    /// serves over REST no longer matches its stream (what a client's book audit exists to catch).
    case corruptBook = "corrupt_book"

    /// Whether the fault acts on REST, on streams, or both.
    package var appliesToREST: Bool {
        switch self {
        case .dropConnection, .malformedFrame, .latency, .http5xx, .rateLimitStorm, .corruptBook: return true
        case .skipDepth, .duplicateDepth, .reorderDepth, .stallStream: return false
        }
    }

    package var appliesToStreams: Bool {
        switch self {
        case .dropConnection, .skipDepth, .duplicateDepth, .reorderDepth, .malformedFrame, .latency, .stallStream:
            return true
        case .http5xx, .rateLimitStorm, .corruptBook: return false
        }
    }
}

/// One injected fault and how long it lasts.
///
/// A rule fires on matching events until `count` firings are used up (nil: unlimited) or its
/// `durationMs` (real time since it was added) is over. `probability` < 1 makes each matching event
/// fire with that chance, drawn from the seed (so runs repeat).
package struct FaultRule: Sendable {
    package var id: Int
    package var kind: FaultKind
    package var count: Int?
    package var probability: Double
    package var durationMs: Int64?
    /// Latency or stall length (ms), default 1000.
    package var ms: Int64
    /// HTTP status for `http_5xx`, default 503.
    package var status: Int
    /// Substring a REST path or a stream name must contain (nil: everything).
    package var target: String?
    /// `json` or `frame` for `malformed_frame`; `rest`, `ws` or `both` (default) for scope.
    package var mode: String?
    package var scope: String
    /// Monotonic ns when added.
    package var addedAt: UInt64
    package var fired: Int = 0

    package init(kind: FaultKind) {
        self.id = 0
        self.kind = kind
        self.count = nil
        self.probability = 1
        self.durationMs = nil
        self.ms = 1_000
        self.status = 503
        self.target = nil
        self.mode = nil
        self.scope = "both"
        self.addedAt = 0
    }

    /// Parses `kind[:key=value,…]` (flag form), e.g. `skip_depth:count=2,target=btcusdt@depth`.
    package static func parse(flag: String) -> Result<FaultRule, FaultParseError> {
        let parts = flag.split(separator: ":", maxSplits: 1).map(String.init)
        var fields: [(String, String)] = []
        if parts.count == 2 {
            for item in parts[1].split(separator: ",") {
                let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
                guard pair.count == 2 else {
                    return .failure(FaultParseError(message: "expected key=value in \(item)"))
                }
                fields.append((pair[0], pair[1]))
            }
        }
        return self.make(kind: parts.first ?? "", fields: fields)
    }

    /// Parses the admin JSON form, e.g. `{"kind":"latency","ms":250,"count":10}`.
    package static func parse(json: JSONValue) -> Result<FaultRule, FaultParseError> {
        guard case .object(let members) = json else { return .failure(FaultParseError(message: "expected an object")) }
        var kind = ""
        var fields: [(String, String)] = []
        for (key, value) in members {
            let text: String
            switch value {
            case .string(let string): text = string
            case .number(let number): text = number
            case .bool(let flag): text = flag ? "true" : "false"
            default: return .failure(FaultParseError(message: "unsupported value for \(key)"))
            }
            if key == "kind" { kind = text } else { fields.append((key, text)) }
        }
        return self.make(kind: kind, fields: fields)
    }

    private static func make(kind name: String, fields: [(String, String)]) -> Result<FaultRule, FaultParseError> {
        guard let kind = FaultKind(rawValue: name) else {
            let known = FaultKind.allCases.map(\.rawValue).joined(separator: ", ")
            return .failure(FaultParseError(message: "unknown fault '\(name)' (known: \(known))"))
        }
        var rule = FaultRule(kind: kind)
        for (key, value) in fields {
            switch key {
            case "count":
                guard let count = Int(value), count > 0 else { return .failure(.init(message: "count must be > 0")) }
                rule.count = count
            case "probability":
                guard let probability = Double(value), probability > 0, probability <= 1 else {
                    return .failure(.init(message: "probability must be in (0, 1]"))
                }
                rule.probability = probability
            case "duration_ms":
                guard let duration = Int64(value), duration > 0 else {
                    return .failure(.init(message: "duration_ms must be > 0"))
                }
                rule.durationMs = duration
            case "ms":
                guard let ms = Int64(value), ms >= 0 else { return .failure(.init(message: "ms must be >= 0")) }
                rule.ms = ms
            case "status":
                guard let status = Int(value), (500...599).contains(status) else {
                    return .failure(.init(message: "status must be 5xx"))
                }
                rule.status = status
            case "target": rule.target = value
            case "mode":
                guard value == "json" || value == "frame" else {
                    return .failure(.init(message: "mode is json or frame"))
                }
                rule.mode = value
            case "scope":
                guard ["rest", "ws", "both"].contains(value) else {
                    return .failure(.init(message: "scope is rest, ws or both"))
                }
                rule.scope = value
            default:
                return .failure(FaultParseError(message: "unknown fault field '\(key)'"))
            }
        }
        return .success(rule)
    }

    /// Admin JSON view.
    package var json: JSONValue {
        var members: [(String, JSONValue)] = [("id", .int(self.id)), ("kind", .string(self.kind.rawValue))]
        members.append(("count", self.count.map { .int($0) } ?? .null))
        members.append(("probability", .number(String(self.probability))))
        members.append(("duration_ms", self.durationMs.map { .int($0) } ?? .null))
        members.append(("ms", .int(self.ms)))
        members.append(("status", .int(self.status)))
        members.append(("target", self.target.map { .string($0) } ?? .null))
        members.append(("mode", self.mode.map { .string($0) } ?? .null))
        members.append(("scope", .string(self.scope)))
        members.append(("fired", .int(self.fired)))
        return .object(members)
    }
}

/// Why a fault description was rejected.
package struct FaultParseError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { self.message }
}
