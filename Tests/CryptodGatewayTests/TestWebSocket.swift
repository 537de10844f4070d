import HummingbirdWSClient
import Logging
import NIOWebSocket
import Testing

/// A WebSocket client for tests (swift-websocket's `WebSocketClient`): everything the server sends is
/// collected in ``received``; ``send(_:)`` queues text for the server.
final class TestWebSocket: Sendable {
    /// Text messages from the server, in order; finished when the connection ends.
    let received: AsyncStream<String>
    private let outgoing: AsyncStream<String>.Continuation
    /// Ends with the close frame the server sent (or `nil` when there was none).
    let done: Task<WebSocketCloseFrame?, any Error>

    /// - Parameter heartbeats: Whether the gateway's heartbeat messages are kept in ``received``; tests that
    ///   read replies one by one leave them out, since one may arrive at any moment.
    init(port: Int, path: String = "/ws", heartbeats: Bool = false) {
        let (received, receivedContinuation) = AsyncStream.makeStream(
            of: String.self, bufferingPolicy: .bufferingOldest(100_000))
        let (outgoingStream, outgoing) = AsyncStream.makeStream(
            of: String.self, bufferingPolicy: .bufferingOldest(1_000))
        self.received = received
        self.outgoing = outgoing
        done = Task {
            defer { receivedContinuation.finish() }
            return try await WebSocketClient.connect(
                url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(maxFrameSize: 1 << 24, autoPing: .disabled),
                logger: testLogger("ws-client")
            ) { inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in outgoingStream { try await outbound.write(.text(text)) }
                        try? await outbound.close(.normalClosure, reason: "test finished")
                    }
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        guard case .text(let text) = message else { continue }
                        if !heartbeats && text.hasPrefix(#"{"type":"heartbeat""#) { continue }
                        receivedContinuation.yield(text)
                    }
                    group.cancelAll()
                }
            }
        }
    }

    func send(_ text: String) { outgoing.yield(text) }

    /// Closes from the client side (normal closure).
    func close() { outgoing.finish() }

    deinit {
        outgoing.finish()
        done.cancel()
    }
}

extension AsyncStream<String>.Iterator {
    /// The next message as a JSON object; fails the test when the connection ended instead.
    mutating func nextObject(sourceLocation: SourceLocation = #_sourceLocation) async throws -> [String: Any] {
        let text = try #require(await next(), "the connection ended", sourceLocation: sourceLocation)
        return try jsonObject(text)
    }
}
