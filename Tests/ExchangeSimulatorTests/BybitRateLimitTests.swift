import Foundation
import Testing

/// The IP limit (HTTP 403 and a 10-minute block), the per-UID limit of the signed endpoints
/// (`retCode 10006` with `X-Bapi-Limit*`), and Bybit's answers to REST faults.
@Suite("Bybit rate limits", .serialized)
struct BybitRateLimitTests {
    @Test("an IP over its requests per 5 s gets 403 for 10 minutes; other IPs do not")
    func ipBlock() async throws {
        let options = BybitHarness.options(limits: ["bybit.ip_requests_per_5s": 20])
        try await BybitHarness.withBybit(options) { port, _ in
            for index in 0..<20 {
                let (result, body) = try await BybitHarness.get(port, "/v5/market/time")
                #expect(result.status == 200 && BybitHarness.retCode(body) == 0, "request \(index)")
            }
            let blocked = try await TestHTTP.request(port: port, path: "/v5/market/time")
            #expect(blocked.status == 403)
            #expect(blocked.text == "access too frequent")
            // Every path stays blocked, a new 5-second window does not help, another client is unaffected.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":5000}"#)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/tickers?category=spot").status == 403)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time", from: "127.0.0.2").status == 200)
            let (_, limits) = try await TestHTTP.json(port: port, path: "/_sim/limits")
            let clients = (limits as? [String: Any])?["clients"] as? [[String: Any]] ?? []
            let mine = try #require(clients.first { $0["ip"] as? String == "127.0.0.1" })
            #expect(mine["blockedUntil"] as? NSNumber != nil)
            #expect((mine["responses403"] as? NSNumber)?.intValue == 2)
            // The block lasts 10 minutes from the first refusal.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":594999}"#)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time").status == 403)
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":1}"#)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time").status == 200)
        }
    }

    @Test("the default IP limit is 600 requests per 5 seconds")
    func defaultIPLimit() async throws {
        try await BybitHarness.withBybit { port, _ in
            var statuses: [Int] = []
            for _ in 0..<601 { statuses.append(try await TestHTTP.request(port: port, path: "/v5/market/time").status) }
            #expect(statuses.prefix(600).allSatisfy { $0 == 200 })
            #expect(statuses.last == 403)
        }
    }

    @Test("the signed endpoint answers 10006 with X-Bapi-Limit headers over 10 calls a second")
    func perUIDLimit() async throws {
        try await BybitHarness.withBybit { port, _ in
            let now = SimulatorHarness.start
            let signed = BybitHarness.signedHeaders(query: "", timestamp: now)
            for call in 1...10 {
                let (result, body) = try await BybitHarness.get(port, "/v5/user/query-api", headers: signed)
                #expect(BybitHarness.retCode(body) == 0)
                #expect(result.header("X-Bapi-Limit") == "10")
                #expect(result.header("X-Bapi-Limit-Status") == String(10 - call))
                #expect(result.header("X-Bapi-Limit-Reset-Timestamp") == String(now))
            }
            let (limited, body) = try await BybitHarness.get(port, "/v5/user/query-api", headers: signed)
            #expect(limited.status == 200, "10006 travels in a 200 answer")
            #expect(BybitHarness.retCode(body) == 10006)
            #expect(body["retMsg"] as? String == "Too many visits!")
            #expect(limited.header("X-Bapi-Limit") == "10")
            #expect(limited.header("X-Bapi-Limit-Status") == "0")
            #expect(limited.header("X-Bapi-Limit-Reset-Timestamp") == String(now + 1_000))
            // Another endpoint has its own budget (50/s); one second later query-api works again.
            let query = "accountType=UNIFIED"
            let (wallet, walletBody) = try await BybitHarness.get(
                port, "/v5/account/wallet-balance?\(query)",
                headers: BybitHarness.signedHeaders(query: query, timestamp: now))
            #expect(BybitHarness.retCode(walletBody) == 0)
            #expect(wallet.header("X-Bapi-Limit") == "50" && wallet.header("X-Bapi-Limit-Status") == "49")
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":1000}"#)
            let (_, again) = try await BybitHarness.get(
                port, "/v5/user/query-api", headers: BybitHarness.signedHeaders(query: "", timestamp: now + 1_000))
            #expect(BybitHarness.retCode(again) == 0)
        }
    }

    @Test("public market endpoints carry no X-Bapi headers")
    func publicHeaders() async throws {
        try await BybitHarness.withBybit { port, _ in
            let paths = [
                "/v5/market/time", "/v5/market/tickers?category=spot&symbol=BTCUSDT",
                "/v5/market/orderbook?category=linear&symbol=BTCUSDT",
            ]
            for path in paths {
                let result = try await TestHTTP.request(port: port, path: path)
                #expect(result.status == 200)
                #expect(result.header("X-Bapi-Limit") == nil && result.header("X-Bapi-Limit-Status") == nil, "\(path)")
                #expect(result.header("Content-Type") == "application/json; charset=utf-8")
            }
        }
    }

    @Test("rate_limit_storm answers 403, http_5xx the given status with 10016; both are counted")
    func restFaults() async throws {
        try await BybitHarness.withBybit { port, _ in
            let rules =
                #"[{"kind":"rate_limit_storm","count":2},{"kind":"http_5xx","count":1,"status":502,"target":"/v5/market/kline"}]"#
            _ = try await SimulatorHarness.admin(port, "/_sim/faults", rules)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time").status == 403)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time").status == 403)
            #expect(try await TestHTTP.request(port: port, path: "/v5/market/time").status == 200)
            let (failed, body) = try await BybitHarness.get(port, "/v5/market/kline?symbol=BTCUSDT&interval=1")
            #expect(failed.status == 502)
            #expect(BybitHarness.retCode(body) == 10016)
            #expect(
                try await TestHTTP.request(port: port, path: "/v5/market/kline?symbol=BTCUSDT&interval=1").status == 200
            )
            #expect(try await BybitHarness.faultCount(port, "rate_limit_storm") == 2)
            #expect(try await BybitHarness.faultCount(port, "http_5xx") == 1)
            // A storm is not an IP block: nothing is recorded against the client.
            let (_, limits) = try await TestHTTP.json(port: port, path: "/_sim/limits")
            let clients = (limits as? [String: Any])?["clients"] as? [[String: Any]] ?? []
            #expect(clients.allSatisfy { $0["blockedUntil"] is NSNull })
        }
    }
}
