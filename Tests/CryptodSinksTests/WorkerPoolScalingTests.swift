import CryptodOps
import Logging
import Synchronization
import Testing

@testable import CryptodSinks

/// The scaling driver without a pool: decisions are counted, logged at info with their reason, and reported.
@Suite struct WorkerPoolScalingTests {
    @Test("every decision is counted, logged at info with its reason, and shows in the report")
    func decisionsCountedAndLogged() {
        let records = LogRecords()
        let logger = Logger(label: "scaling-test") { _ in CapturingLogHandler(records: records) }
        let scaling = WorkerPoolScaling(
            process: "writer", pool: "redis", kind: .fast, bounds: WorkerBounds(min: 1, max: 2),
            settings: .init(tick: .milliseconds(10), upPerWorker: 10, downPerWorker: 1, patience: 1), logger: logger)
        #expect(scaling.desired == 1)
        #expect(scaling.sample(queueDepth: 5) == .hold)
        guard case .up(to: 2, _) = scaling.sample(queueDepth: 50) else {
            Issue.record("expected a scale-up")
            return
        }
        #expect(scaling.desired == 2)
        scaling.recordSize(2)
        #expect(scaling.sample(queueDepth: 500) == .hold)  // at its maximum
        var report = scaling.report()
        #expect(report.current == 2 && report.queueDepth == 500 && report.scaleUpsTotal == 1)
        #expect(report.lastDecision == "up to 2: queue 50 > 10 per worker for 1 samples")

        _ = scaling.setBounds(WorkerBounds(min: 1, max: 1))
        #expect(scaling.desired == 1)
        report = scaling.report()
        #expect(report.scaleDownsTotal == 1 && report.max == 1)
        #expect(report.lastDecision == "down to 1: bounds lowered to 1–1")

        let logged = records.all.filter { $0.message.hasPrefix("worker pool scales") }
        #expect(logged.map(\.message) == ["worker pool scales up", "worker pool scales down"])
        #expect(logged.allSatisfy { $0.level == .info })
        #expect(logged.first?.metadata["reason"] == "queue 50 > 10 per worker for 1 samples")
        #expect(logged.first?.metadata["pool"] == "redis" && logged.first?.metadata["process"] == "writer")
        #expect(logged.last?.metadata["from"] == "2" && logged.last?.metadata["to"] == "1")
    }

    @Test("the loop samples every tick, resizes after a decision, and ends when its pool is gone")
    func loop() async {
        let scaling = WorkerPoolScaling(
            process: "gateway", pool: "postgres_read", kind: .medium, bounds: WorkerBounds(min: 1, max: 3),
            settings: .init(tick: .milliseconds(5), upPerWorker: 1, downPerWorker: 0, patience: 1),
            logger: Logger(label: "scaling-test"))
        let counts = Counts()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await scaling.run(
                    depth: {
                        // A deep queue for 10 samples, then the owner is gone.
                        counts.samples.add(1, ordering: .relaxed).newValue <= 10 ? 100 : nil
                    },
                    resize: { counts.resizes.add(1, ordering: .relaxed) })
            }
        }
        #expect(counts.samples.load(ordering: .relaxed) == 11)
        #expect(counts.resizes.load(ordering: .relaxed) == 2, "1 → 2 → 3, then held at the maximum")
        #expect(scaling.desired == 3)
    }
}

private struct LogRecord: Sendable {
    var level: Logger.Level
    var message: String
    var metadata: [String: String]
}

private final class LogRecords: Sendable {
    private let records = Mutex<[LogRecord]>([])
    func append(_ record: LogRecord) { records.withLock { $0.append(record) } }
    var all: [LogRecord] { records.withLock { $0 } }
}

private struct CapturingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged: [String: String] = [:]
        for (key, value) in metadata { merged[key] = "\(value)" }
        for (key, value) in event.metadata ?? [:] { merged[key] = "\(value)" }
        records.append(LogRecord(level: event.level, message: "\(event.message)", metadata: merged))
    }
}

private final class Counts: Sendable {
    let samples = Atomic<Int>(0)
    let resizes = Atomic<Int>(0)
}
