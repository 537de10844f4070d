import NIOCore

/// Currencies (`/api/v4/public/assets`, `/api/v4/public/fee`), the ±2 % depth, and the collateral and
/// futures market lists: the public v4 endpoints clients call while loading markets (ccxt's
/// `fetchCurrencies`, the official SDK's `public_api_v4`).
extension WhiteBITVenue {
    /// One currency of the market list, with the simulator's deterministic deposit/withdraw terms.
    struct Asset: Sendable {
        var ticker: String
        var name: String
        /// Fraction digits: the finest grid the currency is traded (lot, as stock) or priced (tick, as money) on.
        var precision: Int
        var networks: [String]
        /// Smallest withdrawal and the fixed withdrawal fee, decimal strings.
        var minWithdraw: String
        var withdrawFee: String
    }

    /// Full names of the built-in currencies (others are named by their ticker).
    static let assetNames: [String: String] = [
        "BTC": "Bitcoin", "ETH": "Ethereum", "USDT": "Tether US", "USDC": "USD Coin", "BNB": "BNB", "SOL": "Solana",
        "XRP": "XRP", "DOGE": "Dogecoin", "ADA": "Cardano", "LTC": "Litecoin", "TRX": "TRON",
    ]

    /// Every currency of the market list, sorted by ticker.
    func assets() -> [Asset] {
        var precision: [String: Int] = [:]
        for market in 0..<self.context.engine.marketCount {
            let spec = self.spec(market)
            precision[spec.base] = max(precision[spec.base] ?? 0, spec.quantityDigits)
            precision[spec.quote] = max(precision[spec.quote] ?? 0, spec.priceDigits)
        }
        return precision.keys.sorted().map { ticker in
            // Withdrawal minimum: the market list's order minimum for the currency (`minTotal` rule);
            // the fixed fee a tenth of it. Stablecoins travel on two token networks, coins on their own.
            let minimum = Self.minTotal(quote: ticker)
            let fee: String
            switch minimum {
            case "5": fee = "0.5"
            case "0.0001": fee = "0.00001"
            case "0.001": fee = "0.0001"
            default: fee = "0.1"
            }
            let networks = ["USDT", "USDC"].contains(ticker) ? ["ERC20", "TRC20"] : [ticker]
            return Asset(
                ticker: ticker, name: Self.assetNames[ticker] ?? ticker, precision: precision[ticker] ?? 8,
                networks: networks, minWithdraw: minimum, withdrawFee: fee)
        }
    }

    /// `GET /api/v4/public/assets`: object keyed by ticker (whitebit.md §2; api-docs "Asset status list").
    /// Fees are percentages (`"0.1"` = 0.1 %), as in `/api/v4/public/markets`.
    func assetList() -> SimResponse {
        let items: [(String, JSONValue)] = self.assets().map { asset in
            let networks = JSONValue.array(asset.networks.map { .string($0) })
            func limits(_ minimum: String) -> JSONValue {
                .object(asset.networks.map { ($0, JSONValue.object([("min", .string(minimum))])) })
            }
            return (
                asset.ticker,
                .object([
                    ("name", .string(asset.name)),
                    ("unified_cryptoasset_id", .int(Int64(Self.coinMarketCapIds[asset.ticker] ?? 0))),
                    ("can_withdraw", .bool(true)), ("can_deposit", .bool(true)),
                    ("min_withdraw", .string(asset.minWithdraw)), ("max_withdraw", .string("0")),
                    ("maker_fee", .string("0.1")), ("taker_fee", .string("0.1")),
                    ("min_deposit", .string("0")), ("max_deposit", .string("0")),
                    ("currency_precision", .int(Int64(asset.precision))),
                    ("is_memo", .bool(false)),
                    ("memo", .object([("deposit", .bool(false)), ("withdraw", .bool(false))])),
                    (
                        "networks",
                        .object([
                            ("deposits", networks), ("withdraws", networks), ("default", .string(asset.networks[0])),
                        ])
                    ),
                    ("limits", .object([("deposit", limits("0")), ("withdraw", limits(asset.minWithdraw))])),
                    ("confirmations", .object(asset.networks.map { ($0, JSONValue.int($0 == "BTC" ? 2 : 20)) })),
                ])
            )
        }
        return Self.json(.object(items))
    }

    /// `GET /api/v4/public/fee`: deposit and withdrawal terms per currency; a currency on several
    /// networks has one entry per network, keyed `"USDT (ERC20)"` as in the documentation.
    func feeList() -> SimResponse {
        var items: [(String, JSONValue)] = []
        for asset in self.assets() {
            for network in asset.networks {
                let key = asset.networks.count > 1 ? "\(asset.ticker) (\(network))" : asset.ticker
                items.append(
                    (
                        key,
                        .object([
                            ("ticker", .string(asset.ticker)), ("name", .string(asset.name)), ("providers", .array([])),
                            (
                                "deposit",
                                .object([
                                    ("min_amount", .string("0")), ("max_amount", .string("0")), ("fixed", .null),
                                    ("flex", .null),
                                ])
                            ),
                            (
                                "withdraw",
                                .object([
                                    ("min_amount", .string(asset.minWithdraw)), ("max_amount", .string("0")),
                                    ("fixed", .string(asset.withdrawFee)), ("flex", .null),
                                ])
                            ),
                            ("is_depositable", .bool(true)), ("is_withdrawal", .bool(true)),
                            ("is_api_withdrawal", .bool(true)), ("is_api_depositable", .bool(true)),
                        ])
                    ))
            }
        }
        return Self.json(.object(items))
    }

    /// `GET /api/v4/public/orderbook/depth/{market}`: every level within ±2 % of the last price
    /// (bids at or above 98 %, asks at or below 102 %), as of the current whole second (cached 1 s).
    func depthWithinTwoPercent(symbol: String, now: Int64) throws(WhiteBITError) -> SimResponse {
        let market = try self.market(named: symbol)
        let spec = self.spec(market)
        let asOf = Self.cacheTime(now)
        let last = Int128(self.context.engine.history.lastTrade(market: market, atOrBefore: asOf)?.price ?? 0)
        let book = self.context.engine.snapshot(market: market, limit: Int.max)
        let bids = book.bids.filter { Int128($0.price) * 100 >= last * 98 }
        let asks = book.asks.filter { Int128($0.price) * 100 <= last * 102 }
        var w = JSONWriter(capacity: 96 + (bids.count + asks.count) * 40)
        w.raw("{\"ticker_id\":\""); w.rawString(self.symbols[market])
        w.raw("\",\"timestamp\":"); WhiteBITRender.wholeSeconds(&w, asOf)
        w.raw(",\"asks\":")
        WhiteBITRender.levels(&w, asks, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        w.raw(",\"bids\":")
        WhiteBITRender.levels(&w, bids, priceDigits: spec.priceDigits, amountDigits: spec.quantityDigits)
        w.raw("}")
        return Self.json(.ok, w.buffer)
    }

    /// `GET /api/v4/public/collateral/markets`: the markets with `isCollateral`, in the envelope the
    /// official SDKs parse (`{"success":true,"message":null,"result":[…]}`; the documentation's
    /// example shows a bare array).
    func collateralMarkets() -> SimResponse {
        let names = (0..<self.context.engine.marketCount)
            .filter { Self.isCollateral(self.spec($0)) }
            .map { JSONValue.string(self.symbols[$0]) }
        return Self.json(.object([("success", .bool(true)), ("message", .null), ("result", .array(names))]))
    }

    /// `GET /api/v4/public/futures`: the simulator lists no futures markets.
    func futuresMarkets() -> SimResponse {
        Self.json(.object([("success", .bool(true)), ("message", .null), ("result", .array([]))]))
    }

    /// Margin trading (a simulator choice): USDT-quoted markets.
    static func isCollateral(_ spec: MarketSpec) -> Bool { spec.quote == "USDT" }
}
