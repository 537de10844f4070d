public import CryptodModel

extension RateLimitGovernor {
    /// Learns from one answer: the exchange's own usage count, and any refusal with how long it lasts.
    ///
    /// Call it for every request that was admitted, also when the transport failed (`status` 0, no headers),
    /// so the request no longer counts as in flight. What each exchange says:
    ///
    /// | exchange | answer | effect |
    /// |---|---|---|
    /// | Binance | `X-MBX-USED-WEIGHT-1M: n` | the window's count becomes at least `n` plus what else is in flight |
    /// | Binance | 429 | every priority waits until `Retry-After` and at least until the window has turned |
    /// | Binance | 418 | banned until `Retry-After` or the body's "banned until <ms>", else 2 minutes |
    /// | Binance | 403 (WAF) | as a 429 without `Retry-After` |
    /// | Bybit | 403 | the IP is blocked: everything waits 10 minutes |
    /// | Bybit | 429 | as Binance's 429 |
    /// | Bybit | `retCode 10006` | this endpoint waits until `X-Bapi-Limit-Reset-Timestamp` (≥ 1 s) |
    /// | Bybit | `X-Bapi-Limit-Status: 0` | as 10006, before the exchange refuses |
    /// | WhiteBIT | 429 | this endpoint's bucket waits until its window has turned |
    ///
    /// - Parameters:
    ///   - status: the HTTP status, or 0 when no answer arrived.
    ///   - headers: the response headers (names in any case).
    ///   - body: the response body, if read (for Binance's ban time and Bybit's `retCode`).
    ///   - endpoint: the path that was requested, as given to ``request(weight:endpoint:priority:now:)``.
    ///   - weight: the weight that was requested.
    ///   - sentAt: when the request was admitted; `nil` means `now` (right for quick answers). A usage
    ///     header is only trusted when the request cannot have been counted in another window.
    ///   - now: the exchange's time as the caller knows it, when the answer arrived.
    public mutating func observe(
        status: Int, headers: [(String, String)], body: [UInt8]?, endpoint: String, weight: Int,
        sentAt: Timestamp? = nil, now: Timestamp
    ) {
        let time = advance(to: now)
        let sent = min(sentAt?.milliseconds ?? time, time)
        let (rule, key) = lookup(endpoint: endpoint)
        let cost = rule.unit == .weight ? max(1, weight) : 1
        let window = rule.windowMilliseconds
        let tolerance = policy.clockToleranceMilliseconds
        let retryAfter = RateLimitText.header("retry-after", in: headers).flatMap(RateLimitText.retryAfterMilliseconds)
        /// The end of the window the refused request may have been counted in, plus the tolerance.
        let windowTurned = ((time + tolerance).floorDivided(by: window) + 1) * window + tolerance

        // The exchange's count, applied before the request leaves the in-flight sum it may be part of.
        if let name = rule.usageHeader,
            let value = RateLimitText.header(name, in: headers).flatMap(RateLimitText.integer)
        {
            let windows = chargedWindows(at: sent, window: window)
            let late = (time + tolerance).floorDivided(by: window)
            if windows.lowerBound == late {
                mutateSlot(key: key, index: late) { slot in
                    // The count may miss what we sent after this request: add what is still in flight. It
                    // may count in-flight requests twice, so `used` never falls below what we sent ourselves.
                    slot.reported = Int(clamping: value) + max(0, slot.inFlight - cost)
                    slot.sinceReport = 0
                    slot.assumedPrior = 0
                }
                counters.usageHeadersApplied += 1
            } else {
                counters.usageHeadersAmbiguous += 1
            }
        }
        release(cost: cost, key: key, sentAt: sent)

        switch (policy.dialect, status) {
        case (.binance, 418):
            counters.banned418 += 1
            var until = time + policy.ipBlockMilliseconds
            if let retryAfter { until = time + retryAfter }
            if let body, let bannedUntil = RateLimitText.integer(after: "banned until", in: body) {
                until = max(until, bannedUntil)
            }
            bannedUntil = max(bannedUntil, until, windowTurned)
        case (.binance, 429), (.bybit, 429):
            counters.throttled429 += 1
            blockedUntil = max(blockedUntil, windowTurned, retryAfter.map { time + $0 } ?? .min)
        case (.binance, 403):
            counters.blocked403 += 1
            blockedUntil = max(blockedUntil, windowTurned, retryAfter.map { time + $0 } ?? .min)
        case (.bybit, 403):
            counters.blocked403 += 1
            blockedUntil = max(blockedUntil, time + policy.ipBlockMilliseconds)
        case (.whitebit, 429):
            counters.throttled429 += 1
            var bucket = buckets[key] ?? Bucket()
            bucket.blockedUntil = max(bucket.blockedUntil, windowTurned, retryAfter.map { time + $0 } ?? .min)
            buckets[key] = bucket
        default:
            break
        }
        if policy.dialect == .bybit {
            observeBybitUID(headers: headers, body: body, path: RateLimitText.path(of: endpoint), now: time)
        }
    }

    /// The request is answered: it no longer counts as in flight in the windows it was charged to.
    private mutating func release(cost: Int, key: BucketKey, sentAt: Int64) {
        let window = policy.rule(at: key.rule).windowMilliseconds
        for index in chargedWindows(at: sentAt, window: window) where buckets[key]?.slot(index) != nil {
            mutateSlot(key: key, index: index) { slot in slot.inFlight = max(0, slot.inFlight - cost) }
        }
    }

    /// Bybit's per-UID, per-endpoint limit: a rolling second, reported only on signed endpoints.
    private mutating func observeBybitUID(headers: [(String, String)], body: [UInt8]?, path: String, now: Int64) {
        let remaining = RateLimitText.header("x-bapi-limit-status", in: headers).flatMap(RateLimitText.integer)
        let limit = RateLimitText.header("x-bapi-limit", in: headers).flatMap(RateLimitText.integer)
        let reset = RateLimitText.header("x-bapi-limit-reset-timestamp", in: headers).flatMap(RateLimitText.integer)
        let refused = body.flatMap { RateLimitText.integer(after: "\"retCode\"", in: $0) } == 10006
        guard remaining != nil || limit != nil || refused else { return }
        if refused { counters.rateLimited10006 += 1 }
        if endpointStates[path] == nil, endpointStates.count >= policy.maxTrackedEndpoints {
            // Forget the endpoint whose block ends first (an expired one when there is one).
            let oldest = endpointStates.min { lhs, rhs in
                (lhs.value.blockedUntil, lhs.value.lastSeen) < (rhs.value.blockedUntil, rhs.value.lastSeen)
            }
            if let oldest {
                endpointStates[oldest.key] = nil
            }
        }
        var state = endpointStates[path] ?? EndpointState()
        state.lastSeen = now
        if let remaining { state.remaining = Int(clamping: remaining) }
        if let limit { state.limit = Int(clamping: limit) }
        if refused || remaining == 0 {
            // The oldest call leaves the rolling second by then; at least a second when no reset is given.
            let until = reset.flatMap { $0 > now ? $0 : nil } ?? now + 1_000
            state.blockedUntil = max(state.blockedUntil, until)
        }
        endpointStates[path] = state
    }
}
