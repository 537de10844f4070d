import ExchangeSimulator
import Foundation
import Testing

/// `GET /v5/user/query-api` and `/v5/account/wallet-balance`: the V5 HMAC-SHA256 scheme and the
/// real error bodies, all in HTTP 200 answers.
@Suite("Bybit signed endpoints", .serialized)
struct BybitSignatureTests {
    static let key = APIKeyEntry.defaultTestKey
    static let now = SimulatorHarness.start

    @Test("the string to sign is timestamp + key + recvWindow + query; the test HMAC is independent")
    func signatureConstruction() {
        // RFC 4231 test case 2 checks the test's own HMAC before it is trusted below.
        #expect(
            HMACSHA256.hex(key: "Jefe", message: "what do ya want for nothing?")
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        let headers = BybitHarness.signedHeaders(
            query: "accountType=UNIFIED", timestamp: 1_658_384_314_791, apiKey: "K", secret: "S")
        let sign = headers.first { $0.0 == "X-BAPI-SIGN" }?.1
        #expect(sign == HMACSHA256.hex(key: "S", message: "1658384314791K5000accountType=UNIFIED"))
    }

    @Test("a correct signature passes; tampered, unknown-key and stale requests get the real bodies")
    func signatures() async throws {
        try await BybitHarness.withBybit { port, _ in
            let signed = BybitHarness.signedHeaders(query: "", timestamp: Self.now)
            let (ok, body) = try await BybitHarness.get(port, "/v5/user/query-api", headers: signed)
            #expect(ok.status == 200)
            #expect(BybitHarness.retCode(body) == 0 && body["retMsg"] as? String == "", "\(ok.text.prefix(300))")
            let result = body["result"] as? [String: Any]
            #expect(result?["apiKey"] as? String == Self.key.key)
            #expect((result?["userID"] as? NSNumber)?.int64Value ?? 0 > 0)

            // Tampered: the signature of another query (same key and time).
            let query = "accountType=UNIFIED"
            var tamperedHeaders = BybitHarness.signedHeaders(query: "accountType=CONTRACT", timestamp: Self.now)
            let (tampered, tamperedBody) = try await BybitHarness.get(
                port, "/v5/account/wallet-balance?\(query)", headers: tamperedHeaders)
            #expect(tampered.status == 200)
            #expect(BybitHarness.retCode(tamperedBody) == 10004)
            #expect(
                tamperedBody["retMsg"] as? String == "error sign! origin_string[\(Self.now)\(Self.key.key)5000\(query)]"
            )
            #expect(tampered.text.hasPrefix(#"{"retCode":10004,"retMsg":"error sign! origin_string["#))
            #expect(tampered.text.hasSuffix(#"]","result":{},"retExtInfo":{},"time":\#(Self.now)}"#))

            // Right key, wrong secret; and an uppercase signature (Bybit asks for lowercase hex).
            let (_, wrongSecret) = try await BybitHarness.get(
                port, "/v5/user/query-api",
                headers: BybitHarness.signedHeaders(query: "", timestamp: Self.now, secret: "not-the-secret"))
            #expect(BybitHarness.retCode(wrongSecret) == 10004)
            tamperedHeaders = signed.map { $0.0 == "X-BAPI-SIGN" ? ($0.0, $0.1.uppercased()) : $0 }
            #expect(
                BybitHarness.retCode(try await BybitHarness.get(port, "/v5/user/query-api", headers: tamperedHeaders).1)
                    == 10004)

            // Unknown key: exactly the body the live API returns.
            let unknown = try await TestHTTP.request(
                port: port, path: "/v5/user/query-api",
                headers: BybitHarness.signedHeaders(query: "", timestamp: Self.now, apiKey: "NoSuchKey"))
            #expect(unknown.status == 200)
            #expect(
                unknown.text
                    == #"{"retCode":10003,"retMsg":"API key is invalid.","result":{},"retExtInfo":{},"time":\#(Self.now)}"#
            )
            let (_, noKey) = try await BybitHarness.get(port, "/v5/user/query-api")
            #expect(BybitHarness.retCode(noKey) == 10003)

            // The window: server_time − recv_window <= timestamp < server_time + 1000.
            let (stale, staleBody) = try await BybitHarness.get(
                port, "/v5/user/query-api", headers: BybitHarness.signedHeaders(query: "", timestamp: Self.now - 5_001))
            #expect(stale.status == 200)
            #expect(BybitHarness.retCode(staleBody) == 10002)
            #expect(
                staleBody["retMsg"] as? String
                    == "invalid request, please check your server timestamp or recv_window param. "
                    + "req_timestamp[\(Self.now - 5_001)],server_timestamp[\(Self.now)],recv_window[5000]")
            let edges: [(Int64, String?, Int)] = [
                (Self.now - 5_000, "5000", 0), (Self.now + 999, "5000", 0), (Self.now + 1_000, "5000", 10002),
                (Self.now - 9_000, "10000", 0), (Self.now - 10_001, "10000", 10002),
                (Self.now - 5_000, nil, 0), (Self.now - 5_001, nil, 10002),
            ]
            for (timestamp, window, code) in edges {
                let (_, answer) = try await BybitHarness.get(
                    port, "/v5/user/query-api",
                    headers: BybitHarness.signedHeaders(query: "", timestamp: timestamp, recvWindow: window))
                #expect(
                    BybitHarness.retCode(answer) == code,
                    "timestamp now\(timestamp - Self.now) window \(window ?? "none")")
            }
        }
    }

    @Test("wallet-balance: UNIFIED only, coins filter, values from the market")
    func walletBalance() async throws {
        try await BybitHarness.withBybit { port, _ in
            let query = "accountType=UNIFIED&coin=BTC,USDT"
            let (_, body) = try await BybitHarness.get(
                port, "/v5/account/wallet-balance?\(query)",
                headers: BybitHarness.signedHeaders(query: query, timestamp: Self.now))
            #expect(BybitHarness.retCode(body) == 0)
            let account = try #require(BybitHarness.list(body).first as? [String: Any])
            #expect(account["accountType"] as? String == "UNIFIED")
            let coins = (account["coin"] as? [[String: Any]] ?? []).compactMap { $0["coin"] as? String }
            #expect(coins == ["BTC", "USDT"])
            let other = "accountType=SPOT"
            let (_, refused) = try await BybitHarness.get(
                port, "/v5/account/wallet-balance?\(other)",
                headers: BybitHarness.signedHeaders(query: other, timestamp: Self.now))
            #expect(BybitHarness.retCode(refused) == 10001)
        }
    }

    @Test("keys given with --api-key work, each with its own secret")
    func extraKeys() async throws {
        var options = BybitHarness.options()
        options.apiKeys.append(APIKeyEntry(name: "ci", key: "CiKey1", secret: "ci-secret"))
        try await BybitHarness.withBybit(options) { port, _ in
            let good = BybitHarness.signedHeaders(query: "", timestamp: Self.now, apiKey: "CiKey1", secret: "ci-secret")
            let (_, ok) = try await BybitHarness.get(port, "/v5/user/query-api", headers: good)
            #expect(BybitHarness.retCode(ok) == 0)
            #expect((ok["result"] as? [String: Any])?["note"] as? String == "ci")
            let crossed = BybitHarness.signedHeaders(
                query: "", timestamp: Self.now, apiKey: "CiKey1", secret: Self.key.secret)
            #expect(
                BybitHarness.retCode(try await BybitHarness.get(port, "/v5/user/query-api", headers: crossed).1)
                    == 10004)
        }
    }
}
