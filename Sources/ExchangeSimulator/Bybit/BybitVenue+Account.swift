import NIOCore

/// The signed endpoints: `GET /v5/user/query-api` and `GET /v5/account/wallet-balance`.
///
/// Signing (bybit.md §2.6): headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP`, `X-BAPI-SIGN`, optional
/// `X-BAPI-RECV-WINDOW` (default 5000); the signature is lowercase hex HMAC-SHA256 of
/// `timestamp + apiKey + recvWindow + queryString`, with the header texts and the query exactly as
/// sent. Checks, in order: known key (10003), `server_time − recv_window <= timestamp <
/// server_time + 1000` (10002), signature (10004), then the per-UID limit (10006). All answers are
/// HTTP 200.
extension BybitVenue {
    /// A signed request that passed: its key, user id and the rate-limit headers to send back.
    struct Authorized {
        var entry: APIKeyEntry
        var uid: Int64
        var headers: [(String, String)]
    }

    /// A valid signature, within or over its per-UID limit.
    enum Authorization {
        case authorized(Authorized)
        case limited(headers: [(String, String)])
    }

    /// A deterministic 8-digit user id per API key.
    static func uid(of key: String) -> Int64 { Int64(SimHash.fnv1a(key) % 90_000_000) + 10_000_000 }

    /// Checks key, timestamp and signature (throwing their errors), then books the call per UID.
    func authorize(
        _ request: SimRequest, now: Int64, endpoint: String, limit: Int64
    ) throws(BybitError) -> Authorization {
        guard let key = request.headers.first(name: "X-BAPI-API-KEY"), let entry = self.apiKeys[key] else {
            throw .apiKeyInvalid
        }
        let timestampText = request.headers.first(name: "X-BAPI-TIMESTAMP") ?? ""
        let recvText = request.headers.first(name: "X-BAPI-RECV-WINDOW")
        let window = recvText.flatMap { Int64($0) } ?? 5_000
        guard let timestamp = Int64(timestampText), recvText == nil || Int64(recvText!) != nil,
            now - window <= timestamp, timestamp < now + 1_000
        else { throw .timestamp(request: timestampText, server: now, recvWindow: recvText ?? "5000") }
        let origin = timestampText + key + (recvText ?? "") + request.rawQuery
        let expected = Digest.hmacSHA256Hex(key: entry.secret, message: origin)
        guard Self.constantTimeEqual(expected, request.headers.first(name: "X-BAPI-SIGN") ?? "") else {
            throw .sign(origin: origin)
        }
        let uid = Self.uid(of: key)
        let decision = self.limiter.admit(uid: uid, endpoint: endpoint, limit: limit, now: now)
        guard decision.allowed else { return .limited(headers: decision.headers) }
        return .authorized(Authorized(entry: entry, uid: uid, headers: decision.headers))
    }

    /// Byte comparison that does not stop at the first difference (signatures are secrets' images).
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }

    /// Runs a signed handler, turning a per-UID refusal into 10006 with its headers.
    func signed(
        _ request: SimRequest, now: Int64, endpoint: String, limit: Int64,
        _ body: (Authorized) throws(BybitError) -> SimResponse
    ) throws(BybitError) -> SimResponse {
        let authorized: Authorized
        switch try self.authorize(request, now: now, endpoint: endpoint, limit: limit) {
        case .limited(let headers): return BybitEnvelope.error(.tooManyVisits, time: now, headers: headers)
        case .authorized(let value): authorized = value
        }
        var response = try body(authorized)
        response.headers += authorized.headers
        return response
    }

    func queryAPI(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        try self.signed(request, now: now, endpoint: "/v5/user/query-api", limit: self.limiter.limits.queryAPIPerSecond)
        { auth in
            func list(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
            let permissions: JSONValue = .object([
                ("ContractTrade", list(["Order", "Position"])), ("Spot", list(["SpotTrade"])),
                ("Wallet", list(["AccountTransfer", "SubMemberTransfer"])), ("Options", list(["OptionsTrade"])),
                ("Derivatives", list(["DerivativesTrade"])), ("CopyTrading", list([])), ("BlockTrade", list([])),
                ("Exchange", list(["ExchangeHistory"])), ("NFT", list([])), ("Affiliate", list([])), ("Earn", list([])),
                ("FiatP2P", list([])), ("FiatConvertBroker", list([])), ("FiatGlobalPay", list([])),
                ("FiatBitPay", list([])),
                ("BitCard", list([])), ("ByXPost", list([])),
            ])
            let result: JSONValue = .object([
                ("id", .string(String(auth.uid / 7))), ("note", .string(auth.entry.name)),
                ("apiKey", .string(auth.entry.key)),
                ("readOnly", .int(0)), ("secret", .string("")), ("permissions", permissions), ("ips", list(["*"])),
                ("type", .int(1)), ("deadlineDay", .int(-1)), ("expiredAt", .string("1970-01-01T00:00:00Z")),
                ("createdAt", .string("2025-01-01T00:00:00Z")), ("unified", .int(0)), ("uta", .int(1)),
                ("userID", .int(auth.uid)), ("inviterID", .int(0)), ("vipLevel", .string("No VIP")),
                ("mktMakerLevel", .string("0")), ("affiliateID", .int(0)), ("rsaPublicKey", .string("")),
                ("isMaster", .bool(true)), ("parentUid", .string("0")), ("kycLevel", .string("LEVEL_1")),
                ("kycRegion", .string("")), ("userIDInt64", .string(String(auth.uid))),
                ("inviterIDInt64", .string("0")),
                ("affiliateIDInt64", .string("0")),
            ])
            return BybitEnvelope.ok(result, message: "", time: now)
        }
    }

    /// `accountType=UNIFIED` (the only type a unified account has), optional `coin=BTC,USDT`.
    func walletBalance(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let limit = self.limiter.limits.walletBalancePerSecond
        return try self.signed(request, now: now, endpoint: "/v5/account/wallet-balance", limit: limit) {
            auth throws(BybitError) in
            guard request.parameter("accountType") == "UNIFIED" else { throw .invalid("accountType") }
            let wanted = request.parameter("coin").map { Set($0.split(separator: ",").map(String.init)) }
            var coins: [JSONValue] = []
            var total: Int128 = 0
            for (coin, balance) in self.balances(for: auth.entry)
            where wanted.map({ $0.contains(coin) }) ?? (balance > 0) {
                let usd = Int128(balance) * Int128(self.usdPrice(of: coin, now: now))
                total += usd
                let amount = BybitFormat.trimmed(Int128(balance), scale: 8, maxDigits: 8)
                coins.append(
                    .object([
                        ("availableToBorrow", .string("")), ("bonus", .string("0")), ("accruedInterest", .string("0")),
                        ("availableToWithdraw", .string("")), ("totalOrderIM", .string("0")),
                        ("equity", .string(amount)),
                        ("totalPositionMM", .string("0")),
                        ("usdValue", .string(BybitFormat.trimmed(usd, scale: 16, maxDigits: 8))),
                        ("spotHedgingQty", .string("0")), ("unrealisedPnl", .string("0")),
                        ("collateralSwitch", .bool(true)),
                        ("borrowAmount", .string("0")), ("totalPositionIM", .string("0")),
                        ("walletBalance", .string(amount)),
                        ("cumRealisedPnl", .string("0")), ("locked", .string("0")), ("marginCollateral", .bool(true)),
                        ("coin", .string(coin)), ("spotBorrow", .string("0")),
                    ]))
            }
            let equity = JSONValue.string(BybitFormat.trimmed(total, scale: 16, maxDigits: 8))
            let zero = JSONValue.string("0")
            let account: JSONValue = .object([
                ("totalEquity", equity), ("accountIMRate", zero), ("accountIMRateByMp", zero),
                ("totalMarginBalance", equity),
                ("totalInitialMargin", zero), ("totalInitialMarginByMp", zero), ("accountType", .string("UNIFIED")),
                ("totalAvailableBalance", equity), ("accountMMRate", zero), ("accountMMRateByMp", zero),
                ("totalPerpUPL", zero), ("totalWalletBalance", equity), ("accountLTV", zero),
                ("totalMaintenanceMargin", zero), ("totalMaintenanceMarginByMp", zero), ("coin", .array(coins)),
            ])
            return BybitEnvelope.ok(.object([("list", .array([account]))]), time: now)
        }
    }

    /// Deterministic balances per key: every asset of the market list, a third of them empty.
    private func balances(for entry: APIKeyEntry) -> [(String, Int64)] {
        var assets: [String] = []
        for index in 0..<self.context.engine.marketCount {
            let spec = self.context.engine.spec(index)
            for asset in [spec.base, spec.quote] where !assets.contains(asset) { assets.append(asset) }
        }
        return assets.sorted().enumerated().map { position, asset in
            let h = SimHash.hash(SimHash.fnv1a("bybit " + entry.key), .market, Int64(position))
            return (asset, h % 3 == 0 ? 0 : Int64(h % 100_000) * Units.one / 100)
        }
    }

    /// USD value of one unit of `coin` (units): 1 for dollar coins, else the last `<coin>USDT` price.
    private func usdPrice(of coin: String, now: Int64) -> Int64 {
        if ["USDT", "USDC"].contains(coin) { return Units.one }
        guard let market = self.markets.market(.spot, symbol: coin + "USDT") else { return 0 }
        return self.context.engine.history.lastTrade(market: market, atOrBefore: now)?.price ?? 0
    }
}
