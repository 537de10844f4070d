import CryptodFormats
import CryptodModel
import Foundation
import Testing

@testable import CryptodSinks

@Suite(
    "Redis sink (real redis-server)", .enabled(if: RedisRabbitEnvironment.hasRedis, "CRYPTOD_TEST_REDIS_URL is not set")
)
struct RedisSinkTests {
    typealias F = RedisRabbitFixtures

    private func makeSink(url: String? = nil, prefix: String, ttl: Duration? = nil) throws -> RedisSink {
        let configuration = try RedisSinkConfiguration(
            url: url ?? RedisRabbitEnvironment.redisURL!, keyPrefix: prefix, tickerTTL: ttl ?? .seconds(5),
            bookTTL: ttl ?? .seconds(1), candleTTL: ttl ?? .seconds(10), reconnectInterval: .milliseconds(100))
        return RedisSink(configuration: configuration, logger: RedisRabbitEnvironment.logger)
    }

    @Test("keys, TTLs and values are exact")
    func keysTTLsAndValues() async throws {
        let prefix = RedisRabbitEnvironment.uniqueName("cryptodtest")
        let sink = try makeSink(prefix: prefix)
        try await sink.start()
        #expect(sink.isConnected)
        try await sink.write(F.batch([.ticker(F.ticker()), .candle(F.candle()), .bookSnapshot(F.snapshot())]))
        let client = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)

        let tickerKey = "\(prefix):ticker:binance:spot:BTCUSDT"
        #expect(sink.keys.ticker(F.btc) == tickerKey)
        let ticker = try #require(try client.get(tickerKey))
        #expect(
            ticker
                == #"{"type":"ticker","exchange":"binance","market":"spot","symbol":"BTCUSDT","time":"2023-11-14T22:13:20.123Z","time_ms":1700000000123,"received_at":"2023-11-14T22:13:20.456Z","received_at_ms":1700000000456,"last":"43000.10","last_quantity":null,"bid":"43000.00","bid_quantity":"1.50000000","ask":"43000.20","ask_quantity":"0.25","open":null,"high":null,"low":null,"volume":"1234.5678","quote_volume":null,"change_percent":null,"origin":"live"}"#
        )
        let tickerTTL = try client.pttl(tickerKey)
        #expect(tickerTTL > 4000 && tickerTTL <= 5000)

        let candleKey = "\(prefix):candle:binance:spot:BTCUSDT:1m"
        let candle = try #require(try client.get(candleKey))
        #expect(
            candle
                == #"{"type":"candle","exchange":"binance","market":"spot","symbol":"BTCUSDT","interval":"1m","open_time":"2023-11-14T22:14:00.000Z","open_time_ms":1700000040000,"close_time":"2023-11-14T22:14:59.999Z","close_time_ms":1700000099999,"open":"43000.00","high":"43020.00","low":"42990.00","close":"43010.5","volume":"12.000","quote_volume":"516000.00","trade_count":42,"is_closed":false,"received_at":"2023-11-14T22:14:30.000Z","received_at_ms":1700000070000,"origin":"live"}"#
        )
        let candleTTL = try client.pttl(candleKey)
        #expect(candleTTL > 9000 && candleTTL <= 10000)

        let bookKey = "\(prefix):book:binance:spot:BTCUSDT"
        let book = try #require(try client.get(bookKey))
        #expect(
            book
                == #"{"type":"book","exchange":"binance","market":"spot","symbol":"BTCUSDT","update_id":100,"sequence":null,"time":"2023-11-14T22:13:20.123Z","time_ms":1700000000123,"received_at":"2023-11-14T22:13:20.125Z","received_at_ms":1700000000125,"depth":20,"best_bid":"100.00","best_ask":"100.50","bids":[["100.00","1"],["99.50","2"],["99.00","3"]],"asks":[["100.50","1.5"],["101.00","2.5"],["102.00","0.1"]],"origin":"live"}"#
        )
        let bookTTL = try client.pttl(bookKey)
        #expect(bookTTL > 0 && bookTTL <= 1000)

        // An older candle (a backfill) does not replace the newer one; trades write no key.
        try await sink.write(
            F.batch([.candle(F.candle(minute: -5, closed: true)), .trades([F.trade(id: 1)])], firstSequence: 10))
        #expect(try client.get(candleKey) == candle)
        let details = await sink.statusDetails()
        #expect(details.contains { $0 == ("connected", "yes") })
        await sink.close()
    }

    @Test("the book's top N after a snapshot and deltas equals an independently computed book")
    func bookTopN() async throws {
        let prefix = RedisRabbitEnvironment.uniqueName("cryptodtest")
        let sink = try makeSink(prefix: prefix, ttl: .seconds(30))
        try await sink.start()
        let (events, bids, asks) = F.randomBook(count: 400, seed: 42)
        // In several batches, as the writer would deliver them.
        var sequence: UInt64 = 1
        for chunk in stride(from: 0, to: events.count, by: 37).map({ Array(events[$0..<min($0 + 37, events.count)]) }) {
            try await sink.write(F.batch(chunk, firstSequence: sequence))
            sequence += UInt64(chunk.count)
        }
        // A stale delta (older id) changes nothing.
        try await sink.write(
            F.batch(
                [.bookDelta(F.delta(updateID: 5, bids: [F.level("99.99", "777")], asks: []))], firstSequence: sequence))
        let client = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)
        let text = try #require(try client.get("\(prefix):book:binance:spot:BTCUSDT"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["bids"] as? [[String]] == bids)
        #expect(object["asks"] as? [[String]] == asks)
        #expect(object["update_id"] as? Int == 1400)
        #expect(object["best_bid"] as? String == bids.first?[0])
        #expect(bids.count == 20 && asks.count == 20)
        await sink.close()
    }

    @Test("while Redis is down writes neither throw nor block; when it returns every value is refilled")
    func downThenUpRefills() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let prefix = "cryptodtest"
        let sink = try makeSink(url: server.url, prefix: prefix, ttl: .seconds(60))
        try await sink.start()
        try await sink.write(F.batch([.ticker(F.ticker()), .bookSnapshot(F.snapshot())]))
        let client = try RedisTestClient(url: server.url)
        #expect(try client.get("\(prefix):ticker:binance:spot:BTCUSDT") != nil)

        server.stop()
        let newer = F.ticker(offsetMs: 1000, last: "43111.11")
        let started = ContinuousClock.now
        // The first write after the stop finds the broken connection; the next ones do not even try.
        for index in 0..<3 {
            try await sink.write(
                F.batch(
                    [
                        .ticker(newer), .candle(F.candle(close: "43222.22")),
                        .bookDelta(F.delta(updateID: 101 + UInt64(index), bids: [F.level("100.10", "9")], asks: [])),
                    ],
                    firstSequence: 10 + UInt64(index) * 3))
        }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(!sink.isConnected)
        #expect(sink.pendingKeyCount == 3)

        try server.start()
        let fresh = try RedisTestClient(url: server.url)
        var refilled = false
        for _ in 0..<100 {
            if try fresh.get("\(prefix):candle:binance:spot:BTCUSDT:1m") != nil, sink.pendingKeyCount == 0 {
                refilled = true
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(refilled)
        #expect(sink.isConnected)
        let ticker = try #require(try fresh.get("\(prefix):ticker:binance:spot:BTCUSDT"))
        #expect(ticker.contains(#""last":"43111.11""#))
        let book = try #require(try fresh.get("\(prefix):book:binance:spot:BTCUSDT"))
        #expect(book.contains(#""bids":[["100.10","9"],["100.00","1"]"#))
        #expect(book.contains(#""update_id":103"#))
        let ttl = try fresh.pttl("\(prefix):ticker:binance:spot:BTCUSDT")
        #expect(ttl > 50_000 && ttl <= 60_000)
        let details = await sink.statusDetails()
        #expect(details.contains { $0.0 == "deferred" && $0.1 != "0" })
        await sink.close()
    }
}

@Suite("Redis sink configuration")
struct RedisSinkConfigurationTests {
    @Test("URLs parse with password, database and defaults")
    func configurationURLs() throws {
        let full = try RedisSinkConfiguration(url: "redis://user:p%40ss@redis.local:6380/3")
        #expect(full.host == "redis.local" && full.port == 6380 && full.database == 3)
        #expect(full.username == "user" && full.password == "p@ss")
        let plain = try RedisSinkConfiguration(url: "redis://127.0.0.1")
        #expect(plain.port == 6379 && plain.database == 0 && plain.password == nil)
        #expect(throws: SinkError.self) { try RedisSinkConfiguration(url: "http://x") }
        #expect(throws: SinkError.self) { try RedisSinkConfiguration(url: "redis://x/notanumber") }
    }
}
