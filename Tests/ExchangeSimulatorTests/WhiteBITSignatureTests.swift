import ExchangeSimulator
import Foundation
import Testing

/// `POST /api/v4/trade-account/balance`: base64 payload, HMAC-SHA512 signature, nonces, and the
/// real error bodies (whitebit.md §2.6).
@Suite("WhiteBIT signed endpoint", .serialized)
struct WhiteBITSignatureTests {
    static let key = APIKeyEntry.defaultTestKey
    static let path = "/api/v4/trade-account/balance"

    /// A signed POST as the docs and the quickstart build it; `tamper` flips the signature's last digit.
    static func post(
        port: Int, body: String, apiKey: String = key.key, secret: String = key.secret, tamper: Bool = false,
        payload: String? = nil, method: String = "POST"
    ) async throws -> HTTPResult {
        let encoded = payload ?? Data(body.utf8).base64EncodedString()
        var signature = HMACSHA512.hex(key: secret, message: encoded)
        if tamper { signature = String(signature.dropLast()) + (signature.hasSuffix("0") ? "1" : "0") }
        return try await TestHTTP.request(
            port: port, method: method == "POST" ? .POST : .GET, path: Self.path,
            headers: [
                ("Content-Type", "application/json"), ("X-TXC-APIKEY", apiKey), ("X-TXC-PAYLOAD", encoded),
                ("X-TXC-SIGNATURE", signature),
            ],
            body: body)
    }

    static func body(nonce: String, extra: String = "") -> String {
        #"{"request":"\#(path)","nonce":\#(nonce)\#(extra)}"#
    }

    @Test("the test HMAC-SHA512 matches RFC 4231 test case 2")
    func rfcVector() {
        #expect(
            HMACSHA512.hex(key: "Jefe", message: "what do ya want for nothing?")
                == "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        )
    }

    @Test("a correct signature passes; tampering, replayed nonces and bad payloads get the real bodies")
    func signatures() async throws {
        try await WhiteBITHarness.with { port in
            let ok = try await Self.post(port: port, body: Self.body(nonce: #""1594297865""#))
            #expect(ok.status == 200, "\(ok.text)")
            #expect(ok.header("Content-Type") == "application/json")
            let balances = try #require(try JSONShape.parse(ok.text) as? [String: Any])
            // Every currency the key holds, and only those (the official SDK's definition).
            #expect(balances.keys.contains("BTC") && !balances.isEmpty)
            for (currency, value) in balances {
                let object = value as? [String: Any]
                let total =
                    (WhiteBITNumbers.decimal(object?["available"]) ?? 0)
                    + (WhiteBITNumbers.decimal(object?["freeze"]) ?? 0)
                #expect(total > 0, "\(currency) is listed with a zero balance")
            }

            let tampered = try await Self.post(port: port, body: Self.body(nonce: "1594297866"), tamper: true)
            #expect(tampered.status == 401)
            #expect(tampered.text == #"{"code":10,"message":"Unauthorized request."}"#)
            let wrongSecret = try await Self.post(
                port: port, body: Self.body(nonce: "1594297867"), secret: "not-the-secret")
            #expect(wrongSecret.text == #"{"code":10,"message":"Unauthorized request."}"#)
            let unknownKey = try await Self.post(port: port, body: Self.body(nonce: "1594297868"), apiKey: "NoSuchKey")
            #expect(unknownKey.status == 401 && unknownKey.text == #"{"code":10,"message":"Unauthorized request."}"#)

            // The same nonce again, and a smaller one: "Too many requests." with HTTP 429.
            let tooMany = #"{"code":0,"errors":{},"message":"Too many requests."}"#
            let replay = try await Self.post(port: port, body: Self.body(nonce: #""1594297865""#))
            #expect(replay.status == 429 && replay.text == tooMany)
            let lower = try await Self.post(port: port, body: Self.body(nonce: "1594297000"))
            #expect(lower.status == 429 && lower.text == tooMany)
            // A failed signature does not consume the nonce; a number nonce works like a string one.
            #expect(try await Self.post(port: port, body: Self.body(nonce: "1594297866")).status == 200)

            // The payload header must be the base64 of the exact body.
            let otherBody = Self.body(nonce: "1594297900")
            let mismatch = try await Self.post(
                port: port, body: otherBody, payload: Data(Self.body(nonce: "1594297901").utf8).base64EncodedString())
            #expect(mismatch.status == 400 && mismatch.text == #"{"code":9,"message":"Invalid payload."}"#)

            // Missing fields and validation.
            let noNonce = try await Self.post(port: port, body: #"{"request":"\#(Self.path)"}"#)
            #expect(noNonce.text == #"{"code":0,"errors":{},"message":"Nonce not provided."}"#)
            let noRequest = try await Self.post(port: port, body: #"{"nonce":"1594297950"}"#)
            #expect(noRequest.text == #"{"code":0,"errors":{},"message":"Request not provided."}"#)
            let badWindow = try await Self.post(
                port: port, body: Self.body(nonce: "1594297960", extra: #","nonceWindow":"yes""#))
            #expect(badWindow.text == #"{"code":0,"errors":{},"message":"Invalid nonceWindow."}"#)
            let unknownTicker = try await Self.post(
                port: port, body: Self.body(nonce: "1594297970", extra: #","ticker":"NOSUCH""#))
            #expect(unknownTicker.status == 422)
            let fixture =
                try Fixtures.load(exchange: "whitebit", name: "err_v4_private_validation.json") as? NSDictionary
            #expect((try JSONShape.parse(unknownTicker.text) as? NSDictionary) == fixture, "the fixture's exact body")
            let ticker = try await Self.post(
                port: port, body: Self.body(nonce: "1594297980", extra: #","ticker":"BTC""#))
            // With `ticker`, that currency alone, still keyed by its ticker (the official SDK's definition).
            let keyed = try #require(try JSONShape.parse(ticker.text) as? [String: Any])
            #expect(Array(keyed.keys) == ["BTC"])
            let single = try #require(keyed["BTC"] as? [String: Any])
            #expect(Set(single.keys) == ["available", "freeze"])
            #expect(
                WhiteBITNumbers.decimal(single["available"])
                    == WhiteBITNumbers.decimal((balances["BTC"] as? [String: Any])?["available"]))

            // Private endpoints are POST only.
            #expect(try await Self.post(port: port, body: Self.body(nonce: "1594297990"), method: "GET").status == 405)
        }
    }

    @Test("nonceWindow: a millisecond timestamp within 5 s of server time, each used once")
    func nonceWindow() async throws {
        try await WhiteBITHarness.with { port in
            let now = SimulatorHarness.start
            let window = #","nonceWindow":true"#
            #expect(
                try await Self.post(port: port, body: Self.body(nonce: "\(now + 4_000)", extra: window)).status == 200)
            // Out of order is fine inside the window; reuse is not.
            #expect(
                try await Self.post(port: port, body: Self.body(nonce: "\(now - 4_000)", extra: window)).status == 200)
            let reused = try await Self.post(port: port, body: Self.body(nonce: "\(now - 4_000)", extra: window))
            #expect(reused.status == 429)
            let stale = try await Self.post(port: port, body: Self.body(nonce: "\(now - 5_001)", extra: window))
            #expect(
                stale.text
                    == #"{"code":0,"errors":{},"message":"Your nonce is more than 5 seconds lesser than the current nonce"}"#
            )
        }
    }

    @Test("keys given with --api-key work, each with its own nonce sequence")
    func extraKeys() async throws {
        var options = WhiteBITHarness.options()
        options.apiKeys.append(APIKeyEntry(name: "ci", key: "CiKey1", secret: "ci-secret"))
        try await WhiteBITHarness.with(options) { port in
            #expect(
                try await Self.post(port: port, body: Self.body(nonce: "5"), apiKey: "CiKey1", secret: "ci-secret")
                    .status == 200)
            #expect(try await Self.post(port: port, body: Self.body(nonce: "5")).status == 200)
            let mixed = try await Self.post(
                port: port, body: Self.body(nonce: "6"), apiKey: "CiKey1", secret: Self.key.secret)
            #expect(mixed.status == 401)
        }
    }
}
