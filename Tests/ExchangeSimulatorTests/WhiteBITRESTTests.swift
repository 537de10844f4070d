import ExchangeSimulator
import Foundation
import Testing

/// WhiteBIT REST: values against the ground truth (klines, trades), parameters, errors, limits,
/// faults and determinism.
@Suite("WhiteBIT REST", .serialized)
struct WhiteBITRESTTests {
    static func object(_ result: HTTPResult) throws -> [String: Any] {
        try #require(try JSONShape.parse(result.text) as? [String: Any])
    }

    @Test("service endpoints, markets and tickers")
    func serviceEndpoints() async throws {
        try await WhiteBITHarness.with { port in
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/time").text
                    == #"{"time":\#(SimulatorHarness.start / 1_000)}"#)
            #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/ping").text == #"["pong"]"#)
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/platform/status").text
                    == #"{"status":"1"}"#)
            let (_, markets) = try await TestHTTP.json(port: port, path: "/api/v4/public/markets")
            let btc = try #require((markets as? [[String: Any]])?.first { $0["name"] as? String == "BTC_USDT" })
            // Precisions are digit counts as strings: tick 0.01 → "2", lot 0.00001 → "5".
            #expect(btc["moneyPrec"] as? String == "2" && btc["stockPrec"] as? String == "5")
            #expect(btc["minAmount"] as? String == "0.00001" && btc["type"] as? String == "spot")
            #expect(btc["tradesEnabled"] as? Bool == true)
            let (_, ticker) = try await TestHTTP.json(port: port, path: "/api/v4/public/ticker")
            let eth = try #require((ticker as? [String: Any])?["ETH_BTC"] as? [String: Any])
            #expect((eth["base_id"] as? NSNumber)?.intValue == 1027 && (eth["quote_id"] as? NSNumber)?.intValue == 1)
            let single = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v1/public/ticker?market=ETH_BTC"))
            let result = try #require(single["result"] as? [String: Any])
            #expect(result["last"] as? String == eth["last_price"] as? String)
            #expect(WhiteBITNumbers.decimal(result["volume"]) == WhiteBITNumbers.decimal(eth["base_volume"]))
            let bid = try #require(WhiteBITNumbers.decimal(result["bid"]))
            let ask = try #require(WhiteBITNumbers.decimal(result["ask"]))
            #expect(bid < ask)
            let all = try Self.object(try await TestHTTP.request(port: port, path: "/api/v1/public/tickers"))
            let entry = try #require((all["result"] as? [String: Any])?["ETH_BTC"] as? [String: Any])
            #expect((entry["at"] as? NSNumber)?.int64Value == SimulatorHarness.start / 1_000)
            #expect((entry["ticker"] as? [String: Any])?["last"] as? String == eth["last_price"] as? String)
        }
    }

    @Test("kline rows are [time s, open, close, high, low, stock volume, money volume] and match the truth")
    func klineColumns() async throws {
        try await WhiteBITHarness.with { port in
            let kline = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v1/public/kline?market=BTC_USDT&interval=1h&limit=6")
            )
            let rows = try #require(kline["result"] as? [[Any]])
            let (_, candles) = try await TestHTTP.json(
                port: port, path: "/_sim/candles?symbol=BTC_USDT&interval=1h&limit=6")
            let truth = try #require(candles as? [[String: Any]])
            #expect(rows.count == 6 && truth.count == 6)
            for (row, candle) in zip(rows, truth) {
                #expect(row.count == 7)
                #expect(
                    (row[0] as? NSNumber)?.int64Value == ((candle["openTime"] as? NSNumber)?.int64Value ?? 0) / 1_000,
                    "time in seconds")
                #expect(WhiteBITNumbers.decimal(row[1]) == WhiteBITNumbers.decimal(candle["open"]))
                #expect(
                    WhiteBITNumbers.decimal(row[2]) == WhiteBITNumbers.decimal(candle["close"]),
                    "close is the third column")
                #expect(WhiteBITNumbers.decimal(row[3]) == WhiteBITNumbers.decimal(candle["high"]))
                #expect(WhiteBITNumbers.decimal(row[4]) == WhiteBITNumbers.decimal(candle["low"]))
                #expect(WhiteBITNumbers.decimal(row[5]) == WhiteBITNumbers.decimal(candle["volume"]))
                #expect(WhiteBITNumbers.decimal(row[6]) == WhiteBITNumbers.decimal(candle["quoteVolume"]))
            }
            // Default windows: minutes → one day (1m: 1440 rows), hours → one week (1h: 168, 4h: 42).
            for (interval, count) in [("1m", 1_440), ("1h", 168), ("4h", 42)] {
                let body = try Self.object(
                    try await TestHTTP.request(
                        port: port, path: "/api/v1/public/kline?market=ETH_USDT&interval=\(interval)"))
                #expect((body["result"] as? [Any])?.count == count, "\(interval)")
            }
            // start/end are seconds.
            let start = SimulatorHarness.start / 1_000 - 3 * 3_600
            let ranged = try Self.object(
                try await TestHTTP.request(
                    port: port,
                    path: "/api/v1/public/kline?market=BTC_USDT&interval=1h&start=\(start)&end=\(start + 2 * 3_600)"))
            let times = (ranged["result"] as? [[Any]] ?? []).compactMap { ($0.first as? NSNumber)?.int64Value }
            #expect(times == [start, start + 3_600, start + 7_200])
            let bad = try await TestHTTP.request(port: port, path: "/api/v1/public/kline?market=BTC_USDT&interval=7m")
            #expect(bad.status == 400 && bad.text.hasPrefix(#"{"success":false,"message":"#))
            let unknown = try await TestHTTP.request(port: port, path: "/api/v1/public/kline?market=NO_SUCH")
            #expect(unknown.status == 422)
            #expect(unknown.text == #"{"success":false,"message":{"market":["Market is not available"]},"result":[]}"#)
        }
    }

    @Test("recent trades keep the field-name trap: quote_volume is the base amount, times in seconds")
    func tradesFieldTrap() async throws {
        try await WhiteBITHarness.with { port in
            let (_, trades) = try await TestHTTP.json(port: port, path: "/api/v4/public/trades/BTC_USDT")
            let items = try #require(trades as? [[String: Any]])
            let (_, truthBody) = try await TestHTTP.json(port: port, path: "/_sim/trades?symbol=BTC_USDT&limit=100")
            let truth = try #require(truthBody as? [[String: Any]])
            #expect(items.count == 100 && truth.count == 100)
            for (item, trade) in zip(items, truth.reversed()) {
                #expect(
                    (item["tradeID"] as? NSNumber)?.int64Value == (trade["id"] as? NSNumber)?.int64Value, "newest first"
                )
                let price = try #require(WhiteBITNumbers.decimal(trade["price"]))
                let qty = try #require(WhiteBITNumbers.decimal(trade["qty"]))
                #expect(WhiteBITNumbers.decimal(item["price"]) == price)
                #expect(WhiteBITNumbers.decimal(item["quote_volume"]) == qty, "quote_volume holds the base amount")
                #expect(
                    WhiteBITNumbers.decimal(item["base_volume"]) == price * qty, "base_volume holds the quote amount")
                #expect(
                    (item["trade_timestamp"] as? NSNumber)?.int64Value
                        == ((trade["time"] as? NSNumber)?.int64Value ?? 0) / 1_000)
                #expect(item["type"] as? String == ((trade["isBuyerMaker"] as? Bool) == true ? "sell" : "buy"))
            }
            let (_, sells) = try await TestHTTP.json(port: port, path: "/api/v4/public/trades/BTC_USDT?type=sell")
            let sellItems = try #require(sells as? [[String: Any]])
            #expect(sellItems.count == 100 && sellItems.allSatisfy { $0["type"] as? String == "sell" })
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/trades/BTC_USDT?type=both").status == 400)
        }
    }

    @Test("order book limit, level aggregation and errors")
    func orderbook() async throws {
        try await WhiteBITHarness.with { port in
            func book(_ query: String) async throws -> [String: Any] {
                try Self.object(
                    try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/BTC_USDT\(query)"))
            }
            let five = try await book("?limit=5")
            #expect((five["asks"] as? [Any])?.count == 5 && (five["bids"] as? [Any])?.count == 5)
            #expect(
                five["ticker_id"] as? String == "BTC_USDT"
                    && (five["timestamp"] as? NSNumber)?.int64Value == SimulatorHarness.start / 1_000)
            #expect(five["update_id"] == nil, "no update id, as on WhiteBIT")
            let full = try await book("?limit=0")
            let asks = (full["asks"] as? [[String]] ?? []).compactMap { WhiteBITNumbers.decimal($0[0]) }
            let bids = (full["bids"] as? [[String]] ?? []).compactMap { WhiteBITNumbers.decimal($0[0]) }
            #expect(asks.count == 100 && bids.count == 100)
            #expect(asks == asks.sorted() && bids == bids.sorted(by: >) && bids[0] < asks[0])
            let (_, truthBody) = try await TestHTTP.json(port: port, path: "/_sim/book?symbol=BTC_USDT&limit=5")
            let truth = truthBody as? [String: Any]
            #expect(WhiteBITNumbers.levels(five["bids"]) == WhiteBITNumbers.levels(truth?["bids"]))
            #expect(WhiteBITNumbers.levels(five["asks"]) == WhiteBITNumbers.levels(truth?["asks"]))
            // level=2: buckets of tick × 100 = 1 USDT.
            let aggregated = try await book("?limit=10&level=2")
            for level in (aggregated["bids"] as? [[String]] ?? []) + (aggregated["asks"] as? [[String]] ?? []) {
                #expect(!level[0].contains("."), "\(level[0]) is a whole bucket (trailing zeros trimmed)")
            }
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/BTC_USDT?limit=101").status
                    == 400)
            #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/NO_SUCH").status == 422)
            let missing = try await TestHTTP.request(port: port, path: "/api/v4/public/nothing")
            #expect(missing.status == 404 && missing.text == #"{"success":false,"message":"Not found","params":[]}"#)
        }
    }

    @Test("markets report fees in percent; assets and fee list every currency of the market list")
    func assetsAndFees() async throws {
        try await WhiteBITHarness.with { port in
            let (_, markets) = try await TestHTTP.json(port: port, path: "/api/v4/public/markets")
            let items = try #require(markets as? [[String: Any]])
            let btcUSDT = try #require(items.first { $0["name"] as? String == "BTC_USDT" })
            #expect(btcUSDT["makerFee"] as? String == "0.1" && btcUSDT["takerFee"] as? String == "0.1", "0.1 %")
            #expect(btcUSDT["isTradFiFutures"] as? Bool == false && btcUSDT["delistedAt"] is NSNull)
            var currencies = Set<String>()
            for item in items {
                currencies.insert(item["stock"] as? String ?? "")
                currencies.insert(item["money"] as? String ?? "")
            }

            let assets = try Self.object(try await TestHTTP.request(port: port, path: "/api/v4/public/assets"))
            #expect(Set(assets.keys) == currencies)
            let btc = try #require(assets["BTC"] as? [String: Any])
            #expect(btc["name"] as? String == "Bitcoin" && (btc["unified_cryptoasset_id"] as? NSNumber)?.intValue == 1)
            #expect(btc["maker_fee"] as? String == "0.1" && btc["can_deposit"] as? Bool == true)
            // BTC trades on a 0.00001 lot and prices BNB_BTC on a 0.000001 tick: 6 digits.
            #expect((btc["currency_precision"] as? NSNumber)?.intValue == 6)
            let networks = try #require(btc["networks"] as? [String: Any])
            #expect(networks["deposits"] as? [String] == ["BTC"] && networks["default"] as? String == "BTC")
            let usdt = try #require(assets["USDT"] as? [String: Any])
            #expect((usdt["networks"] as? [String: Any])?["withdraws"] as? [String] == ["ERC20", "TRC20"])
            #expect(
                ((usdt["limits"] as? [String: Any])?["withdraw"] as? [String: Any])?["TRC20"] as? [String: String] == [
                    "min": "5"
                ])

            let fees = try Self.object(try await TestHTTP.request(port: port, path: "/api/v4/public/fee"))
            #expect(Set(fees.compactMap { ($0.value as? [String: Any])?["ticker"] as? String }) == currencies)
            #expect(fees["USDT (ERC20)"] != nil && fees["USDT (TRC20)"] != nil && fees["USDT"] == nil)
            let btcFee = try #require(fees["BTC"] as? [String: Any])
            let withdraw = try #require(btcFee["withdraw"] as? [String: Any])
            #expect(withdraw["min_amount"] as? String == "0.0001" && withdraw["fixed"] as? String == "0.00001")
            #expect((btcFee["deposit"] as? [String: Any])?["fixed"] is NSNull)
        }
    }

    @Test("depth holds the levels within ±2 % of the last price; collateral and futures lists use the envelope")
    func depthAndMarketLists() async throws {
        try await WhiteBITHarness.with { port in
            let depth = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/depth/BTC_USDT"))
            #expect(
                depth["ticker_id"] as? String == "BTC_USDT"
                    && (depth["timestamp"] as? NSNumber)?.int64Value == SimulatorHarness.start / 1_000)
            let (_, trades) = try await TestHTTP.json(port: port, path: "/_sim/trades?symbol=BTC_USDT&limit=1")
            let last = try #require(WhiteBITNumbers.decimal((trades as? [[String: Any]])?.last?["price"]))
            let (_, truthBody) = try await TestHTTP.json(port: port, path: "/_sim/book?symbol=BTC_USDT&limit=5000")
            let truth = try #require(truthBody as? [String: Any])
            let lower = last * Decimal(string: "0.98")!
            let upper = last * Decimal(string: "1.02")!
            let bids = WhiteBITNumbers.levels(truth["bids"]).filter { $0.key >= lower }
            let asks = WhiteBITNumbers.levels(truth["asks"]).filter { $0.key <= upper }
            #expect(!bids.isEmpty && !asks.isEmpty)
            #expect(WhiteBITNumbers.levels(depth["bids"]) == bids && WhiteBITNumbers.levels(depth["asks"]) == asks)
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/depth/NO_SUCH").status == 422)

            let collateral = try Self.object(
                try await TestHTTP.request(port: port, path: "/api/v4/public/collateral/markets"))
            #expect(collateral["success"] as? Bool == true && collateral["message"] is NSNull)
            let (_, markets) = try await TestHTTP.json(port: port, path: "/api/v4/public/markets")
            let flagged = (markets as? [[String: Any]] ?? []).filter { $0["isCollateral"] as? Bool == true }.compactMap
            { $0["name"] as? String }
            #expect(collateral["result"] as? [String] == flagged && flagged.contains("BTC_USDT"))
            let futures = try await TestHTTP.request(port: port, path: "/api/v4/public/futures")
            #expect(futures.text == #"{"success":true,"message":null,"result":[]}"#)
        }
    }

    @Test("exceeding a lowered per-endpoint limit answers 429; windows, endpoints and IPs are separate")
    func rateLimits() async throws {
        let options = WhiteBITHarness.options(limits: [
            "whitebit.v4_public_per_10s": 3, "whitebit.orderbook_per_10s": 1,
        ])
        try await WhiteBITHarness.with(options) { port in
            for _ in 0..<3 {
                #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/ticker").status == 200)
            }
            let limited = try await TestHTTP.request(port: port, path: "/api/v4/public/ticker")
            #expect(limited.status == 429)
            #expect(limited.text == #"{"code":0,"errors":{},"message":"Too many requests."}"#)
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/time").status == 200,
                "limits are per endpoint")
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/ticker", from: "127.0.0.2").status == 200,
                "and per IP")
            #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/BTC_USDT").status == 200)
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/orderbook/ETH_USDT").status == 429,
                "one limit for all markets")
            let (_, limits) = try await TestHTTP.json(port: port, path: "/_sim/limits")
            let clients = (limits as? [String: Any])?["clients"] as? [[String: Any]] ?? []
            let local = try #require(clients.first { $0["ip"] as? String == "127.0.0.1" })
            let window = local["windowRequests"] as? [String: Any]
            #expect((window?["/api/v4/public/ticker"] as? NSNumber)?.intValue == 3)
            #expect((local["responses429"] as? NSNumber)?.intValue == 2)
            try await WhiteBITHarness.advance(port, ms: 10_000)
            #expect(
                try await TestHTTP.request(port: port, path: "/api/v4/public/ticker").status == 200, "a new 10 s window"
            )
        }
    }

    @Test("rate_limit_storm and http_5xx faults answer with WhiteBIT bodies and are counted")
    func restFaults() async throws {
        try await WhiteBITHarness.with { port in
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults",
                #"[{"kind":"rate_limit_storm","count":1},{"kind":"http_5xx","count":1,"target":"/api/v1/public/kline"}]"#
            )
            #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/time").status == 429)
            #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/time").status == 200)
            let failed = try await TestHTTP.request(port: port, path: "/api/v1/public/kline?market=BTC_USDT")
            #expect(failed.status == 503)
            #expect(
                failed.text
                    == #"{"response":null,"status":503,"errors":{"message":[""]},"notification":null,"warning":null,"_token":null}"#
            )
            #expect(try await WhiteBITHarness.faultCount(port, "rate_limit_storm") == 1)
            #expect(try await WhiteBITHarness.faultCount(port, "http_5xx") == 1)
        }
    }

    static let deterministicPaths = [
        "/api/v4/public/markets", "/api/v4/public/ticker", "/api/v4/public/orderbook/BTC_USDT?limit=100",
        "/api/v4/public/orderbook/ETH_BTC?limit=20&level=1", "/api/v4/public/trades/BTC_USDT",
        "/api/v4/public/trades/ETH_USDT?type=buy", "/api/v1/public/kline?market=BTC_USDT&interval=1m&limit=300",
        "/api/v1/public/kline?market=LTC_BTC&interval=15m&limit=10",
        "/api/v1/public/kline?market=SOL_USDT&interval=1w&limit=2&start=\(SimulatorHarness.start / 1_000 - 8 * 86_400)",
        "/api/v1/public/ticker?market=XRP_USDT", "/api/v4/public/assets", "/api/v4/public/fee",
        "/api/v4/public/orderbook/depth/ETH_USDT", "/api/v4/public/collateral/markets",
    ]

    static func answers(seed: UInt64) async throws -> [String] {
        try await WhiteBITHarness.with(WhiteBITHarness.options(seed: seed)) { port in
            var bodies: [String] = []
            for path in Self.deterministicPaths {
                let result = try await TestHTTP.request(port: port, path: path)
                #expect(result.status == 200, "\(path): \(result.text.prefix(200))")
                bodies.append(result.text)
            }
            return bodies
        }
    }

    @Test("the same seed gives byte-identical WhiteBIT answers; another seed does not")
    func determinism() async throws {
        let first = try await Self.answers(seed: 7)
        let second = try await Self.answers(seed: 7)
        for (index, path) in Self.deterministicPaths.enumerated() {
            #expect(first[index] == second[index], "\(path) differs")
        }
        let other = try await Self.answers(seed: 8)
        #expect(other[2] != first[2] && other[4] != first[4] && other[6] != first[6])
    }
}
