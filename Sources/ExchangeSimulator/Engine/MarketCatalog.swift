import Foundation

/// Builds the market list: a built-in set of well-known pairs, N synthetic pairs, or a JSON file.
package enum MarketCatalog {
    /// Errors reading a markets file.
    package struct LoadError: Error, CustomStringConvertible, Sendable {
        package var description: String
    }

    private static func u(_ text: String) -> Int64 { Units.parse(text)! }

    /// Well-known pairs with realistic grids (listing dates are those of the real spot markets).
    package static let builtIn: [MarketSpec] = [
        MarketSpec(
            base: "BTC", quote: "USDT", tickSize: u("0.01"), lotSize: u("0.00001"), referencePrice: u("60000"),
            ordersPerMinute: 40, volatility: 0.55, typicalLots: 2000, listedAt: 1_502_928_000_000),
        MarketSpec(
            base: "ETH", quote: "USDT", tickSize: u("0.01"), lotSize: u("0.0001"), referencePrice: u("3000"),
            ordersPerMinute: 35, volatility: 0.7, typicalLots: 3000, listedAt: 1_502_928_000_000),
        MarketSpec(
            base: "BNB", quote: "USDT", tickSize: u("0.01"), lotSize: u("0.001"), referencePrice: u("550"),
            ordersPerMinute: 20, volatility: 0.6, typicalLots: 2000, listedAt: 1_509_926_400_000),
        MarketSpec(
            base: "BNB", quote: "BTC", tickSize: u("0.000001"), lotSize: u("0.001"), referencePrice: u("0.0091"),
            ordersPerMinute: 8, volatility: 0.4, typicalLots: 2000, listedAt: 1_500_076_800_000),
        MarketSpec(
            base: "ETH", quote: "BTC", tickSize: u("0.00001"), lotSize: u("0.0001"), referencePrice: u("0.05"),
            ordersPerMinute: 12, volatility: 0.4, typicalLots: 5000, listedAt: 1_500_076_800_000),
        MarketSpec(
            base: "LTC", quote: "BTC", tickSize: u("0.000001"), lotSize: u("0.001"), referencePrice: u("0.0012"),
            ordersPerMinute: 6, volatility: 0.5, typicalLots: 5000, listedAt: 1_500_076_800_000),
        MarketSpec(
            base: "SOL", quote: "USDT", tickSize: u("0.01"), lotSize: u("0.001"), referencePrice: u("150"),
            ordersPerMinute: 25, volatility: 0.9, typicalLots: 5000, listedAt: 1_597_104_000_000),
        MarketSpec(
            base: "XRP", quote: "USDT", tickSize: u("0.0001"), lotSize: u("0.1"), referencePrice: u("0.6"),
            ordersPerMinute: 20, volatility: 0.8, typicalLots: 10000, listedAt: 1_525_392_000_000),
        MarketSpec(
            base: "DOGE", quote: "USDT", tickSize: u("0.00001"), lotSize: u("1"), referencePrice: u("0.15"),
            ordersPerMinute: 18, volatility: 1.0, typicalLots: 5000, listedAt: 1_562_284_800_000),
        MarketSpec(
            base: "ADA", quote: "USDT", tickSize: u("0.0001"), lotSize: u("0.1"), referencePrice: u("0.45"),
            ordersPerMinute: 12, volatility: 0.8, typicalLots: 20000, listedAt: 1_523_923_200_000),
        MarketSpec(
            base: "LTC", quote: "USDT", tickSize: u("0.01"), lotSize: u("0.001"), referencePrice: u("80"),
            ordersPerMinute: 10, volatility: 0.7, typicalLots: 10000, listedAt: 1_513_296_000_000),
        MarketSpec(
            base: "TRX", quote: "USDT", tickSize: u("0.0001"), lotSize: u("0.1"), referencePrice: u("0.12"),
            ordersPerMinute: 8, volatility: 0.6, typicalLots: 50000, listedAt: 1_528_934_400_000),
    ]

    /// The built-in set followed by `count` synthetic markets.
    package static func standard(syntheticCount: Int, seed: UInt64) -> [MarketSpec] {
        builtIn + (0..<max(0, syntheticCount)).map { synthetic(index: $0, seed: seed) }
    }

    /// A synthetic market `X<AAA>/<QUOTE>`: a price between 0.001 and 10,000 and a grid giving
    /// 4–5 significant price digits, derived from the seed and the index only.
    package static func synthetic(index: Int, seed: UInt64) -> MarketSpec {
        let h = SimHash.hash(seed, .market, Int64(index))
        var letters = ""
        var rest = index
        for _ in 0..<3 {
            letters = String(UnicodeScalar(UInt8(65 + rest % 26))) + letters
            rest /= 26
        }
        if rest > 0 { letters = String(rest) + letters }
        let quote = index % 5 == 4 ? "BTC" : "USDT"
        // Price exponent: 10^-3 ... 10^4 for USDT, 10^-6 ... 10^-2 for BTC quotes.
        let exponent = quote == "BTC" ? Int(h % 5) - 6 : Int(h % 8) - 3
        let mantissa = Int64(100 + (h >> 8) % 900)  // 1.00 … 9.99
        // price = mantissa/100 × 10^exponent; in units (1e-8) that is mantissa × 10^(exponent + 6).
        let priceUnits = mantissa * Units.pow10[max(0, exponent + 6)]
        let tickExponent = max(-8, exponent - 4)
        let tick = Units.pow10[tickExponent + 8]
        // Lot chosen so that one lot is worth about 0.1–1 of the quote currency.
        let lotExponent = min(2, max(-8, -exponent - 1))
        let lot = Units.pow10[lotExponent + 8]
        let rate = 5.0 + Double((h >> 20) % 40)
        return MarketSpec(
            base: "X" + letters, quote: quote, tickSize: tick, lotSize: lot,
            referencePrice: max(priceUnits, tick * 100),
            ordersPerMinute: rate, volatility: 0.4 + Double((h >> 32) % 80) / 100,
            typicalLots: Int64(5 + (h >> 40) % 200),
            spreadTicks: Int64(1 + (h >> 48) % 3), listedAt: 1_577_836_800_000)
    }

    /// Reads markets from a JSON array of objects:
    /// `{"base":"BTC","quote":"USDT","price":"60000","tickSize":"0.01","stepSize":"0.00001",
    ///   "ordersPerMinute":40,"volatility":0.5,"typicalLots":20,"spreadTicks":1,
    ///   "listedAt":1502928000000,"status":"TRADING"}` (only the first five keys are required).
    package static func load(path: String) throws(LoadError) -> [MarketSpec] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read markets file \(path)")
        }
        guard let document = JSONValue.parse(String(decoding: data, as: UTF8.self)), let items = document.arrayValue
        else {
            throw LoadError(description: "markets file \(path) is not a JSON array")
        }
        var specs: [MarketSpec] = []
        for (index, item) in items.enumerated() {
            func text(_ key: String) -> String? {
                if let value = item[key]?.stringValue { return value }
                if case .number(let literal)? = item[key] { return literal }
                return nil
            }
            guard let base = text("base"), let quote = text("quote"),
                let price = text("price").flatMap(Units.parse), let tick = text("tickSize").flatMap(Units.parse),
                let lot = text("stepSize").flatMap(Units.parse), tick > 0, lot > 0, price > 0
            else {
                throw LoadError(description: "market #\(index) in \(path) needs base, quote, price, tickSize, stepSize")
            }
            var spec = MarketSpec(
                base: base.uppercased(), quote: quote.uppercased(), tickSize: tick, lotSize: lot,
                referencePrice: price - price % tick)
            if let rate = item["ordersPerMinute"]?.doubleValue { spec.ordersPerMinute = max(0, rate) }
            if let vol = item["volatility"]?.doubleValue { spec.volatility = max(0, vol) }
            if let lots = item["typicalLots"]?.int64Value { spec.typicalLots = max(1, lots) }
            if let spread = item["spreadTicks"]?.int64Value { spec.spreadTicks = max(1, spread) }
            if let listed = item["listedAt"]?.int64Value { spec.listedAt = listed - listed % 86_400_000 }
            if let status = text("status") {
                guard let parsed = MarketSpec.Status(rawValue: status) else {
                    throw LoadError(description: "market #\(index): unknown status \(status)")
                }
                spec.status = parsed
            }
            specs.append(spec)
        }
        return specs
    }
}
