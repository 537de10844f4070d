import CryptodModel

/// Candle boundaries of one interval: where candles open, how many fit in a range, and how a range snaps
/// to whole candles. The calendar month has no fixed length, so every step goes through
/// ``CandleInterval/openTime(containing:)`` rather than a multiplication.
package struct CandleGrid: Sendable, Hashable {
    package let interval: CandleInterval

    package init(_ interval: CandleInterval) { self.interval = interval }

    /// The open time (ms) of the candle containing `instant` (ms).
    package func open(containing instant: Int64) -> Int64 {
        interval.openTime(containing: Timestamp(milliseconds: instant)).milliseconds
    }

    /// The open time (ms) of the candle after the one opening at `open`.
    package func next(after open: Int64) -> Int64 {
        if let seconds = interval.seconds { return self.open(containing: open) + seconds * 1000 }
        // A month: 32 days past the month's first day always lands in the next month.
        return self.open(containing: self.open(containing: open) + 32 * 86_400_000)
    }

    /// `range` widened to whole candles: from the open of its first candle to the close of its last.
    package func aligned(_ range: TimeRange) -> TimeRange {
        let start = open(containing: range.start)
        let lastOpen = open(containing: range.end - 1)
        return TimeRange(start: start, end: next(after: lastOpen))!
    }

    /// The range a single candle opening at `open` covers.
    package func span(ofCandleOpeningAt open: Int64) -> TimeRange {
        TimeRange(start: open, end: next(after: open))!
    }

    /// How many candles open inside `range` (its start aligned down).
    package func count(in range: TimeRange) -> Int {
        if let seconds = interval.seconds {
            let length = seconds * 1000
            let first = open(containing: range.start)
            let last = open(containing: range.end - 1)
            return Int((last - first) / length) + 1
        }
        var count = 0
        var cursor = open(containing: range.start)
        while cursor < range.end {
            count += 1
            cursor = next(after: cursor)
        }
        return count
    }

    /// How many candles the ranges of `set` hold (each range whole candles, as coverage ranges are).
    package func count(inSet set: TimeRangeSet) -> Int {
        set.ranges.reduce(0) { $0 + count(in: $1) }
    }

    /// The open time of the candle `candles` candles after the one opening at `open` (its end when the span
    /// is meant as `candles` candles).
    package func advance(_ open: Int64, by candles: Int) -> Int64 {
        if let seconds = interval.seconds { return self.open(containing: open) + Int64(candles) * seconds * 1000 }
        var cursor = self.open(containing: open)
        for _ in 0..<candles { cursor = next(after: cursor) }
        return cursor
    }

    /// The opens of consecutive candles folded into ranges: what a batch of stored candles covers.
    package func coverage(ofOpens opens: some Sequence<Int64>) -> TimeRangeSet {
        TimeRangeSet(opens.map { span(ofCandleOpeningAt: open(containing: $0)) })
    }
}
