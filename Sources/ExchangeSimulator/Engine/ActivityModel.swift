/// How many taker orders and extra fills happen in each minute of a market, without storing them.
///
/// A day's totals come straight from the hash. They are split down a binary tree over the day's
/// 1440 minutes (each split hashed), so a minute's counts and the counts before it within the day
/// cost O(log 1440). Extra fills are split in proportion to orders, so a minute without orders has
/// no fills. Together with per-day prefix sums this gives contiguous trade and aggregate-trade ids.
package struct ActivityModel: Sendable {
    package static let minutesPerDay: Int64 = 1_440

    /// Counts for one minute and what came before it in the same UTC day.
    package struct MinuteCounts: Sendable, Equatable {
        package var orders: Int64
        package var extras: Int64
        package var ordersBefore: Int64
        package var extrasBefore: Int64
        package var trades: Int64 { self.orders + self.extras }
        package var tradesBefore: Int64 { self.ordersBefore + self.extrasBefore }
    }

    private let key: UInt64
    private let ordersPerDay: Double
    /// First UTC day with trades.
    package let listDay: Int64

    package init(key: UInt64, spec: MarketSpec) {
        self.key = key
        self.ordersPerDay = spec.status == .trading ? spec.ordersPerMinute * 1_440 : 0
        self.listDay = DetMath.floorDiv(spec.listedAt, 86_400_000)
    }

    /// Taker orders on UTC day `day`: the mean modulated by a daily and a weekly activity factor.
    package func dayOrders(_ day: Int64) -> Int64 {
        guard day >= self.listDay, self.ordersPerDay > 0 else { return 0 }
        let daily = SimHash.unit(SimHash.hash(self.key, .dayActivity, day))
        let weekly = SimHash.unit(SimHash.hash(self.key, .weekActivity, DetMath.floorDiv(day, 7)))
        let factor = 0.45 + 0.55 * daily + 0.5 * weekly
        return Int64((self.ordersPerDay * factor).rounded(.down))
    }

    /// Extra fills on day `day` (orders that fill against several makers produce one trade per fill).
    package func dayExtras(_ day: Int64) -> Int64 {
        let orders = self.dayOrders(day)
        guard orders > 0 else { return 0 }
        let ratio = 0.2 + 0.3 * SimHash.unit(SimHash.hash(self.key, .dayExtras, day))
        return Int64((Double(orders) * ratio).rounded(.down))
    }

    /// Counts of minute `index` (0..<1440) of `day`.
    package func minute(day: Int64, index: Int64) -> MinuteCounts {
        var orders = self.dayOrders(day)
        var extras = orders > 0 ? self.dayExtras(day) : 0
        var ordersBefore: Int64 = 0
        var extrasBefore: Int64 = 0
        var low: Int64 = 0
        var high = Self.minutesPerDay
        while high - low > 1 {
            let middle = (low + high) / 2
            let (leftOrders, leftExtras) = self.split(
                orders: orders, extras: extras, low: low, middle: middle, high: high, day: day)
            if index < middle {
                orders = leftOrders
                extras = leftExtras
                high = middle
            } else {
                ordersBefore += leftOrders
                extrasBefore += leftExtras
                orders -= leftOrders
                extras -= leftExtras
                low = middle
            }
        }
        return MinuteCounts(orders: orders, extras: extras, ordersBefore: ordersBefore, extrasBefore: extrasBefore)
    }

    /// Splits a node's counts between its left and right halves.
    @inline(__always)
    private func split(
        orders: Int64, extras: Int64, low: Int64, middle: Int64, high: Int64, day: Int64
    ) -> (Int64, Int64) {
        guard orders > 0 else { return (0, 0) }
        let node = day &* 4_194_304 &+ low &* 2_048 &+ (high - low)
        let h = SimHash.hash(self.key, .orderSplit, node)
        let weight = Double(middle - low) / Double(high - low)
        // Jitter the share by up to ±35 % of the smaller side: bursts and lulls at every scale.
        let jitter = SimHash.signedUnit(h) * 0.35 * min(weight, 1 - weight) * 2
        let share = min(1, max(0, weight + jitter))
        let dither = SimHash.unit(SimHash.mix(h))
        let leftOrders = min(orders, max(0, Int64((Double(orders) * share + dither).rounded(.down))))
        let leftExtras: Int64
        if leftOrders == 0 {
            leftExtras = 0
        } else if leftOrders == orders {
            leftExtras = extras
        } else {
            let h2 = SimHash.hash(self.key, .extraSplit, node)
            let raw = Double(extras) * Double(leftOrders) / Double(orders) + SimHash.unit(h2)
            leftExtras = min(extras, max(0, Int64(raw.rounded(.down))))
        }
        return (leftOrders, leftExtras)
    }
}
