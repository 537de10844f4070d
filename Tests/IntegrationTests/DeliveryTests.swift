import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Logging
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Reliable delivery across crashes of the receiver: this test process is a `.tool` peer streaming trades to
/// the real writer (with the real `ReliableSender` and `LinkConnector`) while the writer is killed.
@Suite("delivery", .timeLimit(.minutes(3)))
struct DeliveryTests {
    static let stream = "tool-delivery"

    @Test("frames sent while the writer is down arrive exactly once after it returns")
    func exactlyOnceAcrossWriterCrashes() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let daemon = try await Daemon.start(in: sandbox, config: TestConfig(), expecting: ["writer"])

        var logger = Logger(label: "test.delivery")
        logger.logLevel = .warning
        // One event per frame (no marketBatch), so that the lines' sequence numbers count the trades.
        let settings = LinkSettings(
            reconnectInitialBackoff: .milliseconds(50), reconnectMaxBackoff: .milliseconds(500), maxBatchEvents: 1)
        let sender = try ReliableSender(
            stream: "\(Self.stream)>writer", directory: sandbox.root + "/sender", settings: settings, logger: logger)
        let connector = LinkConnector(
            path: sandbox.socket("writer"), identity: LinkIdentity(role: .tool, name: Self.stream), settings: settings,
            logger: logger, expectedRole: ProcessRoleFilter(.writer))
        let link = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        defer { link.cancel() }

        // A steady producer, so each kill lands while frames are being written and acknowledged.
        let production = Production()
        let producer = Task { () throws -> UInt64 in
            var id: UInt64 = 0
            while !production.stop.load(ordering: .relaxed) {
                for _ in 0..<20 {
                    id += 1
                    try sender.send(Self.trade(id: id))
                }
                production.sent.store(id, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(20))
            }
            return id
        }
        defer { producer.cancel() }
        func awaitAcked(_ sequence: UInt64, _ what: String) async throws {
            try await eventually(what, lastSeen: { "sender \(sender.stats)\n\(await daemon.diagnostics())" }) {
                sender.stats.ackedThrough >= sequence ? true : nil
            }
        }

        var mark: UInt64 = 0
        for round in 1...3 {
            try await awaitAcked(mark + 300, "the writer acknowledging a live stream (round \(round))")
            let writer = try #require(try await daemon.status()["writer"])
            let pid = try #require(writer.pid)
            #expect(kill(pid, SIGKILL) == 0)
            let sentAtKill = production.sent.load(ordering: .relaxed)
            // The supervisor waits at least 1 s before it starts the writer again; the producer keeps going.
            let back = try await daemon.waitForStatus("writer restarted (round \(round))") { status in
                status["writer"]?.state == "running" && status["writer"]?.pid != pid
                    && status["writer"]?.restarts == writer.restarts + 1
            }
            #expect(back["writer"]?.lastExit?.code == Int(SIGKILL))
            mark = production.sent.load(ordering: .relaxed)
            #expect(mark > sentAtKill + 20, "frames were sent while the writer was down (round \(round))")
            try await awaitAcked(mark, "frames sent while the writer was down acknowledged (round \(round))")
        }
        production.stop.store(true, ordering: .relaxed)
        let last = try await producer.value
        try await awaitAcked(last, "every frame acknowledged")
        #expect(sender.stats.ackedThrough == last)
        #expect(sender.stats.nextSequence == last + 1)

        // An acknowledged frame is durable, but it may still sit in the writer's spool (a sink slower than
        // writer.flush_max_age spools so acknowledgements go on) until the spool drains into the file.
        let directory = sandbox.stateDirectory + "/jsonl/\(Self.stream)"
        let lines = try await eventually("every acknowledged frame written to the JSONL file", timeout: .seconds(60)) {
            let lines = try Self.writtenLines(under: directory)
            return lines.count >= Int(last) ? lines : nil
        }
        // Sequence numbers 1...last, contiguous and each once (the first break is enough to report).
        let firstBreak = lines.indices.first { lines[$0].seq != UInt64($0) + 1 }
        #expect(lines.count == Int(last), "\(lines.count) lines for \(last) frames")
        #expect(
            firstBreak == nil, "line \(firstBreak.map { $0 + 1 } ?? 0) has seq \(firstBreak.map { lines[$0].seq } ?? 0)"
        )
        var counts: [String: Int] = [:]
        for line in lines { counts[line.tradeID, default: 0] += 1 }
        let missing = (1...last).filter { counts[String($0)] == nil }
        let repeated = counts.filter { $0.value > 1 }.map(\.key).sorted()
        #expect(missing.isEmpty, "trades never written: \(missing.prefix(20))")
        #expect(repeated.isEmpty, "trades written more than once: \(repeated.prefix(20))")
        #expect(counts.count == Int(last))
        #expect(Set(lines.map(\.epoch)).count == 1, "one stream epoch throughout")
        #expect(lines.allSatisfy { $0.stream == "\(Self.stream)>writer" })
        let restarts = try await daemon.status()["writer"]?.restarts
        #expect(restarts == 3)

        link.cancel()
        try? await sender.close()
        #expect(await daemon.terminate() == 0)
    }

    /// What the producer has sent, and when it should stop.
    final class Production: Sendable {
        let sent = Atomic<UInt64>(0)
        let stop = Atomic<Bool>(false)
    }

    /// Trade number `id`: the id is the only thing the check reads back.
    static func trade(id: UInt64) -> MarketEvent {
        let now = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        return .trades([
            Trade(
                market: MarketKey(exchange: .binance, symbol: "BTCUSDT"), id: String(id), price: "65000.5",
                quantity: "0.001",
                side: id.isMultiple(of: 2) ? .buy : .sell, time: now, receivedAt: now)
        ])
    }

    struct Line {
        let stream: String
        let epoch: UInt64
        let seq: UInt64
        let tradeID: String
    }

    /// Every line of the writer's JSONL files for one sender, in file order (one file per UTC day).
    static func writtenLines(under directory: String) throws -> [Line] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }
            .sorted()
        var lines: [Line] = []
        for name in names {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            for raw in text.split(separator: "\n") {
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any], "line: \(raw)")
                #expect(object["type"] as? String == "trades", "line: \(raw)")
                let trades = try #require(object["trades"] as? [[String: Any]])
                #expect(trades.count == 1)
                lines.append(
                    Line(
                        stream: object["stream"] as? String ?? "",
                        epoch: (object["epoch"] as? NSNumber)?.uint64Value ?? 0,
                        seq: (object["seq"] as? NSNumber)?.uint64Value ?? 0,
                        tradeID: trades.first?["id"] as? String ?? ""))
            }
        }
        return lines
    }
}
