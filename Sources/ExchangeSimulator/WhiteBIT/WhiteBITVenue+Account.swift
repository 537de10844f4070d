import Foundation
import NIOCore

/// `POST /api/v4/trade-account/balance`: the signed endpoint used to verify keys (whitebit.md §2.6).
extension WhiteBITVenue {
    /// Checks, in order: known `X-TXC-APIKEY` (else `{"code":10,"message":"Unauthorized request."}`,
    /// 401); `X-TXC-PAYLOAD` is the base64 of the exact body bytes (else `{"code":9,"message":
    /// "Invalid payload."}`, 400); `X-TXC-SIGNATURE` = hex HMAC-SHA512(secret, payload), any case
    /// (else code 10, 401); the body is a JSON object whose `request` is this path; `nonce` present;
    /// `nonceWindow` boolean if present; then the nonce rule (not above the previous one, or reused
    /// in window mode: `{"code":0,"errors":{},"message":"Too many requests."}`, 429).
    func authenticate(_ request: SimRequest, now: Int64) throws(WhiteBITError) -> (key: APIKeyEntry, body: JSONValue) {
        guard let key = request.headers.first(name: "X-TXC-APIKEY"), let entry = self.apiKeys[key] else {
            throw .unauthorized
        }
        let bodyBytes = request.body.getBytes(at: request.body.readerIndex, length: request.body.readableBytes) ?? []
        guard let payload = request.headers.first(name: "X-TXC-PAYLOAD"), let decoded = Data(base64Encoded: payload),
            Array(decoded) == bodyBytes
        else { throw .invalidPayload }
        guard let signature = request.headers.first(name: "X-TXC-SIGNATURE"),
            Digest.equalHex(Digest.hmacSHA512Hex(key: entry.secret, message: payload), signature)
        else { throw .unauthorized }
        guard let body = JSONValue.parse(request.body), case .object = body else { throw .invalidPayload }
        guard let path = body["request"]?.stringValue else { throw .requestMissing }
        guard path == request.path else { throw .invalidPayload }
        guard let nonce = body["nonce"].flatMap(Self.nonceValue) else { throw .nonceMissing }
        var windowed = false
        if let flag = body["nonceWindow"] {
            guard let value = flag.boolValue else { throw .invalidNonceWindow }
            windowed = value
        }
        try self.useNonce(nonce, windowed: windowed, key: entry.key, now: now)
        return (entry, body)
    }

    /// A nonce sent as a JSON number or as a string of digits (ccxt and the docs send strings).
    static func nonceValue(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let text), .string(let text): return Int64(text)
        default: return nil
        }
    }

    /// Strictly increasing nonces per key; in `nonceWindow` mode a ms timestamp within ±5 s of the
    /// (simulated) server time, each used once.
    private func useNonce(_ nonce: Int64, windowed: Bool, key: String, now: Int64) throws(WhiteBITError) {
        let window = self.context.options.limit("whitebit.nonce_window_ms", default: 5_000)
        let outcome: WhiteBITError? = self.nonces.withLock { nonces in
            var state = nonces[key] ?? NonceState()
            defer { nonces[key] = state }
            if windowed {
                guard abs(nonce - now) <= window else { return .nonceOutsideWindow }
                state.windowed = state.windowed.filter { abs($0 - now) <= window }
                guard state.windowed.insert(nonce).inserted else { return .tooManyRequests }
                return nil
            }
            guard nonce > state.last else { return .tooManyRequests }
            state.last = nonce
            return nil
        }
        if let outcome { throw outcome }
    }

    /// The balances: every currency with a non-zero balance; with `ticker`, that currency alone, still
    /// keyed by its ticker (`{"BTC":{"available","freeze"}}`), as the official SDK's API definition
    /// describes and types the answer.
    func balance(_ request: SimRequest, now: Int64) throws(WhiteBITError) -> SimResponse {
        let (entry, body) = try self.authenticate(request, now: now)
        let balances = self.balances(for: entry)
        if let ticker = body["ticker"], !ticker.isNull {
            guard let name = ticker.stringValue else { throw .validation("ticker", "Ticker field should be a string.") }
            guard let balance = balances.first(where: { $0.asset == name }) else {
                throw .validation("ticker", "Currency was not found.")
            }
            return Self.json(.object([(balance.asset, Self.balanceObject(balance))]))
        }
        let held = balances.filter { $0.available != 0 || $0.freeze != 0 }
        return Self.json(.object(held.map { ($0.asset, Self.balanceObject($0)) }))
    }

    private static func balanceObject(_ balance: (asset: String, available: Int64, freeze: Int64)) -> JSONValue {
        .object([
            ("available", .string(WhiteBITRender.string(balance.available, digits: 8))),
            ("freeze", .string(WhiteBITRender.string(balance.freeze, digits: 8))),
        ])
    }

    /// Deterministic balances: every currency of the market list, sized from the key.
    private func balances(for entry: APIKeyEntry) -> [(asset: String, available: Int64, freeze: Int64)] {
        var assets: [String] = []
        for index in 0..<self.context.engine.marketCount {
            let spec = self.spec(index)
            for asset in [spec.base, spec.quote] where !assets.contains(asset) { assets.append(asset) }
        }
        let seed = SimHash.fnv1a("whitebit:" + entry.key)
        return assets.sorted().enumerated().map { position, asset in
            let h = SimHash.hash(seed, .market, Int64(position))
            let available = h % 3 == 0 ? 0 : Int64(h % 1_000_000) * Units.one / 1_000
            let freeze = (h >> 20) % 4 == 0 ? Int64((h >> 24) % 10_000) * Units.one / 1_000 : 0
            return (asset, available, freeze)
        }
    }
}
