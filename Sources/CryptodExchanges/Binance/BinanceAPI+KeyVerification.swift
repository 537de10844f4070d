import CryptodModel

extension BinanceAPI {
    /// `recvWindow` sent with signed requests: Binance's default, so a clock off by more than 5 s is
    /// reported as skew instead of passing by luck.
    public static let receiveWindowMilliseconds = 5_000

    /// `GET /api/v3/account?timestamp=…&recvWindow=5000&signature=<hex HMAC-SHA256 of the query>`, header
    /// `X-MBX-APIKEY` (weight 20). The key and signature are marked secret so they are never logged.
    public func verifyKeyRequest(credentials: APICredentials, now: Timestamp, sign: HMACSigner) -> RESTRequest {
        var request = RESTRequest(
            path: "\(Self.apiPrefix)/account",
            query: [("timestamp", String(now.milliseconds)), ("recvWindow", String(Self.receiveWindowMilliseconds))],
            weight: BinanceWeights.account,
            headers: [.init("X-MBX-APIKEY", credentials.key, isSecret: true)]
        )
        let signature = sign.hex(.sha256, key: credentials.secret, message: request.encodedQuery)
        request.query.append(("signature", signature))
        return request
    }

    /// Reads the account answer: success lists `permissions` (`SPOT`, …) plus `trade`/`withdraw`/`deposit`
    /// from `canTrade`/`canWithdraw`/`canDeposit`; errors are told apart by Binance's code.
    public func parseKeyVerification(status: Int, body: [UInt8]) -> KeyVerification {
        if let error = BinanceRead.errorBody(body) {
            return Self.classify(status: status, code: error.code, message: error.message)
        }
        if status == 429 || status == 418 {
            return KeyVerification(
                outcome: .rateLimited, detail: "HTTP \(status): request weight exhausted or IP banned")
        }
        guard (200..<300).contains(status) else { return KeyVerification(outcome: .unknown, detail: "HTTP \(status)") }
        do throws(ExchangeParseError) {
            let permissions = try Self.accountPermissions(body)
            return KeyVerification(
                outcome: .valid, permissions: permissions,
                detail: "account readable (\(permissions.joined(separator: ", ")))"
            )
        } catch {
            return KeyVerification(
                outcome: .unknown, detail: "HTTP \(status): unreadable account answer (\(error.kind.rawValue))")
        }
    }

    /// Binance's auth codes (errors.md): -2014/-2015 the key (or its IP whitelist), -1022 the signature
    /// (the secret), -1021 the clock, -1003 the rate limit.
    static func classify(status: Int, code: Int64, message: String) -> KeyVerification {
        let said = "HTTP \(status), Binance code \(code): \(message)"
        switch code {
        case -2014: return KeyVerification(outcome: .invalidKey, detail: "\(said) — the API key is malformed")
        case -2015:
            return KeyVerification(
                outcome: .invalidKey,
                detail:
                    "\(said) — the key is unknown, not allowed from this IP, or lacks the permission; Binance does not say which"
            )
        case -1022:
            return KeyVerification(outcome: .invalidSignature, detail: "\(said) — the secret does not match the key")
        case -1021:
            return KeyVerification(
                outcome: .clockSkew, detail: "\(said) — the clock differs from Binance's by more than recvWindow")
        case -1003: return KeyVerification(outcome: .rateLimited, detail: said)
        default: return KeyVerification(outcome: .unknown, detail: said)
        }
    }

    static func accountPermissions(_ body: [UInt8]) throws(ExchangeParseError) -> [String] {
        var permissions: [String] = []
        var flags: [String] = []
        var sawAccount = false
        try JSONCursor.parse(body) { (c) throws(ExchangeParseError) in
            try c.object { (key, c) throws(ExchangeParseError) in
                switch key {
                case "permissions":
                    sawAccount = true
                    try c.array { (c) throws(ExchangeParseError) in
                        permissions.append(try c.string(field: "permissions"))
                    }
                case "canTrade":
                    sawAccount = true
                    if try c.bool(field: "canTrade") { flags.append("trade") }
                case "canWithdraw": if try c.bool(field: "canWithdraw") { flags.append("withdraw") }
                case "canDeposit": if try c.bool(field: "canDeposit") { flags.append("deposit") }
                default: try c.skip()
                }
            }
            try c.finish()
        }
        guard sawAccount else { throw .missing("permissions", in: "account") }
        return permissions + flags.sorted { Self.flagOrder($0) < Self.flagOrder($1) }
    }

    private static func flagOrder(_ flag: String) -> Int { ["trade", "withdraw", "deposit"].firstIndex(of: flag) ?? 3 }
}
