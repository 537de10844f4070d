import CryptodModel
import CryptodWire
import Foundation
import Testing

@testable import CryptodIPC

/// End-to-end delivery over real Unix sockets in one process: a sender with its connector, and a
/// receiver behind a listener that tests stop and start to play "the receiver is down".
@Suite("Reliable delivery over Unix sockets", .timeLimit(.minutes(2)))
struct ReliableDeliveryTests {
    let settings = fastSettings()

    /// Runs a receiving listener named `writer` until the returned task is cancelled.
    func startReceiver(
        socket: String, consumer: RecordingConsumer, settings: LinkSettings
    ) -> (Task<Void, any Error>, StreamReceiver) {
        let receiver = StreamReceiver(
            name: "writer", consumer: consumer, logger: testLogger("receiver"), retryInitial: .milliseconds(10),
            retryMax: .milliseconds(50))
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: settings,
            logger: testLogger("listener"))
        let task = Task { try await listener.run { _ in LinkEndpoint(inbound: receiver) } }
        return (task, receiver)
    }

    func startSender(
        socket: String, directory: String, settings: LinkSettings
    ) throws -> (Task<Void, any Error>, ReliableSender) {
        let sender = try ReliableSender(
            stream: "ingestor-binance>writer", directory: directory, settings: settings, logger: testLogger("sender"))
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .ingestor, name: "ingestor-binance"), settings: settings,
            logger: testLogger("connector"), expectedRole: ProcessRoleFilter(.writer))
        let task = Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
        return (task, sender)
    }

    @Test("every frame arrives once and in order")
    func inOrderExactlyOnce() async throws {
        let dir = try TemporaryDirectory()
        let consumer = RecordingConsumer()
        let (receiverTask, _) = startReceiver(socket: dir.path + "/writer.sock", consumer: consumer, settings: settings)
        let (senderTask, sender) = try startSender(
            socket: dir.path + "/writer.sock", directory: dir.path + "/stream", settings: settings)
        for index in 1...5_000 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { await consumer.received.count >= 5_000 })
        let received = await consumer.received
        expectRun(received.map { Int($0.sequence) }, 1...5_000)
        expectRun(received.compactMap { tradeIndex($0.message) }, 1...5_000)
        #expect(await eventually { sender.stats.ackedThrough == 5_000 && sender.stats.memoryFrames == 0 })
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a frame queued just as the pump goes idle is still sent (no lost wake-up)")
    func noLostWakeup() async throws {
        // Regression: a frame queued between the pump finding nothing to send and the pump going to
        // sleep woke nobody, and sat unsent until the next frame. One frame at a time, each waited for,
        // makes that window come round thousands of times.
        let dir = try TemporaryDirectory()
        let consumer = RecordingConsumer()
        let (receiverTask, _) = startReceiver(socket: dir.path + "/writer.sock", consumer: consumer, settings: settings)
        let (senderTask, sender) = try startSender(
            socket: dir.path + "/writer.sock", directory: dir.path + "/stream", settings: settings)
        for index in 1...3_000 {
            try sender.send(tradeMessage(index))
            // Send the next frame the moment the ack lands, when the pump is waking up to look for work.
            let deadline = ContinuousClock.now + .seconds(10)
            while sender.stats.ackedThrough < UInt64(index), ContinuousClock.now < deadline { await Task.yield() }
            let delivered = sender.stats.ackedThrough == UInt64(index)
            #expect(delivered, "frame \(index) was not delivered")
            if !delivered { break }
        }
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("frames sent while the receiver is down arrive exactly once after it returns")
    func receiverDownThenUp() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        // The consumer keeps its position with its data, as the writer's sinks do, so a restarted
        // receiver process knows exactly what it already has even if acknowledgements were lost.
        let consumer = RecordingConsumer(positionFromRecords: true)
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: settings)
        var (receiverTask, _) = startReceiver(socket: socket, consumer: consumer, settings: settings)
        for index in 1...1_000 { try sender.send(tradeMessage(index)) }
        // Stop the receiver in the middle of the stream, acknowledged or not.
        #expect(await eventually { await consumer.received.count >= 400 })
        receiverTask.cancel()
        _ = await receiverTask.result
        for index in 1_001...3_000 { try sender.send(tradeMessage(index)) }
        #expect(sender.stats.ackedThrough < 3_000)
        (receiverTask, _) = startReceiver(socket: socket, consumer: consumer, settings: settings)
        #expect(await eventually { sender.stats.ackedThrough == 3_000 })
        let received = await consumer.received
        expectRun(received.compactMap { tradeIndex($0.message) }, 1...3_000)
        expectRun(received.map { Int($0.sequence) }, 1...3_000)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a receiver without a durable position accepts the replay of what it never acknowledged")
    func receiverRestartWithoutPosition() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let first = RecordingConsumer()
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: settings)
        let (firstTask, _) = startReceiver(socket: socket, consumer: first, settings: settings)
        for index in 1...600 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { sender.stats.ackedThrough == 600 })
        firstTask.cancel()
        _ = await firstTask.result
        for index in 601...900 { try sender.send(tradeMessage(index)) }
        // A fresh process (e.g. the gateway, which keeps nothing on disk) gets exactly what was not acknowledged.
        let second = RecordingConsumer()
        let (secondTask, _) = startReceiver(socket: socket, consumer: second, settings: settings)
        #expect(await eventually { sender.stats.ackedThrough == 900 })
        expectRun(await second.received.compactMap { tradeIndex($0.message) }, 601...900)
        senderTask.cancel()
        secondTask.cancel()
    }

    @Test("a receiver restarted with a durable position gets no duplicates")
    func durablePosition() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let first = RecordingConsumer()
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: settings)
        let (receiverTask, _) = startReceiver(socket: socket, consumer: first, settings: settings)
        for index in 1...500 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { await first.received.count == 500 })
        receiverTask.cancel()
        _ = await receiverTask.result
        for index in 501...800 { try sender.send(tradeMessage(index)) }
        // The restarted receiver knows (from its own storage) that it had everything through 500.
        let epoch = sender.stats.epoch
        let second = RecordingConsumer(durable: StreamPosition(epoch: epoch, deliveredThrough: 500))
        let (secondTask, _) = startReceiver(socket: socket, consumer: second, settings: settings)
        #expect(await eventually { await second.received.count >= 300 })
        try await Task.sleep(for: .milliseconds(200))
        expectRun(await second.received.compactMap { tradeIndex($0.message) }, 501...800)
        senderTask.cancel()
        secondTask.cancel()
    }

    @Test("beyond the memory limit frames spill to disk and are replayed in order")
    func spillAndReplay() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let small = fastSettings(memoryLimit: 16 << 10, segment: 32 << 10)
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: small)
        for index in 1...4_000 { try sender.send(tradeMessage(index)) }
        let stats = sender.stats
        #expect(stats.spillFrames > 3_000, "expected most frames on disk, stats: \(stats)")
        #expect(stats.memoryBytes <= 16 << 10)
        let segments = try FileManager.default.contentsOfDirectory(atPath: dir.path + "/stream").filter {
            $0.hasSuffix(".seg")
        }
        #expect(segments.count > 1)
        let consumer = RecordingConsumer()
        let (receiverTask, _) = startReceiver(socket: socket, consumer: consumer, settings: small)
        #expect(await eventually { await consumer.received.count >= 4_000 })
        expectRun(await consumer.received.compactMap { tradeIndex($0.message) }, 1...4_000)
        #expect(await eventually { sender.stats.spillFrames == 0 })
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a consumer that fails is retried; nothing is acknowledged or lost meanwhile")
    func consumerFailureRetried() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let consumer = RecordingConsumer()
        await consumer.failNext(5)
        let (receiverTask, _) = startReceiver(socket: socket, consumer: consumer, settings: settings)
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: settings)
        for index in 1...100 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { await consumer.received.count >= 100 })
        expectRun(await consumer.received.compactMap { tradeIndex($0.message) }, 1...100)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a sender closed and reopened replays what was unacknowledged")
    func senderRestart() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let streamDir = dir.path + "/stream"
        var (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: settings)
        for index in 1...700 { try sender.send(tradeMessage(index)) }
        senderTask.cancel()
        _ = await senderTask.result
        try await sender.close()
        #expect(throws: LinkError.self) { try sender.send(tradeMessage(0)) }
        let epoch = sender.stats.epoch
        // A new process instance of the sender: same directory, same epoch, continues numbering.
        (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: settings)
        #expect(sender.stats.epoch == epoch)
        #expect(sender.stats.nextSequence == 701)
        for index in 701...900 { try sender.send(tradeMessage(index)) }
        let consumer = RecordingConsumer()
        let (receiverTask, _) = startReceiver(socket: socket, consumer: consumer, settings: settings)
        #expect(await eventually { await consumer.received.count >= 900 })
        expectRun(await consumer.received.compactMap { tradeIndex($0.message) }, 1...900)
        expectRun(await consumer.sequences.map { Int($0) }, 1...900)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a sender that crashed continues above its reserved numbers and the receiver reports the gap")
    func senderCrash() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let streamDir = dir.path + "/stream"
        let consumer = RecordingConsumer()
        let (receiverTask, receiver) = startReceiver(socket: socket, consumer: consumer, settings: settings)
        var (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: settings)
        for index in 1...10 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { await consumer.received.count == 10 })
        senderTask.cancel()
        _ = await senderTask.result
        // No close(): as if the process was killed. Reopen from the same directory.
        (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: settings)
        #expect(sender.stats.nextSequence > 10 + 1)
        try sender.send(tradeMessage(11))
        #expect(await eventually { await consumer.received.count == 11 })
        let positions = await receiver.positions
        #expect(positions["ingestor-binance>writer"]?.deliveredThrough == sender.stats.nextSequence - 1)
        expectRun(await consumer.received.compactMap { tradeIndex($0.message) }, 1...11)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("past the spill limit the oldest frames are dropped and announced, the rest delivered")
    func spillLimitDrops() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let tiny = fastSettings(memoryLimit: 8 << 10, spillLimit: 64 << 10, segment: 16 << 10)
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: tiny)
        for index in 1...5_000 { try sender.send(tradeMessage(index)) }
        #expect(sender.stats.spillBytes <= 64 << 10 + 16 << 10)
        let consumer = RecordingConsumer()
        let (receiverTask, receiver) = startReceiver(socket: socket, consumer: consumer, settings: tiny)
        #expect(await eventually { await receiver.positions["ingestor-binance>writer"]?.deliveredThrough == 5_000 })
        let indices = await consumer.received.compactMap { tradeIndex($0.message) }
        #expect(indices.count < 5_000)
        #expect(indices == indices.sorted())
        #expect(indices.last == 5_000)
        #expect(Set(indices).count == indices.count)
        senderTask.cancel()
        receiverTask.cancel()
    }
}
