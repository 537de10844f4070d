import CryptodGateway
import CryptodModel
import CryptodWire
import Hummingbird
import HummingbirdTesting
import Testing

@testable import CryptodIPC

@Suite("REST: the first API's routes (kept)", .timeLimit(.minutes(2)))
struct RESTTests {
    /// Runs `body` against the REST router of a gateway whose state `feed` filled.
    func withAPI(
        feed: (GatewayServer) async throws -> Void = { _ in },
        _ body: @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let dir = try TemporaryDirectory()
        let (server, _) = makeServer(testConfiguration(runtime: dir.path))
        try await feed(server)
        try await Application(router: server.restRouter()).test(.router, body)
    }

    /// Delivers messages to the gateway the way its stream receiver does.
    func deliver(_ messages: [Message], to server: GatewayServer) async throws {
        let items = messages.enumerated().map { SequencedMessage(sequence: UInt64($0.offset + 1), message: $0.element) }
        try await server.consumer.consume(StreamDelivery(stream: "replay>gateway", epoch: 1, items: items))
    }

    @Test("a delivered ticker comes back with its decimals exactly as sent")
    func tickerExactDecimals() async throws {
        try await withAPI(feed: { try await deliver([.ticker(ticker(last: "0.00010000"))], to: $0) }) { client in
            for path in ["/api/v1/tickers/binance/BTCUSDT", "/api/v1/tickers/binance/btcusdt"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                    let text = String(buffer: response.body)
                    #expect(text.contains(#""last":"0.00010000""#), "\(text)")
                    #expect(text.contains(#""bid":"0.00009999""#))
                    let object = try jsonObject(text)
                    #expect(object["type"] as? String == "ticker")
                    #expect(object["exchange"] as? String == "binance")
                    #expect(object["symbol"] as? String == "BTCUSDT")
                    #expect(object["market"] as? String == "spot")
                }
            }
        }
    }

    @Test("trades: the newest N, oldest first, exact prices; limit is checked")
    func trades() async throws {
        let messages: [Message] = [
            .trades([trade(1), trade(2), trade(3, price: "0.00010000")]), .trades([trade(4), trade(5)]),
        ]
        try await withAPI(feed: { try await deliver(messages, to: $0) }) { client in
            try await client.execute(uri: "/api/v1/trades/binance/BTCUSDT?limit=3", method: .get) { response in
                #expect(response.status == .ok)
                let object = try jsonObject(String(buffer: response.body))
                let trades = try #require(object["trades"] as? [[String: Any]])
                #expect(trades.compactMap { $0["id"] as? String } == ["3", "4", "5"])
                #expect(trades.first?["price"] as? String == "0.00010000")
                #expect(trades.first?["quantity"] as? String == "0.00100000")
            }
            try await client.execute(uri: "/api/v1/trades/binance/BTCUSDT", method: .get) { response in
                let object = try jsonObject(String(buffer: response.body))
                #expect((object["trades"] as? [Any])?.count == 5)
            }
            for bad in ["0", "-1", "abc", "100000"] {
                try await client.execute(uri: "/api/v1/trades/binance/BTCUSDT?limit=\(bad)", method: .get) { response in
                    #expect(response.status == .badRequest)
                    try expectError(response, code: "bad_limit", mentioning: "limit must be an integer from 1 to 1000")
                }
            }
        }
    }

    @Test("candles: the latest per interval; an older candle arriving late does not replace it")
    func candles() async throws {
        let messages: [Message] = [
            .candle(candle(.m1, openSeconds: 120, close: "3.10")), .candle(candle(.m1, openSeconds: 60, close: "1.50")),
            .candle(candle(.h1, openSeconds: 0, close: "7.0000")),
        ]
        try await withAPI(feed: { try await deliver(messages, to: $0) }) { client in
            try await client.execute(uri: "/api/v1/candles/binance/BTCUSDT/1m", method: .get) { response in
                #expect(response.status == .ok)
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["close"] as? String == "3.10")
                #expect(object["interval"] as? String == "1m")
            }
            try await client.execute(uri: "/api/v1/candles/binance/BTCUSDT/1h", method: .get) { response in
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["close"] as? String == "7.0000")
            }
            try await client.execute(uri: "/api/v1/candles/binance/BTCUSDT/5m", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(response, code: "no_data", mentioning: "no 5m candle received yet for binance BTCUSDT")
            }
            try await client.execute(uri: "/api/v1/candles/binance/BTCUSDT/2m", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_interval", mentioning: "unknown interval \"2m\"")
            }
        }
    }

    @Test("nothing known yet is a 404 that says what has arrived and what to check")
    func noData() async throws {
        try await withAPI(feed: { try await deliver([.ticker(ticker(last: "1"))], to: $0) }) { client in
            try await client.execute(uri: "/api/v1/tickers/binance/ETHUSDT", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(response, code: "no_data", mentioning: "data from binance has arrived for BTCUSDT")
            }
            try await client.execute(uri: "/api/v1/trades/bybit/BTCUSDT", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(response, code: "no_data", mentioning: "no market data from bybit has arrived yet")
            }
        }
    }

    @Test("malformed path segments are 400s naming the segment")
    func badSegments() async throws {
        try await withAPI { client in
            try await client.execute(uri: "/api/v1/tickers/Binance/BTCUSDT", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_exchange", mentioning: "\"Binance\" is not an exchange name")
            }
            try await client.execute(uri: "/api/v1/tickers/binance/BTC.USDT", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_symbol", mentioning: "is not a symbol")
            }
        }
    }

    @Test("unknown paths list the endpoints; a wrong method is a 405 with Allow")
    func unknownAndMethod() async throws {
        try await withAPI { client in
            try await client.execute(uri: "/api/v2/everything", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(
                    response, code: "unknown_endpoint", mentioning: "/api/v1/tickers/{exchange}/{symbol}")
            }
            try await client.execute(uri: "/health", method: .post) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, HEAD")
                try expectError(response, code: "method_not_allowed", mentioning: "answers only GET, HEAD, not POST")
            }
            try await client.execute(uri: "/api/v1/tickers/binance/BTCUSDT", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
            }
        }
    }

    @Test("markets lists what the gateway has data for")
    func markets() async throws {
        let eth = MarketKey(exchange: .bybit, type: .linear, symbol: "ETHUSDT")
        let messages: [Message] = [
            .ticker(ticker(last: "1")), .trades([trade(1, market: eth)]),
            .candle(candle(.m5, openSeconds: 0, close: "1", market: eth)),
        ]
        try await withAPI(feed: { try await deliver(messages, to: $0) }) { client in
            try await client.execute(uri: "/api/v1/markets", method: .get) { response in
                let markets = try #require(try jsonObject(String(buffer: response.body))["markets"] as? [[String: Any]])
                #expect(markets.count == 2)
                #expect(markets.first?["exchange"] as? String == "binance")
                #expect(markets.first?["ticker"] as? Bool == true)
                #expect(markets.last?["symbol"] as? String == "ETHUSDT")
                #expect(markets.last?["market"] as? String == "linear")
                #expect(markets.last?["candle_intervals"] as? [String] == ["5m"])
                #expect(markets.last?["trades"] as? Int == 1)
            }
        }
    }
}

/// Checks the `{"error":{"code":…,"message":…}}` shape of an error response.
func expectError(
    _ response: TestResponse, code: String, mentioning fragment: String,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    #expect(response.headers[.contentType] == "application/json; charset=utf-8", sourceLocation: sourceLocation)
    let object = try jsonObject(String(buffer: response.body))
    let error = try #require(object["error"] as? [String: Any], sourceLocation: sourceLocation)
    #expect(error["code"] as? String == code, sourceLocation: sourceLocation)
    let message = error["message"] as? String ?? ""
    #expect(message.contains(fragment), "\(message)", sourceLocation: sourceLocation)
}
