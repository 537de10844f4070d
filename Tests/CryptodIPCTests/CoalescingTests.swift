import CryptodModel
import CryptodWire
import Foundation
import NIOCore
import Testing

@testable import CryptodIPC

/// Adaptive batching in the sender: events queued while nothing can be written share frames
/// (`marketBatch`), a lone event on an idle stream goes out at once in a frame of its own, and delivery
/// stays exactly once and in order through reconnects, spills and restarts.
@Suite("Coalescing market events", .timeLimit(.minutes(2)))
struct CoalescingTests {
    static let stream = "ingestor-binance>writer"

    /// A sender behind a listener (the side that sends its stream), and a raw peer speaking `version`.
    final class RawPeer {
        let directory: TemporaryDirectory
        let sender: ReliableSender
        let task: Task<Void, any Error>
        let client: RawClient
        let resume: StreamResume

        init(settings: LinkSettings, version: UInt16 = WireProtocol.version) async throws {
            directory = try TemporaryDirectory()
            let socket = directory.path + "/ingestor.sock"
            let sender = try ReliableSender(
                stream: CoalescingTests.stream, directory: directory.path + "/stream", settings: settings,
                logger: testLogger("sender"))
            self.sender = sender
            let listener = LinkListener(
                path: socket, identity: LinkIdentity(role: .ingestor, name: "ingestor-binance"), settings: settings,
                logger: testLogger("listener"))
            task = Task { try await listener.run { _ in LinkEndpoint(outbound: sender) } }
            #expect(await eventually { LinkListener.isLive(socket) })
            client = try RawClient(path: socket)
            client.send(
                .hello(Hello(minimumVersion: 2, version: version, role: .writer, name: "writer", pid: 1, buildID: "x")))
            let (opening, _) = await client.readFrames(max: 2)
            guard opening.count == 2, case .streamResume(let resume) = try Message(frame: opening[1]) else {
                throw LinkError.handshakeFailed("expected hello and streamResume, got \(opening.map(\.type))")
            }
            self.resume = resume
        }

        /// Answers the resume: from now on the sender writes.
        func answer(deliveredThrough: UInt64 = 0) {
            client.send(.streamResumed(StreamResumed(epoch: resume.epoch, deliveredThrough: deliveredThrough)))
        }

        /// Reads `count` frames (a hang guard, not a timer the test depends on), skipping heartbeats.
        func read(_ count: Int) async throws -> [(sequence: UInt64, message: Message)] {
            var frames: [(UInt64, Message)] = []
            for _ in 0..<(count + 64) where frames.count < count {
                let (batch, closed) = await client.readFrames(max: count - frames.count)
                for frame in batch where frame.type.isSequenced {
                    frames.append((frame.sequence, try Message(frame: frame)))
                }
                for frame in batch where frame.type == .heartbeat {
                    if case .heartbeat(let beat) = try Message(frame: frame) { client.send(.heartbeatReply(beat)) }
                }
                if closed { break }
            }
            return frames
        }

        deinit { task.cancel() }
    }

    static func indices(_ frames: [(sequence: UInt64, message: Message)]) -> [Int] {
        tradeIndices(frames.map { SequencedMessage(sequence: $0.sequence, message: $0.message) })
    }

    @Test("events queued back to back arrive complete and in order in few frames, each within the bounds")
    func backToBack() async throws {
        let peer = try await RawPeer(settings: fastSettings(batchEvents: 100))
        // The link is up but the resume is not answered yet: nothing can be written, so everything queues.
        for index in 1...1_000 { try peer.sender.send(tradeMessage(index)) }
        #expect(peer.sender.stats.nextSequence == 11, "1,000 events in frames of at most 100")
        peer.answer()
        let frames = try await peer.read(10)
        #expect(frames.map(\.sequence) == Array(1...10))
        #expect(frames.allSatisfy { $0.message.type == .marketBatch && $0.message.marketEvents.count == 100 })
        expectRun(Self.indices(frames), 1...1_000)
        peer.client.send(.ack(Ack(deliveredThrough: 10)))
        let sender = peer.sender
        #expect(await eventually { sender.stats.ackedThrough == 10 && sender.stats.memoryFrames == 0 })
    }

    @Test("a batch stays within its byte bound as well as its event bound")
    func byteBound() async throws {
        let oneEvent = { () -> Int in
            var payload = ByteBuffer()
            tradeMessage(1_000).encodePayload(into: &payload)
            return payload.readableBytes
        }()
        // Room for exactly five entries after the count.
        let bound = MarketBatch.countSize + 5 * (MarketBatch.entryHeaderSize + oneEvent)
        let peer = try await RawPeer(settings: fastSettings(batchEvents: 1_000, batchBytes: bound))
        for index in 1_000...1_011 { try peer.sender.send(tradeMessage(index)) }
        peer.answer()
        let frames = try await peer.read(3)
        #expect(frames.map { $0.message.marketEvents.count } == [5, 5, 2])
        expectRun(Self.indices(frames), 1_000...1_011)
    }

    @Test("a lone event on an idle stream is written at once, in a frame of its own")
    func loneEventNotHeldBack() async throws {
        let peer = try await RawPeer(settings: fastSettings(batchEvents: 100))
        peer.answer()
        for index in 1...3 {
            // The stream is idle: everything before was written. Nothing else is sent until this event's
            // frame has been read, so no later event or timer can be what releases it.
            try peer.sender.send(tradeMessage(index))
            let frames = try await peer.read(1)
            #expect(frames.count == 1)
            #expect(frames.first?.sequence == UInt64(index))
            #expect(frames.first?.message == tradeMessage(index), "a single trades frame, not a batch")
        }
    }

    @Test("a receiver on protocol version 2 gets one event per frame")
    func versionTwoReceiver() async throws {
        let peer = try await RawPeer(settings: fastSettings(batchEvents: 100), version: 2)
        for index in 1...50 { try peer.sender.send(tradeMessage(index)) }
        #expect(peer.sender.stats.nextSequence == 51)
        peer.answer()
        let frames = try await peer.read(50)
        #expect(frames.allSatisfy { $0.message.type == .trades })
        expectRun(Self.indices(frames), 1...50)
    }

    @Test("only market events are coalesced; any other frame starts a new one and keeps its place")
    func otherMessagesKeepTheirOrder() async throws {
        let peer = try await RawPeer(settings: fastSettings(batchEvents: 100))
        try peer.sender.send(tradeMessage(1))
        try peer.sender.send(tradeMessage(2))
        try peer.sender.send(.jobProgress(JobProgress(id: 1, completed: 1, total: 2, note: "")))
        try peer.sender.send(tradeMessage(3))
        try peer.sender.send(tradeMessage(4))
        peer.answer()
        let frames = try await peer.read(3)
        #expect(frames.map(\.message.type) == [.marketBatch, .jobProgress, .marketBatch])
        expectRun(Self.indices(frames), 1...4)
    }

    @Test("the coalescing bounds follow the negotiated version and the peer's frame limit")
    func limits() {
        let settings = fastSettings(batchEvents: 512, batchBytes: 64 << 10)
        #expect(ReliableSender.batchLimits(settings: settings, version: 2, peerMaxFrameBytes: 1 << 20) == nil)
        #expect(
            ReliableSender.batchLimits(settings: settings, version: 3, peerMaxFrameBytes: 1 << 20)
                == .init(events: 512, payloadBytes: 64 << 10))
        #expect(
            ReliableSender.batchLimits(settings: settings, version: 3, peerMaxFrameBytes: 4_096)
                == .init(events: 512, payloadBytes: 4_096))
        #expect(ReliableSender.batchLimits(settings: fastSettings(), version: 3, peerMaxFrameBytes: 1 << 20) == nil)
        let huge = fastSettings(batchEvents: 1 << 20)
        #expect(
            ReliableSender.batchLimits(settings: huge, version: 3, peerMaxFrameBytes: 1 << 20)?.events
                == MarketBatch.maxEvents)
    }
}

/// The delivery guarantees with coalescing on, over real links to a real receiver.
@Suite("Reliable delivery of coalesced events", .timeLimit(.minutes(2)))
struct CoalescedDeliveryTests {
    static let settings = fastSettings(batchEvents: 64)

    func startReceiver(socket: String, consumer: RecordingConsumer, settings: LinkSettings) -> Task<Void, any Error> {
        let receiver = StreamReceiver(
            name: "writer", consumer: consumer, logger: testLogger("receiver"), retryInitial: .milliseconds(10),
            retryMax: .milliseconds(50))
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: settings,
            logger: testLogger("listener"))
        return Task { try await listener.run { _ in LinkEndpoint(inbound: receiver) } }
    }

    func startSender(
        socket: String, directory: String, settings: LinkSettings
    ) throws -> (Task<Void, any Error>, ReliableSender) {
        let sender = try ReliableSender(
            stream: "ingestor-binance>writer", directory: directory, settings: settings, logger: testLogger("sender"))
        let connector = LinkConnector(
            path: socket, identity: LinkIdentity(role: .ingestor, name: "ingestor-binance"), settings: settings,
            logger: testLogger("connector"), expectedRole: ProcessRoleFilter(.writer))
        return (Task { try await connector.run(endpoint: LinkEndpoint(outbound: sender)) }, sender)
    }

    /// Every frame number once, in order, and every event once, in order.
    func expectComplete(_ consumer: RecordingConsumer, events: ClosedRange<Int>, sender: ReliableSender) async {
        let received = await consumer.received
        expectRun(received.map { Int($0.sequence) }, 1...Int(sender.stats.nextSequence - 1))
        expectRun(tradeIndices(received), events)
    }

    @Test("events sent while the receiver is down arrive exactly once and in order after it returns")
    func receiverDownThenUp() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let consumer = RecordingConsumer(positionFromRecords: true)
        let (senderTask, sender) = try startSender(
            socket: socket, directory: dir.path + "/stream", settings: Self.settings)
        var receiverTask = startReceiver(socket: socket, consumer: consumer, settings: Self.settings)
        for index in 1...3_000 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { tradeIndices(await consumer.received).count >= 1_000 })
        receiverTask.cancel()
        _ = await receiverTask.result
        for index in 3_001...9_000 { try sender.send(tradeMessage(index)) }
        receiverTask = startReceiver(socket: socket, consumer: consumer, settings: Self.settings)
        #expect(await eventually { sender.stats.ackedThrough == sender.stats.nextSequence - 1 })
        await expectComplete(consumer, events: 1...9_000, sender: sender)
        // Down, the link's answer (version 3) was kept: what queued meanwhile was coalesced too.
        #expect(sender.stats.nextSequence - 1 < 9_000 / 2)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("beyond the memory limit frames spill to disk; every event is replayed once and in order")
    func spillAndReplay() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let small = fastSettings(memoryLimit: 16 << 10, segment: 32 << 10, batchEvents: 64)
        let consumer = RecordingConsumer()
        // A first link tells the sender that the writer speaks version 3; then the writer goes away.
        var receiverTask = startReceiver(socket: socket, consumer: consumer, settings: small)
        let (senderTask, sender) = try startSender(socket: socket, directory: dir.path + "/stream", settings: small)
        try sender.send(tradeMessage(1))
        #expect(await eventually { sender.stats.ackedThrough == 1 })
        receiverTask.cancel()
        _ = await receiverTask.result
        for index in 2...6_000 { try sender.send(tradeMessage(index)) }
        #expect(sender.stats.spillFrames > 0, "stats: \(sender.stats)")
        receiverTask = startReceiver(socket: socket, consumer: consumer, settings: small)
        #expect(await eventually { sender.stats.ackedThrough == sender.stats.nextSequence - 1 })
        await expectComplete(consumer, events: 1...6_000, sender: sender)
        #expect(await eventually { sender.stats.spillFrames == 0 })
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a sender closed and reopened replays its coalesced frames unchanged")
    func senderRestart() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let streamDir = dir.path + "/stream"
        let consumer = RecordingConsumer()
        var receiverTask = startReceiver(socket: socket, consumer: consumer, settings: Self.settings)
        var (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: Self.settings)
        try sender.send(tradeMessage(1))
        let first = sender
        #expect(await eventually { first.stats.ackedThrough == 1 })
        receiverTask.cancel()
        _ = await receiverTask.result
        for index in 2...2_000 { try sender.send(tradeMessage(index)) }
        let framesBefore = sender.stats.nextSequence
        senderTask.cancel()
        _ = await senderTask.result
        try await sender.close()
        (senderTask, sender) = try startSender(socket: socket, directory: streamDir, settings: Self.settings)
        #expect(sender.stats.nextSequence == framesBefore)
        for index in 2_001...2_500 { try sender.send(tradeMessage(index)) }
        receiverTask = startReceiver(socket: socket, consumer: consumer, settings: Self.settings)
        let reopened = sender
        #expect(await eventually { reopened.stats.ackedThrough == reopened.stats.nextSequence - 1 })
        await expectComplete(consumer, events: 1...2_500, sender: sender)
        senderTask.cancel()
        receiverTask.cancel()
    }

    @Test("a consumer that fails is retried with the same coalesced frames; nothing is lost or repeated")
    func consumerFailureRetried() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let consumer = RecordingConsumer()
        await consumer.failNext(5)
        let receiverTask = startReceiver(socket: socket, consumer: consumer, settings: Self.settings)
        let (senderTask, sender) = try startSender(
            socket: socket, directory: dir.path + "/stream", settings: Self.settings)
        for index in 1...2_000 { try sender.send(tradeMessage(index)) }
        #expect(await eventually { sender.stats.ackedThrough == sender.stats.nextSequence - 1 })
        await expectComplete(consumer, events: 1...2_000, sender: sender)
        senderTask.cancel()
        receiverTask.cancel()
    }
}
