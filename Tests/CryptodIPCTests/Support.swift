import CryptodModel
import CryptodWire
import Foundation
import Logging
import Synchronization
import Testing

@testable import CryptodIPC

/// A fresh private directory per test, removed afterwards.
struct TemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        // Socket paths must stay under 108 bytes, so keep the root short.
        let root = "/tmp/cipc-" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        path = root
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Records what a receiver delivered, in order; can fail on demand and can keep a durable position,
/// either fixed or derived from what it recorded (as a sink that stores positions with its data does).
actor RecordingConsumer: StreamConsumer {
    private(set) var received: [SequencedMessage] = []
    private(set) var deliveries = 0
    private var failuresLeft = 0
    private var lastEpoch: UInt64 = 0
    private let durable: StreamPosition?
    private let positionFromRecords: Bool

    init(durable: StreamPosition? = nil, positionFromRecords: Bool = false) {
        self.durable = durable
        self.positionFromRecords = positionFromRecords
    }

    func failNext(_ count: Int) { failuresLeft = count }

    func position(of stream: String) async throws -> StreamPosition? {
        if positionFromRecords, let last = received.last {
            return StreamPosition(epoch: lastEpoch, deliveredThrough: last.sequence)
        }
        return durable
    }

    func consume(_ delivery: StreamDelivery) async throws {
        if failuresLeft > 0 {
            failuresLeft -= 1
            throw ConsumerDown()
        }
        deliveries += 1
        lastEpoch = delivery.epoch
        received.append(contentsOf: delivery.items)
    }

    var sequences: [UInt64] { received.map(\.sequence) }

    struct ConsumerDown: Error {}
}

func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = ProcessInfo.processInfo.environment["CRYPTOD_TEST_LOG"] == nil ? .critical : .debug
    return logger
}

/// Fast settings so tests never wait long on timers. One event per frame unless `batchEvents` says
/// otherwise, so that tests of the delivery mechanics can count frames as events.
func fastSettings(
    memoryLimit: Int = 1 << 20, spillLimit: Int = 64 << 20, segment: Int = 1 << 20, batchEvents: Int = 1,
    batchBytes: Int = 64 << 10
) -> LinkSettings {
    LinkSettings(
        heartbeatInterval: .milliseconds(200), heartbeatTimeout: .seconds(2), handshakeTimeout: .seconds(2),
        reconnectInitialBackoff: .milliseconds(20), reconnectMaxBackoff: .milliseconds(200),
        memoryLimit: memoryLimit, spillLimit: spillLimit, spillSegmentBytes: segment, maxBatch: 512,
        maxBatchEvents: batchEvents, maxBatchBytes: batchBytes)
}

/// The trade indices of every market event in `messages`, batched or not, in order.
func tradeIndices(_ messages: [SequencedMessage]) -> [Int] {
    messages.flatMap { item in
        item.message.marketEvents.compactMap { event -> Int? in
            guard case .trades(let trades) = event else { return nil }
            return Int(trades[0].id)
        }
    }
}

/// A trade message whose id encodes `index`, so tests can check content as well as sequence numbers.
func tradeMessage(_ index: Int) -> Message {
    let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")
    let trade = Trade(
        market: market, id: String(index), price: ExactDecimal(mantissa: Int128(6_500_000 + index), scale: 2)!,
        quantity: "0.00100000", side: index.isMultiple(of: 2) ? .buy : .sell,
        time: Timestamp(milliseconds: 1_700_000_000_000 + Int64(index)),
        receivedAt: Timestamp(milliseconds: 1_700_000_000_001))
    return .trades([trade])
}

func tradeIndex(_ message: Message) -> Int? {
    guard case .trades(let trades) = message else { return nil }
    return Int(trades[0].id)
}

/// Polls `condition` until it holds or `timeout` passes (tests observe behaviour, not speed; the timeout
/// only bounds a hang).
func eventually(timeout: Duration = .seconds(20), _ condition: @Sendable () async -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if await condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return await condition()
}

/// Checks `values` equals `expected` and, when not, says where they first differ instead of printing
/// thousands of numbers.
func expectRun(_ values: [Int], _ expected: ClosedRange<Int>, sourceLocation: SourceLocation = #_sourceLocation) {
    let wanted = Array(expected)
    guard values != wanted else { return }
    let firstDifference = Array(zip(values, wanted)).firstIndex { $0.0 != $0.1 } ?? min(values.count, wanted.count)
    let got = firstDifference < values.count ? String(values[firstDifference]) : "end"
    Issue.record(
        "expected \(expected.lowerBound)...\(expected.upperBound) (\(wanted.count) values), got \(values.count) values; first difference at index \(firstDifference): \(got)",
        sourceLocation: sourceLocation)
}
