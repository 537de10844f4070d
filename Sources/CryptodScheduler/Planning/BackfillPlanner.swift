import CryptodModel

/// Which end of a range a backfill fills first.
package enum BackfillOrder: String, Sendable, Hashable, CaseIterable {
    /// Most recent candles first: what a chart needs soonest.
    case newestFirst = "newest_first"
    /// Oldest first: a history that grows without holes from its start.
    case oldestFirst = "oldest_first"
}

/// One request's worth of a backfill: a range of whole candles no longer than a page.
package struct BackfillChunk: Sendable, Hashable, CustomStringConvertible {
    package var range: TimeRange
    package var candles: Int

    package var description: String { "\(range) \(candles) candles" }
}

/// Cuts what is missing into page-sized requests.
///
/// A chunk never crosses a range that is already present or known empty, so a resumed backfill asks only
/// for what did not land, and a chunk always starts and ends on candle boundaries, so a page of the
/// exchange's largest size comes back whole.
package enum BackfillPlanner {
    /// - Parameters:
    ///   - missing: What to fetch (``Coverage/missing(in:)``).
    ///   - grid: The candle interval's boundaries.
    ///   - pageSize: Candles per request (the exchange's largest page, or less when the budget is short).
    ///   - order: Newest or oldest first; chunks come out in the order to fetch them.
    package static func chunks(
        missing: TimeRangeSet, grid: CandleGrid, pageSize: Int, order: BackfillOrder
    ) -> [BackfillChunk] {
        precondition(pageSize > 0, "a page holds at least one candle")
        var chunks: [BackfillChunk] = []
        for hole in missing.ranges {
            let range = grid.aligned(hole)
            var pieces: [BackfillChunk] = []
            var cursor = range.start
            while cursor < range.end {
                let end = min(grid.advance(cursor, by: pageSize), range.end)
                let piece = TimeRange(start: cursor, end: end)!
                pieces.append(BackfillChunk(range: piece, candles: grid.count(in: piece)))
                cursor = end
            }
            chunks += pieces
        }
        switch order {
        case .oldestFirst:
            return chunks
        case .newestFirst:
            // Pages were cut from each hole's start, so the newest page of a hole may be short; reversing
            // keeps that short page first, which costs one request like any other.
            return chunks.reversed()
        }
    }

    /// The page size to use now: the exchange's largest page while the budget allows a full request's
    /// weight, shrinking (never below `minimum`) when what is left in the current window is short, so the
    /// last requests of a window still go out instead of all waiting for the reset.
    /// - Parameters:
    ///   - largest: The exchange's largest page.
    ///   - weightOf: The weight of a request for a given page size (Binance's kline weight grows with it).
    ///   - available: Weight left in the current window for backfills.
    package static func pageSize(
        largest: Int, minimum: Int = 1, available: UInt64, weightOf: (Int) -> UInt64
    ) -> Int {
        var size = largest
        while size > minimum, weightOf(size) > available { size = max(minimum, size / 2) }
        return size
    }
}
