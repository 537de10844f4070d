public import CryptodModel

/// Decides when each REST call to one exchange may be sent, so cryptod stays inside its share of the
/// exchange's published limits and never provokes a Binance 418 or a Bybit 403.
///
/// Every REST call the ingestor makes (book snapshots, ticker polling, gap-fill, backfill, key
/// verification) asks ``request(weight:endpoint:priority:now:)`` first and reports the answer to
/// ``observe(status:headers:body:endpoint:weight:sentAt:now:)``. The governor is a pure value: it never
/// reads a clock and does no I/O, so the same table of calls always gives the same decisions.
///
/// **Time.** `now` is a ``Timestamp`` on the *exchange's* clock as well as the caller knows it (the local
/// wall clock plus the offset measured against the exchange's server time), because the exchanges count in
/// fixed windows aligned to their own clock. A `now` earlier than one seen before is treated as that
/// latest time, so windows and blocks never rewind. What error remains is covered by
/// ``RateLimitPolicy/clockToleranceMilliseconds``: a request that close to a window boundary is charged
/// to both windows.
///
/// **Budget.** Each window may carry `floor(limit × share)` (``RateLimitPolicy/budget(of:)``), and each
/// priority only its fraction of that, so backfill can never take the capacity a book resync needs.
///
/// **Refusals.** After a 429 nothing at all is sent until the exchange's window has turned (or until
/// `Retry-After`, if later): sending on after a 429 is what earns a Binance 418.
///
/// **Waiters.** A caller answered ``Admission/wait(until:)`` sleeps and asks again. When several callers
/// wait, ask for the highest priority first and stop at the first that must still wait for capacity in
/// the same window; ``RateLimitQueue`` does exactly that.
///
/// **After a restart** call ``assumePriorInstance(now:)`` once: a predecessor may have spent the whole
/// budget in the current window, so that window is treated as spent until it turns or an exchange usage
/// header says otherwise.
public struct RateLimitGovernor: Sendable {
    /// The answer to a request.
    public enum Admission: Sendable, Hashable {
        /// Send now; the cost has been charged.
        case proceed
        /// Nothing was charged; ask again at (or after) this time.
        case wait(until: Timestamp)
    }

    public let policy: RateLimitPolicy
    public internal(set) var counters = RateLimitCounters()

    // MARK: - State

    /// Which window counter a request is charged to: a rule and, for per-endpoint rules, the endpoint.
    struct BucketKey: Hashable, Sendable, Comparable {
        var rule: Int
        var endpoint: String

        static func < (lhs: BucketKey, rhs: BucketKey) -> Bool {
            (lhs.rule, lhs.endpoint) < (rhs.rule, rhs.endpoint)
        }
    }

    /// One fixed window's count.
    ///
    /// `used` is the larger of what we sent (`own`, plus a predecessor's assumed spending) and the exchange's
    /// latest report plus what we sent since. The *latest* report, not the largest: a report may count
    /// twice what was in flight when it arrived, and keeping the largest would carry that error through the
    /// rest of the window; the last answer of a burst is the most accurate one.
    struct Slot: Sendable {
        var index: Int64
        /// What we charged to this window.
        var own = 0
        /// Admitted and not yet answered: a usage header may or may not include it.
        var inFlight = 0
        /// ``assumePriorInstance(now:)``'s stand-in for a predecessor's spending, until a header replaces it.
        var assumedPrior = 0
        /// The exchange's last count plus what was in flight besides the answered request.
        var reported: Int?
        /// Charged since `reported`.
        var sinceReport = 0

        init(index: Int64) { self.index = index }

        var assumed: Bool { assumedPrior > 0 }
        var used: Int { max(own + assumedPrior, reported.map { $0 + sinceReport } ?? 0) }
    }

    struct Bucket: Sendable {
        /// At most the windows a request can still be charged to (two, around a boundary).
        var slots: [Slot] = []
        /// A WhiteBIT 429 blocks one endpoint until its window ends.
        var blockedUntil: Int64 = .min

        func slot(_ index: Int64) -> Slot? { slots.first { $0.index == index } }
    }

    /// What Bybit's per-UID limit says about one signed endpoint.
    struct EndpointState: Sendable {
        var blockedUntil: Int64 = .min
        var remaining: Int?
        var limit: Int?
        var lastSeen: Int64 = .min
    }

    var buckets: [BucketKey: Bucket] = [:]
    var endpointStates: [String: EndpointState] = [:]
    /// Every request waits until then: Binance 429 or WAF 403, Bybit 403 or 429, WhiteBIT nothing.
    var blockedUntil: Int64 = .min
    /// A Binance 418 ban.
    var bannedUntil: Int64 = .min
    var latest: Int64 = .min
    /// Set by ``assumePriorInstance(now:)``: windows around this time start full.
    var priorInstanceAt: Int64?

    static let overflowEndpoint = "*"

    public init(policy: RateLimitPolicy) {
        self.policy = policy
    }

    // MARK: - Admission

    /// Asks to send one request now; on ``Admission/proceed`` its cost is charged to every window it may
    /// land in.
    ///
    /// - Parameters:
    ///   - weight: the request's published weight (``BinanceWeights``); rules that count requests charge 1
    ///     whatever it is. Must be at least 1 and at most the rule's published limit.
    ///   - endpoint: the request's path (a full URL or a query string is accepted and stripped).
    ///   - priority: who is asking.
    ///   - now: the exchange's time as the caller knows it.
    /// - Returns: ``Admission/proceed`` (charged) or ``Admission/wait(until:)`` (nothing charged).
    public mutating func request(
        weight: Int, endpoint: String, priority: RequestPriority, now: Timestamp
    ) -> Admission {
        let time = advance(to: now)
        let (rule, key) = resolve(endpoint: endpoint, now: time)
        let cost = self.cost(weight: weight, rule: rule)
        let admitAt = earliestAdmission(
            cost: cost, key: key, path: RateLimitText.path(of: endpoint),
            priority: priority, now: time)
        guard admitAt <= time else {
            counters.deferred += 1
            return .wait(until: Timestamp(milliseconds: admitAt))
        }
        charge(cost: cost, key: key, at: time)
        counters.admitted += 1
        return .proceed
    }

    /// When ``request(weight:endpoint:priority:now:)`` would next answer ``Admission/proceed`` if nothing
    /// else were admitted or observed meanwhile; `now` itself when it would proceed now. Charges nothing.
    public func nextAdmissionTime(
        weight: Int, endpoint: String, priority: RequestPriority, now: Timestamp
    ) -> Timestamp {
        let time = max(now.milliseconds, latest)
        let (rule, key) = lookup(endpoint: endpoint)
        let admitAt = earliestAdmission(
            cost: cost(weight: weight, rule: rule), key: key,
            path: RateLimitText.path(of: endpoint), priority: priority, now: time)
        return admitAt <= time ? Timestamp(milliseconds: time) : Timestamp(milliseconds: admitAt)
    }

    /// Assume that a previous instance of this process spent its whole budget in the window containing
    /// `now` (it may have crashed a moment ago), so nothing more is sent in that window.
    ///
    /// Where the exchange reports usage (Binance, whose minute is long), one request at a time is still
    /// allowed, and the first unambiguous usage header replaces the assumption with the real count. Bybit
    /// and WhiteBIT report nothing, so they wait for their next window (5 s, 10 s): cheaper than a 10-minute
    /// Bybit block.
    public mutating func assumePriorInstance(now: Timestamp) {
        let time = advance(to: now)
        priorInstanceAt = time
        for key in Array(buckets.keys) {
            let rule = policy.rule(at: key.rule)
            let budget = policy.budget(of: rule)
            for index in chargedWindows(at: time, window: rule.windowMilliseconds) {
                mutateSlot(key: key, index: index) { slot in slot.assumedPrior = budget }
            }
        }
    }

    // MARK: - Internals shared with observe and snapshot

    /// Moves the clock forward (never back) and returns the time in milliseconds to use.
    mutating func advance(to now: Timestamp) -> Int64 {
        latest = max(latest, now.milliseconds)
        return latest
    }

    func cost(weight: Int, rule: RateLimitPolicy.Rule) -> Int {
        precondition(weight >= 1, "a request weighs at least 1")
        precondition(weight <= rule.limit, "weight \(weight) exceeds the published limit \(rule.limit) of \(rule.name)")
        return rule.unit == .weight ? weight : 1
    }

    /// The windows a request at `time` may be counted in by the exchange: one, or two near a boundary.
    func chargedWindows(at time: Int64, window: Int64) -> ClosedRange<Int64> {
        let tolerance = policy.clockToleranceMilliseconds
        return (time - tolerance).floorDivided(by: window)...(time + tolerance).floorDivided(by: window)
    }

    /// The rule and bucket a request to `endpoint` uses now: its own, or the rule's overflow bucket when
    /// ``RateLimitPolicy/maxTrackedEndpoints`` are already tracked (stricter, since it is shared).
    func lookup(endpoint: String) -> (RateLimitPolicy.Rule, BucketKey) {
        let wanted = desiredKey(endpoint: endpoint)
        let rule = policy.rule(at: wanted.rule)
        if wanted.endpoint.isEmpty || buckets[wanted] != nil || trackedEndpointCount < policy.maxTrackedEndpoints {
            return (rule, wanted)
        }
        return (rule, BucketKey(rule: wanted.rule, endpoint: Self.overflowEndpoint))
    }

    /// ``lookup(endpoint:)`` after forgetting idle endpoints if the table is full.
    mutating func resolve(endpoint: String, now: Int64) -> (RateLimitPolicy.Rule, BucketKey) {
        let wanted = desiredKey(endpoint: endpoint)
        if !wanted.endpoint.isEmpty, buckets[wanted] == nil, trackedEndpointCount >= policy.maxTrackedEndpoints {
            pruneIdle(now: now)
        }
        return lookup(endpoint: endpoint)
    }

    func desiredKey(endpoint: String) -> BucketKey {
        let path = RateLimitText.path(of: endpoint)
        let index = policy.ruleIndex(for: path)
        let rule = policy.rule(at: index)
        switch rule.scope {
        case .shared: return BucketKey(rule: index, endpoint: "")
        case .perEndpoint:
            return BucketKey(rule: index, endpoint: RateLimitText.endpoint(prefix: rule.pathPrefix, path: path))
        case .perPath: return BucketKey(rule: index, endpoint: path)
        }
    }

    var trackedEndpointCount: Int { buckets.keys.count { !$0.endpoint.isEmpty } }

    /// Forgets per-endpoint windows that can no longer be charged, are not blocked and wait for no answer.
    mutating func pruneIdle(now: Int64) {
        for (key, bucket) in buckets where !key.endpoint.isEmpty && bucket.blockedUntil <= now {
            let window = policy.rule(at: key.rule).windowMilliseconds
            let live = chargedWindows(at: now, window: window).lowerBound
            if bucket.slots.allSatisfy({ $0.index < live || ($0.used == 0 && $0.inFlight == 0) }) {
                buckets[key] = nil
            }
        }
    }

    /// The slot for window `index`, as it is or as it would start.
    func slot(key: BucketKey, index: Int64) -> Slot {
        if let slot = buckets[key]?.slot(index) { return slot }
        return freshSlot(key: key, index: index)
    }

    func freshSlot(key: BucketKey, index: Int64) -> Slot {
        let rule = policy.rule(at: key.rule)
        if let prior = priorInstanceAt, chargedWindows(at: prior, window: rule.windowMilliseconds).contains(index) {
            var slot = Slot(index: index)
            slot.assumedPrior = policy.budget(of: rule)
            return slot
        }
        return Slot(index: index)
    }

    /// Applies `change` to window `index` of `key`, creating it, and drops windows before the oldest live one.
    mutating func mutateSlot(key: BucketKey, index: Int64, _ change: (inout Slot) -> Void) {
        var bucket = buckets[key] ?? Bucket()
        let window = policy.rule(at: key.rule).windowMilliseconds
        let live = chargedWindows(at: latest, window: window).lowerBound
        bucket.slots.removeAll { $0.index < live && $0.index != index }
        if let position = bucket.slots.firstIndex(where: { $0.index == index }) {
            change(&bucket.slots[position])
        } else {
            var slot = freshSlot(key: key, index: index)
            change(&slot)
            bucket.slots.append(slot)
        }
        buckets[key] = bucket
    }

    mutating func charge(cost: Int, key: BucketKey, at time: Int64) {
        let window = policy.rule(at: key.rule).windowMilliseconds
        for index in chargedWindows(at: time, window: window) {
            mutateSlot(key: key, index: index) { slot in
                slot.own += cost
                slot.sinceReport += cost
                slot.inFlight += cost
            }
        }
    }

    /// The first time at or after `now` when the request fits every window it would be charged to and no
    /// block applies.
    func earliestAdmission(cost: Int, key: BucketKey, path: String, priority: RequestPriority, now: Int64) -> Int64 {
        let rule = policy.rule(at: key.rule)
        var start = max(now, blockedUntil, bannedUntil)
        if let bucket = buckets[key] { start = max(start, bucket.blockedUntil) }
        if let endpoint = endpointStates[path] { start = max(start, endpoint.blockedUntil) }
        let window = rule.windowMilliseconds
        let tolerance = policy.clockToleranceMilliseconds
        var candidates = [start]
        let first = start.floorDivided(by: window)
        for step in Int64(0)...3 {
            let candidate = (first + step) * window + tolerance
            if candidate > start { candidates.append(candidate) }
        }
        let cap = policy.cap(of: rule, for: priority)
        let probing = rule.usageHeader != nil
        for candidate in candidates {
            let fits = chargedWindows(at: candidate, window: window).allSatisfy { index in
                let slot = slot(key: key, index: index)
                if slot.used + cost <= cap { return true }
                // A request heavier than its cap goes alone into an empty window, so it cannot wait forever.
                if slot.used == 0 && slot.inFlight == 0 { return true }
                // One probe at a time may learn the real usage that an assumption stands in for.
                return slot.assumed && probing && slot.inFlight == 0
            }
            if fits { return candidate }
        }
        return candidates[candidates.count - 1]
    }
}

extension RateLimitPolicy {
    /// The rule at `index` of ``rules``, or ``fallback`` at `rules.count`.
    func rule(at index: Int) -> Rule { index < rules.count ? rules[index] : fallback }

    /// The index of the rule with the longest prefix matching `path` (``fallback`` when none does).
    func ruleIndex(for path: String) -> Int {
        var best = rules.count
        var bestLength = -1
        for (index, rule) in rules.enumerated()
        where RateLimitText.matches(prefix: rule.pathPrefix, path: path) && rule.pathPrefix.utf8.count > bestLength {
            best = index
            bestLength = rule.pathPrefix.utf8.count
        }
        return best
    }
}
