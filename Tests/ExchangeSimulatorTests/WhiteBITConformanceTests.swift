import ExchangeSimulator
import Foundation
import Testing

/// Every WhiteBIT fixture in ../shared/exchanges/fixtures/whitebit is matched to a request or a
/// stream, and exchsim's answer has the same shape (keys, JSON types, array layouts).
@Suite("WhiteBIT fixture conformance", .serialized)
struct WhiteBITConformanceTests {
    static let exchange = "whitebit"

    /// REST fixtures answered by a plain GET.
    static let getRequests: [String: String] = [
        "rest_v4_time.json": "/api/v4/public/time",
        "rest_v4_markets.json": "/api/v4/public/markets",
        "rest_v4_ticker_all.json": "/api/v4/public/ticker",
        "rest_v4_orderbook.json": "/api/v4/public/orderbook/BTC_USDT?limit=5",
        "rest_v4_trades.json": "/api/v4/public/trades/BTC_USDT",
        "rest_v1_kline.json": "/api/v1/public/kline?market=BTC_USDT&interval=1h&limit=3",
        "rest_v1_ticker_single.json": "/api/v1/public/ticker?market=BTC_USDT",
    ]

    /// Fixtures of the signed endpoint: the request body template and two error bodies.
    static let signedFixtures: Set<String> = [
        "rest_v4_trade_account_balance.json", "err_v4_private_unauthorized.json", "err_v4_private_validation.json",
    ]

    /// Stream fixtures: the subscription that produces them and the update method.
    static let streams: [String: (method: String, params: String, update: String)] = [
        "ws_lastprice_update.json": ("lastprice_subscribe", #"["ETH_BTC"]"#, "lastprice_update"),
        "ws_market_update.json": ("market_subscribe", #"["ETH_BTC"]"#, "market_update"),
        "ws_candles_update.json": ("candles_subscribe", #"["ETH_BTC",900]"#, "candles_update"),
        "ws_trades_update.json": ("trades_subscribe", "[]", "trades_update"),
        "ws_book_ticker_update.json": ("bookTicker_subscribe", #"["BTC_USDT"]"#, "bookTicker_update"),
    ]

    /// Fixtures of replies and of the depth stream, checked one by one below.
    static let replyFixtures: Set<String> = [
        "ws_pong.json", "ws_subscribe_ack.json", "ws_error_invalid_argument.json",
        "ws_depth_update_snapshot.json", "ws_depth_update_incremental.json",
    ]

    @Test("every WhiteBIT fixture has a conformance check")
    func everyFixtureIsCovered() throws {
        let names = try Fixtures.names(exchange: Self.exchange)
        #expect(!names.isEmpty, "no fixtures found in \(Fixtures.directory.path)")
        for name in names {
            let mapped =
                Self.getRequests[name] != nil || Self.signedFixtures.contains(name) || Self.streams[name] != nil
                || Self.replyFixtures.contains(name)
            #expect(mapped, "unmapped fixture \(name)")
        }
    }

    /// Checks an object keyed by market (`/api/v4/public/ticker`): every value against the fixture's.
    static func checkKeyedByMarket(_ actual: Any, against expected: Any) throws {
        let values = try #require(actual as? [String: Any])
        let pattern = try #require((expected as? [String: Any])?.values.first)
        #expect(values["BTC_USDT"] != nil && values.count == MarketCatalog.builtIn.count)
        for (market, value) in values { try JSONShape.check(value, against: pattern, path: "$.\(market)") }
    }

    /// `/api/v4/public/markets` items also carry `isTradFiFutures` (false) and `delistedAt` (null),
    /// fields of the official SDK's API definition that the documentation snapshot of the fixture
    /// predates: checked here, then removed for the comparison with the fixture.
    static func withoutNewerMarketFields(_ actual: Any) throws -> [[String: Any]] {
        let items = try #require(actual as? [[String: Any]])
        return items.map { item in
            #expect(item["isTradFiFutures"] as? Bool == false, "isTradFiFutures of \(item["name"] ?? "?")")
            #expect(item["delistedAt"] is NSNull, "delistedAt of \(item["name"] ?? "?")")
            return item.filter { $0.key != "isTradFiFutures" && $0.key != "delistedAt" }
        }
    }

    @Test("REST answers have the fixtures' shapes")
    func restShapes() async throws {
        try await WhiteBITHarness.with { port in
            for (name, path) in Self.getRequests.sorted(by: { $0.key < $1.key }) {
                let expected = try Fixtures.load(exchange: Self.exchange, name: name)
                let result = try await TestHTTP.request(port: port, path: path)
                #expect(result.status == 200, "\(name) status \(result.status)")
                do {
                    let actual = try JSONShape.parse(result.text)
                    if name == "rest_v4_ticker_all.json" {
                        try Self.checkKeyedByMarket(actual, against: expected)
                    } else if name == "rest_v4_markets.json" {
                        try JSONShape.check(try Self.withoutNewerMarketFields(actual), against: expected)
                    } else {
                        try JSONShape.check(actual, against: expected)
                    }
                } catch {
                    Issue.record("\(name): \(error) — body: \(result.text.prefix(400))")
                }
            }
        }
    }

    @Test("the signed endpoint accepts the fixture's body and errors have the fixtures' shapes")
    func signedShapes() async throws {
        try await WhiteBITHarness.with { port in
            // rest_v4_trade_account_balance.json is the documented request body: send exactly that shape.
            let template = try Fixtures.load(exchange: Self.exchange, name: "rest_v4_trade_account_balance.json")
            let body = #"{"request":"/api/v4/trade-account/balance","nonce":"1"}"#
            try JSONShape.check(try JSONShape.parse(body), against: template)
            let ok = try await WhiteBITSignatureTests.post(port: port, body: body)
            #expect(ok.status == 200, "\(ok.text)")
            let balances = try #require(try JSONShape.parse(ok.text) as? [String: Any])
            #expect(balances["BTC"] != nil && balances["USDT"] != nil)
            for (currency, value) in balances {
                try JSONShape.check(
                    value, against: try JSONShape.parse(#"{"available":"0.123","freeze":"1"}"#), path: "$.\(currency)")
            }

            let tampered = try await WhiteBITSignatureTests.post(
                port: port, body: #"{"request":"/api/v4/trade-account/balance","nonce":"2"}"#, tamper: true)
            try JSONShape.check(
                try JSONShape.parse(tampered.text),
                against: try Fixtures.load(exchange: Self.exchange, name: "err_v4_private_unauthorized.json"))

            let invalid = try await WhiteBITSignatureTests.post(
                port: port, body: #"{"request":"/api/v4/trade-account/balance","nonce":"3","ticker":"NOSUCH"}"#)
            #expect(invalid.status == 422)
            try JSONShape.check(
                try JSONShape.parse(invalid.text),
                against: try Fixtures.load(exchange: Self.exchange, name: "err_v4_private_validation.json"))
        }
    }

    /// `trades_update` carries a list of trades inside the `params` tuple, which the comparator reads
    /// as a fixed-length tuple: split it into one message per trade, as in the fixture.
    static func oneTradePerMessage(_ message: Any) throws -> [Any] {
        guard let object = message as? [String: Any], object["method"] as? String == "trades_update" else {
            return [message]
        }
        let params = try #require(object["params"] as? [Any])
        let trades = try #require(params.count == 2 ? params[1] as? [Any] : nil)
        #expect(!trades.isEmpty)
        return trades.map { trade in
            var single = object
            single["params"] = [params[0], [trade]]
            return single
        }
    }

    @Test("stream updates have the fixtures' shapes")
    func streamShapes() async throws {
        try await WhiteBITHarness.with(WhiteBITHarness.options(scale: 30)) { port in
            for (name, stream) in Self.streams.sorted(by: { $0.key < $1.key }) {
                let socket = try await TestWebSocket.connect(port: port, path: "/ws")
                defer { socket.close() }
                let ack = try await socket.call(1, stream.method, stream.params)
                #expect((ack["result"] as? [String: Any])?["status"] as? String == "success", "\(name): \(ack)")
                guard let text = await socket.nextUpdateText(stream.update, timeout: .seconds(20)) else {
                    Issue.record("\(name): no \(stream.update)")
                    continue
                }
                do {
                    let expected = try Fixtures.load(exchange: Self.exchange, name: name)
                    for message in try Self.oneTradePerMessage(try JSONShape.parse(text)) {
                        try JSONShape.check(message, against: expected)
                    }
                } catch {
                    Issue.record("\(name): \(error) — message: \(text.prefix(400))")
                }
            }
        }
    }

    @Test("pong, subscription ack, error and depth messages have the fixtures' shapes")
    func replyShapes() async throws {
        try await WhiteBITHarness.with(WhiteBITHarness.options(scale: 20)) { port in
            func fixture(_ name: String) throws -> Any { try Fixtures.load(exchange: Self.exchange, name: name) }
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            try await socket.send(#"{"id":0,"method":"ping","params":[]}"#)
            let pong = try #require(await socket.nextText())
            #expect(pong == #"{"id":0,"result":"pong","error":null}"#)
            try JSONShape.check(try JSONShape.parse(pong), against: try fixture("ws_pong.json"))

            try await socket.send(#"{"id":1656404342,"method":"depth_subscribe","params":["NO_SUCH",100,"0",true]}"#)
            let error = try #require(await socket.nextText())
            try JSONShape.check(try JSONShape.parse(error), against: try fixture("ws_error_invalid_argument.json"))
            #expect(error == #"{"id":1656404342,"result":null,"error":{"code":1,"message":"invalid argument"}}"#)

            try await socket.send(#"{"id":3,"method":"depth_subscribe","params":["BTC_USDT",20,"0",true]}"#)
            let ack = try #require(await socket.nextText())
            try JSONShape.check(try JSONShape.parse(ack), against: try fixture("ws_subscribe_ack.json"))
            #expect(ack == #"{"id":3,"result":{"status":"success"},"error":null}"#)

            let snapshot = try #require(await socket.nextUpdateText("depth_update"))
            #expect(snapshot.contains(#""params":[true,"#), "the first depth_update is the snapshot")
            try JSONShape.check(try JSONShape.parse(snapshot), against: try fixture("ws_depth_update_snapshot.json"))
            // An incremental that changes both sides has exactly the fixture's shape.
            var checked = false
            for _ in 0..<60 {
                let text = try #require(await socket.nextUpdateText("depth_update"))
                let data = ((try JSONShape.parse(text) as? [String: Any])?["params"] as? [Any])?[1] as? [String: Any]
                guard (data?["asks"] as? [Any])?.isEmpty == false, (data?["bids"] as? [Any])?.isEmpty == false else {
                    continue
                }
                try JSONShape.check(try JSONShape.parse(text), against: try fixture("ws_depth_update_incremental.json"))
                checked = true
                break
            }
            #expect(checked, "an incremental update with bids and asks")
        }
    }
}
