import CryptodExchanges
import CryptodModel
import Testing

@Suite("WhiteBIT signing and key verification")
struct WhiteBITSigningTests {
    let api = WhiteBITTest.api
    let signer = HMACSigner { algorithm, key, message in
        precondition(algorithm == .sha512)
        return WhiteBITSHA512Vector.hmac(key: key, message: message)
    }

    @Test func sha512MatchesTheFIPSVector() {
        #expect(
            WhiteBITSHA512Vector.hex(WhiteBITSHA512Vector.hash(Array("abc".utf8)))
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        )
    }

    @Test(arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func base64MatchesRFC4648(input: String, expected: String) {
        #expect(WhiteBITBase64.encode(Array(input.utf8)) == expected)
    }

    @Test func base64OfBinary() {
        #expect(WhiteBITBase64.encode(Array(0..<10)) == "AAECAwQFBgcICQ==")
        #expect(WhiteBITBase64.encode([0xFF, 0xFE, 0xFD]) == "//79")
    }

    /// Vector from Python: `base64.b64encode(body)` and `hmac.new(b"wb-secret", payload, hashlib.sha512).hexdigest()`.
    @Test func signedBalanceRequest() throws {
        let now = Timestamp(milliseconds: 1_700_000_000_123)
        let request = api.verifyKeyRequest(
            credentials: APICredentials(key: "wb-key", secret: "wb-secret"), now: now, sign: signer)
        let body = #"{"request":"/api/v4/trade-account/balance","nonce":1700000000123,"nonceWindow":true}"#
        #expect(request.method == .post)
        #expect(request.path == "/api/v4/trade-account/balance")
        #expect(request.query.isEmpty)
        #expect(request.limitGroup == "v4/balance")
        #expect(request.body.map { String(decoding: $0, as: UTF8.self) } == body)
        let payload =
            "eyJyZXF1ZXN0IjoiL2FwaS92NC90cmFkZS1hY2NvdW50L2JhbGFuY2UiLCJub25jZSI6MTcwMDAwMDAwMDEyMywibm9uY2VXaW5kb3ciOnRydWV9"
        let signature =
            "6cd6fd8210cb984b2e15b7b79ee2d862dcddffa6fffc56fc4e3bff1fdaaf467f13b01acdf806686ee9b1b1afbbefd2f9e8e1da881acbf156c586859c9a497b29"
        #expect(
            request.headers == [
                .init("Content-Type", "application/json"),
                .init("X-TXC-APIKEY", "wb-key", isSecret: true),
                .init("X-TXC-PAYLOAD", payload),
                .init("X-TXC-SIGNATURE", signature, isSecret: true),
            ])
        #expect(!request.description.contains("wb-secret"))
    }

    /// The recorded request shape: `request` then `nonce`, as the first keys of the signed body.
    @Test func bodyKeysFollowTheRecordedShape() throws {
        func keys(_ bytes: [UInt8]) throws -> [String] {
            try JSONCursor.parse(bytes) { cursor throws(ExchangeParseError) in
                var names: [String] = []
                try cursor.object { key, value throws(ExchangeParseError) in
                    names.append(key.string)
                    try value.skip()
                }
                return names
            }
        }
        let recorded = try keys(WhiteBITTest.fixture("rest_v4_trade_account_balance"))
        #expect(recorded == ["request", "nonce"])
        let ours = try keys(api.balanceBody(now: Timestamp(milliseconds: 1)))
        #expect(Array(ours.prefix(2)) == recorded)
        #expect(ours == ["request", "nonce", "nonceWindow"])
    }

    private func verify(_ status: Int, _ body: String) -> KeyVerification {
        api.parseKeyVerification(status: status, body: Array(body.utf8))
    }

    @Test func keyVerificationOutcomes() {
        let valid = verify(200, #"{"BTC":{"available":"0.1","freeze":"0"},"USDT":{"available":"5","freeze":"1"}}"#)
        #expect(valid.outcome == .valid)
        #expect(valid.permissions == ["trade"])
        let unauthorized = api.parseKeyVerification(
            status: 401, body: WhiteBITTest.fixture("err_v4_private_unauthorized"))
        #expect(unauthorized.outcome == .invalidSignature)
        #expect(unauthorized.detail.contains("Unauthorized request."))
        #expect(unauthorized.detail.contains("API key is unknown or the signature"))
        let payload = verify(400, #"{"code":9,"message":"Invalid payload."}"#)
        #expect(payload.outcome == .invalidSignature)
        #expect(payload.detail.contains("X-TXC-PAYLOAD"))
        #expect(
            verify(
                400,
                #"{"code":0,"errors":{},"message":"Your nonce is more than 5 seconds lesser than the current nonce"}"#
            )
            .outcome == .clockSkew)
        #expect(verify(429, #"{"code":0,"errors":{},"message":"Too many requests."}"#).outcome == .clockSkew)
        #expect(
            verify(401, #"{"code":2,"message":"This action is unauthorized. Enable your key in API settings"}"#).outcome
                == .invalidKey)
        #expect(
            verify(403, #"{"code":4,"message":"This API Key is not authorized to perform this action."}"#).outcome
                == .invalidKey)
        let validation = api.parseKeyVerification(status: 422, body: WhiteBITTest.fixture("err_v4_private_validation"))
        #expect(validation.outcome == .unknown)
        #expect(validation.detail.contains("Currency was not found."))
        #expect(
            verify(
                503,
                #"{"response":null,"status":503,"errors":{"message":[""]},"notification":null,"warning":null,"_token":null}"#
            )
            .outcome == .unknown)
        #expect(verify(200, "[]").outcome == .unknown)
        #expect(verify(502, "<html>").outcome == .unknown)
    }
}
