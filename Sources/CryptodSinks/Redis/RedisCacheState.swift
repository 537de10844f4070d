import CryptodModel

/// What the Redis sink holds in memory: the latest value of every key it writes, which of them Redis does
/// not have yet, and the books it builds from snapshots and deltas.
///
/// Keeping the latest value per key (not a queue of commands) bounds the memory by the number of keys while
/// Redis is down, and lets a reconnect refill everything Redis lost by restarting.
struct RedisCacheState {
    struct Entry {
        var value: [UInt8]
        /// 0: no expiry.
        var ttlMilliseconds: Int64
        var expiresAt: ContinuousClock.Instant?
        var version: UInt64
    }

    /// One `SET` to send.
    struct Write {
        var key: String
        var version: UInt64
        var value: [UInt8]
        /// Remaining time to live, so a value refilled late still expires when it would have; `nil`: none.
        var pxMilliseconds: Int64?
    }

    private(set) var entries: [String: Entry] = [:]
    /// Keys Redis does not hold at their latest version, with that version.
    private(set) var dirty: [String: UInt64] = [:]
    private var nextVersion: UInt64 = 0

    var books: [MarketKey: OrderBook] = [:]
    var tickerTimes: [MarketKey: Timestamp] = [:]
    var candleOpenTimes: [String: Timestamp] = [:]
    var connected = false
    var lastError: String?

    /// Records the latest value of `key`.
    mutating func set(_ key: String, value: [UInt8], ttl: Duration, now: ContinuousClock.Instant) {
        nextVersion &+= 1
        let milliseconds = ttl.roundedUpMilliseconds
        entries[key] = Entry(
            value: value, ttlMilliseconds: milliseconds, expiresAt: milliseconds > 0 ? now.advanced(by: ttl) : nil,
            version: nextVersion)
        dirty[key] = nextVersion
    }

    /// The writes Redis is missing. Values whose time to live ran out are dropped instead (counted in `expired`).
    mutating func pendingWrites(now: ContinuousClock.Instant) -> (writes: [Write], expired: Int) {
        var writes: [Write] = []
        writes.reserveCapacity(dirty.count)
        var expired: [String] = []
        for (key, version) in dirty {
            guard let entry = entries[key] else { continue }
            var px: Int64?
            if let expiresAt = entry.expiresAt {
                let remaining = (expiresAt - now).roundedUpMilliseconds
                if remaining <= 0 {
                    expired.append(key)
                    continue
                }
                px = remaining
            }
            writes.append(Write(key: key, version: version, value: entry.value, pxMilliseconds: px))
        }
        for key in expired {
            dirty[key] = nil
            entries[key] = nil
        }
        return (writes, expired.count)
    }

    /// Marks `writes` as held by Redis, unless a newer value arrived meanwhile.
    mutating func written(_ writes: [Write]) {
        for write in writes where dirty[write.key] == write.version { dirty[write.key] = nil }
    }

    /// After a reconnect: Redis may have restarted empty, so every value still alive is written again.
    mutating func markAllDirty(now: ContinuousClock.Instant) {
        for (key, entry) in entries {
            if let expiresAt = entry.expiresAt, expiresAt <= now {
                entries[key] = nil
                dirty[key] = nil
            } else {
                dirty[key] = entry.version
            }
        }
    }
}
