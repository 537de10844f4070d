import NIOCore

/// Market metadata, books and tickers.
extension BinanceVenue {
    func exchangeInfo(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let selection = try self.selectedMarkets(request)
        var markets = selection?.markets ?? Array(0..<self.context.engine.marketCount)
        if let status = request.parameter("symbolStatus") {
            guard selection == nil else { throw .badCombination }
            guard ["TRADING", "HALT", "BREAK"].contains(status) else { throw .invalidValue("symbolStatus") }
            markets = markets.filter { self.context.engine.spec($0).status.rawValue == status }
        }
        let showPermissionSets = request.parameter("showPermissionSets") != "false"
        let limits = self.limiter.limits
        func limit(_ type: String, _ interval: String, _ number: Int, _ value: Int64) -> JSONValue {
            .object([
                ("rateLimitType", .string(type)), ("interval", .string(interval)), ("intervalNum", .int(number)),
                ("limit", .int(value)),
            ])
        }
        let symbols: [JSONValue] = markets.map { self.symbolInfo($0, showPermissionSets: showPermissionSets) }
        let btcMarkets = markets.filter { self.context.engine.spec($0).base == "BTC" }.map {
            JSONValue.string(self.symbols[$0])
        }
        let body: JSONValue = .object([
            ("timezone", .string("UTC")),
            ("serverTime", .int(now)),
            (
                "rateLimits",
                .array([
                    limit("REQUEST_WEIGHT", "MINUTE", 1, limits.weightPerMinute),
                    limit("ORDERS", "SECOND", 10, 50),
                    limit("ORDERS", "DAY", 1, 160_000),
                    limit("RAW_REQUESTS", "MINUTE", 5, limits.rawRequestsPer5m),
                ])
            ),
            ("exchangeFilters", .array([])),
            ("symbols", .array(symbols)),
            (
                "sors",
                .array(
                    btcMarkets.isEmpty
                        ? [] : [.object([("baseAsset", .string("BTC")), ("symbols", .array(btcMarkets))])])
            ),
        ])
        return .json(.ok, body)
    }

    private func symbolInfo(_ market: Int, showPermissionSets: Bool) -> JSONValue {
        let spec = self.context.engine.spec(market)
        func decimal(_ units: Int64) -> JSONValue { .decimalString(units, digits: 8) }
        let orderTypes = [
            "LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT",
        ]
        return .object([
            ("symbol", .string(self.symbols[market])),
            ("status", .string(spec.status.rawValue)),
            ("baseAsset", .string(spec.base)),
            ("baseAssetPrecision", .int(8)),
            ("quoteAsset", .string(spec.quote)),
            ("quotePrecision", .int(8)),
            ("quoteAssetPrecision", .int(8)),
            ("baseCommissionPrecision", .int(8)),
            ("quoteCommissionPrecision", .int(8)),
            ("orderTypes", .array(orderTypes.map { .string($0) })),
            ("icebergAllowed", .bool(true)),
            ("ocoAllowed", .bool(true)),
            ("otoAllowed", .bool(true)),
            ("opoAllowed", .bool(true)),
            ("quoteOrderQtyMarketAllowed", .bool(true)),
            ("allowTrailingStop", .bool(true)),
            ("cancelReplaceAllowed", .bool(true)),
            ("amendAllowed", .bool(true)),
            ("pegInstructionsAllowed", .bool(true)),
            ("isSpotTradingAllowed", .bool(true)),
            ("isMarginTradingAllowed", .bool(spec.quote == "USDT" || spec.quote == "BTC")),
            (
                "filters",
                .array([
                    .object([
                        ("filterType", .string("PRICE_FILTER")), ("minPrice", decimal(spec.minPrice)),
                        ("maxPrice", decimal(spec.maxPrice)), ("tickSize", decimal(spec.tickSize)),
                    ]),
                    .object([
                        ("filterType", .string("LOT_SIZE")), ("minQty", decimal(spec.minQuantity)),
                        ("maxQty", decimal(spec.maxQuantity)), ("stepSize", decimal(spec.lotSize)),
                    ]),
                    .object([
                        ("filterType", .string("MARKET_LOT_SIZE")), ("minQty", decimal(0)),
                        ("maxQty", decimal(spec.maxQuantity / 10 - spec.maxQuantity / 10 % spec.lotSize)),
                        ("stepSize", decimal(0)),
                    ]),
                ])
            ),
            ("permissions", .array([])),
            (
                "permissionSets",
                .array(
                    showPermissionSets ? [.array([.string("SPOT"), .string("MARGIN"), .string("TRD_GRP_004")])] : [])
            ),
            ("defaultSelfTradePreventionMode", .string("EXPIRE_MAKER")),
            (
                "allowedSelfTradePreventionModes",
                .array(["NONE", "EXPIRE_TAKER", "EXPIRE_MAKER", "EXPIRE_BOTH", "DECREMENT"].map { .string($0) })
            ),
        ])
    }

    func depth(_ request: SimRequest) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        let limit = try self.integer(request, "limit", default: 100, range: 1...5_000)
        let book = self.context.engine.snapshot(market: market, limit: limit)
        var writer = JSONWriter(capacity: 64 + limit * 48)
        BinanceRender.book(&writer, lastUpdateId: book.updateId, bids: book.bids, asks: book.asks)
        return .json(.ok, writer.buffer)
    }

    /// Rolling 24 h statistics ending at `now` for several markets (one lock for the books).
    func rolling(_ markets: [Int], now: Int64) -> [BinanceRender.Rolling] {
        self.statistics(markets, openTime: now - 86_400_000, closeTime: now, now: now)
    }

    /// Statistics of the trades in `[openTime, now]` (`closeTime` is what the answer reports).
    func statistics(_ markets: [Int], openTime: Int64, closeTime: Int64, now: Int64) -> [BinanceRender.Rolling] {
        let touches = self.context.engine.touches(markets: markets)
        let history = self.context.engine.history
        return markets.enumerated().map { position, market in
            let summary = history.summary(market: market, from: openTime, to: now + 1)
            let previous =
                summary.isEmpty
                ? 0 : (history.lastTrade(market: market, atOrBefore: openTime - 1, maxDays: 7)?.price ?? 0)
            return BinanceRender.Rolling(
                symbol: self.symbols[market], summary: summary, openTime: openTime, closeTime: closeTime,
                previousClose: previous, bid: touches[position].bid, ask: touches[position].ask)
        }
    }

    /// `type` of the ticker endpoints: FULL (default) or MINI.
    func tickerType(_ request: SimRequest) throws(BinanceError) -> Bool {
        switch request.parameter("type") ?? "FULL" {
        case "FULL": return true
        case "MINI": return false
        default: throw .invalidValue("type")
        }
    }

    /// `symbol` or `symbols` (at most 100), one of them mandatory (rolling-window and trading-day tickers).
    func requiredSelection(_ request: SimRequest) throws(BinanceError) -> (markets: [Int], single: Bool) {
        guard let selection = try self.selectedMarkets(request) else {
            throw BinanceError(
                status: .badRequest, code: -1102,
                message: "Param 'symbol' or 'symbols' must be sent, but both were empty/null!")
        }
        if selection.markets.count > 100 {
            throw BinanceError(
                status: .badRequest, code: -1101,
                message: "Too many parameters; expected '100' and received '\(selection.markets.count)'.")
        }
        return selection
    }

    /// `windowSize`: `1m`…`59m`, `1h`…`23h`, `1d`…`7d` (default `1d`), in ms.
    static func windowSize(_ text: String?) -> Int64? {
        guard let text else { return 86_400_000 }
        guard let unit = text.last, let count = Int64(text.dropLast()), count >= 1, text.first != "+" else {
            return nil
        }
        switch unit {
        case "m" where count <= 59: return count * 60_000
        case "h" where count <= 23: return count * 3_600_000
        case "d" where count <= 7: return count * 86_400_000
        default: return nil
        }
    }

    /// `GET /api/v3/ticker`: statistics from the minute that starts the window (`now − windowSize`,
    /// floored to a minute) to now.
    func windowTicker(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let full = try self.tickerType(request)
        let selection = try self.requiredSelection(request)
        guard let window = Self.windowSize(request.parameter("windowSize")) else { throw .invalidValue("windowSize") }
        let openTime = DetMath.floorDiv(now - window, 60_000) * 60_000
        let stats = self.statistics(selection.markets, openTime: openTime, closeTime: now, now: now)
        return self.windowTickers(stats, single: selection.single, full: full)
    }

    /// `GET /api/v3/ticker/tradingDay`: statistics of the current day in `timeZone` (default UTC);
    /// `closeTime` is the day's last millisecond.
    func tradingDayTicker(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let full = try self.tickerType(request)
        let selection = try self.requiredSelection(request)
        let offset = try self.timeZoneOffset(request.parameter("timeZone"))
        let openTime = DetMath.floorDiv(now + offset, 86_400_000) * 86_400_000 - offset
        let stats = self.statistics(selection.markets, openTime: openTime, closeTime: openTime + 86_399_999, now: now)
        return self.windowTickers(stats, single: selection.single, full: full)
    }

    private func windowTickers(_ stats: [BinanceRender.Rolling], single: Bool, full: Bool) -> SimResponse {
        Self.tickers(stats, single: single) { BinanceRender.windowTicker(&$0, $1, full: full) }
    }

    /// One ticker object for a `symbol` request, else an array of them (every ticker endpoint answers so).
    private static func tickers(
        _ stats: [BinanceRender.Rolling], single: Bool,
        render: (inout JSONWriter, BinanceRender.Rolling) -> Void
    ) -> SimResponse {
        var writer = JSONWriter(capacity: 512 * stats.count)
        if single {
            render(&writer, stats[0])
        } else {
            writer.raw("[")
            for (index, item) in stats.enumerated() {
                if index > 0 { writer.raw(",") }
                render(&writer, item)
            }
            writer.raw("]")
        }
        return .json(.ok, writer.buffer)
    }

    func ticker24hr(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let full = try self.tickerType(request)
        let selection = try self.selectedMarkets(request)
        let markets = selection?.markets ?? Array(0..<self.context.engine.marketCount)
        let stats = self.rolling(markets, now: now)
        return Self.tickers(stats, single: selection?.single == true) { BinanceRender.restTicker(&$0, $1, full: full) }
    }

    func priceTicker(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let selection = try self.selectedMarkets(request)
        let markets = selection?.markets ?? Array(0..<self.context.engine.marketCount)
        let history = self.context.engine.history
        let items: [JSONValue] = markets.map { market in
            let price = history.lastTrade(market: market, atOrBefore: now)?.price ?? 0
            return .object([("symbol", .string(self.symbols[market])), ("price", .decimalString(price, digits: 8))])
        }
        return .json(.ok, selection?.single == true ? items[0] : .array(items))
    }

    func bookTicker(_ request: SimRequest) throws(BinanceError) -> SimResponse {
        let selection = try self.selectedMarkets(request)
        let markets = selection?.markets ?? Array(0..<self.context.engine.marketCount)
        let touches = self.context.engine.touches(markets: markets)
        let items: [JSONValue] = markets.enumerated().map { position, market in
            let touch = touches[position]
            return .object([
                ("symbol", .string(self.symbols[market])),
                ("bidPrice", .decimalString(touch.bid.price, digits: 8)),
                ("bidQty", .decimalString(touch.bid.quantity, digits: 8)),
                ("askPrice", .decimalString(touch.ask.price, digits: 8)),
                ("askQty", .decimalString(touch.ask.quantity, digits: 8)),
            ])
        }
        return .json(.ok, selection?.single == true ? items[0] : .array(items))
    }

    func averagePrice(_ request: SimRequest, now: Int64) throws(BinanceError) -> SimResponse {
        let market = try self.requiredMarket(request)
        let summary = self.context.engine.history.summary(market: market, from: now - 300_000, to: now + 1)
        let average = summary.volume == 0 ? 0 : summary.quoteVolume / summary.volume
        return .json(
            .ok,
            .object([
                ("mins", .int(5)), ("price", .string(Units.string(wide: average, scale: 8, digits: 8))),
                ("closeTime", .int(summary.isEmpty ? now : summary.lastTime)),
            ]))
    }
}
