import CryptodConfig
import CryptodGateway
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("REST: admin token, runtime subscriptions, key checks, limits and CORS", .timeLimit(.minutes(2)))
struct RESTAdminTests {
    @Test("admin routes: 401 without or with a wrong token, 200 with it, 403 when no token is configured")
    func adminToken() async throws {
        let dir = try TemporaryDirectory()
        let adminPaths = ["/api/v1/admin/status", "/api/v1/admin/metrics", "/api/v1/admin/websocket/stats"]
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            for path in adminPaths {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                    #expect(response.headers[.wwwAuthenticate] == "Bearer realm=\"cryptod\"")
                    try expectError(
                        response, code: "unauthorized", mentioning: "the request had no Authorization header")
                }
                for wrong in ["Bearer \(testAdminToken)x", "Bearer ", "Basic \(testAdminToken)", "Bearer t0ken"] {
                    try await client.execute(uri: path, method: .get, headers: [.authorization: wrong]) { response in
                        #expect(response.status == .unauthorized, "\(wrong)")
                        let text = String(buffer: response.body)
                        #expect(!text.contains(testAdminToken), "the answer must not echo the token")
                    }
                }
                try await client.execute(uri: path, method: .get, headers: admin) { response in
                    #expect(response.status == .ok, "\(path)")
                }
            }
            try await client.execute(uri: "/api/v1/admin/websocket/stats", method: .get, headers: admin) { response in
                let stats = try jsonObject(String(buffer: response.body))
                #expect(stats["clients"] as? Int == 0)
                #expect(stats["max_clients"] as? Int == 100)
            }
            try await client.execute(uri: "/api/v1/admin/metrics", method: .get, headers: admin) { response in
                let routes = try #require(try jsonObject(String(buffer: response.body))["routes"] as? [[String: Any]])
                let status = try #require(routes.first { $0["route"] as? String == "/api/v1/admin/status" })
                #expect((status["by_status"] as? [String: Int])?["401"] == 5)
                #expect((status["by_status"] as? [String: Int])?["200"] == 1)
            }
        }
        var values = restConfiguration(runtime: dir.path).values
        values["gateway.admin_token"] = .secret(SecretString(""))
        try await withREST(Configuration(values: values)) { _, client in
            try await client.execute(uri: "/api/v1/admin/status", method: .get, headers: admin) { response in
                #expect(response.status == .forbidden)
                try expectError(response, code: "admin_disabled", mentioning: "set gateway.admin_token")
            }
        }
    }

    @Test("the token is compared whole: every prefix, extension and one-byte change is refused")
    func tokenComparison() {
        let token = SecretString("abcdef")
        #expect(RESTPolicy.tokenMatches("Bearer abcdef", token: token))
        for wrong in [
            "Bearer abcde", "Bearer abcdefg", "Bearer abcdeF", "Bearer xbcdef", "bearer abcdef", "abcdef", "",
        ] {
            #expect(!RESTPolicy.tokenMatches(wrong, token: token), "\(wrong)")
        }
    }

    @Test("subscribe relays to the ingestor and returns a sub_id that DELETE turns back into the same streams")
    func subscribeAndUnsubscribe() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { request in
            switch request.command {
            case .subscribe: (.ok, "subscribed binance:spot:ETHUSDT/trades")
            case .unsubscribe: (.ok, "unsubscribed binance:spot:ETHUSDT/trades")
            case .subscriptions: (.ok, "binance:spot:BTCUSDT/ticker\nbinance:spot:ETHUSDT/trades")
            default: (.invalidRequest, "no")
            }
        }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            let body = ByteBuffer(string: #"{"symbol":"ETH/USDT","channels":["trades"]}"#)
            try await client.execute(uri: "/api/v1/exchanges/binance/subscribe", method: .post, body: body) {
                response in
                #expect(response.status == .unauthorized)
            }
            #expect(ingestor.sent.isEmpty, "nothing reaches the ingestor without the token")
            let created = try await client.execute(
                uri: "/api/v1/exchanges/binance/subscribe", method: .post, headers: admin, body: body
            ) { response in
                #expect(response.status == .created)
                return try jsonObject(String(buffer: response.body))
            }
            #expect(created["message"] as? String == "subscribed binance:spot:ETHUSDT/trades")
            #expect(created["symbol"] as? String == "ETH/USDT")
            #expect(created["channels"] as? [String] == ["trades"])
            let id = try #require(created["sub_id"] as? String)
            try await client.execute(
                uri: "/api/v1/exchanges/binance/subscribe/\(id)", method: .delete, headers: admin
            ) { response in
                #expect(response.status == .ok)
                let parsed1 = try jsonObject(String(buffer: response.body))
                #expect(parsed1["symbol"] as? String == "ETH/USDT")
            }
            let sent = ingestor.sent
            #expect(sent.map(\.command) == [.subscribe, .unsubscribe])
            #expect(sent.first?.argument == sent.last?.argument)
            #expect(sent.first?.target == "ingestor-binance")
            let argument = try jsonObject(sent.first?.argument ?? "")
            #expect(argument["symbol"] as? String == "ETH/USDT")
            #expect(argument["market"] as? String == "spot")
            try await client.execute(uri: "/api/v1/exchanges/binance/subscriptions", method: .get, headers: admin) {
                response in
                let streams = try jsonObject(String(buffer: response.body))["streams"] as? [String]
                #expect(streams == ["binance:spot:BTCUSDT/ticker", "binance:spot:ETHUSDT/trades"])
            }
            try await client.execute(uri: "/api/v1/exchanges/binance/subscribe/nothex", method: .delete, headers: admin)
            { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_subscription", mentioning: "is not a subscription id")
            }
            let bad = [
                (#"{"channels":["trades"]}"#, #"the body needs "symbol""#),
                ("not json", "the body must be one JSON object"),
                (#"{"symbol":"X","channels":"trades"}"#, #""channels" must be a list of strings"#),
            ]
            for (bad, fragment) in bad {
                try await client.execute(
                    uri: "/api/v1/exchanges/binance/subscribe", method: .post, headers: admin,
                    body: ByteBuffer(string: bad)
                ) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                    try expectError(response, code: "bad_body", mentioning: fragment)
                }
            }
        }
    }

    @Test("the ingestor's refusal is a 400 with its message; a disabled exchange is a 409")
    func subscribeRefused() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { _ in
            (.invalidRequest, "DOGEUSDT is not listed by binance as a spot market")
        }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            let body = ByteBuffer(string: #"{"symbol":"DOGEUSDT"}"#)
            try await client.execute(
                uri: "/api/v1/exchanges/binance/subscribe", method: .post, headers: admin, body: body
            ) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "rejected", mentioning: "DOGEUSDT is not listed by binance")
            }
            try await client.execute(
                uri: "/api/v1/exchanges/bybit/subscribe", method: .post, headers: admin, body: body
            ) {
                response in
                #expect(response.status == .conflict)
                try expectError(response, code: "exchange_disabled", mentioning: "exchanges.bybit.enabled is false")
            }
        }
        _ = ingestor
    }

    @Test("verify passes key and secret to the ingestor only: the answer never contains the secret")
    func verifyKey() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { request in
            (.ok, #"{"detail":"ok","outcome":"valid","permissions":["read"],"valid":true}"#)
        }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { _, client in
            let body = ByteBuffer(string: #"{"key":"AKEY","secret":"VERY-SECRET-VALUE"}"#)
            try await client.execute(uri: "/api/v1/exchanges/binance/verify", method: .post, headers: admin, body: body)
            {
                response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(!text.contains("VERY-SECRET-VALUE"))
                let object = try jsonObject(text)
                #expect(object["outcome"] as? String == "valid")
                #expect(object["permissions"] as? [String] == ["read"])
            }
            try await client.execute(
                uri: "/api/v1/exchanges/binance/verify", method: .post, headers: admin,
                body: ByteBuffer(string: #"{"key":"AKEY"}"#)
            ) { response in
                #expect(response.status == .badRequest)
                try expectError(response, code: "bad_body", mentioning: #"needs "key" and "secret""#)
            }
        }
        let sent = ingestor.sent
        #expect(sent.map(\.command) == [.verifyKey])
        #expect(try jsonObject(sent.first?.argument ?? "")["secret"] as? String == "VERY-SECRET-VALUE")
        #expect(!"\(sent)".contains("VERY-SECRET-VALUE"), "a logged request never shows the secret")
    }

    @Test("a client over its burst gets 429 with Retry-After; other routes of the same client too")
    func rateLimit() async throws {
        let dir = try TemporaryDirectory()
        // A bucket of 3 refilled once every 1000 s: no refill can happen during the test.
        let config = restConfiguration(
            runtime: dir.path, ["gateway.rate_limit": .float(0.001), "gateway.rate_burst": .integer(3)])
        try await withREST(config) { _, client in
            for _ in 0..<3 {
                try await client.execute(uri: "/api/v1/exchanges", method: .get) { #expect($0.status == .ok) }
            }
            for path in ["/api/v1/exchanges", "/health/live", "/nowhere"] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                    try expectError(response, code: "rate_limited", mentioning: "gateway.rate_limit")
                }
            }
        }
    }

    @Test("token bucket: burst, refill at the rate, wait time until the next token")
    func tokenBucket() {
        var bucket = TokenBucket(burst: 2, now: 0)
        #expect(bucket.take(now: 0, rate: 1, burst: 2) == nil)
        #expect(bucket.take(now: 0, rate: 1, burst: 2) == nil)
        #expect(bucket.take(now: 0, rate: 1, burst: 2) == 1)
        #expect(bucket.take(now: 0.5, rate: 1, burst: 2) == 0.5)
        #expect(bucket.take(now: 1, rate: 1, burst: 2) == nil)
        // Idle time never fills beyond the burst.
        #expect(bucket.take(now: 100, rate: 1, burst: 2) == nil)
        #expect(bucket.take(now: 100, rate: 1, burst: 2) == nil)
        #expect(bucket.take(now: 100, rate: 1, burst: 2) != nil)
    }

    @Test("a body over gateway.max_body is 413; CORS answers preflights and tags allowed origins only")
    func bodyLimitAndCORS() async throws {
        let dir = try TemporaryDirectory()
        let config = restConfiguration(
            runtime: dir.path, exchanges: ["binance"],
            ["gateway.max_body": .size(1024), "gateway.cors_origins": .list(["https://app.example"])])
        try await withREST(config) { _, client in
            let big = ByteBuffer(string: #"{"symbol":""# + String(repeating: "A", count: 2000) + #""}"#)
            try await client.execute(
                uri: "/api/v1/exchanges/binance/subscribe", method: .post,
                headers: admin + [.contentLength: "\(big.readableBytes)"], body: big
            ) { response in
                #expect(response.status == .contentTooLarge)
                try expectError(response, code: "body_too_large", mentioning: "at most 1024 are accepted")
            }
            try await client.execute(
                uri: "/api/v1/exchanges/binance/ticker/BTCUSDT", method: .options,
                headers: [.origin: "https://app.example", .accessControlRequestMethod: "GET"]
            ) { response in
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == "https://app.example")
                #expect(response.headers[.accessControlAllowHeaders] == "Authorization, Content-Type")
            }
            try await client.execute(uri: "/api/v1/exchanges", method: .get, headers: [.origin: "https://app.example"])
            {
                #expect($0.headers[.accessControlAllowOrigin] == "https://app.example")
            }
            try await client.execute(uri: "/api/v1/exchanges", method: .get, headers: [.origin: "https://evil.example"])
            {
                #expect($0.headers[.accessControlAllowOrigin] == nil)
            }
        }
    }
}

extension HTTPFields {
    static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var all = lhs
        all.append(contentsOf: rhs)
        return all
    }
}
