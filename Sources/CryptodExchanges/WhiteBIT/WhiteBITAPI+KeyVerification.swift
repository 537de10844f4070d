import CryptodModel

extension WhiteBITAPI {
    static let balancePath = "/api/v4/trade-account/balance"

    /// The signed body for `now`: `{"request":…,"nonce":<ms>,"nonceWindow":true}`, compact, in this order.
    /// `nonceWindow` makes the nonce a millisecond time within ±5 s of the server's instead of a counter
    /// that must grow across every process sharing the key.
    package func balanceBody(now: Timestamp) -> [UInt8] {
        Array(#"{"request":"\#(Self.balancePath)","nonce":\#(now.milliseconds),"nonceWindow":true}"#.utf8)
    }

    /// `POST /api/v4/trade-account/balance`: `X-TXC-PAYLOAD` is base64 of the exact body, `X-TXC-SIGNATURE`
    /// hex HMAC-SHA512 of that base64 text (not of the JSON) with the secret.
    public func verifyKeyRequest(credentials: APICredentials, now: Timestamp, sign: HMACSigner) -> RESTRequest {
        let body = balanceBody(now: now)
        let payload = WhiteBITBase64.encode(body)
        let signature = sign.hex(.sha512, key: credentials.secret, message: payload)
        return RESTRequest(
            method: .post, path: Self.balancePath, limitGroup: LimitGroup.balance,
            headers: [
                .init("Content-Type", "application/json"),
                .init("X-TXC-APIKEY", credentials.key, isSecret: true),
                .init("X-TXC-PAYLOAD", payload),
                .init("X-TXC-SIGNATURE", signature, isSecret: true),
            ],
            body: body
        )
    }

    /// Reads the balance answer. Success (an object keyed by currency) means the key may use the trade
    /// account: permission `trade`. Errors are told apart by code and message (WhiteBIT's auth table).
    public func parseKeyVerification(status: Int, body: [UInt8]) -> KeyVerification {
        let error = WhiteBITRead.errorBody(body)
        if (200..<300).contains(status), error == nil {
            let isObject =
                (try? JSONCursor.parse(body) { cursor throws(ExchangeParseError) -> Bool in
                    guard try cursor.peek() == .object else { return false }
                    try cursor.skip()
                    try cursor.finish()
                    return true
                }) ?? false
            guard isObject else {
                return KeyVerification(outcome: .unknown, detail: "HTTP \(status): unreadable balance answer")
            }
            return KeyVerification(outcome: .valid, permissions: ["trade"], detail: "trade-account balance readable")
        }
        guard let error else {
            return KeyVerification(outcome: status == 429 ? .rateLimited : .unknown, detail: "HTTP \(status)")
        }
        return Self.classify(status: status, words: error.detail)
    }

    /// Maps WhiteBIT's auth errors (`code N: message`) to an outcome that says what to fix.
    static func classify(status: Int, words: String) -> KeyVerification {
        let text = words.lowercased()
        let said = "HTTP \(status), WhiteBIT: \(words)"
        if text.hasPrefix("code 10:") || text.contains("unauthorized request") {
            return KeyVerification(
                outcome: .invalidSignature,
                detail:
                    "\(said) — the API key is unknown or the signature (secret) is wrong; WhiteBIT does not say which"
            )
        }
        if text.hasPrefix("code 9:") || text.contains("invalid payload") {
            return KeyVerification(
                outcome: .invalidSignature, detail: "\(said) — X-TXC-PAYLOAD did not match the body that was sent"
            )
        }
        if text.contains("more than 5 seconds") || text.contains("too many requests") {
            return KeyVerification(
                outcome: .clockSkew,
                detail:
                    "\(said) — the nonce was refused: the clock is more than 5 s off the exchange's, or the nonce was reused"
            )
        }
        if text.contains("enable your key") {
            return KeyVerification(outcome: .invalidKey, detail: "\(said) — the key is disabled")
        }
        if text.contains("not authorized to perform") || text.contains("permission") {
            return KeyVerification(outcome: .invalidKey, detail: "\(said) — the key may not read the trade balance")
        }
        if text.contains("ip address") || text.contains("whitelist") || text.contains(" ip ") {
            return KeyVerification(outcome: .ipNotAllowed, detail: said)
        }
        return KeyVerification(outcome: status == 429 ? .rateLimited : .unknown, detail: said)
    }
}
