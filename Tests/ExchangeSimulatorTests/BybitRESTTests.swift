import Foundation
import Testing

/// Bybit market endpoints: parameters, defaults, ordering, pagination, errors and determinism.
@Suite("Bybit REST", .serialized)
struct BybitRESTTests {
    static let now = SimulatorHarness.start

    static let determinismPaths = [
        "/v5/market/time",
        "/v5/market/instruments-info?category=spot",
        "/v5/market/instruments-info?category=linear&limit=5",
        "/v5/market/tickers?category=spot",
        "/v5/market/tickers?category=linear&symbol=ETHUSDT",
        "/v5/market/kline?symbol=BTCUSDT&interval=1&limit=1000",
        "/v5/market/kline?category=spot&symbol=BNBBTC&interval=D&start=1782700000000&end=1782864000000",
        "/v5/market/kline?category=spot&symbol=ETHUSDT&interval=W&limit=1",
        "/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=1000",
        "/v5/market/orderbook?category=linear&symbol=XRPUSDT",
        "/v5/market/recent-trade?category=spot&symbol=BTCUSDT",
        "/v5/market/recent-trade?category=linear&symbol=SOLUSDT&limit=1000",
    ]

    static func answers(seed: UInt64) async throws -> [String] {
        try await BybitHarness.withBybit(BybitHarness.options(seed: seed)) { port, _ in
            var bodies: [String] = []
            for path in Self.determinismPaths {
                let (result, body) = try await BybitHarness.get(port, path)
                #expect(result.status == 200 && BybitHarness.retCode(body) == 0, "\(path): \(result.text.prefix(200))")
                bodies.append(result.text)
            }
            return bodies
        }
    }

    @Test("two servers with the same seed answer byte for byte alike")
    func determinism() async throws {
        let first = try await Self.answers(seed: 11)
        let second = try await Self.answers(seed: 11)
        for (index, path) in Self.determinismPaths.enumerated() {
            #expect(first[index] == second[index], "\(path) differs")
        }
        let other = try await Self.answers(seed: 12)
        #expect(other[5] != first[5], "another seed gives another market")
    }

    static func rows(_ body: [String: Any]) -> [[String]] { BybitHarness.list(body) as? [[String]] ?? [] }

    @Test("klines: seven strings per row, newest first, default category linear and limit 200")
    func klines() async throws {
        try await BybitHarness.withBybit { port, _ in
            let (_, body) = try await BybitHarness.get(port, "/v5/market/kline?symbol=BTCUSDT&interval=60")
            #expect((body["result"] as? [String: Any])?["category"] as? String == "linear")
            let rows = Self.rows(body)
            #expect(rows.count == 200)
            #expect(rows.allSatisfy { $0.count == 7 })
            let starts = rows.compactMap { Int64($0[0]) }
            #expect(starts.first == Self.now / 3_600_000 * 3_600_000, "the current candle comes first")
            #expect(zip(starts, starts.dropFirst()).allSatisfy { $0 - $1 == 3_600_000 }, "newest first, one hour apart")
            // Range: the newest `limit` candles inside [start, end].
            let end = Self.now - 86_400_000
            let range = "/v5/market/kline?category=spot&symbol=BTCUSDT&interval=15&start=\(end - 3_600_000)&end=\(end)"
            let (_, ranged) = try await BybitHarness.get(port, range + "&limit=3")
            let rangedStarts = Self.rows(ranged).compactMap { Int64($0[0]) }
            #expect(rangedStarts == [end, end - 900_000, end - 1_800_000])
            let (_, bounded) = try await BybitHarness.get(port, range)
            #expect(Self.rows(bounded).count == 5)
            // Weeks start on Monday; months on the 1st.
            let (_, weeks) = try await BybitHarness.get(
                port, "/v5/market/kline?category=spot&symbol=ETHUSDT&interval=W&limit=2")
            let monday = try #require(Self.rows(weeks).first.flatMap { Int64($0[0]) })
            #expect((monday / 86_400_000 + 3) % 7 == 0, "1970-01-05 was a Monday")
            let (_, months) = try await BybitHarness.get(
                port, "/v5/market/kline?category=spot&symbol=ETHUSDT&interval=M&limit=1")
            #expect(Self.rows(months).first?[0] == "1782864000000", "2026-07-01")
            // The sum of sixty 1-minute volumes is the hour's volume (same trades, both ways).
            let base = "/v5/market/kline?category=spot&symbol=BTCUSDT"
            let (_, hour) = try await BybitHarness.get(port, base + "&interval=60&end=\(Self.now - 3_600_000)&limit=1")
            let (_, minutes) = try await BybitHarness.get(port, base + "&interval=1&end=\(Self.now - 60_000)&limit=60")
            let minuteRows = Self.rows(minutes)
            #expect(minuteRows.last?[1] == Self.rows(hour).first?[1], "same open")
            #expect(minuteRows.first?[4] == Self.rows(hour).first?[4], "same close")
        }
    }

    @Test("klines, trades and the book agree with the /_sim/ ground truth")
    func groundTruth() async throws {
        try await BybitHarness.withBybit { port, _ in
            let (_, kline) = try await BybitHarness.get(
                port, "/v5/market/kline?category=spot&symbol=ETHUSDT&interval=1&limit=5")
            let (_, candles) = try await TestHTTP.json(
                port: port, path: "/_sim/candles?symbol=ETHUSDT&interval=1m&limit=5")
            let truth = (candles as? [[String: Any]] ?? []).reversed().map { candle in
                [String(describing: candle["openTime"] ?? "")]
                    + ["open", "high", "low", "close", "volume"].map {
                        BybitHarness.canonical(candle[$0] as? String ?? "")
                    }
            }
            #expect(truth.count == 5)
            #expect(Self.rows(kline).map { Array($0.prefix(6)) } == truth)
            let (_, recent) = try await BybitHarness.get(
                port, "/v5/market/recent-trade?category=spot&symbol=ETHUSDT&limit=20")
            let (_, trades) = try await TestHTTP.json(port: port, path: "/_sim/trades?symbol=ETHUSDT&limit=20")
            let expected = (trades as? [[String: Any]] ?? []).reversed().map { trade in
                [
                    // Spot execution ids are the trade ids offset into Bybit's 19-digit range.
                    String(((trade["id"] as? NSNumber)?.int64Value ?? 0) + 2_100_000_000_000_000_000),
                    BybitHarness.canonical(trade["price"] as? String ?? ""),
                    BybitHarness.canonical(trade["qty"] as? String ?? ""),
                    String((trade["time"] as? NSNumber)?.int64Value ?? 0),
                    trade["isBuyerMaker"] as? Bool == true ? "Sell" : "Buy",
                ]
            }
            let actual = BybitHarness.list(recent).compactMap { $0 as? [String: Any] }.map { trade in
                ["execId", "price", "size", "time", "side"].map { trade[$0] as? String ?? "" }
            }
            #expect(expected.count == 20 && actual == expected)
            let (_, book) = try await BybitHarness.get(
                port, "/v5/market/orderbook?category=linear&symbol=ETHUSDT&limit=5")
            let result = book["result"] as? [String: Any] ?? [:]
            let u = try #require((result["u"] as? NSNumber)?.int64Value)
            #expect((result["seq"] as? NSNumber)?.int64Value == u)
            let levels = try await BybitHarness.groundTruth(port: port, symbol: "ETHUSDT", updateId: u, limit: 5)
            func side(_ name: String) -> [String: String] {
                var map: [String: String] = [:]
                for level in result[name] as? [[String]] ?? [] {
                    map[BybitHarness.canonical(level[0])] = BybitHarness.canonical(level[1])
                }
                return map
            }
            #expect(side("b") == levels.bids && side("a") == levels.asks)
        }
    }

    @Test("linear instruments page with cursor until nextPageCursor is empty; spot is one page")
    func pagination() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(syntheticMarkets: 40)) { port, _ in
            var symbols: [String] = []
            var cursor = ""
            var pages = 0
            repeat {
                let encoded = cursor.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let (_, body) = try await BybitHarness.get(
                    port, "/v5/market/instruments-info?category=linear&limit=7&cursor=\(encoded)")
                #expect(BybitHarness.retCode(body) == 0)
                let page = BybitHarness.list(body).compactMap { ($0 as? [String: Any])?["symbol"] as? String }
                #expect(page.count <= 7 && !page.isEmpty)
                symbols += page
                cursor = (body["result"] as? [String: Any])?["nextPageCursor"] as? String ?? ""
                pages += 1
            } while !cursor.isEmpty && pages < 50
            #expect(Set(symbols).count == symbols.count, "every symbol once")
            #expect(symbols == symbols.sorted())
            let (_, spot) = try await BybitHarness.get(port, "/v5/market/instruments-info?category=spot&limit=7")
            let spotItems = BybitHarness.list(spot).compactMap { $0 as? [String: Any] }
            #expect(spotItems.count == 12 + 40, "spot ignores limit")
            #expect((spot["result"] as? [String: Any])?["nextPageCursor"] == nil)
            let usdt = spotItems.filter { $0["quoteCoin"] as? String == "USDT" }.compactMap { $0["symbol"] as? String }
            #expect(Set(symbols) == Set(usdt), "linear lists the USDT pairs")
            #expect(pages == (usdt.count + 6) / 7)
            // The default page is 500, and one call with limit 1000 returns everything.
            let (_, all) = try await BybitHarness.get(port, "/v5/market/instruments-info?category=linear")
            #expect(BybitHarness.list(all).count == usdt.count)
            #expect((all["result"] as? [String: Any])?["nextPageCursor"] as? String == "")
            let (_, badCursor) = try await BybitHarness.get(
                port, "/v5/market/instruments-info?category=linear&cursor=nonsense")
            #expect(BybitHarness.retCode(badCursor) == 10001)
        }
    }

    @Test("parameter errors carry Bybit's retCode 10001 texts in HTTP 200")
    func parameterErrors() async throws {
        try await BybitHarness.withBybit { port, _ in
            let cases: [(String, String)] = [
                ("/v5/market/tickers", "Illegal category"),
                ("/v5/market/tickers?category=futures", "Illegal category"),
                ("/v5/market/tickers?category=spot&symbol=NOSUCH", "Not supported symbols"),
                ("/v5/market/tickers?category=linear&symbol=BNBBTC", "Not supported symbols"),
                ("/v5/market/orderbook?category=spot", "params error: symbol invalid"),
                ("/v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=0", "params error: limit invalid"),
                ("/v5/market/kline?symbol=BTCUSDT&interval=2", "Invalid period!"),
                ("/v5/market/kline?symbol=BTCUSDT", "Invalid period!"),
                ("/v5/market/kline?symbol=BNBBTC&interval=1", "params error: symbol invalid"),
                ("/v5/market/kline?symbol=BTCUSDT&interval=1&start=x", "params error: start invalid"),
                ("/v5/market/recent-trade?category=linear&symbol=NOSUCH", "params error: symbol invalid"),
                ("/v5/market/instruments-info?category=linear&symbol=NOSUCH", "params error: symbol invalid"),
            ]
            for (path, message) in cases {
                let (result, body) = try await BybitHarness.get(port, path)
                #expect(result.status == 200)
                #expect(
                    BybitHarness.retCode(body) == 10001 && body["retMsg"] as? String == message,
                    "\(path): \(result.text)")
                #expect(
                    body["result"] is [String: Any] && body["retExtInfo"] is [String: Any] && body["time"] is NSNumber)
            }
            let (_, spotUnknown) = try await BybitHarness.get(
                port, "/v5/market/instruments-info?category=spot&symbol=NOSUCH")
            #expect(BybitHarness.retCode(spotUnknown) == 0 && BybitHarness.list(spotUnknown).isEmpty)
            let (missing, missingBody) = try await BybitHarness.get(port, "/v5/market/nothing")
            #expect(missing.status == 404 && BybitHarness.retCode(missingBody) == 10017)
        }
    }

    @Test("limits and defaults of orderbook and recent-trade per category; decimals per category")
    func limitsAndDefaults() async throws {
        try await BybitHarness.withBybit { port, _ in
            func book(_ query: String) async throws -> [String: Any] {
                try await BybitHarness.get(port, "/v5/market/orderbook?\(query)").1["result"] as? [String: Any] ?? [:]
            }
            #expect((try await book("category=spot&symbol=BTCUSDT")["b"] as? [Any])?.count == 1)
            let linear = try await book("category=linear&symbol=BTCUSDT")
            #expect((linear["b"] as? [Any])?.count == 25 && (linear["a"] as? [Any])?.count == 25)
            #expect((try await book("category=spot&symbol=BTCUSDT&limit=5000")["a"] as? [Any])?.count ?? 0 > 25)
            let bids = linear["b"] as? [[String]] ?? []
            #expect(zip(bids, bids.dropFirst()).allSatisfy { Double($0[0])! > Double($1[0])! }, "bids high to low")
            // Linear keeps the tick's digits (0.01 → "60000.10"), spot trims them.
            #expect(bids.allSatisfy { $0[0].split(separator: ".").last?.count == 2 })
            let (_, ticker) = try await BybitHarness.get(port, "/v5/market/tickers?category=linear&symbol=BTCUSDT")
            let item = try #require(BybitHarness.list(ticker).first as? [String: Any])
            #expect((item["lastPrice"] as? String)?.split(separator: ".").last?.count == 2)
            #expect(item["fundingIntervalHour"] as? String == "8")
            let change = try #require(Double(item["price24hPcnt"] as? String ?? ""))
            #expect(abs(change) < 1, "a fraction, not a percentage")
            let (_, spotTrades) = try await BybitHarness.get(
                port, "/v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=100")
            #expect(BybitHarness.list(spotTrades).count == 60)
            let (_, defaults) = try await BybitHarness.get(
                port, "/v5/market/recent-trade?category=linear&symbol=BTCUSDT")
            let trades = BybitHarness.list(defaults).compactMap { $0 as? [String: Any] }
            #expect(trades.count == 500)
            let times = trades.compactMap { Int64($0["time"] as? String ?? "") }
            #expect(zip(times, times.dropFirst()).allSatisfy { $0 >= $1 }, "newest first")
            let (_, time) = try await BybitHarness.get(port, "/v5/market/time")
            let result = time["result"] as? [String: Any]
            #expect(result?["timeSecond"] as? String == String(Self.now / 1_000))
            #expect(result?["timeNano"] as? String == String(Self.now) + "000000")
            #expect((time["time"] as? NSNumber)?.int64Value == Self.now)
        }
    }
}
