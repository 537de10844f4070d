/// The three exchanges' published limits (see `shared/exchanges/*.md`, section "Rate limits").
extension RateLimitPolicy {
    /// Binance spot: `REQUEST_WEIGHT` 6000 per minute per IP, counted in fixed UTC minutes.
    ///
    /// `RAW_REQUESTS` (61000 per 5 minutes) is not modelled: every call weighs at least 1, so 6000 weight per
    /// minute is at most 30000 requests per 5 minutes. The default tolerance of 1 s costs under 2 % of a
    /// minute and covers the offset left after syncing with `/api/v3/time` plus the request's latency.
    public static func binance(share: Double = 0.8, clockToleranceMilliseconds: Int64 = 1_000) -> RateLimitPolicy {
        let weight = Rule(
            name: "REQUEST_WEIGHT", pathPrefix: "", limit: 6_000, windowMilliseconds: 60_000, unit: .weight,
            scope: .shared, usageHeader: "x-mbx-used-weight-1m"
        )
        return RateLimitPolicy(
            dialect: .binance, share: share, rules: [weight], fallback: weight,
            clockToleranceMilliseconds: clockToleranceMilliseconds, ipBlockMilliseconds: 120_000
        )
    }

    /// Bybit v5: 600 requests per 5-second window per IP over every REST path; a 403 blocks the IP ≥ 10 min.
    ///
    /// Per-UID limits (rolling, per endpoint, signed calls only) are not budgeted here: they are learnt from
    /// `X-Bapi-Limit-Status`/`X-Bapi-Limit-Reset-Timestamp` and `retCode 10006` per endpoint. The tolerance
    /// is 250 ms because a 5-second window cannot spare a full second.
    public static func bybit(share: Double = 0.8, clockToleranceMilliseconds: Int64 = 250) -> RateLimitPolicy {
        let ip = Rule(
            name: "IP", pathPrefix: "", limit: 600, windowMilliseconds: 5_000, unit: .requests, scope: .shared
        )
        return RateLimitPolicy(
            dialect: .bybit, share: share, rules: [ip], fallback: ip,
            clockToleranceMilliseconds: clockToleranceMilliseconds, ipBlockMilliseconds: 600_000
        )
    }

    /// WhiteBIT: fixed 10-second windows per endpoint: v4 public 2000 each, the order book 600 (all markets
    /// share `/api/v4/public/orderbook/{market}`), v1 public 1000 each, balance 12000.
    ///
    /// Paths nothing else matches get 1000 per endpoint, the smallest published private limit (active
    /// orders), so an unlisted endpoint is never sent faster than any WhiteBIT endpoint allows.
    public static func whitebit(share: Double = 0.8, clockToleranceMilliseconds: Int64 = 250) -> RateLimitPolicy {
        let window: Int64 = 10_000
        let rules = [
            Rule(
                name: "v4 public", pathPrefix: "/api/v4/public/", limit: 2_000, windowMilliseconds: window,
                unit: .requests, scope: .perEndpoint),
            Rule(
                name: "v4 orderbook", pathPrefix: "/api/v4/public/orderbook", limit: 600, windowMilliseconds: window,
                unit: .requests, scope: .shared),
            Rule(
                name: "v1 public", pathPrefix: "/api/v1/public/", limit: 1_000, windowMilliseconds: window,
                unit: .requests, scope: .perEndpoint),
            Rule(
                name: "v4 balance", pathPrefix: "/api/v4/trade-account/balance", limit: 12_000,
                windowMilliseconds: window, unit: .requests, scope: .shared),
        ]
        let other = Rule(
            name: "other", pathPrefix: "", limit: 1_000, windowMilliseconds: window, unit: .requests,
            scope: .perPath
        )
        return RateLimitPolicy(
            dialect: .whitebit, share: share, rules: rules, fallback: other,
            clockToleranceMilliseconds: clockToleranceMilliseconds, ipBlockMilliseconds: 120_000
        )
    }
}
