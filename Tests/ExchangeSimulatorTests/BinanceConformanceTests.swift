import ExchangeSimulator
import Foundation
import Testing

/// Every Binance fixture in ../shared/exchanges/fixtures/binance is answered by exchsim with JSON of
/// the same shape (same keys, JSON types and array layouts).
@Suite("Binance fixture conformance", .serialized)
struct BinanceConformanceTests {
    static let key = APIKeyEntry.defaultTestKey

    /// Signed `GET /api/v3/account` query for the server's current time.
    static func signedAccountPath(port: Int, secret: String = key.secret, tamper: Bool = false) async throws -> String {
        let (_, time) = try await TestHTTP.json(port: port, path: "/api/v3/time")
        let serverTime = ((time as? [String: Any])?["serverTime"] as? NSNumber)?.int64Value ?? 0
        let query = "omitZeroBalances=false&recvWindow=5000&timestamp=\(serverTime)"
        var signature = HMACSHA256.hex(key: secret, message: query)
        if tamper { signature = String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0") }
        return "/api/v3/account?\(query)&signature=\(signature)"
    }

    /// How each REST fixture is requested.
    static func restRequest(_ name: String, port: Int) async throws -> (path: String, headers: [(String, String)])? {
        switch name {
        case "rest_time.json": return ("/api/v3/time", [])
        case "rest_exchange_info.json": return ("/api/v3/exchangeInfo?symbol=BNBBTC", [])
        case "rest_depth.json": return ("/api/v3/depth?symbol=BNBBTC&limit=5", [])
        case "rest_klines.json": return ("/api/v3/klines?symbol=BNBBTC&interval=1m&limit=3", [])
        case "rest_trades.json": return ("/api/v3/trades?symbol=BNBBTC&limit=3", [])
        case "rest_ticker_24hr_single.json": return ("/api/v3/ticker/24hr?symbol=BNBBTC", [])
        case "rest_ticker_24hr_batch.json":
            return ("/api/v3/ticker/24hr?symbols=%5B%22BNBBTC%22,%22BTCUSDT%22%5D", [])
        case "rest_book_ticker_single.json": return ("/api/v3/ticker/bookTicker?symbol=BNBBTC", [])
        case "err_invalid_symbol.json": return ("/api/v3/depth?symbol=NOSUCHPAIR", [])
        case "rest_account.json":
            return (try await self.signedAccountPath(port: port), [("X-MBX-APIKEY", key.key)])
        case "err_invalid_signature.json":
            return (try await self.signedAccountPath(port: port, tamper: true), [("X-MBX-APIKEY", key.key)])
        case "err_invalid_api_key.json":
            return (
                try await self.signedAccountPath(port: port),
                [("X-MBX-APIKEY", "UnknownKey000000000000000000000000000000000000000000000000000001")]
            )
        default: return nil
        }
    }

    /// How each stream fixture is obtained: the stream to open.
    static let streams: [String: String] = [
        "ws_trade.json": "btcusdt@trade",
        "ws_agg_trade.json": "btcusdt@aggTrade",
        "ws_book_ticker.json": "btcusdt@bookTicker",
        "ws_depth_diff.json": "btcusdt@depth@100ms",
        "ws_partial_depth.json": "btcusdt@depth5@100ms",
        "ws_kline.json": "btcusdt@kline_1m",
        "ws_mini_ticker.json": "btcusdt@miniTicker",
        "ws_ticker_24hr.json": "btcusdt@ticker",
    ]

    static let specialStreams: Set<String> = ["ws_subscribe_response.json", "ws_server_shutdown_combined.json"]

    @Test("every Binance fixture has a conformance check")
    func everyFixtureIsCovered() throws {
        let names = try Fixtures.names(exchange: "binance")
        #expect(!names.isEmpty, "no fixtures found in \(Fixtures.directory.path)")
        let restNames: Set<String> = [
            "rest_time.json", "rest_exchange_info.json", "rest_depth.json", "rest_klines.json", "rest_trades.json",
            "rest_ticker_24hr_single.json", "rest_ticker_24hr_batch.json", "rest_book_ticker_single.json",
            "err_invalid_symbol.json", "rest_account.json", "err_invalid_signature.json", "err_invalid_api_key.json",
        ]
        for name in names {
            #expect(
                restNames.contains(name) || Self.streams[name] != nil || Self.specialStreams.contains(name),
                "unmapped fixture \(name)")
        }
    }

    @Test("REST answers have the fixtures' shapes")
    func restShapes() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            for name in try Fixtures.names(exchange: "binance") where name.hasPrefix("rest_") || name.hasPrefix("err_")
            {
                let expected = try Fixtures.load(exchange: "binance", name: name)
                guard let request = try await Self.restRequest(name, port: port) else {
                    Issue.record("no request for \(name)")
                    continue
                }
                let result = try await TestHTTP.request(port: port, path: request.path, headers: request.headers)
                let actual = try JSONShape.parse(result.text)
                do {
                    try JSONShape.check(actual, against: expected)
                } catch {
                    Issue.record("\(name): \(error) — body: \(result.text.prefix(400))")
                }
                if name.hasPrefix("rest_") { #expect(result.status == 200, "\(name) status \(result.status)") }
            }
        }
    }

    @Test("stream messages have the fixtures' shapes")
    func streamShapes() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 30)) { port, _ in
            for (name, stream) in Self.streams.sorted(by: { $0.key < $1.key }) {
                let expected = try Fixtures.load(exchange: "binance", name: name)
                let socket = try await TestWebSocket.connect(port: port, path: "/ws/\(stream)")
                defer { socket.close() }
                guard let text = await socket.nextText(timeout: .seconds(20)) else {
                    Issue.record("\(name): no message on \(stream)")
                    continue
                }
                do {
                    try JSONShape.check(try JSONShape.parse(text), against: expected)
                } catch {
                    Issue.record("\(name): \(error) — message: \(text.prefix(400))")
                }
            }
        }
    }

    @Test("SUBSCRIBE answer and combined serverShutdown have the fixtures' shapes")
    func controlShapes() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            try await socket.send(#"{"method":"SUBSCRIBE","params":["btcusdt@aggTrade","btcusdt@depth"],"id":1}"#)
            let reply = try #require(await socket.nextText())
            try JSONShape.check(
                try JSONShape.parse(reply),
                against: try Fixtures.load(exchange: "binance", name: "ws_subscribe_response.json"))
            #expect(reply == #"{"result":null,"id":1}"#)

            let combined = try await TestWebSocket.connect(port: port, path: "/stream?streams=btcusdt@trade")
            defer { combined.close() }
            // The clock is pinned: jump past the 24 h connection lifetime.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":86400000}"#)
            var shutdown: String?
            while let text = await combined.nextText(timeout: .seconds(10)) {
                if text.contains("serverShutdown") {
                    shutdown = text
                    break
                }
            }
            let message = try #require(shutdown)
            try JSONShape.check(
                try JSONShape.parse(message),
                against: try Fixtures.load(exchange: "binance", name: "ws_server_shutdown_combined.json"))
            #expect(await combined.waitClosed(), "connection must close after serverShutdown")
        }
    }

    @Test("the shape comparator rejects different shapes")
    func comparatorCatchesDifferences() throws {
        let fixture = try JSONShape.parse(#"[[1,"a","b"],[2,"c","d"]]"#)
        #expect((try? JSONShape.check(try JSONShape.parse(#"[[1,"a","b"]]"#), against: fixture)) != nil)
        #expect((try? JSONShape.check(try JSONShape.parse(#"[[1,"a"]]"#), against: fixture)) == nil)
        #expect((try? JSONShape.check(try JSONShape.parse(#"[["1","a","b"]]"#), against: fixture)) == nil)
        let object = try JSONShape.parse(#"{"a":1,"b":true,"c":"x"}"#)
        #expect((try? JSONShape.check(try JSONShape.parse(#"{"a":2,"b":false,"c":"y"}"#), against: object)) != nil)
        #expect((try? JSONShape.check(try JSONShape.parse(#"{"a":2,"b":1,"c":"y"}"#), against: object)) == nil)
        #expect((try? JSONShape.check(try JSONShape.parse(#"{"a":2,"b":false}"#), against: object)) == nil)
        #expect(
            (try? JSONShape.check(try JSONShape.parse(#"{"a":2,"b":false,"c":"y","d":1}"#), against: object)) == nil)
    }
}
