import NIOCore

/// `GET /api/v3/account`: the signed (USER_DATA) endpoint used to verify keys.
extension BinanceVenue {
    /// Checks, in order: API-key header format (-2014), mandatory `timestamp`/`signature` (-1102),
    /// `recvWindow` ≤ 60000 (-1130), known key (-2015), HMAC-SHA256 of query+body (-1022), and
    /// `timestamp < serverTime + 1000 && serverTime − timestamp <= recvWindow` (-1021).
    func account(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let entry = try self.authenticate(request, now: now)
        let omitZero = request.parameter("omitZeroBalances") == "true"
        var balances: [JSONValue] = []
        for (asset, free) in self.balances(for: entry) where !(omitZero && free == 0) {
            balances.append(
                .object([
                    ("asset", .string(asset)), ("free", .decimalString(free, digits: 8)),
                    ("locked", .decimalString(0, digits: 8)),
                ]))
        }
        let uid = Int64(SimHash.fnv1a(entry.key) % 900_000_000) + 100_000_000
        return .json(
            .ok,
            .object([
                ("makerCommission", .int(10)), ("takerCommission", .int(10)),
                ("buyerCommission", .int(0)), ("sellerCommission", .int(0)),
                (
                    "commissionRates",
                    .object([
                        ("maker", .string("0.00100000")), ("taker", .string("0.00100000")),
                        ("buyer", .string("0.00000000")), ("seller", .string("0.00000000")),
                    ])
                ),
                ("canTrade", .bool(true)), ("canWithdraw", .bool(true)), ("canDeposit", .bool(true)),
                ("brokered", .bool(false)), ("requireSelfTradePrevention", .bool(false)), ("preventSor", .bool(false)),
                ("updateTime", .int(self.context.engine.spec(0).listedAt)),
                ("accountType", .string("SPOT")),
                ("balances", .array(balances)),
                ("permissions", .array([.string("SPOT")])),
                ("uid", .int(uid)),
            ]))
    }

    /// Deterministic balances: every asset of the market list, sized from the key.
    private func balances(for entry: APIKeyEntry) -> [(String, Int64)] {
        var assets: [String] = []
        for index in 0..<self.context.engine.marketCount {
            let spec = self.context.engine.spec(index)
            for asset in [spec.base, spec.quote] where !assets.contains(asset) { assets.append(asset) }
        }
        return assets.sorted().enumerated().map { position, asset in
            let h = SimHash.hash(SimHash.fnv1a(entry.key), .market, Int64(position))
            let free = h % 3 == 0 ? 0 : Int64(h % 100_000) * Units.one / 100
            return (asset, free)
        }
    }

    /// Validates a signed request and returns its key.
    func authenticate(_ request: SimRequest, now: Int64) throws(BinanceError) -> APIKeyEntry {
        guard let key = request.headers.first(name: "X-MBX-APIKEY"), !key.isEmpty, key.count <= 64,
            key.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else { throw .invalidAPIKeyFormat }
        let body = request.method == .GET ? "" : request.bodyText
        let bodyParams = SimRequest.decodeForm(body)
        func parameter(_ name: String) -> String? {
            request.parameter(name) ?? bodyParams.first { $0.name == name }?.value
        }
        guard let timestampText = parameter("timestamp"), let rawTimestamp = Int64(timestampText) else {
            throw .mandatory("timestamp")
        }
        guard let signature = parameter("signature"), !signature.isEmpty else { throw .mandatory("signature") }
        var window = 5_000.0
        if let text = parameter("recvWindow") {
            guard let value = Double(text), value > 0, value <= 60_000 else { throw .invalidValue("recvWindow") }
            window = value
        }
        guard let entry = self.apiKeys[key] else { throw .rejectedAPIKey }
        // totalParams = query string + body, each without the signature parameter, as sent.
        let payload = Self.removingSignature(request.rawQuery) + Self.removingSignature(body)
        guard Digest.equalHex(Digest.hmacSHA256Hex(key: entry.secret, message: payload), signature) else {
            throw .invalidSignature
        }
        let timestamp = rawTimestamp >= 100_000_000_000_000 ? rawTimestamp / 1_000 : rawTimestamp
        if timestamp >= now + 1_000 { throw .timestampAhead }
        if Double(now - timestamp) > window { throw .timestampOutsideWindow }
        return entry
    }

    /// `a=1&signature=…&b=2` → `a=1&b=2`.
    static func removingSignature(_ text: String) -> String {
        guard text.contains("signature=") else { return text }
        return text.split(separator: "&", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("signature=") }
            .joined(separator: "&")
    }
}
