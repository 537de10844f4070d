import CryptodModel
import CryptodOps
import Foundation
import NIOPosix
import Synchronization
import Testing

@testable import CryptodSinks

/// The Redis sink's connection pool against a real redis-server: it grows while values wait (Redis paused),
/// shrinks when idle, keeps each key's writes in order, and takes new bounds at run time.
@Suite(
    "Redis sink connection pool (real redis-server)",
    .enabled(if: RedisRabbitEnvironment.hasRedis, "CRYPTOD_TEST_REDIS_URL is not set"))
struct RedisPoolTests {
    typealias F = RedisRabbitFixtures

    /// Quick ticks, so a test sees several decisions in a second.
    static let quick = WorkerPoolScaling.Settings(
        tick: .milliseconds(20), upPerWorker: 32, downPerWorker: 2, patience: 2)

    static func markets(_ count: Int) -> [MarketKey] {
        (0..<count).map { MarketKey(exchange: .binance, type: .spot, symbol: "M\($0)USDT") }
    }

    /// One ticker per market whose `last` is `round` (and whose time grows with it).
    static func round(_ round: Int, _ markets: [MarketKey]) -> SinkBatch {
        F.batch(
            markets.map { .ticker(F.ticker($0, offsetMs: Int64(round), last: ExactDecimal("\(round)")!)) },
            firstSequence: UInt64(round * markets.count))
    }

    /// The round a ticker value says, from its `"last":"N"`.
    static func roundOf(_ value: String?) -> Int? {
        guard let value, let range = value.range(of: #""last":""#) else { return nil }
        return Int(value[range.upperBound...].prefix { $0.isNumber })
    }

    private func makeSink(
        url: String? = nil, prefix: String, bounds: WorkerBounds, scaling: WorkerPoolScaling.Settings = quick
    ) throws -> RedisSink {
        // A command timeout above the pauses below: a paused server is slow, not gone.
        let configuration = try RedisSinkConfiguration(
            url: url ?? RedisRabbitEnvironment.redisURL!, keyPrefix: prefix, tickerTTL: .seconds(60),
            commandTimeout: .seconds(5), reconnectInterval: .milliseconds(100))
        return RedisSink(
            configuration: configuration, logger: RedisRabbitEnvironment.logger, workerBounds: bounds,
            scaling: scaling)
    }

    private func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () throws -> Bool) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try condition()
    }

    @Test("grows toward max while Redis is slow, shrinks to min when idle; every key ends at its latest value")
    func growsAndShrinks() async throws {
        let prefix = RedisRabbitEnvironment.uniqueName("cryptodpool")
        let markets = Self.markets(200)
        let sink = try makeSink(prefix: prefix, bounds: WorkerBounds(min: 1, max: 4))
        try await sink.start()
        #expect(sink.connectionCount == 1)
        #expect(sink.poolReport().current == 1)

        // The largest pool seen, sampled beside the writes.
        let flags = Flags()
        let sampling = Task {
            while !Task.isCancelled {
                flags.largest.max(sink.connectionCount, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        // A reader on a thread of its own polls some keys throughout: a key's round must never go back,
        // which would mean an older write landed after a newer one.
        let reader = NIOThreadPool(numberOfThreads: 1)
        reader.start()
        let watched = stride(from: 0, to: markets.count, by: 7).map { sink.keys.ticker(markets[$0]) }
        let reading = Task {
            try await reader.runIfActive { () throws -> [String] in
                let client = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)
                var seen: [String: Int] = [:]
                var backwards: [String] = []
                while !flags.stop.load(ordering: .relaxed) {
                    for key in watched {
                        guard let round = Self.roundOf(try client.get(key)) else { continue }
                        if let previous = seen[key], round < previous {
                            backwards.append("\(key): \(previous) → \(round)")
                        }
                        seen[key] = round
                    }
                }
                return backwards
            }
        }

        let control = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)
        let rounds = 40
        for round in 1...rounds {
            // Every tenth round Redis stops taking writes for 400 ms: the values of the round wait.
            if round % 10 == 1 { _ = try control.command(["CLIENT", "PAUSE", "400", "WRITE"]) }
            try await sink.write(Self.round(round, markets))
        }
        _ = try control.command(["CLIENT", "UNPAUSE"])

        #expect(flags.largest.load(ordering: .relaxed) == 4, "the pool grew to its maximum while values waited")
        let grown = sink.poolReport()
        #expect(grown.scaleUpsTotal >= 3)
        #expect(grown.max == 4 && grown.min == 1 && grown.kind == .fast && grown.pool == "redis")
        #expect(grown.lastDecision != nil)

        // Idle: back to the minimum, one connection at a time.
        #expect(await waitUntil { sink.connectionCount == 1 && sink.poolReport().current == 1 })
        #expect(sink.poolReport().scaleDownsTotal >= 3)
        #expect(sink.poolReport().queueDepth == 0)

        flags.stop.store(true, ordering: .relaxed)
        let backwards = try await reading.value
        sampling.cancel()
        try await reader.shutdownGracefully()
        #expect(backwards.isEmpty, "a key went back to an older value: \(backwards.prefix(5))")

        // Nothing lost: every key holds the last round.
        #expect(sink.pendingKeyCount == 0)
        let client = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)
        var wrong: [String] = []
        for market in markets {
            let key = sink.keys.ticker(market)
            let round = Self.roundOf(try client.get(key))
            if round != rounds { wrong.append("\(key): \(round.map(String.init) ?? "missing")") }
        }
        #expect(wrong.isEmpty, "keys without their latest value: \(wrong.prefix(5))")
        await sink.close()
        #expect(sink.connectionCount == 0)
    }

    @Test("setWorkerBounds clamps the pool at run time; values land across every resize")
    func boundsAtRunTime() async throws {
        let prefix = RedisRabbitEnvironment.uniqueName("cryptodpool")
        let markets = Self.markets(60)
        // Ticks too slow to matter: only the bounds change the size here.
        let sink = try makeSink(
            prefix: prefix, bounds: WorkerBounds(min: 1, max: 4),
            scaling: WorkerPoolScaling.Settings(tick: .seconds(3600), upPerWorker: 32, downPerWorker: 2))
        try await sink.start()
        #expect(sink.connectionCount == 1)
        let client = try RedisTestClient(url: RedisRabbitEnvironment.redisURL!)
        func allAt(_ round: Int) throws -> Bool {
            try markets.allSatisfy { Self.roundOf(try client.get(sink.keys.ticker($0))) == round }
        }

        try await sink.write(Self.round(1, markets))
        #expect(try allAt(1))

        await sink.setWorkerBounds(WorkerBounds(min: 3, max: 6))
        var report = sink.poolReport()
        #expect(sink.connectionCount == 3)
        #expect(report.current == 3 && report.min == 3 && report.max == 6 && report.scaleUpsTotal == 1)
        #expect(report.lastDecision?.contains("bounds raised to 3–6") == true)
        #expect(sink.isConnected)
        try await sink.write(Self.round(2, markets))
        #expect(try allAt(2))

        await sink.setWorkerBounds(WorkerBounds(min: 1, max: 2))
        report = sink.poolReport()
        #expect(sink.connectionCount == 2)
        #expect(report.current == 2 && report.max == 2 && report.scaleDownsTotal == 1)
        try await sink.write(Self.round(3, markets))
        #expect(try allAt(3))

        // Through the Sink protocol and the writer's SinkSet: only the `fast` kind applies to this pool.
        let set = try SinkSet(
            sinks: [sink], spoolDirectory: NSTemporaryDirectory() + prefix, logger: RedisRabbitEnvironment.logger)
        await set.setWorkerBounds(kind: .medium, bounds: WorkerBounds(min: 5, max: 5))
        #expect(sink.connectionCount == 2)
        await set.setWorkerBounds(kind: .fast, bounds: WorkerBounds(min: 1, max: 1))
        #expect(sink.connectionCount == 1)
        #expect(set.poolReports() == [sink.poolReport()])
        #expect(set.poolReports().first?.current == 1)
        try await sink.write(Self.round(4, markets))
        #expect(try allAt(4))
        let details = await sink.statusDetails()
        #expect(details.contains { $0 == ("connections", "1/1 open (bounds 1-1)") })
        await sink.close()
    }

    @Test("each connection reconnects on its own: Redis down, the sink goes on; back, every value is refilled")
    func reconnectsPerConnection() async throws {
        let server = try RedisTestServer()
        defer { server.stop() }
        let markets = Self.markets(30)
        let sink = try makeSink(
            url: server.url, prefix: "cryptodpool", bounds: WorkerBounds(min: 3, max: 3),
            scaling: WorkerPoolScaling.Settings(tick: .seconds(3600), upPerWorker: 32, downPerWorker: 2))
        try await sink.start()
        #expect(sink.connectionCount == 3 && sink.isConnected)
        try await sink.write(Self.round(1, markets))

        server.stop()
        let started = ContinuousClock.now
        for round in 2...4 { try await sink.write(Self.round(round, markets)) }
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(!sink.isConnected)
        #expect(sink.pendingKeyCount == markets.count)
        #expect(sink.queueDepth == 0, "a pool with no connection up does not count values as waiting")

        try server.start()
        let client = try RedisTestClient(url: server.url)
        let refilled = try await waitUntil {
            try sink.pendingKeyCount == 0
                && markets.allSatisfy { Self.roundOf(try client.get(sink.keys.ticker($0))) == 4 }
        }
        #expect(refilled)
        #expect(sink.isConnected)
        #expect(sink.connectionCount == 3)
        await sink.close()
    }
}

/// Shared between a test and the tasks beside it (an `Atomic` cannot be captured by itself).
private final class Flags: Sendable {
    let stop = Atomic<Bool>(false)
    let largest = Atomic<Int>(0)
}
