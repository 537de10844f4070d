import CryptodConfig
import CryptodGateway
import CryptodModel
import CryptodRuntime
import CryptodWire
import Foundation
import Testing

@testable import CryptodIPC

/// The seed's `type` protocol: subscriptions, book snapshot then deltas, sequence numbers, resume and
/// resync, pass-through of gaps and statuses, heartbeats.
@Suite("WebSocket seed protocol, books, sequences and resume", .timeLimit(.minutes(3)))
struct WebSocketSeedTests {
    /// A gateway whose WebSocket limits the test chooses; heartbeats are off unless asked for.
    func makeSocketServer(
        _ dir: borrowing TemporaryDirectory, replay: Int = 1024, replayMemory: Int = 32 << 20,
        heartbeat: Duration = .seconds(3600)
    ) -> (GatewayServer, CryptodMetrics) {
        let configuration = testConfiguration(runtime: dir.path)
        let metrics = CryptodMetrics(process: "gateway", build: .init(version: "test", commit: "test"))
        var settings = GatewayServer.Settings(configuration.gateway)
        settings.limits.replayBuffer = replay
        settings.limits.replayMemory = replayMemory
        settings.limits.heartbeatInterval = heartbeat
        settings.closeGrace = .seconds(2)
        let server = GatewayServer(
            configuration: configuration, name: .gateway, logger: testLogger("gateway"), metrics: metrics,
            settings: settings,
            selfStatus: { details in
                ProcessStatus(
                    name: "gateway", role: .gateway, pid: 1, startedAt: Timestamp(seconds: 1_700_000_000),
                    ready: true, configGeneration: 1, details: details)
            })
        return (server, metrics)
    }

    func deliver(_ events: [MarketEvent], to server: GatewayServer) async throws {
        let items = events.enumerated().map {
            SequencedMessage(sequence: UInt64($0.offset + 1), message: Message($0.element))
        }
        try await server.consumer.consume(StreamDelivery(stream: "replay>gateway", epoch: 1, items: items))
    }

    static func subscribe(
        _ stream: String, symbol: String = "BTCUSDT", exchange: String = "binance", extra: String = ""
    ) -> String {
        #"{"type":"subscribe","stream":"\#(stream)","exchange":"\#(exchange)","symbol":"\#(symbol)"\#(extra)}"#
    }

    // MARK: - Subscriptions

    @Test("seed subscribe and unsubscribe: unified symbols, the kline interval, the market type")
    func subscribeUnsubscribe() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeSocketServer(dir)
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket, path: "/")
            var messages = client.received.makeAsyncIterator()
            client.send(Self.subscribe("ticker", symbol: "BTC/USDT", extra: #","id":1"#))
            let subscribed = try await messages.nextObject()
            #expect(subscribed["type"] as? String == "subscribed")
            #expect(subscribed["id"] as? Int == 1)
            #expect(subscribed["stream"] as? String == "ticker")
            #expect(subscribed["symbol"] as? String == "BTCUSDT")
            #expect(subscribed["market"] as? String == "spot")
            #expect(subscribed["topic"] as? String == "ticker.binance.BTCUSDT")
            #expect(subscribed["seq"] as? Int == 0)
            #expect(subscribed["epoch"] as? String == server.hub.epoch)

            client.send(Self.subscribe("klines", extra: #","timeframe":"5m""#))
            #expect(try await messages.nextObject()["topic"] as? String == "candles.binance.BTCUSDT.5m")
            let linear = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
            client.send(Self.subscribe("trade", exchange: "bybit", extra: #","market":"linear""#))
            #expect(try await messages.nextObject()["topic"] as? String == "trades.bybit:linear.BTCUSDT")

            // Only the subscribed topics arrive: not the 1m candle, not Bybit spot trades.
            try await deliver(
                [
                    .candle(candle(.m1, openSeconds: 60, close: "1.0")),
                    .candle(candle(.m5, openSeconds: 300, close: "5.0")),
                    .trades([trade(1, market: MarketKey(exchange: .bybit, symbol: "BTCUSDT"))]),
                    .trades([trade(2, price: "0.00010000", market: linear)]),
                    .ticker(ticker(last: "65000.10")),
                ], to: server)
            let kline = try await messages.nextObject()
            #expect(kline["type"] as? String == "candle")
            #expect(kline["close"] as? String == "5.0")
            #expect(kline["seq"] as? Int == 1)
            let trades = try await messages.nextObject()
            #expect(trades["topic"] as? String == "trades.bybit:linear.BTCUSDT")
            #expect((trades["trades"] as? [[String: Any]])?.first?["price"] as? String == "0.00010000")
            let tick = try await messages.nextObject()
            #expect(tick["topic"] as? String == "ticker.binance.BTCUSDT")
            #expect(tick["seq"] as? Int == 1)

            client.send(Self.subscribe("tickers", symbol: "btcusdt"))
            let again = try await messages.nextObject()
            #expect(again["already_subscribed"] as? Bool == true)
            #expect(again["seq"] as? Int == 1)

            client.send(#"{"type":"unsubscribe","stream":"ticker","exchange":"binance","symbol":"BTC/USDT"}"#)
            let unsubscribed = try await messages.nextObject()
            #expect(unsubscribed["type"] as? String == "unsubscribed")
            #expect(unsubscribed["was_subscribed"] as? Bool == true)
            client.send(#"{"type":"list"}"#)
            let list = try await messages.nextObject()
            #expect(list["topics"] as? [String] == ["candles.binance:spot.BTCUSDT.5m", "trades.bybit:linear.BTCUSDT"])
            try await deliver([.ticker(ticker(last: "1.0"))], to: server)
            client.send(#"{"type":"ping"}"#)
            #expect(try await messages.nextObject()["type"] as? String == "pong")
            client.close()
            _ = try? await client.done.value
        }
    }

    @Test("bad messages in either format get an error that names the field, and the connection stays open")
    func badMessages() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeSocketServer(dir)
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            let cases: [(String, String, String)] = [
                ("{}", "bad_request", "missing \"type\" (or \"op\")"),
                (#"{"type":"subscribe","op":"subscribe"}"#, "bad_request", "not both"),
                (
                    #"{"type":"subscribe","stream":"quote","exchange":"binance","symbol":"X"}"#, "bad_stream",
                    "orderbook"
                ),
                (Self.subscribe("ticker", symbol: "BTC USDT"), "bad_symbol", "unified (BTC/USDT)"),
                (Self.subscribe("ticker", extra: #","market":"perp""#), "bad_market", "spot, linear, inverse"),
                (Self.subscribe("trade", extra: #","resume_from":3"#), "bad_resume", "needs \"epoch\""),
            ]
            for (request, code, fragment) in cases {
                client.send(request)
                let reply = try await messages.nextObject()
                #expect(reply["type"] as? String == "error", "\(request)")
                #expect(reply["code"] as? String == code, "\(request)")
                #expect((reply["message"] as? String)?.contains(fragment) == true, "\(reply)")
            }
            client.send(#"{"type":"subscribe","stream":"ticker","exchange":"binance","id":"s1"}"#)
            let missing = try await messages.nextObject()
            #expect(missing["request_type"] as? String == "subscribe")
            #expect(missing["id"] as? String == "s1")
            client.send(#"{"type":"list"}"#)
            #expect(try await messages.nextObject()["topics"] as? [String] == [])
            client.close()
            _ = try? await client.done.value
        }
    }

    // MARK: - Books

    static func level(_ price: Int, _ quantity: String) -> BookLevel {
        BookLevel(price: ExactDecimal("\(price).10")!, quantity: ExactDecimal(quantity)!)
    }

    static func delta(_ id: UInt64) -> BookDelta {
        // Walks levels in and out of the book: quantity 0 removes one.
        let price = Int(id % 17)
        let quantity = id.isMultiple(of: 5) ? "0" : "\(id).000"
        return BookDelta(
            market: btc, firstUpdateID: id, lastUpdateID: id, time: Timestamp(milliseconds: Int64(id)),
            receivedAt: Timestamp(milliseconds: Int64(id)), bids: [level(100 + price, quantity)],
            asks: [level(200 + price, quantity)])
    }

    /// A book as a client keeps it: price text to quantity text per side.
    struct ClientBook: Equatable {
        var bids: [String: String] = [:]
        var asks: [String: String] = [:]
        var seq = 0

        mutating func replace(_ event: [String: Any]) {
            bids = Self.levels(event["bids"])
            asks = Self.levels(event["asks"])
            seq = event["seq"] as? Int ?? -1
        }

        /// Applies a delta; false when its seq does not follow (a gap or a duplicate).
        mutating func apply(_ event: [String: Any]) -> Bool {
            guard event["seq"] as? Int == seq + 1 else { return false }
            seq += 1
            for (price, quantity) in Self.pairs(event["bids"]) { bids[price] = Self.isZero(quantity) ? nil : quantity }
            for (price, quantity) in Self.pairs(event["asks"]) { asks[price] = Self.isZero(quantity) ? nil : quantity }
            return true
        }

        static func isZero(_ text: String) -> Bool { text.allSatisfy { $0 == "0" || $0 == "." } }
        static func pairs(_ value: Any?) -> [(String, String)] {
            (value as? [[String]] ?? []).map { ($0[0], $0[1]) }
        }
        static func levels(_ value: Any?) -> [String: String] {
            Dictionary(pairs(value), uniquingKeysWith: { $1 })
        }
        static func levels(ofView view: [BookLevel]) -> [String: String] {
            Dictionary(view.map { ($0.price.description, $0.quantity.description) }, uniquingKeysWith: { $1 })
        }
    }

    @Test("a book subscriber gets the snapshot then every delta while deltas keep coming, and ends equal to the store")
    func bookSnapshotThenDeltas() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeSocketServer(dir)
        try await withRunningServer(server) { ports in
            let snapshot = BookSnapshot(
                market: btc, updateID: 100, time: nil, receivedAt: Timestamp(milliseconds: 1),
                bids: (0..<10).map { Self.level(100 + $0, "1.5") }, asks: (0..<10).map { Self.level(200 + $0, "2.5") })
            try await deliver([.bookSnapshot(snapshot)] + (101...150).map { .bookDelta(Self.delta($0)) }, to: server)

            // Deltas keep arriving while the client subscribes: whatever the interleaving, the snapshot and
            // the deltas after it must join without a gap or a repeat.
            let publisher = Task {
                for id in UInt64(151)...400 {
                    try await deliver([.bookDelta(Self.delta(id))], to: server)
                    if id.isMultiple(of: 10) { await Task.yield() }
                }
            }
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(Self.subscribe("orderbook", symbol: "BTC/USDT"))
            let subscribed = try await messages.nextObject()
            #expect(subscribed["type"] as? String == "subscribed")
            let first = try await messages.nextObject()
            #expect(first["type"] as? String == "book_snapshot")
            #expect(first["seq"] as? Int == subscribed["seq"] as? Int)
            var book = ClientBook()
            book.replace(first)
            try await publisher.value
            let latest = Int(server.hub.latestSequence(of: EventTopic(channel: .book, market: btc)))
            #expect(latest == 301)
            while book.seq < latest {
                let delta = try await messages.nextObject()
                #expect(delta["type"] as? String == "book_delta")
                let before = book.seq
                let applied = book.apply(delta)
                #expect(applied, "seq \(delta["seq"] ?? "?") after \(before)")
                if !applied { break }
            }
            let view = try #require(server.books.view(btc, depth: .max))
            #expect(view.updateID == 400)
            #expect(book.bids == ClientBook.levels(ofView: view.bids))
            #expect(book.asks == ClientBook.levels(ofView: view.asks))
            #expect(!book.bids.isEmpty)
            client.close()
            _ = try? await client.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_book_snapshots_total{process="gateway"} 1"#))
    }

    @Test(
        "a book subscribed before it exists says so, then gets the snapshot when it arrives; lone deltas are held back")
    func bookPending() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeSocketServer(dir)
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            client.send(#"{"op":"subscribe","topics":["book.binance:spot.BTCUSDT"]}"#)
            #expect(try await messages.nextObject()["op"] as? String == "subscribe")
            let pending = try await messages.nextObject()
            #expect(pending["type"] as? String == "book_pending")
            #expect((pending["message"] as? String)?.contains("no order book for binance spot BTCUSDT yet") == true)

            let snapshot = BookSnapshot(
                market: btc, updateID: 7, time: nil, receivedAt: .epoch, bids: [Self.level(1, "1")], asks: [])
            try await deliver(
                [.bookDelta(Self.delta(5)), .bookSnapshot(snapshot), .bookDelta(Self.delta(8))], to: server)
            let first = try await messages.nextObject()
            #expect(first["type"] as? String == "book_snapshot")
            #expect(first["seq"] as? Int == 1)
            #expect(first["update_id"] as? Int == 7)
            let next = try await messages.nextObject()
            #expect(next["type"] as? String == "book_delta")
            #expect(next["seq"] as? Int == 2)
            client.close()
            _ = try? await client.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_unplaced_book_events_total{process="gateway"} 1"#))
    }

    // MARK: - Resume and resync

    @Test("a client that reconnects and resumes gets exactly the events it missed, then live ones")
    func resume() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeSocketServer(dir, replay: 16)
        try await withRunningServer(server) { ports in
            let first = TestWebSocket(port: ports.webSocket)
            var firstMessages = first.received.makeAsyncIterator()
            first.send(Self.subscribe("trade"))
            let subscribed = try await firstMessages.nextObject()
            let epoch = try #require(subscribed["epoch"] as? String)
            try await deliver((1...5).map { .trades([trade($0)]) }, to: server)
            var last = 0
            for _ in 1...5 { last = try await firstMessages.nextObject()["seq"] as? Int ?? -1 }
            #expect(last == 5)
            first.close()
            _ = try? await first.done.value
            #expect(await eventually { server.hub.clientCount == 0 })

            try await deliver((6...10).map { .trades([trade($0)]) }, to: server)
            let second = TestWebSocket(port: ports.webSocket)
            var messages = second.received.makeAsyncIterator()
            second.send(Self.subscribe("trade", extra: #","resume_from":\#(last),"epoch":"\#(epoch)""#))
            let resumed = try await messages.nextObject()
            #expect(resumed["type"] as? String == "subscribed")
            #expect(resumed["seq"] as? Int == 10)
            try await deliver([.trades([trade(11)])], to: server)
            var seqs: [Int] = []
            var ids: [String] = []
            for _ in 6...11 {
                let event = try await messages.nextObject()
                seqs.append(event["seq"] as? Int ?? -1)
                ids.append((event["trades"] as? [[String: Any]])?.first?["id"] as? String ?? "?")
            }
            #expect(seqs == Array(6...11))
            #expect(ids == (6...11).map(String.init))
            second.close()
            _ = try? await second.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_resumes_total{process="gateway"} 1"#))
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_replayed_messages_total{process="gateway"} 5"#))
    }

    @Test("too far behind, or from another epoch, a client gets a resync; for a book, a fresh snapshot")
    func resync() async throws {
        let dir = try TemporaryDirectory()
        let (server, metrics) = makeSocketServer(dir, replay: 4)
        try await withRunningServer(server) { ports in
            try await deliver((1...10).map { .trades([trade($0)]) }, to: server)
            let snapshot = BookSnapshot(
                market: btc, updateID: 100, time: nil, receivedAt: .epoch, bids: [Self.level(1, "1")], asks: [])
            try await deliver([.bookSnapshot(snapshot)] + (101...110).map { .bookDelta(Self.delta($0)) }, to: server)
            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            let epoch = server.hub.epoch

            client.send(Self.subscribe("trade", extra: #","resume_from":2,"epoch":"\#(epoch)""#))
            #expect(try await messages.nextObject()["type"] as? String == "subscribed")
            let resync = try await messages.nextObject()
            #expect(resync["type"] as? String == "resync")
            #expect(resync["seq"] as? Int == 10)
            #expect((resync["reason"] as? String)?.contains("the replay buffer starts at 7") == true, "\(resync)")

            client.send(Self.subscribe("orderbook", extra: #","resume_from":3,"epoch":"not-\#(epoch)""#))
            #expect(try await messages.nextObject()["type"] as? String == "subscribed")
            let bookResync = try await messages.nextObject()
            #expect(bookResync["type"] as? String == "resync")
            #expect((bookResync["reason"] as? String)?.contains("the gateway restarted") == true)
            let fresh = try await messages.nextObject()
            #expect(fresh["type"] as? String == "book_snapshot")
            #expect(fresh["seq"] as? Int == 11)
            #expect(fresh["update_id"] as? Int == 110)

            try await deliver([.trades([trade(11)])], to: server)
            #expect(try await messages.nextObject()["seq"] as? Int == 11)
            client.close()
            _ = try? await client.done.value
        }
        #expect(metrics.exposition().contains(#"cryptod_gateway_ws_resyncs_total{process="gateway"} 2"#))
    }

    @Test("all topics share the replay budget: a busy book gives up its history, a quiet topic keeps all of it")
    func replayBudget() async throws {
        let dir = try TemporaryDirectory()
        let budget = 16 << 10
        let (server, metrics) = makeSocketServer(dir, replayMemory: budget)
        try await withRunningServer(server) { ports in
            try await deliver((1...5).map { .trades([trade($0)]) }, to: server)
            let snapshot = BookSnapshot(
                market: btc, updateID: 100, time: nil, receivedAt: .epoch, bids: [Self.level(1, "1")], asks: [])
            try await deliver([.bookSnapshot(snapshot)] + (101...500).map { .bookDelta(Self.delta($0)) }, to: server)
            let held = try #require(
                metrics.exposition().split(separator: "\n").first { $0.hasPrefix("cryptod_gateway_ws_replay_bytes{") }
                    .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }.map { Int($0) },
                "the replay gauge is exported: \(metrics.exposition())")
            #expect(held > 0 && held <= budget, "\(held) bytes held for a budget of \(budget)")

            let client = TestWebSocket(port: ports.webSocket)
            var messages = client.received.makeAsyncIterator()
            let epoch = server.hub.epoch
            // The quiet topic still has every one of its five messages.
            client.send(Self.subscribe("trade", extra: #","resume_from":0,"epoch":"\#(epoch)""#))
            #expect(try await messages.nextObject()["type"] as? String == "subscribed")
            var seqs: [Int] = []
            for _ in 1...5 { seqs.append(try await messages.nextObject()["seq"] as? Int ?? -1) }
            #expect(seqs == Array(1...5))
            // The book's early deltas went to stay under the budget (401 messages would not fit in 16 KiB).
            client.send(Self.subscribe("orderbook", extra: #","resume_from":2,"epoch":"\#(epoch)""#))
            #expect(try await messages.nextObject()["type"] as? String == "subscribed")
            let resync = try await messages.nextObject()
            #expect(resync["type"] as? String == "resync")
            #expect((resync["reason"] as? String)?.contains("gateway.ws_replay_memory = 16384") == true, "\(resync)")
            client.close()
            _ = try? await client.done.value
            // …while its recent ones are still there to resume from.
            let second = TestWebSocket(port: ports.webSocket)
            var secondMessages = second.received.makeAsyncIterator()
            second.send(Self.subscribe("orderbook", extra: #","resume_from":399,"epoch":"\#(epoch)""#))
            #expect(try await secondMessages.nextObject()["type"] as? String == "subscribed")
            var replayed: [Int] = []
            for _ in 1...2 { replayed.append(try await secondMessages.nextObject()["seq"] as? Int ?? -1) }
            #expect(replayed == [400, 401])
            second.close()
            _ = try? await second.done.value
        }
    }

    // MARK: - Pass-through and heartbeats

    @Test("gaps and source statuses reach the clients subscribed to the market they concern, and only those")
    func passThrough() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeSocketServer(dir)
        try await withRunningServer(server) { ports in
            let concerned = TestWebSocket(port: ports.webSocket)
            var concernedMessages = concerned.received.makeAsyncIterator()
            concerned.send(Self.subscribe("trade"))
            _ = try await concernedMessages.nextObject()
            let other = TestWebSocket(port: ports.webSocket)
            var otherMessages = other.received.makeAsyncIterator()
            other.send(Self.subscribe("ticker", exchange: "bybit"))
            _ = try await otherMessages.nextObject()

            let gap = StreamGap(
                market: btc, channel: "trades", state: .opened, openedAt: Timestamp(seconds: 1_700_000_000),
                reason: "reconnected")
            let bookGap = StreamGap(market: btc, channel: "book", state: .opened, openedAt: .epoch)
            let down = SourceStatus(
                exchange: .binance, state: .disconnected, reason: "EOF", time: Timestamp(seconds: 1_700_000_001))
            try await deliver([.gap(bookGap), .gap(gap), .status(down)], to: server)
            let first = try await concernedMessages.nextObject()
            #expect(first["type"] as? String == "stream_gap")
            #expect(first["channel"] as? String == "trades")
            #expect(first["reason"] as? String == "reconnected")
            let second = try await concernedMessages.nextObject()
            #expect(second["type"] as? String == "source_status")
            #expect(second["state"] as? String == "disconnected")

            other.send(#"{"type":"ping"}"#)
            #expect(try await otherMessages.nextObject()["type"] as? String == "pong")
            concerned.close()
            other.close()
            _ = try? await concerned.done.value
            _ = try? await other.done.value
        }
    }

    @Test("every client gets heartbeats carrying the epoch")
    func heartbeats() async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeSocketServer(dir, heartbeat: .milliseconds(50))
        try await withRunningServer(server) { ports in
            let client = TestWebSocket(port: ports.webSocket, heartbeats: true)
            var messages = client.received.makeAsyncIterator()
            for _ in 1...2 {
                let beat = try await messages.nextObject()
                #expect(beat["type"] as? String == "heartbeat")
                #expect(beat["epoch"] as? String == server.hub.epoch)
                #expect(beat["time"] is String)
            }
            client.close()
            _ = try? await client.done.value
        }
    }

    @Test("the configured default connection limit is the seed's 100")
    func defaultLimit() {
        #expect(GatewayServer.Settings(Configuration(values: [:]).gateway).limits.maxClients == 100)
    }
}
