import CryptodConfig
import CryptodGateway
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("REST: exchanges, live market data and their errors", .timeLimit(.minutes(2)))
struct RESTRouteTests {
    let linearBTC = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
    let whitebitBTC = MarketKey(exchange: .whitebit, symbol: "BTC_USDT")

    @Test("GET /exchanges lists every supported exchange with its market types and whether it is enabled")
    func exchanges() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["bybit"])) { _, client in
            try await client.execute(uri: "/api/v1/exchanges", method: .get) { response in
                #expect(response.status == .ok)
                let list = try #require(try jsonObject(String(buffer: response.body))["exchanges"] as? [[String: Any]])
                #expect(list.compactMap { $0["name"] as? String } == ["binance", "bybit", "whitebit"])
                let bybit = try #require(list.first { $0["name"] as? String == "bybit" })
                #expect(bybit["enabled"] as? Bool == true)
                #expect(bybit["market_types"] as? [String] == ["spot", "linear"])
                #expect(list.first?["enabled"] as? Bool == false)
            }
        }
    }

    @Test("info and timeframes come from the exchange's profile; an unknown exchange is a 404 naming the known ones")
    func infoAndTimeframes() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["whitebit"])) { _, client in
            try await client.execute(uri: "/api/v1/exchanges/whitebit/info", method: .get) { response in
                #expect(response.status == .ok)
                let info = try jsonObject(String(buffer: response.body))
                #expect(info["markets"] as? [String] == ["BTC_USDT", "ETH_USDT"])
                #expect((info["timeframes"] as? [String])?.contains("1s") == false)
                #expect(info["instruments"] is NSNull)
            }
            try await client.execute(uri: "/api/v1/exchanges/bybit/timeframes", method: .get) { response in
                let frames = try #require(try jsonObject(String(buffer: response.body))["timeframes"] as? [String])
                #expect(frames.contains("1m") && !frames.contains("8h"))
            }
            for path in ["info", "timeframes", "status", "markets"] {
                try await client.execute(uri: "/api/v1/exchanges/kraken/\(path)", method: .get) { response in
                    #expect(response.status == .notFound)
                    try expectError(
                        response, code: "unknown_exchange", mentioning: "the exchanges are binance, bybit, whitebit")
                }
            }
            try await client.execute(uri: "/api/v1/exchanges/Bin%20ance/info", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_exchange", mentioning: "is not an exchange name")
            }
        }
    }

    @Test("status: a disabled exchange says so, an enabled one without a socket is not_running; connection events show")
    func status() async throws {
        let dir = try TemporaryDirectory()
        let feed: [Message] = [
            .sourceStatus(
                SourceStatus(
                    exchange: .binance, state: .disconnected, reason: "EOF", time: Timestamp(seconds: 1_700_000_000))),
            .ticker(ticker(last: "1")),
        ]
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"]), feed: feed) { _, client in
            try await client.execute(uri: "/api/v1/exchanges/status", method: .get) { response in
                let list = try #require(try jsonObject(String(buffer: response.body))["exchanges"] as? [[String: Any]])
                let binance = try #require(list.first)
                #expect(binance["state"] as? String == "not_running")
                #expect(binance["connection"] as? String == "disconnected")
                #expect(binance["connection_reason"] as? String == "EOF")
                #expect(binance["markets_with_data"] as? Int == 1)
                #expect(list.last?["state"] as? String == "disabled")
            }
            try await client.execute(uri: "/api/v1/exchanges/bybit/status", method: .get) { response in
                let bybit = try jsonObject(String(buffer: response.body))
                #expect(bybit["enabled"] as? Bool == false)
                #expect(bybit["problem"] as? String == "exchanges.bybit.enabled is false")
            }
        }
    }

    @Test("markets come from the instruments events, per market type, with unified symbols")
    func markets() async throws {
        let dir = try TemporaryDirectory()
        let feed = [
            instruments(.bybit, [(.spot, "BTCUSDT", "BTC", "USDT"), (.linear, "BTCUSDT", "BTC", "USDT")]),
            instruments(.bybit, [(.linear, "ETHUSDT", "ETH", "USDT")]),
        ]
        try await withREST(restConfiguration(runtime: dir.path), feed: feed) { _, client in
            try await client.execute(uri: "/api/v1/exchanges/bybit/markets", method: .get) { response in
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["instruments_received"] as? Bool == true)
                let markets = try #require(object["markets"] as? [[String: Any]])
                // The second list replaced the linear markets only.
                #expect(markets.map { "\($0["market"]!):\($0["symbol"]!)" } == ["spot:BTCUSDT", "linear:ETHUSDT"])
                #expect(markets.first?["unified"] as? String == "BTC/USDT")
                #expect(markets.first?["tick_size"] as? String == "0.01")
            }
            try await client.execute(uri: "/api/v1/exchanges/bybit/markets?market=linear", method: .get) { response in
                let markets = try #require(try jsonObject(String(buffer: response.body))["markets"] as? [[String: Any]])
                #expect(markets.count == 1)
            }
            try await client.execute(uri: "/api/v1/exchanges/bybit/markets?market=inverse", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_market", mentioning: "use one of spot, linear")
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/markets", method: .get) { response in
                let parsed1 = try jsonObject(String(buffer: response.body))
                #expect(parsed1["instruments_received"] as? Bool == false)
            }
        }
    }

    @Test("a ticker is found by the exchange's symbol, the unified one (escaped or not) and any case")
    func tickerSymbolForms() async throws {
        let dir = try TemporaryDirectory()
        let feed: [Message] = [
            instruments(.whitebit, [(.spot, "BTC_USDT", "BTC", "USDT")]),
            instruments(.binance, [(.spot, "BTCUSDT", "BTC", "USDT")]),
            .ticker(ticker(last: "0.00010000")), .ticker(ticker(last: "7.50", market: whitebitBTC)),
        ]
        try await withREST(restConfiguration(runtime: dir.path), feed: feed) { _, client in
            for symbol in ["BTCUSDT", "btcusdt", "BTC%2FUSDT", "BTC/USDT", "btc%2fusdt"] {
                try await client.execute(uri: "/api/v1/exchanges/binance/ticker/\(symbol)", method: .get) { response in
                    #expect(response.status == .ok, "\(symbol)")
                    let object = try jsonObject(String(buffer: response.body))
                    #expect(object["last"] as? String == "0.00010000")
                    #expect(object["symbol"] as? String == "BTCUSDT")
                }
            }
            for symbol in ["BTC_USDT", "BTC/USDT", "btc_usdt"] {
                try await client.execute(uri: "/api/v1/exchanges/whitebit/ticker/\(symbol)", method: .get) { response in
                    #expect(response.status == .ok, "\(symbol)")
                    let parsed2 = try jsonObject(String(buffer: response.body))
                    #expect(parsed2["last"] as? String == "7.50")
                }
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/ticker/DOGEUSDT", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(response, code: "unknown_symbol", mentioning: "binance lists no spot market DOGEUSDT")
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/ticker/BTC.USDT", method: .get) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_symbol", mentioning: "is not a symbol")
            }
        }
    }

    @Test("Bybit spot and linear are two markets; ?market= picks one, the configured category is the default")
    func marketType() async throws {
        let dir = try TemporaryDirectory()
        let spot = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")
        let feed: [Message] = [
            .ticker(ticker(last: "1.0", market: spot)), .ticker(ticker(last: "2.0", market: linearBTC)),
        ]
        let linear = restConfiguration(runtime: dir.path, ["exchanges.bybit.category": .string("linear")])
        try await withREST(linear, feed: feed) { _, client in
            let cases = [("", "2.0"), ("?market=spot", "1.0"), ("?market=linear", "2.0")]
            for (query, last) in cases {
                try await client.execute(uri: "/api/v1/exchanges/bybit/ticker/BTCUSDT\(query)", method: .get) {
                    response in
                    let parsed3 = try jsonObject(String(buffer: response.body))
                    #expect(parsed3["last"] as? String == last, "\(query)")
                }
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/ticker/BTCUSDT?market=linear", method: .get) {
                response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_market", mentioning: "it serves spot")
            }
        }
    }

    @Test("the order book has its update id, sync state and the asked depth; depth is checked")
    func orderBook() async throws {
        let dir = try TemporaryDirectory()
        let snapshot = BookSnapshot(
            market: btc, updateID: 100, time: nil, receivedAt: Timestamp(seconds: 1_700_000_000),
            bids: [level("10.00", "1.0"), level("9.50", "2.0"), level("9.00", "3.0")],
            asks: [level("10.50", "1.5"), level("11.00", "0.00010000")])
        let delta = BookDelta(
            market: btc, firstUpdateID: 101, lastUpdateID: 102, time: nil,
            receivedAt: Timestamp(seconds: 1_700_000_001),
            bids: [level("9.50", "0")], asks: [])
        let resync = SourceStatus(
            exchange: .binance, market: btc, state: .resyncing, time: Timestamp(seconds: 1_700_000_002))
        try await withREST(
            restConfiguration(runtime: dir.path), feed: [.bookSnapshot(snapshot), .bookDelta(delta)]
        ) { server, client in
            try await client.execute(uri: "/api/v1/exchanges/binance/orderbook/BTCUSDT?depth=2", method: .get) {
                response in
                #expect(response.status == .ok)
                let book = try jsonObject(String(buffer: response.body))
                #expect(book["update_id"] as? Int == 102)
                #expect(book["sync_state"] as? String == "synced")
                #expect(book["bids"] as? [[String]] == [["10.00", "1.0"], ["9.00", "3.0"]])
                #expect(book["asks"] as? [[String]] == [["10.50", "1.5"], ["11.00", "0.00010000"]])
            }
            server.books.apply(.status(resync))
            try await client.execute(uri: "/api/v1/exchanges/binance/orderbook/BTC%2FUSDT", method: .get) { response in
                let parsed4 = try jsonObject(String(buffer: response.body))
                #expect(parsed4["sync_state"] as? String == "resyncing")
            }
            for bad in ["0", "5001", "x"] {
                try await client.execute(uri: "/api/v1/exchanges/binance/orderbook/BTCUSDT?depth=\(bad)", method: .get)
                {
                    response in
                    #expect(response.status == .badRequest)
                    try expectError(response, code: "bad_depth", mentioning: "depth must be an integer from 1 to 5000")
                }
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/orderbook/ETHUSDT", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(response, code: "no_data", mentioning: "no order book received yet for binance ETHUSDT")
            }
        }
    }

    @Test("ohlcv refuses bad parameters with 4xx before asking PostgreSQL, and says 503 when it cannot be reached")
    func ohlcvErrors() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            let base = "/api/v1/exchanges/binance/ohlcv/BTCUSDT"
            let cases: [(String, HTTPResponse.Status, String, String)] = [
                ("?timeframe=2m", .badRequest, "bad_timeframe", "timeframe \"2m\" is not a timeframe of binance"),
                ("?start=yesterday", .badRequest, "bad_range", "start \"yesterday\" is not a time"),
                ("?start=2026-02-31", .badRequest, "bad_range", "is not a time"),
                (
                    "?start=2026-07-02T00:00:00Z&end=2026-07-01T00:00:00Z", .badRequest, "bad_range",
                    "must be before end"
                ),
                ("?limit=0", .badRequest, "bad_limit", "limit must be an integer from 1 to 1000"),
                ("?limit=5000", .badRequest, "page_too_large", "at most 1000 per page"),
                ("?cursor=zz", .badRequest, "bad_cursor", "is not a cursor of this query"),
                ("?cursor=31&start=1", .badRequest, "bad_range", "give either cursor or start/end"),
                ("?start=1782900000000", .serviceUnavailable, "history_unavailable", "PostgreSQL could not answer"),
            ]
            for (query, status, code, message) in cases {
                try await client.execute(uri: base + query, method: .get) { response in
                    #expect(response.status == status, "\(query)")
                    try expectError(response, code: code, mentioning: message)
                }
            }
            try await client.execute(uri: "/api/v1/exchanges/whitebit/ohlcv/BTC_USDT?timeframe=1s", method: .get) {
                response in
                try expectError(response, code: "bad_timeframe", mentioning: "timeframe of whitebit")
            }
        }
    }

    @Test("unknown paths list the new routes; HEAD works on every GET route")
    func unknownAndHead() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            try await client.execute(uri: "/api/v1/exchange", method: .get) { response in
                #expect(response.status == .notFound)
                try expectError(
                    response, code: "unknown_endpoint",
                    mentioning: "GET|HEAD /api/v1/exchanges/{exchange}/ohlcv/{symbol}")
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/subscribe", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/api/v1/exchanges", method: .head) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
