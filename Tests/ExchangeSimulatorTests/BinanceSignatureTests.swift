import ExchangeSimulator
import Foundation
import Testing

/// `GET /api/v3/account`: HMAC-SHA256 over query + body with `X-MBX-APIKEY`, and the real error bodies.
@Suite("Binance signed endpoint", .serialized)
struct BinanceSignatureTests {
    static let key = APIKeyEntry.defaultTestKey

    @Test("the test HMAC matches the Binance documentation vector")
    func documentationVector() {
        let payload =
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
        #expect(
            HMACSHA256.hex(key: secret, message: payload)
                == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    static func call(
        port: Int, query: String, signWith secret: String = key.secret, apiKey: String? = key.key, body: String? = nil,
        method: String = "GET"
    ) async throws -> HTTPResult {
        let signature = HMACSHA256.hex(key: secret, message: query + (body ?? ""))
        let headers = apiKey.map { [("X-MBX-APIKEY", $0)] } ?? []
        return try await TestHTTP.request(
            port: port, path: "/api/v3/account?\(query)&signature=\(signature)", headers: headers)
    }

    static func error(_ result: HTTPResult) -> (code: Int?, msg: String?) {
        let body = try? JSONShape.parse(result.text) as? [String: Any]
        return ((body?["code"] as? NSNumber)?.intValue, body?["msg"] as? String)
    }

    @Test("a correct signature passes; tampering, unknown keys and stale timestamps get the real errors")
    func signatures() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let now = SimulatorHarness.start
            let query = "recvWindow=5000&timestamp=\(now)"
            let ok = try await Self.call(port: port, query: query)
            #expect(ok.status == 200, "\(ok.text)")
            let account = try JSONShape.parse(ok.text) as? [String: Any]
            #expect(account?["accountType"] as? String == "SPOT")
            #expect((account?["balances"] as? [Any])?.isEmpty == false)
            #expect(ok.header("X-MBX-USED-WEIGHT-1M") == "20")

            // Tampered: the signature of another payload.
            let tampered = try await TestHTTP.request(
                port: port,
                path:
                    "/api/v3/account?recvWindow=5000&timestamp=\(now)&signature=\(HMACSHA256.hex(key: Self.key.secret, message: "recvWindow=5000&timestamp=\(now + 1)"))",
                headers: [("X-MBX-APIKEY", Self.key.key)])
            #expect(tampered.status == 400)
            #expect(tampered.text == #"{"code":-1022,"msg":"Signature for this request is not valid."}"#)

            // Right key, wrong secret.
            let wrongSecret = try await Self.call(port: port, query: query, signWith: "not-the-secret")
            #expect(Self.error(wrongSecret).code == -1022)

            // Unknown key.
            let unknown = try await Self.call(
                port: port, query: query, apiKey: "UnknownKey000000000000000000000000000000000000000000000000000001")
            #expect(unknown.status == 401)
            #expect(unknown.text == #"{"code":-2015,"msg":"Invalid API-key, IP, or permissions for action."}"#)

            // Malformed or missing key header.
            let r1 = try await Self.call(port: port, query: query, apiKey: "bad key!")
            #expect(Self.error(r1).code == -2014)
            let r2 = try await Self.call(port: port, query: query, apiKey: nil)
            #expect(Self.error(r2).code == -2014)

            // Missing timestamp or signature.
            let noTimestamp = try await TestHTTP.request(
                port: port, path: "/api/v3/account?signature=00", headers: [("X-MBX-APIKEY", Self.key.key)])
            #expect(Self.error(noTimestamp).code == -1102)
            let noSignature = try await TestHTTP.request(
                port: port, path: "/api/v3/account?timestamp=\(now)", headers: [("X-MBX-APIKEY", Self.key.key)])
            #expect(
                Self.error(noSignature) == (
                    -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed."
                ))

            // Timing: too old for recvWindow, too far ahead, and recvWindow above 60000.
            let stale = try await Self.call(port: port, query: "recvWindow=5000&timestamp=\(now - 5_001)")
            #expect(Self.error(stale) == (-1021, "Timestamp for this request is outside of the recvWindow."))
            let r3 = try await Self.call(port: port, query: "recvWindow=10000&timestamp=\(now - 5_001)")
            #expect(Self.error(r3).code == nil)
            let ahead = try await Self.call(port: port, query: "timestamp=\(now + 1_000)")
            #expect(Self.error(ahead) == (-1021, "Timestamp for this request was 1000ms ahead of the server's time."))
            let r4 = try await Self.call(port: port, query: "recvWindow=60001&timestamp=\(now)")
            #expect(Self.error(r4).code == -1130)

            // Signatures are case-insensitive hex, and microsecond timestamps are accepted.
            let upper = HMACSHA256.hex(key: Self.key.secret, message: query).uppercased()
            #expect(
                try await TestHTTP.request(
                    port: port, path: "/api/v3/account?\(query)&signature=\(upper)",
                    headers: [("X-MBX-APIKEY", Self.key.key)]
                ).status == 200)
            #expect(try await Self.call(port: port, query: "timestamp=\(now * 1_000)").status == 200)
        }
    }

    @Test("keys given with --api-key work")
    func extraKeys() async throws {
        var options = SimulatorHarness.options()
        options.apiKeys.append(APIKeyEntry(name: "ci", key: "CiKey1", secret: "ci-secret"))
        try await SimulatorHarness.withBinance(options) { port, _ in
            let query = "timestamp=\(SimulatorHarness.start)"
            #expect(
                try await Self.call(port: port, query: query, signWith: "ci-secret", apiKey: "CiKey1").status == 200)
            let r5 = try await Self.call(port: port, query: query, signWith: Self.key.secret, apiKey: "CiKey1")
            #expect(Self.error(r5).code == -1022)
        }
    }
}
