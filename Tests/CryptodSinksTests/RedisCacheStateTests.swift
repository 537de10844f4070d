import CryptodModel
import Testing

@testable import CryptodSinks

/// How the Redis sink's memory hands keys to its connections (pure; the pool tests drive the real thing).
@Suite struct RedisCacheStateTests {
    static let now = ContinuousClock.now
    static let markets = (0..<50).map { MarketKey(exchange: .bybit, type: .linear, symbol: "S\($0)USDT") }

    /// Ticker and book keys of every market, with `value` as their value.
    static func filled(_ value: String) -> RedisCacheState {
        var state = RedisCacheState()
        for market in markets {
            let shard = RedisCacheState.shard(of: market)
            state.set("t:\(market.symbol)", shard: shard, value: Array(value.utf8), ttl: .seconds(60), now: now)
            state.set("b:\(market.symbol)", shard: shard, value: Array(value.utf8), ttl: .seconds(60), now: now)
        }
        return state
    }

    @Test("the market hash is stable and spreads markets over the connections", arguments: [1, 2, 3, 4, 8])
    func partition(count: Int) {
        var state = Self.filled("v1")
        var owner: [String: Int] = [:]
        for index in 0..<count {
            let (writes, expired) = state.pendingWrites(now: Self.now, shard: index, of: count, worker: index)
            #expect(expired == 0)
            for write in writes {
                #expect(owner[write.key] == nil, "\(write.key) given to two connections")
                owner[write.key] = index
            }
            if count <= 4 { #expect(!writes.isEmpty, "connection \(index) of \(count) got no market") }
        }
        #expect(owner.count == Self.markets.count * 2, "every key goes to exactly one connection")
        // A market's keys share their connection.
        for market in Self.markets { #expect(owner["t:\(market.symbol)"] == owner["b:\(market.symbol)"]) }
        #expect(
            RedisCacheState.shard(of: Self.markets[0]) == RedisCacheState.shard(of: Self.markets[0])
                && RedisCacheState.shard(of: Self.markets[0]) != RedisCacheState.shard(of: Self.markets[1]))
    }

    @Test("a key in flight on one connection is not given to another, even after a resize")
    func inFlightStaysPut() {
        var state = Self.filled("v1")
        // Two connections; connection 0 takes its share (version 1), then the pool grows to three.
        let (first, _) = state.pendingWrites(now: Self.now, shard: 0, of: 2, worker: 100)
        #expect(!first.isEmpty)
        // Newer values for everything arrive while connection 0 still writes.
        for market in Self.markets {
            let shard = RedisCacheState.shard(of: market)
            state.set("t:\(market.symbol)", shard: shard, value: Array("v2".utf8), ttl: .seconds(60), now: Self.now)
            state.set("b:\(market.symbol)", shard: shard, value: Array("v2".utf8), ttl: .seconds(60), now: Self.now)
        }
        let busy = Set(first.map(\.key))
        var given: [RedisCacheState.Write] = []
        for index in 0..<3 {
            given += state.pendingWrites(now: Self.now, shard: index, of: 3, worker: 200 + index).writes
        }
        #expect(given.allSatisfy { !busy.contains($0.key) }, "a key in flight was handed to a second connection")
        #expect(given.count == Self.markets.count * 2 - busy.count)

        // Connection 0's old write ends: the keys stay dirty (a newer version waits) and are free again.
        state.written(first)
        #expect(state.dirty.count == Self.markets.count * 2)
        var rest: [RedisCacheState.Write] = []
        for index in 0..<3 {
            rest += state.pendingWrites(now: Self.now, shard: index, of: 3, worker: 300 + index).writes
        }
        #expect(Set(rest.map(\.key)) == busy)
        #expect(rest.allSatisfy { $0.value == Array("v2".utf8) })
        state.written(given + rest)
        #expect(state.dirty.isEmpty && state.inFlight.isEmpty)
    }

    @Test("a write that did not reach Redis leaves its keys dirty and free for the next connection")
    func released() {
        var state = Self.filled("v1")
        let (writes, _) = state.pendingWrites(now: Self.now, shard: 0, of: 1, worker: 1)
        #expect(state.waiting(shard: 0, of: 1) == 0)
        state.released(writes)
        #expect(state.inFlight.isEmpty)
        #expect(state.waiting(shard: 0, of: 1) == Self.markets.count * 2)
        #expect(state.pendingWrites(now: Self.now, shard: 0, of: 1, worker: 2).writes.count == writes.count)
    }
}
