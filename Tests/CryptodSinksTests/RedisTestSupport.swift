import CryptodModel
import CryptodSinks
import Foundation
import Logging

@testable import CryptodSinks

/// Where the test Redis and RabbitMQ are (`scripts/test` sets these after starting real servers); unset, the
/// tests that need them are skipped by name.
enum RedisRabbitEnvironment {
    static let redisURL = ProcessInfo.processInfo.environment["CRYPTOD_TEST_REDIS_URL"]
    static let rabbitURL = ProcessInfo.processInfo.environment["CRYPTOD_TEST_RABBITMQ_URL"]
    static var hasRedis: Bool { redisURL != nil }
    static var hasRabbit: Bool { rabbitURL != nil }

    static func uniqueName(_ prefix: String) -> String {
        "\(prefix)\(UInt32.random(in: 0...UInt32.max))"
    }

    static let logger: Logger = {
        var logger = Logger(label: "sink-tests")
        logger.logLevel = .warning
        return logger
    }()
}

/// Market events with exact decimals for the Redis and RabbitMQ tests.
enum RedisRabbitFixtures {
    static let btc = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
    static let eth = MarketKey(exchange: .bybit, type: .linear, symbol: "ETHUSDT")
    static let baseMs: Int64 = 1_700_000_000_123

    static func ticker(_ market: MarketKey = btc, offsetMs: Int64 = 0, last: ExactDecimal = "43000.10") -> Ticker {
        var ticker = Ticker(
            market: market, time: Timestamp(milliseconds: baseMs + offsetMs),
            receivedAt: Timestamp(milliseconds: baseMs + 333 + offsetMs))
        ticker.last = last
        ticker.bid = "43000.00"
        ticker.bidQuantity = "1.50000000"
        ticker.ask = "43000.20"
        ticker.askQuantity = "0.25"
        ticker.volume = "1234.5678"
        return ticker
    }

    static func candle(
        _ market: MarketKey = btc, minute: Int64 = 0, closed: Bool = false, close: ExactDecimal = "43010.5",
        origin: DataOrigin = .live
    ) -> Candle {
        let open = Timestamp(seconds: 1_700_000_040 + minute * 60)
        return Candle(
            market: market, interval: .m1, openTime: open, open: "43000.00", high: "43020.00", low: "42990.00",
            close: close, volume: "12.000", quoteVolume: "516000.00", tradeCount: 42, isClosed: closed,
            receivedAt: Timestamp(seconds: open.seconds + (closed ? 61 : 30)), origin: origin)
    }

    static func trade(_ market: MarketKey = btc, id: Int, price: ExactDecimal = "43000.01") -> Trade {
        Trade(
            market: market, id: String(id), price: price, quantity: "0.00100000", side: id % 2 == 0 ? .buy : .sell,
            time: Timestamp(milliseconds: baseMs + Int64(id)),
            receivedAt: Timestamp(milliseconds: baseMs + Int64(id) + 5))
    }

    static func level(_ price: String, _ quantity: String) -> BookLevel {
        BookLevel(price: ExactDecimal(price)!, quantity: ExactDecimal(quantity)!)
    }

    static func snapshot(_ market: MarketKey = btc, updateID: UInt64 = 100) -> BookSnapshot {
        BookSnapshot(
            market: market, updateID: updateID, time: Timestamp(milliseconds: baseMs),
            receivedAt: Timestamp(milliseconds: baseMs + 2),
            bids: [level("100.00", "1"), level("99.50", "2"), level("99.00", "3")],
            asks: [level("100.50", "1.5"), level("101.00", "2.5"), level("102.00", "0.1")])
    }

    static func delta(_ market: MarketKey = btc, updateID: UInt64, bids: [BookLevel], asks: [BookLevel]) -> BookDelta {
        BookDelta(
            market: market, firstUpdateID: updateID, lastUpdateID: updateID,
            time: Timestamp(milliseconds: baseMs + Int64(updateID)),
            receivedAt: Timestamp(milliseconds: baseMs + Int64(updateID) + 1), bids: bids, asks: asks)
    }

    static func batch(
        _ events: [MarketEvent], stream: String = "ingestor-binance>writer", epoch: UInt64 = 7,
        firstSequence: UInt64 = 1
    ) -> SinkBatch {
        SinkBatch(
            stream: stream, epoch: epoch,
            items: events.enumerated().map { SinkItem(sequence: firstSequence + UInt64($0.offset), event: $0.element) })
    }

    /// A snapshot and `count` random deltas (seeded), plus the book they make computed independently of
    /// ``OrderBook``: a dictionary from price text (normalised) to level, sorted at the end.
    static func randomBook(count: Int, seed: UInt64) -> (events: [MarketEvent], bids: [[String]], asks: [[String]]) {
        var random = SeededRandom(seed: seed)
        let snap = snapshot(updateID: 1000)
        var bids: [Int: String] = [:]  // price in cents → quantity text
        var asks: [Int: String] = [:]
        for level in snap.bids { bids[cents(level.price)] = level.quantity.description }
        for level in snap.asks { asks[cents(level.price)] = level.quantity.description }
        var events: [MarketEvent] = [.bookSnapshot(snap)]
        for index in 0..<count {
            var deltaBids: [BookLevel] = []
            var deltaAsks: [BookLevel] = []
            for _ in 0..<Int(random.next() % 4) {
                let price = 9000 + Int(random.next() % 100)  // 90.00 ... 99.99
                let quantity = random.next() % 3 == 0 ? "0" : "\(random.next() % 50).\(random.next() % 1000)"
                deltaBids.append(level(text(price), quantity))
                if quantity == "0" { bids[price] = nil } else { bids[price] = ExactDecimal(quantity)!.description }
            }
            for _ in 0..<Int(random.next() % 4) {
                let price = 10050 + Int(random.next() % 100)  // 100.50 ... 101.49
                let quantity = random.next() % 3 == 0 ? "0.000" : "\(random.next() % 50).\(random.next() % 100)"
                deltaAsks.append(level(text(price), quantity))
                if ExactDecimal(quantity)!.isZero {
                    asks[price] = nil
                } else {
                    asks[price] = ExactDecimal(quantity)!.description
                }
            }
            events.append(.bookDelta(delta(updateID: 1001 + UInt64(index), bids: deltaBids, asks: deltaAsks)))
        }
        let topBids = bids.keys.sorted(by: >).prefix(20).map { [text($0), bids[$0]!] }
        let topAsks = asks.keys.sorted().prefix(20).map { [text($0), asks[$0]!] }
        return (events, topBids, topAsks)
    }

    private static func cents(_ price: ExactDecimal) -> Int { Int(price.rescaled(to: 2)!.mantissa) }

    private static func text(_ cents: Int) -> String {
        let fraction = cents % 100
        return "\(cents / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// A small deterministic generator (splitmix64), so a failing random book can be replayed.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A blocking Redis client for checking what the sink wrote (the sink's own hiredis wrapper).
final class RedisTestClient {
    let connection = RedisConnection()

    init(url: String) throws {
        try connection.open(RedisSinkConfiguration(url: url))
    }

    func get(_ key: String) throws -> String? {
        guard case .bulk(let bytes) = try connection.pipeline([[Array("GET".utf8), Array(key.utf8)]])[0] else {
            return nil
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func pttl(_ key: String) throws -> Int64 {
        guard case .integer(let value) = try connection.pipeline([[Array("PTTL".utf8), Array(key.utf8)]])[0] else {
            return -3
        }
        return value
    }

    func command(_ arguments: [String]) throws -> RedisReply {
        try connection.pipeline([arguments.map { Array($0.utf8) }])[0]
    }
}

/// A redis-server of the test's own on a free port, to stop and start (the shared one must keep running).
/// Spawned with posix_spawn and reaped with waitpid (Foundation's `waitUntilExit` can hang off the main thread).
final class RedisTestServer: @unchecked Sendable {
    let port: Int
    private var pid: pid_t = 0
    private let directory: String

    init() throws {
        port = Int.random(in: 42000...48000)
        directory = NSTemporaryDirectory() + "cryptod-redis-\(port)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try start()
    }

    var url: String { "redis://127.0.0.1:\(port)/0" }

    func start() throws {
        let arguments = [
            "/usr/bin/redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", directory, "--logfile", directory + "/redis.log",
        ]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, arguments[0], nil, nil, &argv, environ)
        guard status == 0 else { throw SinkError(.unavailable, sink: "redis-test", "posix_spawn failed: \(status)") }
        pid = child
        for _ in 0..<100 {
            if (try? RedisTestClient(url: url)) != nil { return }
            usleep(50_000)
        }
        throw SinkError(.unavailable, sink: "redis-test", "redis-server on port \(port) did not start")
    }

    func stop() {
        guard pid > 0 else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        pid = 0
    }

    deinit { stop() }
}
