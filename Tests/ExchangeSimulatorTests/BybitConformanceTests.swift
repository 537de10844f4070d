import Foundation
import Testing

/// Every Bybit fixture in ../shared/exchanges/fixtures/bybit is answered by exchsim with JSON of the
/// same shape (same keys, JSON types and array layouts).
@Suite("Bybit fixture conformance", .serialized)
struct BybitConformanceTests {
    static let now = SimulatorHarness.start

    /// How each REST fixture is requested: path, headers, and how many identical calls come first.
    static func restRequest(_ name: String) -> (path: String, headers: [(String, String)], before: Int)? {
        switch name {
        case "rest_server_time.json": return ("/v5/market/time", [], 0)
        case "rest_instruments_spot.json": return ("/v5/market/instruments-info?category=spot&symbol=BTCUSDT", [], 0)
        case "rest_instruments_linear.json": return ("/v5/market/instruments-info?category=linear&limit=3", [], 0)
        case "rest_tickers_spot.json": return ("/v5/market/tickers?category=spot&symbol=BTCUSDT", [], 0)
        case "rest_kline.json": return ("/v5/market/kline?category=linear&symbol=BTCUSDT&interval=60&limit=3", [], 0)
        case "rest_orderbook_spot.json": return ("/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=5", [], 0)
        case "rest_recent_trade_spot.json":
            return ("/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=3", [], 0)
        case "rest_query_api_key.json":
            return ("/v5/user/query-api", BybitHarness.signedHeaders(query: "", timestamp: Self.now), 0)
        case "rest_wallet_balance.json":
            let query = "accountType=UNIFIED"
            return (
                "/v5/account/wallet-balance?\(query)", BybitHarness.signedHeaders(query: query, timestamp: Self.now), 0
            )
        case "err_invalid_api_key_10003.json":
            return (
                "/v5/user/query-api", BybitHarness.signedHeaders(query: "", timestamp: Self.now, apiKey: "NoSuchKey"), 0
            )
        case "err_rate_limited_10006.json":
            // The 11th call within a second is over query-api's 10/s; the clock is pinned.
            return ("/v5/user/query-api", BybitHarness.signedHeaders(query: "", timestamp: Self.now), 10)
        default: return nil
        }
    }

    /// How each stream fixture is obtained: WebSocket category, topic, and the message `type` wanted.
    static let streams: [String: (category: String, topic: String, type: String?)] = [
        "ws_orderbook_snapshot.json": ("linear", "orderbook.50.BTCUSDT", "snapshot"),
        "ws_orderbook_delta.json": ("linear", "orderbook.50.BTCUSDT", "delta"),
        "ws_ticker_linear_perp.json": ("linear", "tickers.BTCUSDT", "snapshot"),
        "ws_ticker_spot.json": ("spot", "tickers.BTCUSDT", "snapshot"),
        "ws_kline.json": ("spot", "kline.5.BTCUSDT", nil),
        "ws_public_trade.json": ("linear", "publicTrade.BTCUSDT", nil),
    ]

    /// Control messages, checked in `controlShapes`.
    static let control: Set<String> = ["ws_pong_spot.json", "ws_subscribe_ack_spot.json", "ws_subscribe_request.json"]

    /// The 10006 fixture is the documentation's two-key fragment: the answer's other envelope keys are
    /// not compared.
    static let fragments: Set<String> = ["err_rate_limited_10006.json"]

    @Test("every Bybit fixture has a conformance check")
    func everyFixtureIsCovered() throws {
        let names = try Fixtures.names(exchange: "bybit")
        #expect(names.count >= 20, "fixtures found in \(Fixtures.directory.path): \(names.count)")
        for name in names {
            let mapped = Self.restRequest(name) != nil || Self.streams[name] != nil || Self.control.contains(name)
            #expect(mapped, "unmapped fixture \(name)")
        }
    }

    @Test("REST answers have the fixtures' shapes")
    func restShapes() async throws {
        try await BybitHarness.withBybit { port, _ in
            for name in try Fixtures.names(exchange: "bybit") where name.hasPrefix("rest_") || name.hasPrefix("err_") {
                var expected = try Fixtures.load(exchange: "bybit", name: name)
                let request = try #require(Self.restRequest(name), "no request for \(name)")
                // Each fixture starts with fresh limits (the 10006 one uses up query-api's second).
                _ = try await SimulatorHarness.admin(port, "/_sim/limits/reset", "")
                for _ in 0..<request.before {
                    _ = try await TestHTTP.request(port: port, path: request.path, headers: request.headers)
                }
                let result = try await TestHTTP.request(port: port, path: request.path, headers: request.headers)
                var actual = try JSONShape.parse(result.text)
                if Self.fragments.contains(name), let fragment = expected as? [String: Any],
                    let body = actual as? [String: Any]
                {
                    actual = body.filter { fragment[$0.key] != nil }
                    expected = fragment
                }
                do {
                    try JSONShape.check(actual, against: expected)
                } catch {
                    Issue.record("\(name): \(error) — body: \(result.text.prefix(400))")
                }
                #expect(result.status == 200, "\(name) status \(result.status)")
                let code = BybitHarness.retCode(actual as? [String: Any] ?? [:])
                #expect(
                    code == BybitHarness.retCode(expected as? [String: Any] ?? [:]), "\(name): retCode \(code ?? -1)")
            }
        }
    }

    @Test("stream messages have the fixtures' shapes, in both categories")
    func streamShapes() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 30)) { port, _ in
            for (name, stream) in Self.streams.sorted(by: { $0.key < $1.key }) {
                let expected = try Fixtures.load(exchange: "bybit", name: name)
                // The fixture's category, then the other one (same topic, same shape, other number style).
                for category in [stream.category, stream.category == "spot" ? "linear" : "spot"] {
                    if name == "ws_ticker_linear_perp.json" && category == "spot" { continue }
                    if name == "ws_ticker_spot.json" && category == "linear" { continue }
                    let socket = try await BybitHarness.subscribe(
                        port: port, category: category, topics: [stream.topic])
                    defer { socket.close() }
                    var message: [String: Any]?
                    for _ in 0..<200 {
                        guard let next = await BybitHarness.next(socket, topic: stream.topic, timeout: .seconds(20))
                        else { break }
                        if stream.type == nil || next["type"] as? String == stream.type {
                            message = next
                            break
                        }
                    }
                    guard var found = message else {
                        Issue.record("\(name): no \(stream.type ?? "") message on \(category) \(stream.topic)")
                        continue
                    }
                    // Spot trades carry no tick direction `L` (derivatives only, per the topic's table).
                    if name == "ws_public_trade.json" && category == "spot",
                        let data = found["data"] as? [[String: Any]]
                    {
                        #expect(data.allSatisfy { $0["L"] == nil })
                        found["data"] = data.map { trade in trade.merging(["L": "PlusTick"]) { current, _ in current } }
                    }
                    do {
                        try JSONShape.check(found, against: expected)
                    } catch {
                        Issue.record("\(name) (\(category)): \(error) — message: \(found)")
                    }
                }
            }
        }
    }

    @Test("subscribe request, ack and pong have the fixtures' shapes")
    func controlShapes() async throws {
        try await BybitHarness.withBybit { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/v5/public/spot")
            defer { socket.close() }
            // The documentation's request, sent as is, is accepted.
            let request = try String(
                contentsOf: Fixtures.directory.appendingPathComponent("bybit/ws_subscribe_request.json"),
                encoding: .utf8)
            try await socket.send(request)
            let accepted = try #require(await socket.nextObject())
            #expect(accepted["success"] as? Bool == true && accepted["req_id"] as? String == "test", "\(accepted)")
            try await socket.send(#"{"req_id":"10001","op":"subscribe","args":["tickers.ETHUSDT"]}"#)
            var ack: [String: Any]?
            while let message = await socket.nextObject() {
                if message["op"] as? String == "subscribe" {
                    ack = message
                    break
                }
            }
            try JSONShape.check(
                try #require(ack), against: try Fixtures.load(exchange: "bybit", name: "ws_subscribe_ack_spot.json"))
            #expect(ack?["ret_msg"] as? String == "subscribe" && ack?["req_id"] as? String == "10001")
            try await socket.send(#"{"req_id":"100001","op":"ping"}"#)
            var pong: [String: Any]?
            while let message = await socket.nextObject() {
                if message["op"] as? String == "ping" {
                    pong = message
                    break
                }
            }
            try JSONShape.check(
                try #require(pong), against: try Fixtures.load(exchange: "bybit", name: "ws_pong_spot.json"))
        }
    }
}
