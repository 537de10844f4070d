import Foundation
import Testing

/// Binance's WebSocket rules: control messages and their errors, combined wrapping, keepalive,
/// incoming-message and stream limits, connection limits, and connection-drop faults.
@Suite("Binance WebSocket protocol", .serialized)
struct BinanceWebSocketTests {
    /// The next control reply, skipping stream payloads that arrive in between.
    static func nextReply(_ socket: TestWebSocket) async -> String? {
        while let text = await socket.nextText() {
            if text.hasPrefix("{\"result\"") || text.hasPrefix("{\"error\"") { return text }
        }
        return nil
    }

    @Test("control messages answer like Binance, including errors")
    func controlMessages() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@trade")
            defer { socket.close() }
            let exchanges: [(String, String)] = [
                (
                    #"{"method":"SUBSCRIBE","params":["ethusdt@depth@100ms","bnbbtc@kline_1h"],"id":7}"#,
                    #"{"result":null,"id":7}"#
                ),
                (
                    #"{"method":"LIST_SUBSCRIPTIONS","id":"a1"}"#,
                    #"{"result":["btcusdt@trade","ethusdt@depth@100ms","bnbbtc@kline_1h"],"id":"a1"}"#
                ),
                (#"{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":8}"#, #"{"result":null,"id":8}"#),
                (
                    #"{"method":"LIST_SUBSCRIPTIONS","id":9}"#,
                    #"{"result":["ethusdt@depth@100ms","bnbbtc@kline_1h"],"id":9}"#
                ),
                (#"{"method":"GET_PROPERTY","params":["combined"],"id":10}"#, #"{"result":false,"id":10}"#),
            ]
            for (request, expected) in exchanges {
                try await socket.send(request)
                #expect(await Self.nextReply(socket) == expected, "\(request)")
                try await Task.sleep(for: .milliseconds(250))
            }
        }
        try await SimulatorHarness.withBinance { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            let errors: [(String, Int)] = [
                ("{not json", 3),
                (#"{"method":"FOO","id":1}"#, 2),
                (#"{"params":[],"id":1}"#, 2),
                (#"{"method":"SUBSCRIBE","params":["nosuch@trade"],"id":1}"#, 2),
                (#"{"method":"SET_PROPERTY","params":["combined","yes"],"id":2}"#, 1),
            ]
            for (request, code) in errors {
                try await socket.send(request)
                let reply = try #require(await socket.nextObject())
                let error = reply["error"] as? [String: Any]
                #expect((error?["code"] as? NSNumber)?.intValue == code, "\(request) → \(reply)")
                #expect(reply.keys.contains("id"))
                // Stay under 5 messages per second.
                try await Task.sleep(for: .milliseconds(250))
            }
            try await socket.send(#"{"method":"SET_PROPERTY","params":["flux",true],"id":3}"#)
            #expect(await socket.nextText() == #"{"error":{"code":0,"msg":"Unknown property"},"id":3}"#)
        }
    }

    @Test("SET_PROPERTY combined switches to {stream,data} wrapping")
    func combinedProperty() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 30)) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@bookTicker")
            defer { socket.close() }
            let raw = try #require(await socket.nextObject())
            #expect(raw["s"] as? String == "BTCUSDT")
            try await socket.send(#"{"method":"SET_PROPERTY","params":["combined",true],"id":1}"#)
            var wrapped: [String: Any]?
            for _ in 0..<50 {
                guard let message = await socket.nextObject() else { break }
                if message["stream"] != nil {
                    wrapped = message
                    break
                }
            }
            let message = try #require(wrapped)
            #expect(message["stream"] as? String == "btcusdt@bookTicker")
            #expect((message["data"] as? [String: Any])?["s"] as? String == "BTCUSDT")
        }
    }

    @Test("more than 5 incoming messages a second disconnects")
    func incomingMessageLimit() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            for id in 0..<8 { try? await socket.send(#"{"method":"LIST_SUBSCRIPTIONS","id":\#(id)}"#) }
            var replies = 0
            var closed = false
            while let event = await socket.next(timeout: .seconds(5)) {
                if case .text = event { replies += 1 }
                if event == .closed || event == .close(1008) {
                    closed = true
                    break
                }
            }
            #expect(closed)
            #expect(replies == 5)
        }
    }

    @Test("server pings every 20 s and drops clients that do not pong within a minute")
    func pingPong() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let silent = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@trade", autoPong: false)
            let polite = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@trade")
            defer {
                silent.close()
                polite.close()
            }
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":20000}"#)
            var sawPing = false
            while let event = await silent.next(timeout: .seconds(3)) {
                if case .ping = event {
                    sawPing = true
                    break
                }
            }
            #expect(sawPing, "a ping after 20 simulated seconds")
            for _ in 0..<3 {
                _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":20000}"#)
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(await silent.waitClosed(timeout: .seconds(5)), "no pong within a minute → disconnected")
            try await Task.sleep(for: .milliseconds(200))
            let (_, connections) = try await TestHTTP.json(port: port, path: "/_sim/connections")
            #expect((connections as? [Any])?.count == 1, "the client answering pings stays")
        }
    }

    @Test("stream and connection limits")
    func limits() async throws {
        let options = SimulatorHarness.options(limits: [
            "binance.ws_connections_per_5m": 3, "binance.ws_streams_per_connection": 4,
        ])
        try await SimulatorHarness.withBinance(options) { port, _ in
            let socket = try await TestWebSocket.connect(
                port: port, path: "/stream?streams=btcusdt@trade/ethusdt@trade")
            defer { socket.close() }
            try await socket.send(
                #"{"method":"SUBSCRIBE","params":["bnbbtc@trade","ltcbtc@trade","solusdt@trade"],"id":1}"#)
            let reply = try #require(await socket.nextObject())
            #expect(((reply["error"] as? [String: Any])?["code"] as? NSNumber)?.intValue == 2)
            try await socket.send(#"{"method":"SUBSCRIBE","params":["bnbbtc@trade","ltcbtc@trade"],"id":2}"#)
            #expect(await socket.nextText() == #"{"result":null,"id":2}"#)
            _ = try await TestWebSocket.connect(port: port, path: "/ws").close()
            _ = try await TestWebSocket.connect(port: port, path: "/ws").close()
            await #expect(throws: (any Error).self) { _ = try await TestWebSocket.connect(port: port, path: "/ws") }
            // The refusal is Binance's 429 with a Retry-After.
            let refused = try await TestHTTP.request(
                port: port, path: "/ws",
                headers: [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
                ])
            #expect(refused.status == 429)
            #expect(refused.header("Retry-After") != nil)
            // A new 5-minute window allows connections again.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":300000}"#)
            let again = try await TestWebSocket.connect(port: port, path: "/ws")
            again.close()
        }
    }

    @Test("drop_connection closes sockets abruptly and is counted; malformed frames reach clients")
    func connectionFaults() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 30)) { port, _ in
            let victim = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@trade")
            let bystander = try await TestWebSocket.connect(port: port, path: "/ws/ethusdt@trade")
            defer {
                victim.close()
                bystander.close()
            }
            let dropped = try await SimulatorHarness.admin(port, "/_sim/connections/drop", #"{"target":"btcusdt"}"#)
            #expect(dropped.text == #"{"dropped":1}"#)
            #expect(await victim.waitClosed(timeout: .seconds(5)))
            #expect(await bystander.nextText() != nil)
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"malformed_frame","count":1,"target":"ethusdt@trade"}"#)
            var sawBroken = false
            for _ in 0..<200 {
                guard let text = await bystander.nextText(timeout: .seconds(5)) else { break }
                if (try? JSONShape.parse(text)) == nil {
                    sawBroken = true
                    break
                }
            }
            #expect(sawBroken, "a truncated JSON message was delivered")
            let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
            let counters = (faults as? [String: Any])?["counters"] as? [String: Any]
            #expect((counters?["drop_connection"] as? NSNumber)?.intValue == 1)
            #expect((counters?["malformed_frame"] as? NSNumber)?.intValue == 1)
        }
    }
}
