import CryptodModel

/// What the Redis sink holds in memory: the latest value of every key it writes, which of them Redis does
/// not have yet, and the books it builds from snapshots and deltas.
///
/// Keeping the latest value per key (not a queue of commands) bounds the memory by the number of keys while
/// Redis is down, and lets a reconnect refill everything Redis lost by restarting.
///
/// **Shards.** The sink writes over several connections at once. Every key carries the hash of its market
/// (``shard(of:)``); with `n` connections, connection `i` writes the keys whose hash is `i` modulo `n`, so all
/// keys of a market go over one connection. A key handed to a connection is *in flight* until that write
/// ends, and no other connection is given it meanwhile: when `n` changes and the key moves to another
/// connection, an older value still on its way cannot land after a newer one.
struct RedisCacheState {
    struct Entry {
        var value: [UInt8]
        /// 0: no expiry.
        var ttlMilliseconds: Int64
        var expiresAt: ContinuousClock.Instant?
        var version: UInt64
        /// The market's hash (``shard(of:)``).
        var shard: UInt64
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
    /// Keys being written, with the connection (worker id) that writes them.
    private(set) var inFlight: [String: Int] = [:]
    private var nextVersion: UInt64 = 0

    var books: [MarketKey: OrderBook] = [:]
    var tickerTimes: [MarketKey: Timestamp] = [:]
    var candleOpenTimes: [String: Timestamp] = [:]
    var lastError: String?

    /// A stable hash of the market (FNV-1a over `exchange:type:symbol`): the same in every run, unlike
    /// `Hasher`, so a market's connection can be reasoned about in tests and logs.
    static func shard(of market: MarketKey) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "\(market.exchange.rawValue):\(market.type.description):\(market.symbol)".utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// Records the latest value of `key`, a key of the market whose hash is `shard`.
    mutating func set(_ key: String, shard: UInt64, value: [UInt8], ttl: Duration, now: ContinuousClock.Instant) {
        nextVersion &+= 1
        let milliseconds = ttl.roundedUpMilliseconds
        entries[key] = Entry(
            value: value, ttlMilliseconds: milliseconds, expiresAt: milliseconds > 0 ? now.advanced(by: ttl) : nil,
            version: nextVersion, shard: shard)
        dirty[key] = nextVersion
    }

    /// Whether connection `index` of `count` writes `key`'s market.
    static func owns(_ shard: UInt64, index: Int, of count: Int) -> Bool {
        count > 0 && shard % UInt64(count) == UInt64(index)
    }

    /// The writes Redis is missing from connection `index` of `count` (worker `worker`), marked in flight for
    /// it; keys in flight on any connection are left for later. Values whose time to live ran out are
    /// dropped instead (counted in `expired`).
    mutating func pendingWrites(
        now: ContinuousClock.Instant, shard index: Int, of count: Int, worker: Int
    ) -> (
        writes: [Write], expired: Int
    ) {
        var writes: [Write] = []
        var expired: [String] = []
        for (key, version) in dirty where inFlight[key] == nil {
            guard let entry = entries[key] else { continue }
            guard Self.owns(entry.shard, index: index, of: count) else { continue }
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
            inFlight[key] = worker
        }
        for key in expired {
            dirty[key] = nil
            entries[key] = nil
        }
        return (writes, expired.count)
    }

    /// Marks `writes` as held by Redis, unless a newer value arrived meanwhile, and no longer in flight.
    mutating func written(_ writes: [Write]) {
        for write in writes {
            inFlight[write.key] = nil
            if dirty[write.key] == write.version { dirty[write.key] = nil }
        }
    }

    /// `writes` did not reach Redis (the connection broke): no longer in flight, still dirty.
    mutating func released(_ writes: [Write]) {
        for write in writes { inFlight[write.key] = nil }
    }

    /// Dirty keys of connection `index` of `count` that no connection is writing now.
    func waiting(shard index: Int, of count: Int) -> Int {
        dirty.keys.reduce(0) { total, key in
            guard inFlight[key] == nil, let entry = entries[key] else { return total }
            return Self.owns(entry.shard, index: index, of: count) ? total + 1 : total
        }
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
