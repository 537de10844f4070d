import Synchronization

/// What to do to one REST request.
package struct RESTFaultAction: Sendable {
    package var drop = false
    package var status: Int?
    package var rateLimited = false
    package var truncate = false
    package var latencyMs: Int64 = 0
    package var corruptBook = false
}

/// The active faults of one venue and how often each kind fired.
///
/// Rules come from `--fault` flags and `POST /_sim/faults`. Every decision that fires increments
/// the kind's counter, which `GET /_sim/faults` reports, so a test can check that the fault it
/// asked for really happened.
package final class FaultInjector: Sendable {
    private struct State {
        var rules: [FaultRule] = []
        var nextId = 1
        var counters: [FaultKind: Int] = [:]
        var draws: UInt64 = 0
        var stallUntil: [String: UInt64] = [:]
    }

    private let seed: UInt64
    private let state = Mutex(State())

    package init(seed: UInt64, rules: [FaultRule] = []) {
        self.seed = seed
        for rule in rules { _ = self.add(rule) }
    }

    /// Adds a rule; returns it with its id.
    package func add(_ rule: FaultRule) -> FaultRule {
        self.state.withLock { state in
            var rule = rule
            rule.id = state.nextId
            rule.addedAt = SimClock.monotonicNanos()
            state.nextId += 1
            state.rules.append(rule)
            return rule
        }
    }

    @discardableResult
    package func remove(id: Int) -> Bool {
        self.state.withLock { state in
            let before = state.rules.count
            state.rules.removeAll { $0.id == id }
            return state.rules.count != before
        }
    }

    /// Removes every rule (counters are kept).
    package func clear() {
        self.state.withLock { state in
            state.rules.removeAll()
            state.stallUntil.removeAll()
        }
    }

    /// Times a kind has fired since start.
    package func count(_ kind: FaultKind) -> Int {
        self.state.withLock { $0.counters[kind] ?? 0 }
    }

    /// Adds to a kind's counter (for faults carried out outside the injector).
    package func record(_ kind: FaultKind, times: Int = 1) {
        guard times > 0 else { return }
        self.state.withLock { $0.counters[kind, default: 0] += times }
    }

    /// `{"rules":[…],"counters":{kind:n,…}}` for the admin API.
    package func snapshot() -> JSONValue {
        self.state.withLock { state in
            self.expire(&state, now: SimClock.monotonicNanos())
            let counters = FaultKind.allCases.map { ($0.rawValue, JSONValue.int(state.counters[$0] ?? 0)) }
            return .object([("rules", .array(state.rules.map(\.json))), ("counters", .object(counters))])
        }
    }

    package var hasRules: Bool { self.state.withLock { !$0.rules.isEmpty } }

    private func expire(_ state: inout State, now: UInt64) {
        state.rules.removeAll { rule in
            if let duration = rule.durationMs, now &- rule.addedAt > UInt64(duration) * 1_000_000 { return true }
            if let count = rule.count, rule.fired >= count { return true }
            return false
        }
    }

    /// Decides whether rule `index` fires for one matching event, and books it if so.
    private func fire(_ state: inout State, _ index: Int) -> Bool {
        var rule = state.rules[index]
        if rule.probability < 1 {
            state.draws &+= 1
            let draw = SimHash.unit(SimHash.hash(self.seed, .fault, Int64(rule.id), Int64(bitPattern: state.draws)))
            guard draw < rule.probability else { return false }
        }
        rule.fired += 1
        state.rules[index] = rule
        state.counters[rule.kind, default: 0] += 1
        return true
    }

    /// The venues' REST order books: Binance `/api/v3/depth`, Bybit `/v5/market/orderbook`, WhiteBIT
    /// `/api/v4/public/orderbook/…`.
    static func isBookPath(_ path: String) -> Bool {
        path.hasSuffix("/depth") || path.contains("/orderbook")
    }

    private static func matches(_ rule: FaultRule, _ text: String) -> Bool {
        guard let target = rule.target else { return true }
        return text.contains(target)
    }

    // MARK: - REST

    /// The faults that apply to one REST request (each matching rule fires at most once).
    package func restAction(path: String) -> RESTFaultAction {
        self.state.withLock { state in
            var action = RESTFaultAction()
            guard !state.rules.isEmpty else { return action }
            self.expire(&state, now: SimClock.monotonicNanos())
            for index in state.rules.indices {
                let rule = state.rules[index]
                guard rule.kind.appliesToREST, rule.scope != "ws", Self.matches(rule, path) else { continue }
                switch rule.kind {
                case .dropConnection where !action.drop: action.drop = self.fire(&state, index)
                case .http5xx where action.status == nil: if self.fire(&state, index) { action.status = rule.status }
                case .rateLimitStorm where !action.rateLimited: action.rateLimited = self.fire(&state, index)
                case .malformedFrame where !action.truncate: action.truncate = self.fire(&state, index)
                case .corruptBook where !action.corruptBook && Self.isBookPath(path):
                    action.corruptBook = self.fire(&state, index)
                case .latency: if self.fire(&state, index) { action.latencyMs += rule.ms }
                default: break
                }
            }
            self.expire(&state, now: SimClock.monotonicNanos())
            return action
        }
    }

    // MARK: - Streams

    /// Whether a `drop_connection` rule fires this tick, and its target.
    package func connectionDrop() -> (fire: Bool, target: String?) {
        self.state.withLock { state in
            guard !state.rules.isEmpty else { return (false, nil) }
            self.expire(&state, now: SimClock.monotonicNanos())
            for index in state.rules.indices {
                let rule = state.rules[index]
                if rule.kind == .dropConnection, rule.scope != "rest", self.fire(&state, index) {
                    self.expire(&state, now: SimClock.monotonicNanos())
                    return (true, rule.target)
                }
            }
            return (false, nil)
        }
    }

    /// Per-message stream faults, decided in one pass over a tick's messages.
    package struct StreamDecision: Sendable {
        /// Indexes of messages to drop, to send twice, to hold back one place, to corrupt.
        package var skip: Set<Int> = []
        package var duplicate: Set<Int> = []
        package var reorder: Set<Int> = []
        package var corrupt: [Int: StreamMessage.Corruption] = [:]
        /// Extra delay for the whole batch (latency faults), ms.
        package var latencyMs: Int64 = 0
        /// Stalls started this tick: (target, until monotonic ns).
        package var stalls: [(target: String?, until: UInt64)] = []
    }

    /// Decides skip/duplicate/reorder/malformed/latency/stall for a tick's messages.
    package func decide(messages: [StreamMessage], name: (StreamKey) -> String) -> StreamDecision {
        self.state.withLock { state in
            var decision = StreamDecision()
            guard !state.rules.isEmpty else { return decision }
            let now = SimClock.monotonicNanos()
            self.expire(&state, now: now)
            for index in state.rules.indices {
                let rule = state.rules[index]
                guard rule.kind.appliesToStreams, rule.scope != "rest" else { continue }
                switch rule.kind {
                case .latency:
                    if !messages.isEmpty, self.fire(&state, index) { decision.latencyMs += rule.ms }
                case .stallStream:
                    let key = rule.target ?? ""
                    if (state.stallUntil[key] ?? 0) <= now, self.fire(&state, index) {
                        let until = now + UInt64(rule.ms) * 1_000_000
                        state.stallUntil[key] = until
                        decision.stalls.append((rule.target, until))
                    }
                case .skipDepth, .duplicateDepth, .reorderDepth, .malformedFrame:
                    for (position, message) in messages.enumerated() {
                        if let count = state.rules[index].count, state.rules[index].fired >= count { break }
                        let isDepth = message.kind == .depthDiff
                        guard rule.kind == .malformedFrame || isDepth else { continue }
                        guard Self.matches(rule, name(message.key)) else { continue }
                        guard !decision.skip.contains(position), !decision.reorder.contains(position) else { continue }
                        guard self.fire(&state, index) else { continue }
                        switch rule.kind {
                        case .skipDepth: decision.skip.insert(position)
                        case .duplicateDepth: decision.duplicate.insert(position)
                        case .reorderDepth: decision.reorder.insert(position)
                        default: decision.corrupt[position] = rule.mode == "frame" ? .invalidFrame : .truncatedJSON
                        }
                    }
                default: break
                }
            }
            self.expire(&state, now: now)
            return decision
        }
    }
}
