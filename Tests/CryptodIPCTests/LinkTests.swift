import CryptodModel
import CryptodWire
import Foundation
import NIOCore
import Synchronization
import Testing

@testable import CryptodIPC

#if canImport(Glibc)
import Glibc
#endif

/// A blocking raw socket client, to speak (or break) the protocol byte by byte.
final class RawClient: @unchecked Sendable {  // one test uses it at a time
    let fd: CInt
    var lastError: CInt = 0

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else { throw POSIXError(.ECONNREFUSED) }
        // Generous: reads return as soon as frames or EOF arrive; the limit only ends a hung test.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } }

    func send(_ message: Message) {
        var buffer = ByteBuffer()
        Frame(message).write(to: &buffer)
        send(Array(buffer.readableBytesView))
    }

    /// Reads frames until EOF or timeout on a thread of its own: a blocking read on the concurrency
    /// pool's few threads would starve the very listener under test.
    func readFrames(max: Int = 16) async -> (frames: [Frame], closed: Bool) {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: self.blockingReadFrames(max: max)) }
            thread.start()
        }
    }

    private func blockingReadFrames(max: Int) -> (frames: [Frame], closed: Bool) {
        var buffer = ByteBuffer()
        var frames: [Frame] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while frames.count < max {
            let got = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if got <= 0 {
                if got < 0 { lastError = errno }
                return (frames, got == 0)
            }
            buffer.writeBytes(chunk[0..<got])
            while let frame = try? Frame.read(from: &buffer, maxPayload: 1 << 20) { frames.append(frame) }
        }
        return (frames, false)
    }
}

final class RequestCounter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

@Suite("Links: handshake, requests and violations", .timeLimit(.minutes(2)))
struct LinkTests {
    let settings = fastSettings()

    func startStatusListener(_ socket: String, requests: RequestCounter? = nil) -> Task<Void, any Error> {
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: settings,
            logger: testLogger("listener"))
        return Task {
            try await listener.run { _ in
                LinkEndpoint(onMessage: { message, writer in
                    guard case .statusRequest = message else { return }
                    requests?.increment()
                    let status = ProcessStatus(
                        name: "writer", role: .writer, pid: getpid(), startedAt: Timestamp(seconds: 1), ready: true,
                        configGeneration: 7)
                    try await writer.send(.statusReply(status))
                })
            }
        }
    }

    @Test("a request gets its reply over a real socket")
    func requestReply() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        let reply = try await LinkClient.request(
            .statusRequest, path: socket, identity: LinkIdentity(role: .control, name: "test"), settings: settings,
            logger: testLogger("client"))
        guard case .statusReply(let status) = reply else {
            Issue.record("unexpected reply \(reply)")
            return
        }
        #expect(status.configGeneration == 7)
        #expect(status.name == "writer")
        task.cancel()
    }

    @Test("the socket file is owner-only and a second listener on the same path is refused")
    func socketPermissionsAndExclusivity() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/run/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        // The listener tightens the mode right after bind (inside an already owner-only directory).
        #expect(
            await eventually {
                var info = stat()
                return stat(socket, &info) == 0 && info.st_mode & 0o777 == 0o600
            })
        var info = stat()
        #expect(stat(dir.path + "/run", &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        let second = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: settings,
            logger: testLogger("second"))
        await #expect(throws: LinkError.self) { try await second.run { _ in LinkEndpoint() } }
        task.cancel()
        _ = await task.result
        #expect(!FileManager.default.fileExists(atPath: socket))
    }

    @Test("a listener closing while peers connect neither crashes nor leaves its socket file")
    func closeWhileConnecting() async throws {
        // Regression: a peer accepted just as the listener closed used to be released half set up, and
        // NIO traps on that (the whole test process died). Many rounds make the race likely.
        let dir = try TemporaryDirectory()
        for round in 0..<40 {
            let socket = dir.path + "/race-\(round).sock"
            let task = startStatusListener(socket)
            #expect(await eventually { LinkListener.isLive(socket) })
            let clients = Mutex<[RawClient]>([])
            let connecting = DispatchGroup()
            connecting.enter()
            // Connect from a thread of its own so the connects overlap the close below.
            Thread {
                for _ in 0..<25 {
                    guard let client = try? RawClient(path: socket) else { break }
                    client.send(.hello(Hello(role: .tool, name: "racer", pid: 1, buildID: "x")))
                    clients.withLock { $0.append(client) }
                }
                connecting.leave()
            }.start()
            try await Task.sleep(for: .microseconds(Int.random(in: 0...2_000)))
            task.cancel()
            _ = await task.result
            #expect(!FileManager.default.fileExists(atPath: socket))
            await withCheckedContinuation { done in connecting.notify(queue: .global()) { done.resume() } }
            clients.withLock { $0.removeAll() }
        }
    }

    @Test("a peer with no common protocol version gets versionMismatch and is closed")
    func versionMismatch() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        client.send(.hello(Hello(minimumVersion: 90, version: 99, role: .tool, name: "future", pid: 1, buildID: "x")))
        let (frames, closed) = await client.readFrames()
        #expect(frames.map(\.type) == [.hello, .versionMismatch], "read error \(client.lastError)")
        #expect(closed)
        task.cancel()
    }

    @Test(
        "garbage, unknown types and oversize frames close that link only; the listener keeps serving",
        arguments: [
            [UInt8](repeating: 0xFF, count: 32),
            [0x7F, 0x7F, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4],
            [0x00, 0x01, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0],
        ])
    func violationsCloseTheLink(bytes: [UInt8]) async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let requests = RequestCounter()
        let task = startStatusListener(socket, requests: requests)
        #expect(await eventually { LinkListener.isLive(socket) })
        let bad = try RawClient(path: socket)
        bad.send(bytes)
        let (_, closed) = await bad.readFrames()
        #expect(closed)
        let reply = try await LinkClient.request(
            .statusRequest, path: socket, identity: LinkIdentity(role: .control, name: "test"), settings: settings,
            logger: testLogger("client"))
        guard case .statusReply = reply else {
            Issue.record("listener stopped serving after a bad peer")
            return
        }
        #expect(requests.value == 1)
        task.cancel()
    }

    @Test("a truncated payload after a valid hello closes the link with a wire error")
    func truncatedPayloadAfterHandshake() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        client.send(.hello(Hello(role: .tool, name: "tool", pid: 1, buildID: "x")))
        // A statusReply frame whose length says 3 but whose payload can't be a ProcessStatus.
        client.send([0x03, 0x06, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 65])
        let (frames, closed) = await client.readFrames()
        #expect(frames.first?.type == .hello)
        #expect(closed)
        task.cancel()
    }

    @Test("a peer that goes silent after the handshake is dropped by the heartbeat timeout")
    func heartbeatTimeout() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        client.send(.hello(Hello(role: .tool, name: "tool", pid: 1, buildID: "x")))
        // Never answer heartbeats: the listener must close within heartbeatTimeout (2 s here).
        var types: [MessageType] = []
        var closed = false
        for _ in 0..<20 where !closed {
            let (frames, didClose) = await client.readFrames(max: 1)
            types += frames.map(\.type)
            closed = didClose
        }
        #expect(types.contains(.heartbeat))
        #expect(closed)
        task.cancel()
    }

    @Test("stream frames before streamResume are a protocol violation")
    func framesBeforeResume() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let consumer = RecordingConsumer()
        let receiver = StreamReceiver(name: "writer", consumer: consumer, logger: testLogger("receiver"))
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .writer, name: "writer"), settings: settings,
            logger: testLogger("listener"))
        let task = Task { try await listener.run { _ in LinkEndpoint(inbound: receiver) } }
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        client.send(.hello(Hello(role: .ingestor, name: "ingestor-binance", pid: 1, buildID: "x")))
        var buffer = ByteBuffer()
        Frame(tradeMessage(1), sequence: 1).write(to: &buffer)
        client.send(Array(buffer.readableBytesView))
        let (_, closed) = await client.readFrames()
        #expect(closed)
        #expect(await consumer.received.isEmpty)
        task.cancel()
    }

    @Test("a Hello this build cannot decode still gets versionMismatch when the versions don't overlap")
    func undecodableHelloFromTheFuture() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/writer.sock"
        let task = startStatusListener(socket)
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        // Versions 90...99, then a role byte (200) this build does not know: the rest cannot be decoded.
        let payload: [UInt8] = [0, 90, 0, 99, 200, 0, 1, 65, 0, 0, 0, 1, 0, 0, 0, 0, 0, 16, 0]
        client.send([0x00, 0x01, 0, 0] + [0, 0, 0, UInt8(payload.count)] + [UInt8](repeating: 0, count: 8) + payload)
        let (frames, closed) = await client.readFrames()
        #expect(frames.map(\.type) == [.hello, .versionMismatch], "read error \(client.lastError)")
        #expect(closed)
        task.cancel()
    }

    @Test("an ack for a sequence number never sent closes the link")
    func ackBeyondSent() async throws {
        let dir = try TemporaryDirectory()
        let socket = dir.path + "/scheduler.sock"
        let sender = try ReliableSender(
            stream: "scheduler>ingestor-binance", directory: dir.path + "/stream", settings: settings,
            logger: testLogger("sender"))
        try sender.send(tradeMessage(1))
        let listener = LinkListener(
            path: socket, identity: LinkIdentity(role: .scheduler, name: "scheduler"), settings: settings,
            logger: testLogger("listener"))
        let task = Task { try await listener.run { _ in LinkEndpoint(outbound: sender) } }
        #expect(await eventually { LinkListener.isLive(socket) })
        let client = try RawClient(path: socket)
        client.send(.hello(Hello(role: .ingestor, name: "ingestor-binance", pid: 1, buildID: "x")))
        let (opening, _) = await client.readFrames(max: 2)
        guard opening.count == 2, case .streamResume(let resume) = try Message(frame: opening[1]) else {
            Issue.record("expected hello and streamResume, got \(opening.map(\.type))")
            task.cancel()
            return
        }
        client.send(.streamResumed(StreamResumed(epoch: resume.epoch, deliveredThrough: 0)))
        client.send(.ack(Ack(deliveredThrough: 9_999)))
        var closed = false
        for _ in 0..<10 where !closed { closed = await client.readFrames(max: 4).closed }
        #expect(closed)
        #expect(sender.stats.ackedThrough == 0)
        task.cancel()
    }
}
