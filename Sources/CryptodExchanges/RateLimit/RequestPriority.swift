/// How urgent a REST call is, so a rate-limit budget is spent on what matters most first.
///
/// A book resync outranks live polling, which outranks backfill: a stale book is wrong data now, a late
/// ticker is old data, and a late backfill only finishes later. Key verification runs once at start-up
/// and decides whether the ingestor may run at all, so it ranks highest. Each priority may fill only a
/// fraction of a window (``RateLimitPolicy/PriorityFractions``), which keeps a reserve that lower
/// priorities can never take from higher ones.
public enum RequestPriority: Int, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    case backfill = 0
    case polling = 1
    case bookResync = 2
    case verification = 3

    public static func < (lhs: RequestPriority, rhs: RequestPriority) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String {
        switch self {
        case .backfill: "backfill"
        case .polling: "polling"
        case .bookResync: "bookResync"
        case .verification: "verification"
        }
    }
}
