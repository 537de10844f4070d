/// Monotonic counts of what a governor decided and what the exchange answered, for metrics and alerts.
///
/// Any non-zero ``banned418`` or ``blocked403`` is an incident: the governor exists to keep them at zero.
public struct RateLimitCounters: Sendable, Hashable {
    /// Requests answered ``RateLimitGovernor/Admission/proceed``.
    public var admitted = 0
    /// Requests answered ``RateLimitGovernor/Admission/wait(until:)`` (one waiter may count several times).
    public var deferred = 0
    /// HTTP 429 answers (Binance, Bybit's system protection, WhiteBIT).
    public var throttled429 = 0
    /// Binance HTTP 418: the IP is banned.
    public var banned418 = 0
    /// HTTP 403: Bybit's IP block, or Binance's WAF.
    public var blocked403 = 0
    /// Bybit `retCode 10006`: a per-UID endpoint limit was exceeded.
    public var rateLimited10006 = 0
    /// Usage headers that replaced the local count.
    public var usageHeadersApplied = 0
    /// Usage headers ignored because the answer may belong to either of two windows.
    public var usageHeadersAmbiguous = 0

    public init() {}
}
