import Foundation
import Testing

/// Bybit's WebSocket rules: op messages and their answers per channel, args limits, the idle
/// timeout, connection limits, stream cadence contents, and connection faults.
@Suite("Bybit WebSocket protocol", .serialized)
struct BybitWebSocketTests {
    /// The next control answer (an object with `op`), skipping topic messages.
    static func nextReply(_ socket: TestWebSocket) async -> [String: Any]? {
        while let message = await socket.nextObject() {
            if message["op"] != nil { return message }
        }
        return nil
    }

    @Test("ping answers: spot without req_id, linear with it")
    func pongFormats() async throws {
        try await BybitHarness.withBybit { port, _ in
            let spot = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            let linear = try await TestWebSocket.connect(port: port, path: "/v5/public/linear")
            defer {
                spot.close()
                linear.close()
            }
            try await spot.send(#"{"req_id":"100001","op":"ping"}"#)
            let spotPong = try #require(await Self.nextReply(spot))
            #expect(Set(spotPong.keys) == ["success", "ret_msg", "conn_id", "op"])
            #expect(spotPong["ret_msg"] as? String == "pong" && spotPong["op"] as? String == "ping")
            try await linear.send(#"{"req_id":"100001","op":"ping"}"#)
            let linearPong = try #require(await Self.nextReply(linear))
            #expect(Set(linearPong.keys) == ["success", "ret_msg", "conn_id", "req_id", "op"])
            #expect(linearPong["req_id"] as? String == "100001")
            try await linear.send(#"{"op":"ping"}"#)
            #expect(try #require(await Self.nextReply(linear))["req_id"] as? String == "")
            let id = try #require(spotPong["conn_id"] as? String)
            #expect(id.count == 36 && id.split(separator: "-").count == 5, "a UUID")
            #expect(id != linearPong["conn_id"] as? String)
        }
    }

    @Test("subscribe answers and failures: acks per channel, handler not found, already subscribed, spot 10 args")
    func subscribeRules() async throws {
        try await BybitHarness.withBybit { port, _ in
            let spot = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            let linear = try await TestWebSocket.connect(port: port, path: "/v5/public/linear")
            defer {
                spot.close()
                linear.close()
            }
            try await linear.send(#"{"op":"subscribe","args":["publicTrade.BTCUSDT"]}"#)
            let ack = try #require(await Self.nextReply(linear))
            #expect(
                ack["success"] as? Bool == true && ack["ret_msg"] as? String == "" && ack["req_id"] as? String == "")
            let eleven = ["1", "3", "5", "15", "30", "60", "120", "240", "360", "720", "D"].map {
                "\"kline.\($0).BTCUSDT\""
            }
            let failures: [(TestWebSocket, String, String)] = [
                (linear, #"{"req_id":"a","op":"subscribe","args":["orderbook.7.BTCUSDT"]}"#, "error:handler not found"),
                (linear, #"{"req_id":"b","op":"subscribe","args":["publicTrade.BNBBTC"]}"#, "error:handler not found"),
                (linear, #"{"req_id":"c","op":"subscribe","args":["nonsense"]}"#, "error:handler not found"),
                (
                    linear, #"{"req_id":"d","op":"subscribe","args":["publicTrade.BTCUSDT"]}"#,
                    "error:already subscribed,topic:publicTrade.BTCUSDT"
                ),
                (
                    spot, #"{"req_id":"e","op":"subscribe","args":[\#(eleven.joined(separator: ","))]}"#,
                    "error:args size >10"
                ),
                (spot, #"{"req_id":"f","op":"flip"}"#, "error:unknown op"),
            ]
            for (socket, request, message) in failures {
                try await socket.send(request)
                let reply = try #require(await Self.nextReply(socket))
                #expect(reply["success"] as? Bool == false, "\(request)")
                #expect(reply["ret_msg"] as? String == message, "\(request) → \(reply)")
            }
            // Ten args are fine on spot, and a failed request subscribed nothing.
            let ten = Array(eleven.prefix(10))
            try await spot.send(#"{"req_id":"g","op":"subscribe","args":[\#(ten.joined(separator: ","))]}"#)
            #expect(try #require(await Self.nextReply(spot))["success"] as? Bool == true)
            try await spot.send(#"{"req_id":"h","op":"unsubscribe","args":["kline.1.BTCUSDT"]}"#)
            let unsubscribed = try #require(await Self.nextReply(spot))
            #expect(unsubscribed["success"] as? Bool == true && unsubscribed["ret_msg"] as? String == "unsubscribe")
            let (_, connections) = try await TestHTTP.json(port: port, path: "/_sim/connections")
            let streams = (connections as? [[String: Any]] ?? []).flatMap { $0["streams"] as? [String] ?? [] }
            #expect(streams.filter { $0.hasPrefix("spot/kline.") }.count == 9)
            #expect(streams.contains("linear/publicTrade.BTCUSDT"))
        }
    }

    @Test("the args of one connection are limited in characters")
    func argsCharacters() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(limits: ["bybit.ws_args_characters": 40])) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/v5/public/linear")
            defer { socket.close() }
            try await socket.send(#"{"op":"subscribe","args":["publicTrade.BTCUSDT","publicTrade.ETHUSDT"]}"#)
            #expect(try #require(await Self.nextReply(socket))["success"] as? Bool == true)
            try await socket.send(#"{"op":"subscribe","args":["publicTrade.SOLUSDT"]}"#)
            let refused = try #require(await Self.nextReply(socket))
            #expect(refused["success"] as? Bool == false && refused["ret_msg"] as? String == "error:args length >40")
            try await socket.send(#"{"op":"unsubscribe","args":["publicTrade.ETHUSDT"]}"#)
            _ = await Self.nextReply(socket)
            try await socket.send(#"{"op":"subscribe","args":["publicTrade.SOLUSDT"]}"#)
            #expect(
                try #require(await Self.nextReply(socket))["success"] as? Bool == true, "unsubscribing frees the budget"
            )
        }
    }

    @Test("a connection that sends nothing for 10 minutes is closed; a ping keeps it")
    func idleTimeout() async throws {
        try await BybitHarness.withBybit { port, _ in
            let quiet = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            let chatty = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            defer {
                quiet.close()
                chatty.close()
            }
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":400000}"#)
            try await chatty.send(#"{"op":"ping"}"#)
            _ = await Self.nextReply(chatty)
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":200000}"#)
            #expect(await quiet.waitClosed(timeout: .seconds(5)), "silent for 600 simulated seconds")
            try await chatty.send(#"{"op":"ping"}"#)
            #expect(await Self.nextReply(chatty)?["ret_msg"] as? String == "pong", "the pinging client stays")
        }
    }

    @Test("connection attempts per 5 minutes are limited; unknown paths are refused")
    func connectionLimit() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(limits: ["bybit.ws_connections_per_5m": 2])) { port, _ in
            try await TestWebSocket.connect(port: port, path: "/v5/public/spot").close()
            try await TestWebSocket.connect(port: port, path: "/v5/public/linear").close()
            await #expect(throws: (any Error).self) {
                _ = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            }
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":300000}"#)
            try await TestWebSocket.connect(port: port, path: "/v5/public/spot").close()
            await #expect(throws: (any Error).self) {
                _ = try await TestWebSocket.connect(port: port, path: "/v5/public/option")
            }
        }
    }

    @Test("linear tickers: a snapshot, then deltas holding the symbol and changed fields only")
    func tickerDeltas() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 30)) { port, _ in
            let socket = try await BybitHarness.subscribe(port: port, category: "linear", topics: ["tickers.BTCUSDT"])
            defer { socket.close() }
            let snapshot = try #require(await BybitHarness.next(socket, topic: "tickers.BTCUSDT"))
            #expect(snapshot["type"] as? String == "snapshot")
            let full = (snapshot["data"] as? [String: Any])?.count ?? 0
            let delta = try #require(await BybitHarness.next(socket, topic: "tickers.BTCUSDT"))
            #expect(delta["type"] as? String == "delta")
            let fields = delta["data"] as? [String: Any] ?? [:]
            #expect(fields["symbol"] as? String == "BTCUSDT")
            #expect(fields.count > 1 && fields.count < full)
            #expect((delta["cs"] as? NSNumber)?.int64Value ?? 0 >= (snapshot["cs"] as? NSNumber)?.int64Value ?? 0)
        }
    }

    @Test("trades stream in batches with contiguous REST history, klines confirm closed candles")
    func tradesAndKlines() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 60)) { port, _ in
            let socket = try await BybitHarness.subscribe(
                port: port, category: "linear", topics: ["publicTrade.BTCUSDT", "kline.1.BTCUSDT"])
            defer { socket.close() }
            let batch = try #require(await BybitHarness.next(socket, topic: "publicTrade.BTCUSDT"))
            let trades = batch["data"] as? [[String: Any]] ?? []
            #expect(!trades.isEmpty && trades.count <= 1_024)
            let times = trades.compactMap { ($0["T"] as? NSNumber)?.int64Value }
            #expect(times == times.sorted(), "ascending by match time")
            let id = try #require(trades.last?["i"] as? String)
            #expect(
                trades.allSatisfy {
                    ["PlusTick", "ZeroPlusTick", "MinusTick", "ZeroMinusTick"].contains($0["L"] as? String ?? "")
                })
            // A thousand trades back: the check survives a slow test machine at 60x speed.
            let (_, recent) = try await BybitHarness.get(
                port, "/v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000")
            let restIds = BybitHarness.list(recent).compactMap { ($0 as? [String: Any])?["execId"] as? String }
            #expect(restIds.contains(id), "the streamed trade is in the REST history under the same id")
            // One simulated minute per real second: a candle closes within a few seconds.
            var confirmed = false
            for _ in 0..<20 {
                guard let kline = await BybitHarness.next(socket, topic: "kline.1.BTCUSDT", timeout: .seconds(5)),
                    let candle = (kline["data"] as? [[String: Any]])?.first
                else { break }
                let start = (candle["start"] as? NSNumber)?.int64Value ?? 0
                #expect((candle["end"] as? NSNumber)?.int64Value == start + 59_999)
                if candle["confirm"] as? Bool == true {
                    confirmed = true
                    break
                }
            }
            #expect(confirmed)
        }
    }

    @Test("drop_connection and malformed_frame faults reach Bybit streams and are counted")
    func connectionFaults() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 30)) { port, _ in
            let victim = try await BybitHarness.subscribe(port: port, category: "spot", topics: ["publicTrade.BTCUSDT"])
            let bystander = try await BybitHarness.subscribe(
                port: port, category: "linear", topics: ["orderbook.50.ETHUSDT"])
            defer {
                victim.close()
                bystander.close()
            }
            let dropped = try await SimulatorHarness.admin(
                port, "/_sim/connections/drop", #"{"target":"spot/publicTrade"}"#)
            #expect(dropped.text == #"{"dropped":1}"#)
            #expect(await victim.waitClosed(timeout: .seconds(5)))
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"malformed_frame","count":1,"target":"linear/orderbook.50.ETHUSDT"}"#)
            var sawBroken = false
            for _ in 0..<300 {
                guard let text = await bystander.nextText(timeout: .seconds(5)) else { break }
                if (try? JSONShape.parse(text)) == nil {
                    sawBroken = true
                    break
                }
            }
            #expect(sawBroken)
            #expect(try await BybitHarness.faultCount(port, "drop_connection") == 1)
            #expect(try await BybitHarness.faultCount(port, "malformed_frame") == 1)
        }
    }
}
