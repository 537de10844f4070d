import CryptodGateway
import CryptodModel
import CryptodWire
import NIOWebSocket
import Testing

@testable import CryptodIPC

@Suite("WebSocket protocol and fan-out", .timeLimit(.minutes(3)))
struct WebSocketTests {
    func deliver(_ messages: [Message], to server: GatewayServer) async throws {
        let items = messages.enumerated().map { SequencedMessage(sequence: UInt64($0.offset + 1), message: $0.element) }
        try await server.consumer.consume(StreamDelivery(stream: "replay>gateway", epoch: 1, items: items))
    }

    @Test("subscribe, list, unsubscribe and ping are answered with ok and the id echoed")
    func requests() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(
                #"{"op":"subscribe","topics":["trades.binance.BTCUSDT","ticker.bybit.*","candles.whitebit.BTC_USDT.1m","book.binance.BTCUSDT"],"id":1}"#
            )
            let subscribed = try await messages.nextObject()
            #expect(subscribed["op"] as? String == "subscribe")
            #expect(subscribed["ok"] as? Bool == true)
            #expect(subscribed["id"] as? Int == 1)
            #expect(subscribed["subscriptions"] as? Int == 4)
            #expect(
                subscribed["topics"] as? [String]
                    == [
                        "book.binance.BTCUSDT", "candles.whitebit.BTC_USDT.1m", "ticker.bybit.*",
                        "trades.binance.BTCUSDT",
                    ])

            client.send(#"{"op":"subscribe","topics":["trades.binance.btcusdt"],"id":"again"}"#)
            let again = try await messages.nextObject()
            #expect(again["id"] as? String == "again")
            #expect(again["topics"] as? [String] == [])
            #expect(again["subscriptions"] as? Int == 4)

            client.send(#"{"op":"unsubscribe","topics":["ticker.bybit.*","trades.bybit.BTCUSDT"]}"#)
            let unsubscribed = try await messages.nextObject()
            #expect(unsubscribed["op"] as? String == "unsubscribe")
            #expect(unsubscribed["topics"] as? [String] == ["ticker.bybit.*"])
            #expect(unsubscribed["not_subscribed"] as? [String] == ["trades.bybit.BTCUSDT"])
            #expect(unsubscribed["subscriptions"] as? Int == 3)

            client.send(#"{"op":"list","id":9}"#)
            let list = try await messages.nextObject()
            #expect(list["op"] as? String == "list")
            #expect(
                list["topics"] as? [String] == [
                    "book.binance.BTCUSDT", "candles.whitebit.BTC_USDT.1m", "trades.binance.BTCUSDT",
                ])

            client.send(#"{"op":"ping","id":"p1"}"#)
            let pong = try await messages.nextObject()
            #expect(pong["op"] as? String == "pong")
            #expect(pong["id"] as? String == "p1")
            #expect(pong["time"] is String)
            client.close()
            _ = try? await client.done.value
        }
    }

    @Test("bad requests get an error reply and the connection stays open")
    func errors() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeServer(testConfiguration(runtime: dir.path), maxTopics: 2)
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            let cases: [(String, String, String)] = [
                ("{not json", "bad_json", "not a JSON object"),
                (#"{"op":"watch","id":5}"#, "unknown_op", "unknown op \"watch\""),
                (
                    #"{"op":"subscribe","topics":["trades.binance","quotes.x.Y"],"id":6}"#, "bad_topic",
                    "Nothing was changed"
                ),
                (
                    #"{"op":"subscribe","topics":["trades.*.A","trades.*.B","trades.*.C"]}"#, "too_many_topics",
                    "may hold 2 subscriptions"
                ),
            ]
            for (request, code, fragment) in cases {
                client.send(request)
                let reply = try await messages.nextObject()
                #expect(reply["op"] as? String == "error", "\(request)")
                #expect(reply["code"] as? String == code, "\(request)")
                #expect((reply["message"] as? String)?.contains(fragment) == true, "\(reply)")
            }
            client.send(#"{"op":"subscribe","topics":["trades.binance","quotes.x.Y"],"id":6}"#)
            let both = try await messages.nextObject()
            #expect(both["id"] as? Int == 6)
            #expect(both["request_op"] as? String == "subscribe")
            let message = both["message"] as? String ?? ""
            #expect(
                message.contains("topic \"trades.binance\"") && message.contains("unknown channel \"quotes\""),
                "\(message)")

            client.send(#"{"op":"list"}"#)
            #expect(try await messages.nextObject()["topics"] as? [String] == [])
            client.close()
            _ = try? await client.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_subscribe_errors_total{process="gateway"} 5"#))
    }

    @Test("events go to matching subscribers only, with a topic field and exact decimals")
    func fanOut() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        try await withRunningServer(server) { ports in
            let trades = TestWebSocket(port: ports.webSocket)
            var tradesMessages = trades.received.makeAsyncIterator()
            let market = TestWebSocket(port: ports.webSocket, path: "/")
            var marketMessages = market.received.makeAsyncIterator()
            trades.send(#"{"op":"subscribe","topics":["trades.binance.*"]}"#)
            _ = try await tradesMessages.nextObject()
            market.send(#"{"op":"subscribe","topics":["ticker.binance.BTCUSDT","candles.binance.BTCUSDT"]}"#)
            _ = try await marketMessages.nextObject()

            try await deliver(
                [
                    .trades([trade(1, price: "0.00010000")]), .ticker(ticker(last: "0.00010000")),
                    .candle(candle(.m1, openSeconds: 60, close: "2.50")),
                ], to: server)

            let tradeText = try #require(await tradesMessages.next())
            #expect(
                tradeText.hasPrefix(
                    #"{"type":"trades","exchange":"binance","market":"spot","symbol":"BTCUSDT","topic":"trades.binance.BTCUSDT","seq":1,"trades":[{"id":"1","price":"0.00010000","quantity":"0.00100000""#
                ),
                "\(tradeText)")
            // Nothing else was queued for this client before the reply to this ping.
            trades.send(#"{"op":"ping"}"#)
            #expect(try await tradesMessages.nextObject()["op"] as? String == "pong")

            let tickerEvent = try await marketMessages.nextObject()
            #expect(tickerEvent["type"] as? String == "ticker")
            #expect(tickerEvent["topic"] as? String == "ticker.binance.BTCUSDT")
            #expect(tickerEvent["last"] as? String == "0.00010000")
            let candleEvent = try await marketMessages.nextObject()
            #expect(candleEvent["topic"] as? String == "candles.binance.BTCUSDT.1m")
            #expect(candleEvent["close"] as? String == "2.50")

            trades.send(#"{"op":"unsubscribe","topics":["trades.binance.*"]}"#)
            _ = try await tradesMessages.nextObject()
            try await deliver([.trades([trade(2)])], to: server)
            trades.send(#"{"op":"ping"}"#)
            #expect(try await tradesMessages.nextObject()["op"] as? String == "pong")
            trades.close()
            market.close()
            _ = try? await trades.done.value
            _ = try? await market.done.value
        }
    }

    @Test("a client that never reads is dropped; the others keep being served")
    func slowClient() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeServer(
            testConfiguration(runtime: dir.path), queue: 8, closeGrace: .milliseconds(500))
        try await withRunningServer(server) { ports in
            let fast = TestWebSocket(port: ports.webSocket)
            var fastMessages = fast.received.makeAsyncIterator()
            fast.send(#"{"op":"subscribe","topics":["ticker.binance.BTCUSDT"]}"#)
            _ = try await fastMessages.nextObject()

            let slow = try await RawWebSocket.connect(port: ports.webSocket)
            try await slow.sendText(#"{"op":"subscribe","topics":["trades.binance.*"]}"#)
            let reply = try await slow.readFrame()
            #expect(reply.opcode == 1)
            #expect(String(decoding: reply.payload, as: UTF8.self).contains(#""ok":true"#))
            #expect(server.hub.clientCount == 2)

            // From here on the slow client reads nothing. Publish until the gateway gives up on it; the bound
            // only stops a broken gateway from looping forever.
            let batch = (1...100).map { trade($0) }
            var published = 0
            while server.hub.slowDisconnects == 0 && published < 100_000 {
                server.hub.publish(.trades(batch))
                published += 1
                if published.isMultiple(of: 8) { await Task.yield() }
            }
            #expect(server.hub.slowDisconnects == 1)
            #expect(await eventually { server.hub.clientCount == 1 })
            #expect(await slow.drainUntilClosed())
            #expect(
                metrics.exposition().contains(#"cryptod_gateway_ws_slow_client_disconnects_total{process="gateway"} 1"#)
            )
            #expect(!metrics.exposition().contains(#"cryptod_gateway_ws_dropped_messages_total{process="gateway"} 0"#))
            #expect(metrics.exposition().contains(#"cryptod_gateway_ws_dropped_messages_total{process="gateway"} "#))

            try await deliver([.ticker(ticker(last: "3.00"))], to: server)
            let event = try await fastMessages.nextObject()
            #expect(event["topic"] as? String == "ticker.binance.BTCUSDT")
            #expect(event["last"] as? String == "3.00")
            fast.close()
            _ = try? await fast.done.value
        }
    }

    @Test("beyond ws_max_clients a connection is closed with 1013 and a reason")
    func maxClients() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeServer(testConfiguration(runtime: dir.path), maxClients: 1)
        try await withRunningServer(server) { ports in
            let first = TestWebSocket(port: ports.webSocket)
            var firstMessages = first.received.makeAsyncIterator()
            first.send(#"{"op":"ping"}"#)
            _ = try await firstMessages.nextObject()

            // The close frame follows the 101 response at once; read the bytes as they come.
            let second = try await RawWebSocket.connect(port: ports.webSocket)
            let close = try await second.readFrame()
            #expect(close.opcode == 8)
            #expect(close.payload.count > 2)
            #expect(close.payload.prefix(2).reduce(0) { $0 << 8 | Int($1) } == 1013)
            let reason = String(decoding: close.payload.dropFirst(2), as: UTF8.self)
            #expect(reason == "gateway full (1 clients); try again later")

            first.send(#"{"op":"ping","id":2}"#)
            #expect(try await firstMessages.nextObject()["id"] as? Int == 2)
            first.close()
            _ = try? await first.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_refused_total{process="gateway"} 1"#))
    }

    @Test("graceful shutdown closes clients with 1001 and returns")
    func shutdown() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        let client = try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(#"{"op":"subscribe","topics":["trades.*.*"]}"#)
            _ = try await messages.nextObject()
            return client
        }
        let frame = try await client.done.value
        #expect(frame?.closeCode == .goingAway)
        #expect(server.hub.clientCount == 0)
    }
}
