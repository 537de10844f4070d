public import CryptodModel

extension RateLimitGovernor {
    /// The state of every budget at `now`: shared rules always, per-endpoint buckets once used.
    public func snapshot(now: Timestamp) -> CapacityReport {
        let time = max(now.milliseconds, latest)
        let global = max(blockedUntil, bannedUntil)
        var keys = Set(buckets.keys)
        for (index, rule) in (policy.rules + [policy.fallback]).enumerated() where rule.scope == .shared {
            keys.insert(BucketKey(rule: index, endpoint: ""))
        }
        let budgets = keys.sorted().map { key -> CapacityReport.Budget in
            let rule = policy.rule(at: key.rule)
            let index = time.floorDivided(by: rule.windowMilliseconds)
            let slot = slot(key: key, index: index)
            let blocked = max(global, buckets[key]?.blockedUntil ?? .min)
            return CapacityReport.Budget(
                name: rule.name, endpoint: key.endpoint.isEmpty ? rule.pathPrefix : key.endpoint, unit: rule.unit,
                used: slot.used, inFlight: slot.inFlight, limit: rule.limit, budget: policy.budget(of: rule),
                windowStart: Timestamp(milliseconds: index * rule.windowMilliseconds),
                resetAt: Timestamp(milliseconds: (index + 1) * rule.windowMilliseconds),
                blockedUntil: blocked > time ? Timestamp(milliseconds: blocked) : nil
            )
        }
        let endpoints = endpointStates.keys.sorted().map { path -> CapacityReport.Endpoint in
            let state = endpointStates[path] ?? EndpointState()
            return CapacityReport.Endpoint(
                endpoint: path, limit: state.limit, remaining: state.remaining,
                blockedUntil: state.blockedUntil > time ? Timestamp(milliseconds: state.blockedUntil) : nil
            )
        }
        return CapacityReport(
            dialect: policy.dialect, now: Timestamp(milliseconds: time), budgets: budgets, endpoints: endpoints,
            blockedUntil: global > time ? Timestamp(milliseconds: global) : nil,
            bannedUntil: bannedUntil > time ? Timestamp(milliseconds: bannedUntil) : nil,
            counters: counters
        )
    }

    // MARK: - Counters, for metrics

    public var throttled429: Int { counters.throttled429 }
    public var banned418: Int { counters.banned418 }
    public var blocked403: Int { counters.blocked403 }
    public var rateLimited10006: Int { counters.rateLimited10006 }
}
