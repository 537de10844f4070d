import Foundation
import Testing

/// Request weights, the X-MBX-USED-WEIGHT-1M header, 429 with Retry-After, and 418 bans.
@Suite("Binance rate limits", .serialized)
struct BinanceRateLimitTests {
    static func weight(_ result: HTTPResult) -> Int? {
        result.header("X-MBX-USED-WEIGHT-1M").flatMap { Int($0) }
    }

    @Test("the weight header adds each endpoint's documented weight")
    func weightHeaderCounts() async throws {
        // Pinned clock: the minute window cannot roll over during the test.
        try await SimulatorHarness.withBinance { port, _ in
            let requests: [(String, Int)] = [
                ("/api/v3/ping", 1), ("/api/v3/time", 1), ("/api/v3/exchangeInfo", 20),
                ("/api/v3/depth?symbol=BTCUSDT", 5), ("/api/v3/depth?symbol=BTCUSDT&limit=100", 5),
                ("/api/v3/depth?symbol=BTCUSDT&limit=101", 25), ("/api/v3/depth?symbol=BTCUSDT&limit=500", 25),
                ("/api/v3/depth?symbol=BTCUSDT&limit=1000", 50), ("/api/v3/depth?symbol=BTCUSDT&limit=5000", 250),
                ("/api/v3/depth?symbol=BTCUSDT&limit=9000", 250),
                ("/api/v3/trades?symbol=BTCUSDT&limit=1", 25), ("/api/v3/historicalTrades?symbol=BTCUSDT&limit=1", 25),
                ("/api/v3/aggTrades?symbol=BTCUSDT&limit=1", 4),
                ("/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1", 2),
                ("/api/v3/uiKlines?symbol=BTCUSDT&interval=1m&limit=1", 2), ("/api/v3/ticker/24hr?symbol=BTCUSDT", 2),
                ("/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22%5D", 2), ("/api/v3/ticker/24hr", 80),
                ("/api/v3/ticker/price?symbol=BTCUSDT", 2), ("/api/v3/ticker/price", 4),
                ("/api/v3/ticker/bookTicker?symbol=BTCUSDT", 2), ("/api/v3/ticker/bookTicker", 4),
                ("/api/v3/avgPrice?symbol=BTCUSDT", 2), ("/api/v3/depth?symbol=NOSUCH", 5),
                ("/api/v3/ticker?symbol=BTCUSDT", 4), ("/api/v3/ticker?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D", 8),
                ("/api/v3/ticker/tradingDay?symbol=BTCUSDT", 4),
                ("/api/v3/ticker/tradingDay?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22,%22BNBBTC%22%5D", 12),
            ]
            var expected = 0
            for (path, weight) in requests {
                let result = try await TestHTTP.request(port: port, path: path)
                expected += weight
                #expect(
                    Self.weight(result) == expected,
                    "\(path): header \(result.header("X-MBX-USED-WEIGHT-1M") ?? "nil"), expected \(expected)")
            }
            // The admin API reports the same usage for this IP and is not itself weighted.
            let (_, limits) = try await TestHTTP.json(port: port, path: "/_sim/limits")
            let clients = (limits as? [String: Any])?["clients"] as? [[String: Any]] ?? []
            #expect((clients.first?["usedWeight1m"] as? NSNumber)?.intValue == expected)
            // A new minute starts from zero.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":60000}"#)
            #expect(Self.weight(try await TestHTTP.request(port: port, path: "/api/v3/ping")) == 1)
        }
    }

    @Test("a client that ignores 429 is banned with 418, and the ban escalates")
    func ignoring429LeadsTo418() async throws {
        let options = SimulatorHarness.options(limits: ["binance.weight_per_minute": 60])
        try await SimulatorHarness.withBinance(options) { port, _ in
            // 60 / 20 = 3 exchangeInfo calls fit; the 4th is over the limit.
            for _ in 0..<3 {
                #expect(try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo").status == 200)
            }
            let limited = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo")
            #expect(limited.status == 429)
            #expect(Int(limited.header("Retry-After") ?? "") ?? 0 > 0)
            let body = try JSONShape.parse(limited.text) as? [String: Any]
            #expect((body?["code"] as? NSNumber)?.intValue == -1003)
            #expect(
                (body?["msg"] as? String)?.hasPrefix(
                    "Too much request weight used; current limit is 60 request weight per 1 MINUTE.") == true)
            #expect(Self.weight(limited) == 60)
            // Keep going regardless of the 429 (default: 5 ignored 429s → ban).
            var statuses: [Int] = []
            for _ in 0..<6 { statuses.append(try await TestHTTP.request(port: port, path: "/api/v3/ping").status) }
            #expect(statuses.contains(418), "statuses: \(statuses)")
            let banned = try await TestHTTP.request(port: port, path: "/api/v3/ping")
            #expect(banned.status == 418)
            let banBody = try JSONShape.parse(banned.text) as? [String: Any]
            #expect((banBody?["code"] as? NSNumber)?.intValue == -1003)
            #expect((banBody?["msg"] as? String)?.contains("IP banned until") == true)
            // Pinned clock: Retry-After is the remaining ban in seconds (2 minutes for a first ban).
            #expect(Int(banned.header("Retry-After") ?? "") == 120)
            // Another loopback address is another client: not banned.
            #expect(try await TestHTTP.request(port: port, path: "/api/v3/ping", from: "127.0.0.2").status == 200)
            // After the ban, the same IP works again; a second ban lasts twice as long.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":120000}"#)
            #expect(try await TestHTTP.request(port: port, path: "/api/v3/ping").status == 200)
            for _ in 0..<2 { _ = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo") }
            var second: HTTPResult?
            for _ in 0..<10 {
                let result = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo")
                if result.status == 418 {
                    second = result
                    break
                }
            }
            #expect(Int(try #require(second).header("Retry-After") ?? "") == 240)
        }
    }

    @Test("a client that backs off after 429 is not banned")
    func backingOffAvoidsBan() async throws {
        let options = SimulatorHarness.options(limits: ["binance.weight_per_minute": 40])
        try await SimulatorHarness.withBinance(options) { port, _ in
            for _ in 0..<2 { _ = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo") }
            let limited = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo")
            #expect(limited.status == 429)
            let retry = Int(limited.header("Retry-After") ?? "") ?? 60
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":\#(retry * 1_000)}"#)
            let after = try await TestHTTP.request(port: port, path: "/api/v3/exchangeInfo")
            #expect(after.status == 200)
            #expect(Self.weight(after) == 20)
        }
    }

    @Test("rate_limit_storm and http_5xx faults answer with Binance's bodies and are counted")
    func restFaults() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults",
                #"[{"kind":"rate_limit_storm","count":2},{"kind":"http_5xx","count":1,"status":502,"target":"/api/v3/time"}]"#
            )
            let first = try await TestHTTP.request(port: port, path: "/api/v3/ping")
            let second = try await TestHTTP.request(port: port, path: "/api/v3/ping")
            #expect(first.status == 429 && second.status == 429)
            #expect(first.header("Retry-After") != nil)
            #expect(try await TestHTTP.request(port: port, path: "/api/v3/ping").status == 200)
            let failed = try await TestHTTP.request(port: port, path: "/api/v3/time")
            #expect(failed.status == 502)
            #expect(failed.text.contains("-1001"))
            #expect(try await TestHTTP.request(port: port, path: "/api/v3/time").status == 200)
            let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
            let counters = (faults as? [String: Any])?["counters"] as? [String: Any]
            #expect((counters?["rate_limit_storm"] as? NSNumber)?.intValue == 2)
            #expect((counters?["http_5xx"] as? NSNumber)?.intValue == 1)
        }
    }
}
