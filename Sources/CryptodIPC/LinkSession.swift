import CryptodModel
import CryptodWire
import Logging
import Metrics
import NIOCore
import Synchronization

/// What one side does with a link once the handshake is done.
package struct LinkEndpoint: Sendable {
    /// Our outbound stream on this link, if we send one.
    package var outbound: ReliableSender?
    /// Our receiver for the peer's stream, if we accept one.
    package var inbound: StreamReceiver?
    /// Called once the handshake is done, before any routing (e.g. a child sends `ready`).
    package var onOpen: (@Sendable (LinkWriter, Hello) async throws -> Void)?
    /// Unsequenced messages outside the link family (requests, replies, supervision, control).
    package var onMessage: (@Sendable (Message, LinkWriter) async throws -> Void)?

    package init(
        outbound: ReliableSender? = nil, inbound: StreamReceiver? = nil,
        onOpen: (@Sendable (LinkWriter, Hello) async throws -> Void)? = nil,
        onMessage: (@Sendable (Message, LinkWriter) async throws -> Void)? = nil
    ) {
        self.outbound = outbound
        self.inbound = inbound
        self.onOpen = onOpen
        self.onMessage = onMessage
    }
}

/// Runs one link: handshake, then routing of inbound frames and pumping of the outbound stream until
/// either side ends. Wire errors and protocol violations are logged with type and length (never the
/// payload) and end the link; they never crash the process.
package enum LinkSession {
    /// - Parameters:
    ///   - channel: a freshly connected or accepted link channel.
    ///   - identity: who we are.
    ///   - endpoint: decides, from the peer's `Hello`, what to do with the link; throw to refuse the peer.
    /// - Returns: the peer's `Hello` when the link ended normally (peer closed or goodbye).
    /// - Throws: handshake failures, protocol violations, write errors.
    @discardableResult
    package static func run(
        channel: LinkChannel, identity: LinkIdentity, settings: LinkSettings, logger: Logger,
        endpoint: @Sendable (Hello) throws -> LinkEndpoint
    ) async throws -> Hello {
        // Close the channel if the handshake hangs (the iterator cannot be raced from another task).
        let handshakeDone = Atomic<Bool>(false)
        let timeout = channel.channel.eventLoop.scheduleTask(in: .nanoseconds(settings.handshakeTimeout.nanoseconds)) {
            if !handshakeDone.load(ordering: .acquiring) { channel.channel.close(promise: nil) }
        }
        return try await channel.executeThenClose { inbound, outbound in
            let writer = LinkWriter(outbound: outbound)
            let hello = Hello(
                role: identity.role, name: identity.name, pid: ProcessInfoCompat.pid, buildID: identity.buildID,
                maxFrameBytes: UInt32(settings.maxFrameBytes))
            try await writer.send(.hello(hello))
            var iterator = inbound.makeAsyncIterator()
            guard var first = try await iterator.next(), !first.isEmpty else {
                throw handshakeDone.load(ordering: .acquiring)
                    ? LinkError.handshakeFailed("peer closed during handshake")
                    : LinkError.handshakeTimeout
            }
            let peerFrame = first.removeFirst()
            let peer: Hello
            let decoded: Message
            do {
                decoded = try Message(frame: peerFrame)
            } catch {
                // A Hello this build cannot decode (say, a role added later) still starts with the frozen
                // version range: answer versionMismatch when the ranges do not overlap.
                if peerFrame.type == .hello, let range = Hello.versionRange(inPayload: peerFrame.payload),
                    !range.overlaps(WireProtocol.minimumVersion...WireProtocol.version)
                {
                    try? await writer.send(
                        .versionMismatch(
                            VersionMismatch(
                                message:
                                    "\(identity.name) speaks \(WireProtocol.minimumVersion)...\(WireProtocol.version)"))
                    )
                    throw LinkError.versionMismatch(
                        peerMinimum: range.lowerBound, peerVersion: range.upperBound, message: "")
                }
                throw error
            }
            switch decoded {
            case .hello(let value): peer = value
            case .versionMismatch(let value):
                throw LinkError.versionMismatch(
                    peerMinimum: value.minimumVersion, peerVersion: value.version, message: value.message)
            default:
                throw LinkError.handshakeFailed("first frame was \(peerFrame.type), expected hello")
            }
            guard let version = peer.negotiatedVersion(with: hello) else {
                try? await writer.send(
                    .versionMismatch(
                        VersionMismatch(
                            message: "\(identity.name) speaks \(WireProtocol.minimumVersion)...\(WireProtocol.version)")
                    ))
                throw LinkError.versionMismatch(
                    peerMinimum: peer.minimumVersion, peerVersion: peer.version, message: "")
            }
            handshakeDone.store(true, ordering: .releasing)
            timeout.cancel()
            var log = logger
            log[metadataKey: "peer"] = "\(peer.name)"
            log[metadataKey: "peerPid"] = "\(peer.pid)"
            let chosen: LinkEndpoint
            do {
                chosen = try endpoint(peer)
            } catch {
                try? await writer.send(.goodbye(Goodbye(reason: .rejected, message: "\(error)")))
                throw error
            }
            Counter(label: "cryptod_ipc_links_opened_total", dimensions: [("peer", peer.name)]).increment()
            log.debug("link open")
            try await chosen.onOpen?(writer, peer)

            // The read loop runs in this task (the iterator is not Sendable); the outbound pump runs beside
            // it and closes the channel when it fails, which ends the read loop too.
            try await withThrowingTaskGroup(of: Void.self) { group in
                if let sender = chosen.outbound {
                    let channel = channel.channel
                    let log = log
                    group.addTask {
                        do {
                            try await sender.run(
                                on: writer, version: version, peerMaxFrameBytes: Int(peer.maxFrameBytes))
                        } catch {
                            if !(error is CancellationError) {
                                log.warning(
                                    "outbound stream stopped; closing the link", metadata: ["error": "\(error)"])
                            }
                            try? await channel.close()
                            throw error
                        }
                    }
                }
                var router = Router(endpoint: chosen, writer: writer, peer: peer, logger: log)
                if !first.isEmpty { try await router.route(first) }
                while !router.finished, let batch = try await iterator.next() {
                    try await router.route(batch)
                }
                group.cancelAll()
            }
            return peer
        }
    }
}

/// Routes one link's inbound frames.
private struct Router {
    let endpoint: LinkEndpoint
    let writer: LinkWriter
    let peer: Hello
    let logger: Logger
    var ownership: StreamReceiver.Ownership?
    var finished = false

    init(endpoint: LinkEndpoint, writer: LinkWriter, peer: Hello, logger: Logger) {
        self.endpoint = endpoint
        self.writer = writer
        self.peer = peer
        self.logger = logger
    }

    mutating func route(_ batch: [Frame]) async throws {
        var run: [Frame] = []
        for frame in batch {
            if frame.type.isSequenced {
                run.append(frame)
                continue
            }
            if !run.isEmpty {
                try await deliver(run)
                run.removeAll(keepingCapacity: true)
            }
            try await handle(frame)
            if finished { return }
        }
        if !run.isEmpty { try await deliver(run) }
    }

    private func deliver(_ frames: [Frame]) async throws {
        guard let receiver = endpoint.inbound, let ownership else {
            throw LinkError.protocolViolation(
                "\(frames[0].type) frames before streamResume, or on a link that accepts no stream")
        }
        // Decoded once, here: a malformed payload closes the link before anything of the batch is delivered.
        let items = try frames.map { SequencedMessage(sequence: $0.sequence, message: try Message(frame: $0)) }
        let through = try await receiver.deliver(items, ownership: ownership)
        try await writer.send(.ack(Ack(deliveredThrough: through)))
    }

    private mutating func handle(_ frame: Frame) async throws {
        let message = try Message(frame: frame)
        switch message {
        case .hello:
            throw LinkError.protocolViolation("second hello on an open link")
        case .versionMismatch(let value):
            throw LinkError.versionMismatch(
                peerMinimum: value.minimumVersion, peerVersion: value.version, message: value.message)
        case .goodbye(let value):
            logger.info("peer said goodbye", metadata: ["reason": "\(value.reason)", "message": "\(value.message)"])
            finished = true
        case .heartbeat, .heartbeatReply:
            break  // answered in the pipeline
        case .streamResume(let request):
            guard let receiver = endpoint.inbound else {
                throw LinkError.protocolViolation("peer offered stream \(request.stream), but this link accepts none")
            }
            let (answer, token) = try await receiver.resume(request, from: peer)
            ownership = token
            try await writer.send(.streamResumed(answer))
        case .streamResumed(let answer):
            guard let sender = endpoint.outbound else {
                throw LinkError.protocolViolation("streamResumed without a stream")
            }
            sender.resumed(answer)
        case .ack(let ack):
            guard let sender = endpoint.outbound else { throw LinkError.protocolViolation("ack without a stream") }
            try sender.acknowledge(validating: ack.deliveredThrough)
        case .framesDropped(let dropped):
            guard let receiver = endpoint.inbound, let ownership else {
                throw LinkError.protocolViolation("framesDropped without a stream")
            }
            let through = try await receiver.skip(dropped, ownership: ownership)
            try await writer.send(.ack(Ack(deliveredThrough: through)))
        default:
            guard let onMessage = endpoint.onMessage else {
                throw LinkError.protocolViolation("\(message.type) is not accepted on a link from \(peer.name)")
            }
            try await onMessage(message, writer)
        }
    }
}
