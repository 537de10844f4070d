import CryptodModel
import CryptodSinks
import Foundation
import Logging
import Synchronization
import Testing

/// The writer's sink machinery: spool, drain, acknowledgement rule, backpressure, restart.
@Suite struct SinkPipelineTests {
    @Test func spoolsWhileTheSinkIsDownAndDrainsInOrderWhenItReturns() async throws {
        let dir = try TemporaryDirectory()
        let sink = FlakySink(name: "postgres", keepsPositions: true)
        sink.setDown(true)
        let set = try SinkSet(sinks: [sink], spoolDirectory: dir.path, logger: testLogger, configure: fast)
        let runner = Task { await set.run() }
        for first in stride(from: UInt64(1), through: 13, by: 3) {
            try await set.deliver(batch(first...(first + 2)))
        }
        #expect(sink.sequences.isEmpty)
        #expect(await set.pipelines[0].spooledBatches == 5)
        // Open, or half-open for a probe that will fail again: never closed while the sink is down.
        #expect(await set.pipelines[0].breakerState != .closed)
        #expect(try await set.position(of: stream) == SinkPosition(epoch: 7, sequence: 15))
        sink.setDown(false)
        try await eventually { sink.sequences == Array(1...15) }
        try await eventually { await set.pipelines[0].spooledBatches == 0 }
        #expect(await set.pipelines[0].breakerState == .closed)
        #expect(await set.pipelines[0].spoolBytes == 0)
        await set.close()
        await runner.value
    }

    @Test("a chunk of flushMaxRows never cuts one frame's events (a marketBatch) in two")
    func chunksEndOnFrameBoundaries() async throws {
        let dir = try TemporaryDirectory()
        let sink = FlakySink(name: "postgres", keepsPositions: true)
        let set = try SinkSet(sinks: [sink], spoolDirectory: dir.path, logger: testLogger) { settings in
            fast(&settings)
            settings.flushMaxRows = 2
        }
        let runner = Task { await set.run() }
        // Frame 2 carries three events, frame 4 two: items 1, 2, 2, 2, 3, 4, 4.
        let items = batch(1...4).items
        let framed = [items[0], items[1], items[1], items[1], items[2], items[3], items[3]]
        try await set.deliver(SinkBatch(stream: stream, epoch: 7, items: framed))
        try await eventually { sink.sequences.count == framed.count }
        #expect(sink.writes == [[1, 2, 2, 2], [3, 4, 4]])
        await set.close()
        await runner.value
    }

    @Test func acknowledgementNeverPassesADurableSink() async throws {
        let dir = try TemporaryDirectory()
        let quick = FlakySink(name: "jsonl", keepsPositions: true)
        let slow = FlakySink(name: "postgres", keepsPositions: true)
        let cache = FlakySink(name: "redis", keepsPositions: false)
        slow.setBlocked(true)
        cache.setDown(true)
        let set = try SinkSet(sinks: [quick, slow, cache], spoolDirectory: dir.path, logger: testLogger) { settings in
            fast(&settings)
            settings.flushMaxAge = .seconds(60)  // no spooling by age: the slow sink must write it first
        }
        let runner = Task { await set.run() }
        let delivered = Atomic<Bool>(false)
        let delivery = Task {
            try await set.deliver(batch(1...3))
            delivered.store(true, ordering: .sequentiallyConsistent)
        }
        try await eventually { quick.sequences == [1, 2, 3] }
        try await Task.sleep(for: .milliseconds(300))
        let returnedEarly = delivered.load(ordering: .sequentiallyConsistent)
        #expect(!returnedEarly, "returned before the slow durable sink held the batch")
        #expect(try await set.position(of: stream) == nil, "the slow sink holds nothing yet")
        slow.setBlocked(false)
        try await delivery.value
        #expect(slow.sequences == [1, 2, 3])
        #expect(cache.sequences.isEmpty, "the cache was down and never held anything back")
        #expect(try await set.position(of: stream) == SinkPosition(epoch: 7, sequence: 3))
        await set.close()
        await runner.value
    }

    @Test func aSlowSinkIsSpooledAfterTheAgeLimitSoAcknowledgementsGoOn() async throws {
        let dir = try TemporaryDirectory()
        let slow = FlakySink(name: "rabbitmq", keepsPositions: false)
        slow.setBlocked(true)
        let set = try SinkSet(sinks: [slow], spoolDirectory: dir.path, logger: testLogger, configure: fast)
        let runner = Task { await set.run() }
        let started = ContinuousClock.now
        try await set.deliver(batch(1...3))
        try await set.deliver(batch(4...6))
        #expect(ContinuousClock.now - started < .seconds(2))
        slow.setBlocked(false)
        try await eventually { slow.sequences == Array(1...6) }
        #expect(slow.writes.allSatisfy { !$0.isEmpty }, "the in-flight batch spooled meanwhile is not written twice")
        await set.close()
        await runner.value
    }

    @Test func aFullSpoolSuspendsDeliveryUntilTheSinkDrainsIt() async throws {
        let dir = try TemporaryDirectory()
        let sink = FlakySink(name: "rabbitmq", keepsPositions: false)
        sink.setDown(true)
        let set = try SinkSet(sinks: [sink], spoolDirectory: dir.path, logger: testLogger) { settings in
            fast(&settings)
            settings.spoolLimit = 4096
            settings.spoolSegmentBytes = 1024
        }
        let runner = Task { await set.run() }
        let count = Atomic<Int>(0)
        let producer = Task {
            for index in UInt64(0)..<40 {
                try await set.deliver(batch((index * 5 + 1)...(index * 5 + 5)))
                count.add(1, ordering: .sequentiallyConsistent)
            }
        }
        try await eventually { await set.pipelines[0].isSpoolFull }
        let before = count.load(ordering: .sequentiallyConsistent)
        try await Task.sleep(for: .milliseconds(300))
        let later = count.load(ordering: .sequentiallyConsistent)
        #expect(later == before, "deliver must wait while the spool is full")
        #expect(before < 40)
        #expect(await set.pipelines[0].spoolBytes <= 4096 + 1024)
        sink.setDown(false)
        try await producer.value
        try await eventually { sink.sequences == Array(1...200) }
        #expect(await !set.pipelines[0].isSpoolFull)
        await set.close()
        await runner.value
    }

    @Test func aRestartRecoversTheSpoolFromDiskAndCutsATornRecord() async throws {
        let dir = try TemporaryDirectory()
        let before = FlakySink(name: "rabbitmq", keepsPositions: false)
        before.setDown(true)
        let first = try SinkSet(sinks: [before], spoolDirectory: dir.path, logger: testLogger, configure: fast)
        let runner = Task { await first.run() }
        for start in [UInt64(1), 4, 7] { try await first.deliver(batch(start...(start + 2))) }
        await first.close()
        await runner.value
        // A crash in the middle of the next append leaves half a record behind.
        let spool = dir.path + "/rabbitmq"
        let segment = try #require(
            try FileManager.default.contentsOfDirectory(atPath: spool).filter { $0.hasSuffix(".spool") }.sorted().last)
        let handle = try #require(FileHandle(forWritingAtPath: spool + "/" + segment))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data([0, 0, 1, 0, 0xAB, 0xCD, 0xEF, 0x01, 0x02]))
        try handle.close()

        let after = FlakySink(name: "rabbitmq", keepsPositions: false)
        let second = try SinkSet(sinks: [after], spoolDirectory: dir.path, logger: testLogger, configure: fast)
        #expect(try await second.position(of: stream) == SinkPosition(epoch: 7, sequence: 9))
        let rerun = Task { await second.run() }
        try await eventually { after.sequences == Array(1...9) }
        // What it wrote is remembered: a replay of the same frames is not published twice.
        try await second.deliver(batch(7...10))
        try await eventually { after.sequences == Array(1...10) }
        await second.close()
        await rerun.value
    }

    @Test func aSinkBehindAnotherGetsTheGapWhileTheOneAheadSkipsIt() async throws {
        let dir = try TemporaryDirectory()
        let ahead = FlakySink(name: "jsonl", keepsPositions: true, holding: SinkPosition(epoch: 7, sequence: 10))
        let behind = FlakySink(name: "postgres", keepsPositions: true, holding: SinkPosition(epoch: 7, sequence: 4))
        let set = try SinkSet(sinks: [ahead, behind], spoolDirectory: dir.path, logger: testLogger, configure: fast)
        let runner = Task { await set.run() }
        #expect(try await set.position(of: stream) == SinkPosition(epoch: 7, sequence: 4))
        try await set.deliver(batch(5...12))
        #expect(ahead.sequences == [11, 12])
        #expect(behind.sequences == Array(5...12))
        await set.close()
        await runner.value
    }

    @Test func breakerOpensAfterTheThresholdAndProbesAfterTheBackoff() {
        var breaker = CircuitBreaker(
            failureThreshold: 2, initialBackoff: .seconds(1), maxBackoff: .seconds(4), retryDelay: .milliseconds(10))
        let now = ContinuousClock.now
        let immediately = breaker.nextAttempt(now: now)
        #expect(immediately == nil)
        let openedFirst = breaker.recordFailure(now: now)
        #expect(!openedFirst)
        #expect(breaker.state == .closed)
        let openedSecond = breaker.recordFailure(now: now)
        #expect(openedSecond)
        #expect(breaker.state == .open)
        let waiting = breaker.nextAttempt(now: now + .milliseconds(500))
        #expect(waiting == now + .seconds(1))
        let probe = breaker.nextAttempt(now: now + .seconds(1))
        #expect(probe == nil)
        #expect(breaker.state == .halfOpen)
        breaker.recordFailure(now: now + .seconds(1))
        #expect(breaker.state == .open)
        let doubled = breaker.nextAttempt(now: now + .seconds(2))
        #expect(doubled == now + .seconds(3), "a failed probe doubles the backoff")
        _ = breaker.nextAttempt(now: now + .seconds(3))
        breaker.recordSuccess()
        #expect(breaker.state == .closed)
        #expect(breaker.state.gaugeValue == 0)
    }
}

// MARK: - Support

let stream = "ingestor-binance>writer"
let testLogger = Logger(label: "sink-tests")

/// Short timings so failure paths run in milliseconds.
@Sendable func fast(_ settings: inout SinkPipeline.Settings) {
    settings.failureThreshold = 1
    settings.retryDelay = .milliseconds(10)
    settings.initialBackoff = .milliseconds(30)
    settings.maxBackoff = .milliseconds(60)
    settings.flushMaxAge = .milliseconds(50)
}

func batch(_ sequences: ClosedRange<UInt64>, epoch: UInt64 = 7) -> SinkBatch {
    SinkBatch(
        stream: stream, epoch: epoch,
        items: sequences.map { sequence in
            var ticker = Ticker(
                market: MarketKey(exchange: .binance, symbol: "BTCUSDT"),
                time: Timestamp(nanoseconds: Int64(sequence) * 1_000_000),
                receivedAt: Timestamp(nanoseconds: Int64(sequence) * 1_000_000 + 5))
            ticker.last = "64000.10"
            return SinkItem(sequence: sequence, event: .ticker(ticker))
        })
}

/// Waits until `condition` holds, or fails after `timeout`.
func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            return
        }
        try await Task.sleep(for: .milliseconds(10))
    }
}

/// A fresh private directory per test, removed afterwards.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = "/tmp/sinks-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A sink that fails on purpose while down (or stalls while blocked), for the pipeline's failure paths
/// only. It keeps what it wrote in memory and reports its position like a database would.
final class FlakySink: Sink {
    private struct State {
        var down = false
        var blocked = false
        var writes: [[UInt64]] = []
        var position: SinkPosition?
    }

    let name: String
    let keepsPositions: Bool
    private let state: Mutex<State>

    init(name: String, keepsPositions: Bool, holding: SinkPosition? = nil) {
        self.name = name
        self.keepsPositions = keepsPositions
        state = Mutex(State(position: holding))
    }

    func setDown(_ down: Bool) { state.withLock { $0.down = down } }
    func setBlocked(_ blocked: Bool) { state.withLock { $0.blocked = blocked } }
    var writes: [[UInt64]] { state.withLock { $0.writes } }
    var sequences: [UInt64] { writes.flatMap { $0 } }

    func start() async throws {
        if state.withLock({ $0.down }) { throw SinkError(.unavailable, sink: name, "connection refused (test)") }
    }

    func position(of stream: String) async throws -> SinkPosition? {
        try state.withLock { state in
            if state.down { throw SinkError(.unavailable, sink: name, "connection refused (test)") }
            return keepsPositions ? state.position : nil
        }
    }

    func write(_ batch: SinkBatch) async throws {
        while state.withLock({ $0.blocked }) { try await Task.sleep(for: .milliseconds(5)) }
        try state.withLock { state in
            if state.down { throw SinkError(.unavailable, sink: name, "connection refused (test)") }
            state.writes.append(batch.items.map(\.sequence))
            state.position = batch.lastPosition
        }
    }

    func close() async {}

    func statusDetails() async -> [(String, String)] { [("writes", "\(writes.count)")] }
}
