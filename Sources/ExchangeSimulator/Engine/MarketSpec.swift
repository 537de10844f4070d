/// One tradable market: identity, grid and activity parameters.
///
/// Prices and sizes are in units of 1e-8 (see `Units`). Venues derive their own symbol spelling
/// from `base` and `quote` (`BTCUSDT`, `BTC_USDT`).
package struct MarketSpec: Sendable, Hashable {
    /// Trading status, rendered by each venue in its own vocabulary.
    package enum Status: String, Sendable, Hashable {
        case trading = "TRADING"
        case halted = "HALT"
        case breakStatus = "BREAK"
    }

    package var base: String
    package var quote: String
    /// Price step (units).
    package var tickSize: Int64
    /// Quantity step (units).
    package var lotSize: Int64
    /// Price at the reference epoch (units); the path wanders around it.
    package var referencePrice: Int64
    /// Mean taker orders per minute.
    package var ordersPerMinute: Double
    /// Annualised volatility of the price path (0.6 = 60 %).
    package var volatility: Double
    /// Median order size in lots.
    package var typicalLots: Int64
    /// Spread in ticks.
    package var spreadTicks: Int64
    /// Listing time (ms since epoch, start of a UTC day); no history before it.
    package var listedAt: Int64
    package var status: Status

    package init(
        base: String, quote: String, tickSize: Int64, lotSize: Int64, referencePrice: Int64,
        ordersPerMinute: Double = 20, volatility: Double = 0.6, typicalLots: Int64 = 10, spreadTicks: Int64 = 1,
        listedAt: Int64 = 1_577_836_800_000, status: Status = .trading
    ) {
        self.base = base
        self.quote = quote
        self.tickSize = tickSize
        self.lotSize = lotSize
        self.referencePrice = referencePrice
        self.ordersPerMinute = ordersPerMinute
        self.volatility = volatility
        self.typicalLots = typicalLots
        self.spreadTicks = spreadTicks
        self.listedAt = listedAt
        self.status = status
    }

    /// Canonical `BASE/QUOTE` name; the hashing key of the market.
    package var name: String { "\(self.base)/\(self.quote)" }

    /// Fraction digits of the tick (e.g. 2 for 0.01).
    package var priceDigits: Int { Units.digitsNeeded(self.tickSize) }

    /// Fraction digits of the lot.
    package var quantityDigits: Int { Units.digitsNeeded(self.lotSize) }

    /// Smallest allowed order quantity (units).
    package var minQuantity: Int64 { self.lotSize }

    /// Largest allowed order quantity (units): 9,000,000 lots, capped to stay well inside `Int64`.
    package var maxQuantity: Int64 { min(self.lotSize * 9_000_000, 90_000_000 * Units.one) }

    /// Smallest allowed price (units).
    package var minPrice: Int64 { self.tickSize }

    /// Largest allowed price (units).
    package var maxPrice: Int64 { min(self.tickSize * 100_000_000, 1_000_000 * Units.one) }
}
