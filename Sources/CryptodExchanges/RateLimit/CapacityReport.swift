public import CryptodModel

/// What a governor has used and may still use, for the scheduler's planning and for metrics
/// ("Binance usage 200/6000, budget 4800, resets 12:01:00").
public struct CapacityReport: Sendable, Hashable {
    /// One fixed-window budget: a shared rule, or one endpoint of a per-endpoint rule.
    public struct Budget: Sendable, Hashable {
        /// The rule's name, e.g. `REQUEST_WEIGHT`, `IP`, `v4 orderbook`.
        public var name: String
        /// The endpoint for per-endpoint rules (`*` for the overflow bucket), the rule's prefix otherwise.
        public var endpoint: String
        public var unit: RateLimitPolicy.Unit
        /// Charged in the current window (what the exchange reported, plus what was sent since).
        public var used: Int
        /// Admitted in the current window and not yet answered.
        public var inFlight: Int
        /// The exchange's published limit per window.
        public var limit: Int
        /// `floor(limit × share)`: what cryptod may use.
        public var budget: Int
        public var windowStart: Timestamp
        /// When the current window ends (on the exchange's clock).
        public var resetAt: Timestamp
        /// When requests under this budget may be sent again, if they are blocked now.
        public var blockedUntil: Timestamp?

        public var remaining: Int { max(0, budget - used) }
    }

    /// What Bybit's per-UID headers said about one signed endpoint.
    public struct Endpoint: Sendable, Hashable {
        public var endpoint: String
        /// `X-Bapi-Limit`.
        public var limit: Int?
        /// `X-Bapi-Limit-Status` of the last answer.
        public var remaining: Int?
        public var blockedUntil: Timestamp?

        public init(endpoint: String, limit: Int?, remaining: Int?, blockedUntil: Timestamp?) {
            self.endpoint = endpoint
            self.limit = limit
            self.remaining = remaining
            self.blockedUntil = blockedUntil
        }
    }

    public var dialect: RateLimitPolicy.Dialect
    public var now: Timestamp
    public var budgets: [Budget]
    public var endpoints: [Endpoint]
    /// Every request waits until then (after a 429, a 403 or a ban).
    public var blockedUntil: Timestamp?
    /// A Binance 418 ban's end, while it lasts.
    public var bannedUntil: Timestamp?
    public var counters: RateLimitCounters
}
