/// Bybit's product categories. exchsim lists markets in `spot` and `linear`; `inverse` and `option`
/// are valid category names with no symbols (so requests for them fail the way an unknown symbol does).
enum BybitCategory: String, Sendable, CaseIterable {
    case spot, linear, inverse, option

    /// The categories with a WebSocket path and markets.
    static let served: [BybitCategory] = [.spot, .linear]
}

/// Which engine markets Bybit lists in each category, and the symbol spellings.
///
/// Spot lists every market. Linear (USDT/USDC perpetuals) lists the markets quoted in USDT or USDC,
/// on the same engine market as spot: the simulator has one book per pair, so `BTCUSDT` spot and
/// `BTCUSDT` linear share their book, trades and ground truth.
struct BybitMarkets: Sendable {
    /// `BTCUSDT` per engine market.
    let symbols: [String]
    /// Spot markets in engine order; linear markets sorted by symbol (the pagination order).
    let spot: [Int]
    let linear: [Int]
    private let spotIndex: [String: Int]
    private let linearIndex: [String: Int]

    init(specs: [MarketSpec]) {
        self.symbols = specs.map { $0.base + $0.quote }
        var spotIndex: [String: Int] = [:]
        for (market, symbol) in self.symbols.enumerated() where spotIndex[symbol] == nil { spotIndex[symbol] = market }
        self.spotIndex = spotIndex
        self.spot = spotIndex.values.sorted()
        let linear = self.spot.filter { ["USDT", "USDC"].contains(specs[$0].quote) }
        let symbols = self.symbols
        self.linear = linear.sorted { symbols[$0] < symbols[$1] }
        self.linearIndex = Dictionary(uniqueKeysWithValues: self.linear.map { (symbols[$0], $0) })
    }

    func markets(_ category: BybitCategory) -> [Int] {
        switch category {
        case .spot: return self.spot
        case .linear: return self.linear
        case .inverse, .option: return []
        }
    }

    func market(_ category: BybitCategory, symbol: String) -> Int? {
        switch category {
        case .spot: return self.spotIndex[symbol]
        case .linear: return self.linearIndex[symbol]
        case .inverse, .option: return nil
        }
    }
}

/// How Bybit prints the decimals of one market in one category.
///
/// Spot payloads trim trailing zeros (`"65557.7"`, `"2"`), linear payloads keep the grid's digits
/// (`"30247.20"`, `"0.224"`), as in the documentation's examples. Klines trim in every category.
/// Values are scaled integers (see `Units`); nothing goes through `Double`.
struct BybitGrid: Sendable {
    let priceDigits: Int
    let sizeDigits: Int
    let trim: Bool

    init(spec: MarketSpec, category: BybitCategory, trim: Bool? = nil) {
        self.priceDigits = spec.priceDigits
        self.sizeDigits = spec.quantityDigits
        self.trim = trim ?? (category == .spot)
    }

    @inline(__always)
    private func digits(_ units: Int64, _ maximum: Int) -> Int {
        self.trim ? min(maximum, Units.digitsNeeded(units)) : maximum
    }

    /// A quoted price.
    @inline(__always)
    func price(_ w: inout JSONWriter, _ units: Int64) {
        w.decimal(units, digits: self.digits(units, self.priceDigits))
    }

    /// A quoted size.
    @inline(__always)
    func size(_ w: inout JSONWriter, _ units: Int64) {
        w.decimal(units, digits: self.digits(units, self.sizeDigits))
    }

    func priceText(_ units: Int64) -> String { Units.string(units, digits: self.digits(units, self.priceDigits)) }

    func sizeText(_ units: Int64) -> String { Units.string(units, digits: self.digits(units, self.sizeDigits)) }

    /// A wide volume (1e-8 scale) at the size grid.
    func volumeText(_ value: Int128) -> String {
        self.trim
            ? BybitFormat.trimmed(value, scale: 8, maxDigits: self.sizeDigits)
            : Units.string(wide: value, scale: 8, digits: self.sizeDigits)
    }

    /// `[["price","size"],…]`.
    func levels(_ w: inout JSONWriter, _ levels: [BookLevel]) {
        w.raw("[")
        for (index, level) in levels.enumerated() {
            if index > 0 { w.raw(",") }
            w.raw("[")
            self.price(&w, level.price)
            w.raw(",")
            self.size(&w, level.quantity)
            w.raw("]")
        }
        w.raw("]")
    }
}

/// Decimal helpers shared by the Bybit renderers.
enum BybitFormat {
    /// `value` held at `scale` fraction digits, cut (toward zero) to `maxDigits`, trailing zeros removed.
    static func trimmed(_ value: Int128, scale: Int, maxDigits: Int) -> String {
        let cut = value / Int128(Units.pow10[scale - maxDigits])
        var probe = cut.magnitude
        var digits = maxDigits
        while digits > 0 && probe % 10 == 0 {
            probe /= 10
            digits -= 1
        }
        return Units.string(wide: cut, scale: maxDigits, digits: digits)
    }

    /// `numerator / denominator` as a fraction cut to `digits` digits, trailing zeros removed
    /// (`price24hPcnt`: `"0.0068"` is 0.68 %).
    static func ratio(_ numerator: Int64, over denominator: Int64, digits: Int) -> String {
        guard denominator != 0 else { return "0" }
        let scaled = Int128(numerator) * Int128(Units.pow10[digits]) / Int128(denominator)
        return self.trimmed(scaled, scale: digits, maxDigits: digits)
    }

    /// A UUID-formatted id (`20f43950-d8dd-5b31-9112-a178eb6023af`) from two hashes.
    static func uuid(_ high: UInt64, _ low: UInt64) -> String {
        let text = Digest.hex(
            (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - $0 * 8)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - $0 * 8)) })
        let characters = Array(text)
        func part(_ range: Range<Int>) -> String { String(characters[range]) }
        return [part(0..<8), part(8..<12), part(12..<16), part(16..<20), part(20..<32)].joined(separator: "-")
    }
}
