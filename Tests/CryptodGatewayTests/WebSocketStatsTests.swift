import CryptodGateway
import CryptodModel
import CryptodWire
import NIOCore
import Testing

@testable import CryptodIPC

/// The `stats` topic: the stream figures pushed every 2 s to the clients that asked, and operator broadcasts.
@Suite("WebSocket stats topic", .timeLimit(.minutes(2)))
struct WebSocketStatsTests {
    @Test func subscribersGetStatsEventsAndOthersDoNot() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        try await withRunningServer(server) { ports in
            let quiet = TestWebSocket(port: ports.webSocket)
            var quietMessages = quiet.received.makeAsyncIterator()
            quiet.send(#"{"op":"ping","id":1}"#)
            _ = try await quietMessages.nextObject()

            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(#"{"op":"subscribe","topics":["stats","trades.binance.BTCUSDT"],"id":7}"#)
            let first = try await messages.nextObject()
            #expect(first["op"] as? String == "subscribe" && first["topics"] as? [String] == ["stats"])
            #expect(first["id"] as? Int == 7)
            let second = try await messages.nextObject()
            #expect(second["topics"] as? [String] == ["trades.binance.BTCUSDT"], "the market topic is added too")

            let stats = try await messages.nextObject()
            #expect(stats["type"] as? String == "stats" && stats["topic"] as? String == "stats", "\(stats)")
            let websocket = stats["websocket"] as? [String: Any] ?? [:]
            #expect(websocket["clients"] as? Int == 2, "\(stats)")
            #expect(stats["mode"] as? String == "medium")

            // Broadcast reaches both; the one without stats got nothing before it.
            #expect(server.hub.broadcast(ByteBuffer(string: #"{"type":"broadcast","message":"hi"}"#)) == 2)
            let heard = try await quietMessages.nextObject()
            #expect(heard["type"] as? String == "broadcast", "no stats event before the broadcast: \(heard)")

            client.send(#"{"op":"unsubscribe","topics":["stats"]}"#)
            var sawReply = false
            for _ in 0..<4 {
                let next = try await messages.nextObject()
                if next["op"] as? String == "unsubscribe" {
                    sawReply = true
                    break
                }
            }
            #expect(sawReply)
            #expect(server.hub.clientInfos().filter(\.stats).isEmpty)
        }
    }
}
