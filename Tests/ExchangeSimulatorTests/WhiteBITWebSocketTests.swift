import ExchangeSimulator
import Foundation
import Testing

/// WhiteBIT's JSON-RPC rules: queries, error codes, subscription replacement, the kline interval
/// rule, and the connection rules (idle timeout, requests per minute, connections per minute).
@Suite("WhiteBIT WebSocket protocol", .serialized)
struct WhiteBITWebSocketTests {
    static func errorCode(_ reply: [String: Any]) -> Int? {
        ((reply["error"] as? [String: Any])?["code"] as? NSNumber)?.intValue
    }

    static func isSuccess(_ reply: [String: Any]) -> Bool {
        (reply["result"] as? [String: Any])?["status"] as? String == "success" && reply["error"] is NSNull
    }

    @Test("ping, time, queries and error codes")
    func queriesAndErrors() async throws {
        try await WhiteBITHarness.with { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            try await socket.send(#"{"id":0,"method":"ping","params":[]}"#)
            #expect(await socket.nextText() == #"{"id":0,"result":"pong","error":null}"#)
            try await socket.send(#"{"id":1,"method":"time","params":[]}"#)
            #expect(await socket.nextText() == #"{"id":1,"result":\#(SimulatorHarness.start / 1_000),"error":null}"#)
            let errors: [(String, Int, String)] = [
                (#"{"id":2,"method":"no_such_method","params":[]}"#, 4, "method not found"),
                (#"{"id":3,"method":"lastprice_subscribe","params":["NO_SUCH"]}"#, 1, "invalid argument"),
                (#"{"id":4,"method":"balanceSpot_subscribe","params":["BTC"]}"#, 6, "require authentication"),
                (#"{"id":5,"method":"candles_request","params":["BTC_USDT",1,0,60]}"#, 1, "invalid argument"),
            ]
            for (request, code, message) in errors {
                try await socket.send(request)
                let reply = try #require(await socket.nextObject())
                #expect(Self.errorCode(reply) == code, "\(request) → \(reply)")
                #expect((reply["error"] as? [String: Any])?["message"] as? String == message)
                #expect(reply["result"] is NSNull)
            }
            let trades = try await socket.call(6, "trades_request", #"["BTC_USDT",10,0]"#)
            let items = try #require(trades["result"] as? [[String: Any]])
            #expect(
                items.count == 10 && items.allSatisfy { Set($0.keys) == ["id", "time", "price", "amount", "type"] })
            let ids = items.compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(ids == ids.sorted(by: >), "newest first")
            let depth = try await socket.call(7, "depth_request", #"["BTC_USDT",3,"0"]"#)
            let book = try #require(depth["result"] as? [String: Any])
            #expect(
                (book["asks"] as? [Any])?.count == 3 && (book["bids"] as? [Any])?.count == 3
                    && book["timestamp"] is NSNumber)
            let end = SimulatorHarness.start / 1_000
            let candles = try await socket.call(8, "candles_request", #"["ETH_BTC",\#(end - 3_600),\#(end),900]"#)
            let rows = try #require(candles["result"] as? [[Any]])
            #expect(rows.count == 5 && rows.allSatisfy { $0.count == 8 && $0[7] as? String == "ETH_BTC" })
            let price = try await socket.call(9, "lastprice_request", #"["BTC_USDT"]"#)
            let (_, ticker) = try await TestHTTP.json(port: port, path: "/api/v4/public/ticker")
            #expect(
                price["result"] as? String == ((ticker as? [String: Any])?["BTC_USDT"] as? [String: Any])?["last_price"]
                    as? String)
            let market = try await socket.call(10, "market_request", #"["BTC_USDT",86400]"#)
            #expect(((market["result"] as? [String: Any])?["period"] as? NSNumber)?.intValue == 86_400)
            let today = try await socket.call(11, "marketToday_query", #"["BTC_USDT"]"#)
            #expect(
                Set(((today["result"] as? [String: Any]) ?? [:]).keys) == [
                    "last", "open", "high", "low", "volume", "deal",
                ])
        }
    }

    @Test("a new subscription replaces the previous one of its type; unsubscribe drops the type")
    func subscriptionReplacement() async throws {
        try await WhiteBITHarness.with(WhiteBITHarness.options(scale: 10)) { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            #expect(Self.isSuccess(try await socket.call(1, "lastprice_subscribe", #"["BTC_USDT","ETH_BTC"]"#)))
            #expect(Self.isSuccess(try await socket.call(2, "candles_subscribe", #"["BTC_USDT",60]"#)))
            #expect(Self.isSuccess(try await socket.call(3, "trades_subscribe", "[]")))
            let before = Set(try await WhiteBITHarness.streams(port)[0])
            #expect(before == ["lastprice:BTC_USDT", "lastprice:ETH_BTC", "candles:BTC_USDT:60", "trades:*"])
            #expect(Self.isSuccess(try await socket.call(4, "lastprice_subscribe", #"["SOL_USDT"]"#)))
            #expect(Self.isSuccess(try await socket.call(5, "candles_subscribe", #"["ETH_USDT",3600]"#)))
            #expect(Self.isSuccess(try await socket.call(6, "trades_subscribe", #"["BTC_USDT"]"#)))
            let streams = Set(try await WhiteBITHarness.streams(port)[0])
            #expect(
                streams == ["lastprice:SOL_USDT", "candles:ETH_USDT:3600", "trades:BTC_USDT"],
                "one kline subscription per connection")
            // Updates now come only for the new markets.
            for _ in 0..<3 {
                let update = try #require(await socket.nextUpdate("lastprice_update"))
                #expect((update["params"] as? [Any])?.first as? String == "SOL_USDT")
            }
            let candle = try #require(await socket.nextUpdate("candles_update"))
            #expect(((candle["params"] as? [[Any]])?.last?.last as? String) == "ETH_USDT")
            #expect(Self.isSuccess(try await socket.call(7, "lastprice_unsubscribe")))
            #expect(Self.isSuccess(try await socket.call(8, "candles_unsubscribe")))
            #expect(Set(try await WhiteBITHarness.streams(port)[0]) == ["trades:BTC_USDT"])
            #expect(Self.isSuccess(try await socket.call(9, "marketToday_subscribe", #"["ETH_USDT"]"#)))
            #expect(Self.isSuccess(try await socket.call(10, "bookTicker_subscribe", "[]")))
            #expect(
                Set(try await WhiteBITHarness.streams(port)[0]) == [
                    "trades:BTC_USDT", "marketToday:ETH_USDT", "bookTicker:*",
                ])
            let today = try #require(await socket.nextUpdate("marketToday_update"))
            let stats = try #require((today["params"] as? [Any])?.last as? [String: Any])
            #expect(Set(stats.keys) == ["last", "open", "high", "low", "volume", "deal"])
        }
    }

    @Test("candle intervals follow the documented rule")
    func candleIntervalRule() async throws {
        try await WhiteBITHarness.with { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            for (id, seconds) in [5, 60, 900, 7_200, 86_400, 172_800, 604_800, 2_592_000].enumerated() {
                #expect(
                    Self.isSuccess(try await socket.call(id, "candles_subscribe", #"["BTC_USDT",\#(seconds)]"#)),
                    "\(seconds)")
            }
            for (id, seconds) in [7, 90, 5_400, 100_000, 1_209_600, 0].enumerated() {
                let reply = try await socket.call(100 + id, "candles_subscribe", #"["BTC_USDT",\#(seconds)]"#)
                #expect(Self.errorCode(reply) == 1, "\(seconds) must be refused")
            }
        }
    }

    @Test("invalid JSON closes the connection")
    func invalidJSONCloses() async throws {
        try await WhiteBITHarness.with { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            try await socket.send("{not json")
            #expect(await socket.waitClosed(timeout: .seconds(5)))
        }
    }

    @Test("the server closes after 60 simulated seconds without a client message; pings keep it open")
    func idleTimeout() async throws {
        try await WhiteBITHarness.with { port in
            let pinging = try await TestWebSocket.connect(port: port, path: "/ws")
            let silent = try await TestWebSocket.connect(port: port, path: "/ws")
            defer {
                pinging.close()
                silent.close()
            }
            try await WhiteBITHarness.advance(port, ms: 50_000)
            try await pinging.send(#"{"id":0,"method":"ping","params":[]}"#)
            #expect(await pinging.nextText() == #"{"id":0,"result":"pong","error":null}"#)
            try await WhiteBITHarness.advance(port, ms: 10_000)
            #expect(await silent.waitClosed(timeout: .seconds(5)), "60 s without a message")
            try await Task.sleep(for: .milliseconds(100))
            #expect(try await WhiteBITHarness.streams(port).count == 1, "the pinging client stays")
            try await WhiteBITHarness.advance(port, ms: 50_000)
            #expect(await pinging.waitClosed(timeout: .seconds(5)), "50 + 10 s after its last ping")
        }
    }

    @Test("more requests a minute than allowed close the connection; connections per minute are limited")
    func connectionRules() async throws {
        let options = WhiteBITHarness.options(limits: [
            "whitebit.ws_requests_per_minute": 5, "whitebit.ws_connections_per_minute": 3,
        ])
        try await WhiteBITHarness.with(options) { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            for id in 0..<6 { try? await socket.send(#"{"id":\#(id),"method":"ping","params":[]}"#) }
            var pongs = 0
            while let event = await socket.next(timeout: .seconds(5)) {
                if case .text = event { pongs += 1 }
                if event == .close(1008) || event == .closed { break }
            }
            #expect(pongs == 5)
            _ = try await TestWebSocket.connect(port: port, path: "/ws").close()
            _ = try await TestWebSocket.connect(port: port, path: "/ws").close()
            let refused = try await TestHTTP.request(
                port: port, path: "/ws",
                headers: [
                    ("Upgrade", "websocket"), ("Connection", "Upgrade"),
                    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="), ("Sec-WebSocket-Version", "13"),
                ])
            #expect(refused.status == 429 && refused.text == #"{"code":0,"errors":{},"message":"Too many requests."}"#)
            try await WhiteBITHarness.advance(port, ms: 60_000)
            try await TestWebSocket.connect(port: port, path: "/ws").close()
        }
    }

    @Test("drop_connection and malformed_frame faults reach WhiteBIT sockets and are counted")
    func connectionFaults() async throws {
        try await WhiteBITHarness.with(WhiteBITHarness.options(scale: 10)) { port in
            let victim = try await TestWebSocket.connect(port: port, path: "/ws")
            let bystander = try await TestWebSocket.connect(port: port, path: "/ws")
            defer {
                victim.close()
                bystander.close()
            }
            #expect(Self.isSuccess(try await victim.call(1, "lastprice_subscribe", #"["BTC_USDT"]"#)))
            #expect(Self.isSuccess(try await bystander.call(1, "lastprice_subscribe", #"["ETH_USDT"]"#)))
            let dropped = try await SimulatorHarness.admin(port, "/_sim/connections/drop", #"{"target":"BTC_USDT"}"#)
            #expect(dropped.text == #"{"dropped":1}"#)
            #expect(await victim.waitClosed(timeout: .seconds(5)))
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"malformed_frame","count":1,"target":"lastprice:ETH_USDT"}"#)
            var sawBroken = false
            for _ in 0..<10 {
                guard let text = await bystander.nextText(timeout: .seconds(5)) else { break }
                if (try? JSONShape.parse(text)) == nil {
                    sawBroken = true
                    break
                }
            }
            #expect(sawBroken, "a truncated JSON update was delivered")
            #expect(try await WhiteBITHarness.faultCount(port, "drop_connection") == 1)
            #expect(try await WhiteBITHarness.faultCount(port, "malformed_frame") == 1)
        }
    }
}
