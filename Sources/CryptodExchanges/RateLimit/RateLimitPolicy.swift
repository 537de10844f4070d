/// An exchange's published REST limits, scaled by the share of them cryptod may use.
///
/// A policy is data, so tests and the simulator can build their own and the governor has no per-exchange
/// branches except where the exchanges answer differently (``Dialect``). Each REST path maps to exactly one
/// ``Rule`` (the longest matching prefix); the rule says how much may be sent per fixed window and whether
/// all matching paths share one window (Binance's IP weight, Bybit's IP count, one WhiteBIT endpoint) or
/// each endpoint has its own (WhiteBIT's "per endpoint" limits).
///
/// Use ``binance(share:clockToleranceMilliseconds:)``, ``bybit(share:clockToleranceMilliseconds:)`` or
/// ``whitebit(share:clockToleranceMilliseconds:)``; `share` is the configured `rate_limit_share`.
public struct RateLimitPolicy: Sendable, Hashable {
    /// How an exchange reports usage and refusals; ``RateLimitGovernor/observe(status:headers:body:endpoint:weight:sentAt:now:)``
    /// reads responses accordingly.
    public enum Dialect: String, Sendable, Hashable {
        /// 429 + `Retry-After`, then 418 bans; `X-MBX-USED-WEIGHT-1M` on every answer.
        case binance
        /// 403 blocks the IP for at least 10 minutes; `retCode 10006` + `X-Bapi-Limit-*` per UID and endpoint.
        case bybit
        /// 429 without headers; wait for the endpoint's window to end.
        case whitebit
    }

    /// What a rule counts: request weight (Binance) or requests (Bybit, WhiteBIT: every call costs 1).
    public enum Unit: String, Sendable, Hashable {
        case weight
        case requests
    }

    /// Whether every path under a rule shares one window or each endpoint has its own.
    public enum Scope: Sendable, Hashable {
        /// One window for every path the rule matches.
        case shared
        /// One window per endpoint: the rule's prefix plus the next path segment, so
        /// `/api/v4/public/trades/BTC_USDT` and `…/trades/ETH_USDT` share `/api/v4/public/trades`.
        case perEndpoint
        /// One window per distinct path (query removed): for paths no published rule describes.
        case perPath
    }

    /// One published limit: `limit` units per fixed window of `windowMilliseconds`, aligned to the epoch of
    /// the exchange's clock (Binance minutes, Bybit 5 s, WhiteBIT 10 s).
    public struct Rule: Sendable, Hashable {
        /// A short name for reports and metrics, e.g. `REQUEST_WEIGHT`.
        public var name: String
        /// The paths it covers; `""` matches every path. Matching is by whole path segments.
        public var pathPrefix: String
        public var limit: Int
        public var windowMilliseconds: Int64
        public var unit: Unit
        public var scope: Scope
        /// A response header (lower case) carrying the exchange's own count for the current window, if any.
        public var usageHeader: String?

        public init(
            name: String, pathPrefix: String, limit: Int, windowMilliseconds: Int64, unit: Unit,
            scope: Scope, usageHeader: String? = nil
        ) {
            precondition(limit > 0 && windowMilliseconds > 0, "a rate-limit rule needs a positive limit and window")
            self.name = name
            self.pathPrefix = pathPrefix
            self.limit = limit
            self.windowMilliseconds = windowMilliseconds
            self.unit = unit
            self.scope = scope
            self.usageHeader = usageHeader?.lowercased()
        }
    }

    /// The fraction of the budget each priority may fill within one window.
    ///
    /// A request is admitted only while `used + cost ≤ floor(budget × fraction(priority))`, so with the
    /// defaults backfill always leaves 30 % and polling 10 % of every window to book resyncs.
    public struct PriorityFractions: Sendable, Hashable {
        public var backfill: Double
        public var polling: Double
        public var bookResync: Double
        public var verification: Double

        public init(backfill: Double = 0.7, polling: Double = 0.9, bookResync: Double = 1, verification: Double = 1) {
            for fraction in [backfill, polling, bookResync, verification] {
                precondition(fraction > 0 && fraction <= 1, "a priority fraction must be in (0, 1]")
            }
            self.backfill = backfill
            self.polling = polling
            self.bookResync = bookResync
            self.verification = verification
        }

        public func fraction(for priority: RequestPriority) -> Double {
            switch priority {
            case .backfill: backfill
            case .polling: polling
            case .bookResync: bookResync
            case .verification: verification
            }
        }
    }

    public var dialect: Dialect
    /// `rate_limit_share`: 0 < share ≤ 1.
    public var share: Double
    /// Every rule; a path takes the one with the longest matching prefix, or ``fallback``.
    public var rules: [Rule]
    /// The rule for paths no other rule matches (usually ``Scope/perPath``, so unknown paths stay apart).
    public var fallback: Rule
    public var priorities: PriorityFractions
    /// The largest error expected between `now` and the exchange's clock at the moment it counts a request
    /// (clock offset plus one-way latency). A request within this distance of a window boundary is charged
    /// to both windows, so the exchange's count of any window never exceeds ours; a whole budget sent just
    /// after our boundary cannot land in the exchange's previous window. Must be under half a window.
    public var clockToleranceMilliseconds: Int64
    /// How long a refusal without a stated end blocks: Bybit's 403 (at least 10 minutes) and a Binance 418
    /// without `Retry-After` or "banned until" (the shortest published ban, 2 minutes).
    public var ipBlockMilliseconds: Int64
    /// How many per-endpoint windows and endpoint blocks are tracked at most; beyond it endpoints share one
    /// overflow window per rule (stricter, never looser), so state stays bounded whatever paths arrive.
    public var maxTrackedEndpoints: Int

    public init(
        dialect: Dialect, share: Double, rules: [Rule], fallback: Rule,
        priorities: PriorityFractions = PriorityFractions(), clockToleranceMilliseconds: Int64,
        ipBlockMilliseconds: Int64, maxTrackedEndpoints: Int = 64
    ) {
        precondition(share > 0 && share <= 1, "rate_limit_share must be in (0, 1]")
        precondition(maxTrackedEndpoints > 0, "maxTrackedEndpoints must be positive")
        for rule in rules + [fallback] {
            precondition(
                clockToleranceMilliseconds >= 0 && clockToleranceMilliseconds * 2 < rule.windowMilliseconds,
                "clock tolerance must be under half of every window"
            )
        }
        self.dialect = dialect
        self.share = share
        self.rules = rules
        self.fallback = fallback
        self.priorities = priorities
        self.clockToleranceMilliseconds = clockToleranceMilliseconds
        self.ipBlockMilliseconds = ipBlockMilliseconds
        self.maxTrackedEndpoints = maxTrackedEndpoints
    }

    /// `floor(limit × share)`: what cryptod may spend of `rule` per window.
    ///
    /// A tiny epsilon keeps binary rounding from costing a unit (`0.7 × 600` is `419.99…` in `Double`).
    public func budget(of rule: Rule) -> Int {
        max(1, Int((Double(rule.limit) * share + 1e-9).rounded(.down)))
    }

    /// The most `priority` may have used in a window of `rule` after its request is charged.
    public func cap(of rule: Rule, for priority: RequestPriority) -> Int {
        max(1, Int((Double(budget(of: rule)) * priorities.fraction(for: priority) + 1e-9).rounded(.down)))
    }
}
