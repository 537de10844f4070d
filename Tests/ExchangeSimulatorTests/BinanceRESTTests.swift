import Foundation
import Testing

/// Binance REST endpoints that client libraries call besides the fixture-backed ones: the
/// rolling-window (`/api/v3/ticker`) and trading-day tickers, checked against the klines of the same
/// range, their parameters and errors.
@Suite("Binance REST", .serialized)
struct BinanceRESTTests {
    static func object(_ result: HTTPResult) throws -> [String: Any] {
        try #require(try JSONShape.parse(result.text) as? [String: Any])
    }

    static func int(_ value: Any?) -> Int64? { (value as? NSNumber)?.int64Value }

    static func decimal(_ value: Any?) -> Decimal? { (value as? String).flatMap { Decimal(string: $0) } }

    /// Trade count, high, low, open and close of the 1 m klines opening in `[start, end]`.
    static func klineSummary(
        port: Int, symbol: String, start: Int64, end: Int64
    ) async throws
        -> (count: Int64, high: Decimal, low: Decimal, open: Decimal, close: Decimal)
    {
        let (_, body) = try await TestHTTP.json(
            port: port, path: "/api/v3/klines?symbol=\(symbol)&interval=1m&startTime=\(start)&endTime=\(end)&limit=1000"
        )
        let rows = try #require(body as? [[Any]])
        let traded = rows.filter { (Self.int($0[8]) ?? 0) > 0 }
        let first = try #require(traded.first)
        let last = try #require(traded.last)
        return (
            traded.reduce(0) { $0 + (Self.int($1[8]) ?? 0) },
            traded.compactMap { Self.decimal($0[2]) }.max() ?? 0,
            traded.compactMap { Self.decimal($0[3]) }.min() ?? 0,
            try #require(Self.decimal(first[1])), try #require(Self.decimal(last[4]))
        )
    }

    @Test(
        "rolling-window ticker: the window opens on the minute of now − windowSize and its statistics are the klines'")
    func rollingWindowTicker() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 0)) { port, _ in
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":90123}"#)
            let now = SimulatorHarness.start + 90_123
            let ticker = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v3/ticker?symbol=BTCUSDT&windowSize=2h"))
            let open = (now - 7_200_000) / 60_000 * 60_000
            #expect(Self.int(ticker["openTime"]) == open && Self.int(ticker["closeTime"]) == now)
            #expect(
                Array(ticker.keys).sorted() == [
                    "closeTime", "count", "firstId", "highPrice", "lastId", "lastPrice", "lowPrice", "openPrice",
                    "openTime",
                    "priceChange", "priceChangePercent", "quoteVolume", "symbol", "volume", "weightedAvgPrice",
                ])
            let truth = try await Self.klineSummary(port: port, symbol: "BTCUSDT", start: open, end: now)
            #expect(Self.int(ticker["count"]) == truth.count)
            #expect((Self.int(ticker["lastId"]) ?? 0) - (Self.int(ticker["firstId"]) ?? 0) + 1 == truth.count)
            #expect(Self.decimal(ticker["highPrice"]) == truth.high && Self.decimal(ticker["lowPrice"]) == truth.low)
            #expect(Self.decimal(ticker["openPrice"]) == truth.open && Self.decimal(ticker["lastPrice"]) == truth.close)
            #expect(Self.decimal(ticker["priceChange"]) == truth.close - truth.open)

            // Default 1d; MINI drops the change fields; symbols= answers an array in the given order.
            let day = try Self.object(try await TestHTTP.request(port: port, path: "/api/v3/ticker?symbol=ETHBTC"))
            #expect(Self.int(day["openTime"]) == (now - 86_400_000) / 60_000 * 60_000)
            let mini = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v3/ticker?symbol=ETHBTC&type=MINI"))
            #expect(
                mini["priceChange"] == nil && mini["weightedAvgPrice"] == nil
                    && mini["lastPrice"] as? String == day["lastPrice"] as? String)
            let (_, list) = try await TestHTTP.json(
                port: port, path: "/api/v3/ticker?symbols=%5B%22ETHBTC%22,%22BTCUSDT%22%5D&windowSize=15m")
            #expect((list as? [[String: Any]])?.map { $0["symbol"] as? String } == ["ETHBTC", "BTCUSDT"])

            let errors: [(String, Int, String)] = [
                ("/api/v3/ticker", -1102, "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"),
                (
                    "/api/v3/ticker?symbol=BTCUSDT&windowSize=1d2h", -1130,
                    "Data sent for parameter 'windowSize' is not valid."
                ),
                (
                    "/api/v3/ticker?symbol=BTCUSDT&windowSize=8d", -1130,
                    "Data sent for parameter 'windowSize' is not valid."
                ),
                (
                    "/api/v3/ticker?symbol=BTCUSDT&windowSize=60m", -1130,
                    "Data sent for parameter 'windowSize' is not valid."
                ),
                ("/api/v3/ticker?symbol=NOSUCH", -1121, "Invalid symbol."),
                (
                    "/api/v3/ticker/tradingDay", -1102,
                    "Param 'symbol' or 'symbols' must be sent, but both were empty/null!"
                ),
                (
                    "/api/v3/ticker/tradingDay?symbol=BTCUSDT&timeZone=15", -1130,
                    "Data sent for parameter 'timeZone' is not valid."
                ),
            ]
            for (path, code, message) in errors {
                let result = try await TestHTTP.request(port: port, path: path)
                let body = try Self.object(result)
                #expect(
                    result.status == 400 && Self.int(body["code"]) == Int64(code) && body["msg"] as? String == message,
                    "\(path): \(result.text)")
            }
        }
    }

    @Test("trading-day ticker covers the current day in timeZone, closeTime is the day's last millisecond")
    func tradingDayTicker() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 0)) { port, _ in
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":5400000}"#)
            let now = SimulatorHarness.start + 5_400_000  // 2026-07-01T01:30:00Z
            let utc = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v3/ticker/tradingDay?symbol=BTCUSDT"))
            #expect(Self.int(utc["openTime"]) == SimulatorHarness.start)
            #expect(Self.int(utc["closeTime"]) == SimulatorHarness.start + 86_399_999)
            let truth = try await Self.klineSummary(
                port: port, symbol: "BTCUSDT", start: SimulatorHarness.start, end: now)
            #expect(Self.int(utc["count"]) == truth.count && Self.decimal(utc["lastPrice"]) == truth.close)
            #expect(Self.decimal(utc["openPrice"]) == truth.open && Self.decimal(utc["highPrice"]) == truth.high)
            // In UTC+8 it is 09:30 on 1 July: the day began at 16:00 UTC on 30 June.
            let east = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v3/ticker/tradingDay?symbol=BTCUSDT&timeZone=8"))
            #expect(Self.int(east["openTime"]) == SimulatorHarness.start - 8 * 3_600_000)
            #expect(Self.int(east["closeTime"]) == SimulatorHarness.start + 16 * 3_600_000 - 1)
            let (_, list) = try await TestHTTP.json(
                port: port, path: "/api/v3/ticker/tradingDay?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D&type=MINI")
            let items = try #require(list as? [[String: Any]])
            #expect(items.map { $0["symbol"] as? String } == ["BTCUSDT", "ETHUSDT"] && items[0]["priceChange"] == nil)
        }
    }

    @Test("a raw /ws path segment that is no market stream connects silently; combined URLs still refuse it")
    func unknownRawStreamConnects() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            // ccxt.pro opens /ws/0, /ws/1, … and subscribes afterwards.
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/0")
            defer { socket.close() }
            try await socket.send(#"{"method":"LIST_SUBSCRIPTIONS","id":1}"#)
            #expect(await socket.nextText() == #"{"result":[],"id":1}"#)
            try await socket.send(#"{"method":"SUBSCRIBE","params":["btcusdt@bookTicker"],"id":2}"#)
            #expect(await socket.nextText() == #"{"result":null,"id":2}"#)
            let mixed = try await TestWebSocket.connect(port: port, path: "/ws/1/ethusdt@trade")
            defer { mixed.close() }
            try await mixed.send(#"{"method":"LIST_SUBSCRIPTIONS","id":3}"#)
            #expect(await mixed.nextText() == #"{"result":["ethusdt@trade"],"id":3}"#)
            await #expect(throws: (any Error).self) {
                _ = try await TestWebSocket.connect(port: port, path: "/stream?streams=0")
            }
        }
    }
}
