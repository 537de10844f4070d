import CryptodModel

/// API key checks: `GET /v5/user/query-api`, which any key may call and which lists its permissions.
extension BybitAPI {
    /// The text Bybit signs for a GET: `timestamp + apiKey + recvWindow + queryString`.
    public static func signaturePayload(timestamp: String, apiKey: String, recvWindow: Int, query: String) -> String {
        timestamp + apiKey + String(recvWindow) + query
    }

    /// Signed with `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms), `X-BAPI-RECV-WINDOW` (5000) and `X-BAPI-SIGN`
    /// (lower-case hex HMAC-SHA256 of ``signaturePayload(timestamp:apiKey:recvWindow:query:)`` with the
    /// secret). The key and the signature are marked secret so they are never logged.
    public func verifyKeyRequest(credentials: APICredentials, now: Timestamp, sign: HMACSigner) -> RESTRequest {
        var request = RESTRequest(path: "/v5/user/query-api")
        let timestamp = String(now.milliseconds)
        let payload = Self.signaturePayload(
            timestamp: timestamp, apiKey: credentials.key, recvWindow: Self.recvWindow, query: request.encodedQuery)
        request.headers = [
            RESTRequest.Header("X-BAPI-API-KEY", credentials.key, isSecret: true),
            RESTRequest.Header("X-BAPI-TIMESTAMP", timestamp),
            RESTRequest.Header("X-BAPI-RECV-WINDOW", String(Self.recvWindow)),
            RESTRequest.Header(
                "X-BAPI-SIGN", sign.hex(.sha256, key: credentials.secret, message: payload), isSecret: true),
        ]
        return request
    }

    /// Success lists the permissions as `Group:Name` (`Spot:SpotTrade`, `ContractTrade:Order`); 10003
    /// invalid key (also a key of another environment, or expired: 33004), 10004 signature, 10002 clock
    /// skew, 10010 IP not allowed, 10006 / HTTP 403 rate limited.
    ///
    /// `detail` never repeats Bybit's `origin_string[…]` (it holds the key).
    public func parseKeyVerification(status: Int, body: [UInt8]) -> KeyVerification {
        let outcome: BybitEnvelope.Outcome<(permissions: [String], readOnly: Bool)>
        do throws(ExchangeParseError) {
            outcome = try BybitEnvelope.outcome(body) { (c, _) throws(ExchangeParseError) in
                try Self.keyInfo(&c)
            }
        } catch {
            if status == 403 {
                return KeyVerification(outcome: .rateLimited, detail: "HTTP 403 (IP rate limit or region)")
            }
            if status == 401 {
                return KeyVerification(outcome: .invalidKey, detail: "HTTP 401 (missing or bad auth headers)")
            }
            return KeyVerification(outcome: .unknown, detail: "HTTP \(status), unreadable answer (\(error))")
        }
        var message = Substring(outcome.message)
        if let range = message.firstRange(of: "origin_string") { message = message[..<range.lowerBound] }
        let detail = "retCode \(outcome.code): \(message.prefix(200))"
        switch outcome.code {
        case 0:
            let info = outcome.value ?? ([], false)
            return KeyVerification(
                outcome: .valid, permissions: info.permissions,
                detail: info.readOnly ? "key valid (read-only)" : "key valid (read-write)")
        // Bybit's own messages are terse ("error sign!"): say which part was wrong, as for the other exchanges.
        case 10003, 33004, -2015:
            return KeyVerification(outcome: .invalidKey, detail: detail + " — the API key is unknown or expired")
        case 10004:
            return KeyVerification(
                outcome: .invalidSignature, detail: detail + " — the signature does not match: check the API secret")
        case 10002:
            return KeyVerification(
                outcome: .clockSkew, detail: detail + " — the request time is outside recv_window: check the clock")
        case 10010:
            return KeyVerification(outcome: .ipNotAllowed, detail: detail + " — this IP is not on the key's allow list")
        case 10006: return KeyVerification(outcome: .rateLimited, detail: detail + " — rate limited; try again later")
        default: return KeyVerification(outcome: .unknown, detail: detail)
        }
    }

    /// `permissions` (`{"Spot":["SpotTrade"], "Options":[], …}`) flattened in the answer's order, and
    /// `readOnly` (1 = read-only).
    static func keyInfo(_ c: inout JSONCursor) throws(ExchangeParseError) -> (permissions: [String], readOnly: Bool) {
        var permissions: [String] = []
        var readOnly = false
        try c.object { (key, c) throws(ExchangeParseError) in
            switch key {
            case "readOnly": readOnly = try BybitField.int64(&c, "readOnly") != 0
            case "permissions":
                try c.object { (group, c) throws(ExchangeParseError) in
                    let name = group.string
                    if c.null() { return }
                    try c.array { (c) throws(ExchangeParseError) in
                        permissions.append(name + ":" + (try BybitField.string(&c, "permission")))
                    }
                }
            default: try c.skip()
            }
        }
        return (permissions, readOnly)
    }
}
