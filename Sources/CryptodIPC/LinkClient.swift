import CryptodModel
import CryptodWire
import Logging
import NIOCore
import Synchronization

/// One-shot request/response over a process socket: connect, handshake, send one message, wait for the
/// first reply that is not a link message, close. Used by `cryptoctl` and by the gateway to read every
/// process's status and metrics.
package enum LinkClient {
    /// - Throws: connection errors (the peer is not running), handshake errors, ``LinkError/handshakeTimeout``
    ///   when no reply arrives within `timeout`, or a ``LinkError/closedByPeer(_:)`` when it refuses.
    package static func request(
        _ message: Message, path: String, identity: LinkIdentity, settings: LinkSettings = LinkSettings(),
        timeout: Duration = .seconds(10), logger: Logger
    ) async throws -> Message {
        let channel = try await LinkPipeline.connect(path: path, settings: settings)
        let reply = Mutex<Message?>(nil)
        let deadline = channel.channel.eventLoop.scheduleTask(in: .nanoseconds(timeout.nanoseconds)) {
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let endpoint = LinkEndpoint(
            onOpen: { writer, _ in try await writer.send(message) },
            onMessage: { answer, writer in
                reply.withLock { $0 = answer }
                try await writer.send(.goodbye(Goodbye(reason: .shuttingDown, message: "done")))
                throw ReplyReceived()
            })
        do {
            try await LinkSession.run(channel: channel, identity: identity, settings: settings, logger: logger) { _ in
                endpoint
            }
        } catch is ReplyReceived {
        } catch {
            if reply.withLock({ $0 }) == nil { throw error }
        }
        guard let answer = reply.withLock({ $0 }) else { throw LinkError.handshakeTimeout }
        if case .goodbye(let goodbye) = answer { throw LinkError.closedByPeer(goodbye) }
        return answer
    }

    private struct ReplyReceived: Error {}
}

/// The link a supervised child inherits as fd 3.
package enum ParentLink {
    /// The descriptor number the supervisor passes the link on.
    package static let descriptor: CInt = 3

    /// Runs the parent link until the supervisor closes it (which means: shut down).
    package static func run(
        identity: LinkIdentity, settings: LinkSettings, logger: Logger, endpoint: LinkEndpoint
    ) async throws {
        let channel = try await LinkPipeline.adopt(descriptor: descriptor, settings: settings)
        try await LinkSession.run(channel: channel, identity: identity, settings: settings, logger: logger) { peer in
            guard peer.role == .supervisor else {
                throw LinkError.unexpectedPeer("fd 3 peer is \(peer.name) (\(peer.role))")
            }
            return endpoint
        }
    }

    /// Runs the supervisor's side of a child's link, given the supervisor's end of the socket pair.
    package static func serveChild(
        descriptor: CInt, identity: LinkIdentity, settings: LinkSettings, logger: Logger, endpoint: LinkEndpoint
    ) async throws -> Hello {
        let channel = try await LinkPipeline.adopt(descriptor: descriptor, settings: settings)
        return try await LinkSession.run(channel: channel, identity: identity, settings: settings, logger: logger) {
            _ in endpoint
        }
    }
}
