import NIOCore

/// `/v5/market/time` is in BybitVenue.swift; here: instruments (with linear pagination) and the book.
extension BybitVenue {
    static let statuses = ["PreLaunch", "Trading", "Delivering", "Closed"]

    /// Bybit's name for a market status (only Trading and Closed occur in the simulator).
    func status(of market: Int) -> String {
        self.context.engine.spec(market).status == .trading ? "Trading" : "Closed"
    }

    /// `GET /v5/market/instruments-info`: `category` (required), `symbol`, `status` (default
    /// Trading), `baseCoin` (not spot), and for every category but spot `limit` (1–1000, default 500)
    /// with `cursor`/`nextPageCursor` paging in symbol order.
    func instruments(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let category = try self.category(request)
        let status = request.parameter("status") ?? "Trading"
        guard Self.statuses.contains(status) else { throw .invalid("status") }
        var markets = self.markets.markets(category).filter { self.status(of: $0) == status }
        if let symbol = request.parameter("symbol") {
            markets = markets.filter { self.markets.symbols[$0] == symbol }
            // Observed: spot answers an empty list, linear refuses the symbol with an empty page.
            if markets.isEmpty && category != .spot {
                let page: JSONValue = .object([
                    ("category", .string("")), ("list", .array([])), ("nextPageCursor", .string("")),
                ])
                return BybitEnvelope.error(.symbolInvalid, time: now, result: page)
            }
        }
        if category != .spot, let base = request.parameter("baseCoin") {
            markets = markets.filter { self.context.engine.spec($0).base == base }
        }
        var w = JSONWriter(capacity: 256 + markets.count * 900)
        w.raw("{\"category\":\"")
        w.rawString(category.rawValue)
        w.raw("\",\"list\":[")
        guard category != .spot else {
            for (index, market) in markets.enumerated() {
                if index > 0 { w.raw(",") }
                self.spotInstrument(market).write(into: &w.buffer)
            }
            w.raw("]}")
            return BybitEnvelope.ok(w.buffer, time: now)
        }
        let limit = try self.integer(request, "limit", default: 500, max: 1_000)
        var start = 0
        if let cursor = request.parameter("cursor"), !cursor.isEmpty {
            guard let after = Self.cursorLast(cursor),
                let position = markets.firstIndex(where: { self.markets.symbols[$0] == after })
            else { throw .invalid("cursor") }
            start = position + 1
        }
        let page = Array(markets[min(start, markets.count)..<min(start + limit, markets.count)])
        for (index, market) in page.enumerated() {
            if index > 0 { w.raw(",") }
            self.linearInstrument(market).write(into: &w.buffer)
        }
        w.raw("],\"nextPageCursor\":\"")
        if let first = page.first, let last = page.last, start + page.count < markets.count {
            w.rawString("first%3D\(self.markets.symbols[first])%26last%3D\(self.markets.symbols[last])")
        }
        w.raw("\"}")
        return BybitEnvelope.ok(w.buffer, time: now)
    }

    /// The `last` symbol of a cursor `first%3DA%26last%3DB`, whether or not the client decoded it.
    static func cursorLast(_ cursor: String) -> String? {
        let decoded = cursor.contains("%") ? SimRequest.percentDecode(cursor) : cursor
        return SimRequest.decodeForm(decoded).first { $0.name == "last" }?.value
    }

    private func spotInstrument(_ market: Int) -> JSONValue {
        let spec = self.context.engine.spec(market)
        let grid = BybitGrid(spec: spec, category: .spot)
        let usd = ["USDT", "USDC"].contains(spec.quote)
        let maxQuantity = spec.maxQuantity
        let quotePrecision = Units.pow10[8 - min(8, spec.priceDigits + spec.quantityDigits)]
        return .object([
            ("symbolId", .int(market + 1)), ("symbol", .string(self.markets.symbols[market])),
            ("baseCoin", .string(spec.base)), ("quoteCoin", .string(spec.quote)), ("innovation", .string("0")),
            ("status", .string(self.status(of: market))), ("marginTrading", .string(usd ? "utaOnly" : "none")),
            ("stTag", .string("0")),
            (
                "lotSizeFilter",
                .object([
                    ("basePrecision", .string(grid.sizeText(spec.lotSize))),
                    ("quotePrecision", .string(BybitFormat.trimmed(Int128(quotePrecision), scale: 8, maxDigits: 8))),
                    ("minOrderQty", .string(grid.sizeText(spec.minQuantity))),
                    ("maxOrderQty", .string(grid.sizeText(maxQuantity))),
                    ("minOrderAmt", .string(usd ? "5" : "0.0001")), ("maxOrderAmt", .string(usd ? "8000000" : "200")),
                    ("maxLimitOrderQty", .string(grid.sizeText(maxQuantity))),
                    ("maxMarketOrderQty", .string(grid.sizeText(maxQuantity / 2 - maxQuantity / 2 % spec.lotSize))),
                    ("postOnlyMaxLimitOrderSize", .string(grid.sizeText(maxQuantity))),
                ])
            ),
            ("priceFilter", .object([("tickSize", .string(grid.priceText(spec.tickSize)))])),
            (
                "riskParameters",
                .object([("priceLimitRatioX", .string("0.005")), ("priceLimitRatioY", .string("0.01"))])
            ),
            ("symbolType", .string("")),
        ])
    }

    private func linearInstrument(_ market: Int) -> JSONValue {
        let spec = self.context.engine.spec(market)
        let grid = BybitGrid(spec: spec, category: .linear)
        let maxQuantity = spec.maxQuantity
        // Leverage by how liquid the market is: majors 100x, others 50x or 25x.
        let leverage = spec.ordersPerMinute >= 30 ? "100.00" : spec.ordersPerMinute >= 15 ? "50.00" : "25.00"
        return .object([
            ("symbol", .string(self.markets.symbols[market])), ("symbolId", .int(market + 1)),
            ("contractType", .string("LinearPerpetual")), ("status", .string(self.status(of: market))),
            ("baseCoin", .string(spec.base)), ("quoteCoin", .string(spec.quote)),
            ("launchTime", .string(String(spec.listedAt))), ("deliveryTime", .string("0")),
            ("deliveryFeeRate", .string("")),
            ("priceScale", .string(String(spec.priceDigits))),
            (
                "leverageFilter",
                .object([
                    ("minLeverage", .string("1")), ("maxLeverage", .string(leverage)),
                    ("leverageStep", .string("0.01")),
                ])
            ),
            (
                "priceFilter",
                .object([
                    ("minPrice", .string(grid.priceText(spec.minPrice))),
                    ("maxPrice", .string(grid.priceText(spec.maxPrice))),
                    ("tickSize", .string(grid.priceText(spec.tickSize))),
                ])
            ),
            (
                "lotSizeFilter",
                .object([
                    ("maxOrderQty", .string(grid.sizeText(maxQuantity))),
                    ("minOrderQty", .string(grid.sizeText(spec.minQuantity))),
                    ("qtyStep", .string(grid.sizeText(spec.lotSize))),
                    ("postOnlyMaxOrderQty", .string(grid.sizeText(maxQuantity))),
                    ("maxMktOrderQty", .string(grid.sizeText(maxQuantity / 10 - maxQuantity / 10 % spec.lotSize))),
                    ("minNotionalValue", .string("5")),
                ])
            ),
            ("unifiedMarginTrade", .bool(true)), ("fundingInterval", .int(480)), ("settleCoin", .string(spec.quote)),
            ("copyTrading", .string("both")), ("upperFundingRate", .string("0.005")),
            ("lowerFundingRate", .string("-0.005")),
            ("isPreListing", .bool(false)), ("preListingInfo", .null),
            (
                "riskParameters",
                .object([("priceLimitRatioX", .string("0.01")), ("priceLimitRatioY", .string("0.02"))])
            ),
            ("symbolType", .string("")),
        ])
    }

    /// `GET /v5/market/orderbook`: `category`, `symbol` (required), `limit` spot 1–1000 default 1,
    /// linear and inverse 1–1000 default 25, option 1–25 default 1. `u` and `seq` are the engine's
    /// update id of the snapshot (the same id `/_sim/book` takes), `cts` its engine time.
    func orderbook(_ request: SimRequest, now: Int64) throws(BybitError) -> SimResponse {
        let category = try self.category(request)
        let market = try self.requiredMarket(request, category)
        let limit = try self.integer(
            request, "limit", default: category == .spot || category == .option ? 1 : 25,
            max: category == .option ? 25 : 1_000)
        let book = self.context.engine.snapshot(market: market, limit: limit)
        let grid = BybitGrid(spec: self.context.engine.spec(market), category: category)
        var w = JSONWriter(capacity: 128 + limit * 64)
        w.raw("{\"s\":\"")
        w.rawString(self.markets.symbols[market])
        w.raw("\",\"a\":")
        grid.levels(&w, book.asks)
        w.raw(",\"b\":")
        grid.levels(&w, book.bids)
        w.raw(",\"ts\":")
        w.int(now)
        w.raw(",\"u\":")
        w.int(book.updateId)
        w.raw(",\"seq\":")
        w.int(book.updateId)
        w.raw(",\"cts\":")
        w.int(book.time)
        w.raw("}")
        return BybitEnvelope.ok(w.buffer, time: now)
    }
}
