import CryptodModel
import CryptodWire
import Dispatch
import Foundation
import Testing

@testable import CryptodIPC

/// Sequence numbers reserved ahead of need on the disk thread, and `close()` saving there: what a crash or
/// a graceful stop leaves on disk, and what the next start makes of it.
@Suite("Sequence reservation and saving off the producer's thread", .timeLimit(.minutes(2)))
struct SequenceReservationTests {
    let settings = fastSettings()
    let stream = "ingestor-binance>writer"
    let block = StreamStateFile.reservationBlock

    func openSender(
        _ directory: String, settings: LinkSettings? = nil, diskThread: DiskThread = .shared
    ) throws -> ReliableSender {
        try ReliableSender(
            stream: stream, directory: directory, settings: settings ?? self.settings, logger: testLogger("sender"),
            diskThread: diskThread)
    }

    func stateFile(_ directory: String) throws -> StreamStateFile? {
        try PosixFile.readAll(directory + "/stream.state").flatMap { StreamStateFile(bytes: $0) }
    }

    /// Sends frames `range`, acknowledging as it goes (as a receiver would) so memory stays small, and
    /// yields between chunks as a real producer's task does.
    func produce(_ sender: ReliableSender, _ range: ClosedRange<Int>) async throws {
        let message = tradeMessage(1)
        for index in range {
            try sender.send(message)
            if index.isMultiple(of: 1_000) {
                sender.acknowledge(through: UInt64(index))
                await Task.yield()
            }
        }
    }

    @Test("numbering runs across many reservation blocks without a producer waiting for the disk")
    func manyBlocksNoStalls() async throws {
        let dir = try TemporaryDirectory()
        let sender = try openSender(dir.path)
        #expect(sender.stats.reservedThrough == block)
        let count = Int(4 * block + block / 4)
        try await produce(sender, 1...count)
        let stats = sender.stats
        #expect(stats.reservationStalls == 0, "a producer waited for a reservation write")
        #expect(stats.nextSequence == UInt64(count) + 1)
        // Each block's write started at its middle, so the reservation stays ahead of the numbers used.
        #expect(await eventually { !sender.stats.reserving })
        #expect(sender.stats.reservedThrough == 5 * block)
        let onDisk = try #require(try stateFile(dir.path))
        #expect(onDisk.reservedThrough == 5 * block)
        #expect(!onDisk.clean)
    }

    @Test("a producer that outruns the reservation waits for that one write, counts it, and numbering goes on")
    func outrunReservation() async throws {
        let dir = try TemporaryDirectory()
        // Its own disk thread, held so the write started at the block's middle cannot finish in time
        // (holding the shared one would stall the other tests' streams too).
        let diskThread = DiskThread()
        let sender = try openSender(dir.path, diskThread: diskThread)
        let hold = DispatchSemaphore(value: 0)
        diskThread.submit { hold.wait() }
        // Release it once the producer is stuck at the end of the block (or after a while, so a broken
        // sender fails the test instead of hanging it).
        Thread.detachNewThread {
            let deadline = Date().addingTimeInterval(30)
            while sender.stats.reservationStalls == 0, Date() < deadline { usleep(2_000) }
            hold.signal()
        }
        let count = Int(block) + 10
        try await produce(sender, 1...count)
        let stats = sender.stats
        #expect(stats.reservationStalls == 1)
        #expect(stats.nextSequence == UInt64(count) + 1)
        #expect(stats.reservedThrough == 2 * block)
        #expect(try stateFile(dir.path)?.reservedThrough == 2 * block)
    }

    @Test("after a crash that followed a reservation write, numbering continues above the reserved number")
    func crashAfterReservation() async throws {
        let dir = try TemporaryDirectory()
        let sender = try openSender(dir.path)
        let epoch = sender.stats.epoch
        let sent = Int(block / 2) + 1_000
        try await produce(sender, 1...sent)
        // Past the middle of the first block: the second block's reservation is written.
        #expect(await eventually { !sender.stats.reserving && sender.stats.reservedThrough == 2 * block })
        #expect(try stateFile(dir.path)?.reservedThrough == 2 * block)
        // No close(): as if the process was killed. Reopen from the same directory.
        let restarted = try openSender(dir.path)
        #expect(restarted.stats.epoch == epoch)
        #expect(restarted.stats.nextSequence == 2 * block + 1)
        #expect(restarted.stats.nextSequence > UInt64(sent) + 1)
        #expect(restarted.stats.reservedThrough == 3 * block)
        #expect(try stateFile(dir.path)?.reservedThrough == 3 * block)
    }

    @Test("close() saves memory and spill, even from a cancelled task, and a reopened sender replays it")
    func closePersistsEverything() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let streamDir = dir.path + "/stream"
        // Small limits: frames end up both in memory and in several spill segments.
        let small = fastSettings(memoryLimit: 16 << 10, segment: 32 << 10)
        let sender = try openSender(streamDir, settings: small)
        for index in 1...3_000 { try sender.send(tradeMessage(index)) }
        let before = sender.stats
        #expect(before.memoryFrames > 0 && before.spillFrames > 0)
        let segments = try FileManager.default.contentsOfDirectory(atPath: streamDir).filter { $0.hasSuffix(".seg") }
        #expect(segments.count > 2)

        // Shutdown often closes from a task that is already cancelled: the save must happen all the same.
        let closing = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await sender.close()
        }
        try await closing.value
        try await sender.close()
        #expect(throws: LinkError.self) { try sender.send(tradeMessage(0)) }
        #expect(sender.stats.memoryFrames == 0)
        #expect(sender.stats.spillFrames == 3_000)
        let onDisk = try #require(try stateFile(streamDir))
        #expect(onDisk.clean)
        #expect(onDisk.nextSequence == 3_001)

        let consumer = RecordingConsumer()
        let receiverTask = Task {
            let receiver = StreamReceiver(
                name: "writer", consumer: consumer, logger: testLogger("receiver"), retryInitial: .milliseconds(10),
                retryMax: .milliseconds(50))
            let listener = LinkListener(
                path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: small,
                logger: testLogger("listener"))
            try await listener.run { _ in LinkEndpoint(inbound: receiver) }
        }
        let reopened = try openSender(streamDir, settings: small)
        #expect(reopened.stats.epoch == before.epoch)
        #expect(reopened.stats.nextSequence == 3_001)
        #expect(reopened.stats.spillFrames == 3_000)
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .ingestor, name: "ingestor-binance"), settings: small,
            logger: testLogger("connector"), expectedRole: ProcessRoleFilter(.writer))
        let senderTask = Task { try await connector.run(endpoint: LinkEndpoint(outbound: reopened)) }
        for index in 3_001...3_100 { try reopened.send(tradeMessage(index)) }
        #expect(await eventually { await consumer.received.count >= 3_100 })
        expectRun(await consumer.received.compactMap { tradeIndex($0.message) }, 1...3_100)
        expectRun(await consumer.sequences.map { Int($0) }, 1...3_100)
        #expect(await eventually { reopened.stats.ackedThrough == 3_100 && reopened.stats.spillFrames == 0 })
        senderTask.cancel()
        receiverTask.cancel()
        _ = await senderTask.result
        _ = await receiverTask.result
        try await reopened.close()
    }
}
