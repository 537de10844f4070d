import Foundation

/// The client side of whitebit.md §5, written from the documentation for the tests: a snapshot
/// replaces the book, an incremental must chain (`past_update_id` = previous `update_id`), sets
/// absolute amounts (`"0"` removes), and the book is then truncated to the subscribed limit. Prices
/// are compared as numbers.
struct WhiteBITLocalBook {
    enum Outcome: Equatable {
        case snapshot
        case applied
        /// `past_update_id` does not match the last `update_id`: a message was missed.
        case gap(expected: Int64, got: Int64)
    }

    /// One parsed `depth_update`.
    struct Update {
        var isSnapshot: Bool
        var updateId: Int64
        var pastUpdateId: Int64?
        var market: String
        var bids: [[String]]
        var asks: [[String]]

        init?(_ message: [String: Any]) {
            guard message["method"] as? String == "depth_update", let params = message["params"] as? [Any],
                params.count == 3, let isSnapshot = params[0] as? Bool, let data = params[1] as? [String: Any],
                let market = params[2] as? String, let updateId = (data["update_id"] as? NSNumber)?.int64Value
            else { return nil }
            self.isSnapshot = isSnapshot
            self.updateId = updateId
            self.pastUpdateId = (data["past_update_id"] as? NSNumber)?.int64Value
            self.market = market
            self.bids = data["bids"] as? [[String]] ?? []
            self.asks = data["asks"] as? [[String]] ?? []
        }
    }

    let limit: Int
    /// Truncate to `limit` after each incremental, as the documentation's sample client does; ccxt.pro
    /// does not, and must come out the same.
    let truncates: Bool
    var bids: [Decimal: Decimal] = [:]
    var asks: [Decimal: Decimal] = [:]
    var updateId: Int64 = 0
    var hasSnapshot = false

    init(limit: Int, truncates: Bool = true) {
        self.limit = limit
        self.truncates = truncates
    }

    mutating func apply(_ update: Update) -> Outcome {
        if update.isSnapshot {
            self.bids = WhiteBITNumbers.levels(update.bids)
            self.asks = WhiteBITNumbers.levels(update.asks)
            self.updateId = update.updateId
            self.hasSnapshot = true
            return .snapshot
        }
        guard update.pastUpdateId == self.updateId else {
            return .gap(expected: self.updateId, got: update.pastUpdateId ?? -1)
        }
        Self.set(&self.bids, update.bids)
        Self.set(&self.asks, update.asks)
        if self.truncates {
            self.bids = Self.truncate(self.bids, self.limit, bestIsHighest: true)
            self.asks = Self.truncate(self.asks, self.limit, bestIsHighest: false)
        }
        self.updateId = update.updateId
        return .applied
    }

    private static func set(_ side: inout [Decimal: Decimal], _ levels: [[String]]) {
        for level in levels where level.count == 2 {
            guard let price = WhiteBITNumbers.decimal(level[0]), let amount = WhiteBITNumbers.decimal(level[1]) else {
                continue
            }
            side[price] = amount == 0 ? nil : amount
        }
    }

    private static func truncate(_ side: [Decimal: Decimal], _ limit: Int, bestIsHighest: Bool) -> [Decimal: Decimal] {
        guard side.count > limit else { return side }
        let kept = side.keys.sorted { bestIsHighest ? $0 > $1 : $0 < $1 }.prefix(limit)
        return Dictionary(uniqueKeysWithValues: kept.map { ($0, side[$0]!) })
    }
}
