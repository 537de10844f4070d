/// A half-open span of time `[start, end)` in epoch milliseconds, never empty.
///
/// Milliseconds because every exchange's candle and trade times are whole milliseconds, and PostgreSQL's
/// `timestamptz` holds them exactly.
package struct TimeRange: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let start: Int64
    package let end: Int64

    /// `nil` when `end` is not after `start`.
    package init?(start: Int64, end: Int64) {
        guard end > start else { return nil }
        self.start = start
        self.end = end
    }

    package var length: Int64 { end - start }

    package func overlaps(_ other: TimeRange) -> Bool { start < other.end && other.start < end }

    package func contains(_ other: TimeRange) -> Bool { start <= other.start && other.end <= end }

    package func intersection(_ other: TimeRange) -> TimeRange? {
        TimeRange(start: max(start, other.start), end: min(end, other.end))
    }

    package static func < (lhs: TimeRange, rhs: TimeRange) -> Bool { (lhs.start, lhs.end) < (rhs.start, rhs.end) }

    package var description: String { "[\(start), \(end))" }
}

/// A set of instants kept as sorted, disjoint, non-adjacent ``TimeRange``s: the value the coverage ledger is
/// built from. Inserting merges with neighbours, so two adjacent backfill pages become one range and the
/// ledger stays as short as the holes in it.
package struct TimeRangeSet: Sendable, Hashable, CustomStringConvertible {
    /// Sorted by start; no two overlap or touch.
    package private(set) var ranges: [TimeRange]

    package init() { ranges = [] }

    package init(_ ranges: some Sequence<TimeRange>) {
        self.ranges = []
        for range in ranges { insert(range) }
    }

    package var isEmpty: Bool { ranges.isEmpty }

    /// Milliseconds covered.
    package var totalLength: Int64 { ranges.reduce(0) { $0 + $1.length } }

    /// The index of the first range whose end is at or after `instant` (binary search).
    private func firstIndex(endingAtOrAfter instant: Int64) -> Int {
        var low = 0
        var high = ranges.count
        while low < high {
            let middle = (low + high) / 2
            if ranges[middle].end < instant { low = middle + 1 } else { high = middle }
        }
        return low
    }

    package mutating func insert(_ range: TimeRange) {
        // Every range that overlaps or touches `range` is folded into one.
        let first = firstIndex(endingAtOrAfter: range.start)
        var last = first
        var start = range.start
        var end = range.end
        while last < ranges.count, ranges[last].start <= range.end {
            start = min(start, ranges[last].start)
            end = max(end, ranges[last].end)
            last += 1
        }
        // `end > start` holds: both come from non-empty ranges.
        ranges.replaceSubrange(first..<last, with: [TimeRange(start: start, end: end)!])
    }

    package mutating func formUnion(_ other: TimeRangeSet) {
        for range in other.ranges { insert(range) }
    }

    package mutating func remove(_ range: TimeRange) {
        let first = firstIndex(endingAtOrAfter: range.start)
        var last = first
        var kept: [TimeRange] = []
        while last < ranges.count, ranges[last].start < range.end {
            let current = ranges[last]
            if let before = TimeRange(start: current.start, end: min(current.end, range.start)) { kept.append(before) }
            if let after = TimeRange(start: max(current.start, range.end), end: current.end) { kept.append(after) }
            last += 1
        }
        ranges.replaceSubrange(first..<last, with: kept)
    }

    package func subtracting(_ other: TimeRangeSet) -> TimeRangeSet {
        var result = self
        for range in other.ranges { result.remove(range) }
        return result
    }

    /// The part of the set inside `range`.
    package func clipped(to range: TimeRange) -> TimeRangeSet {
        var result = TimeRangeSet()
        result.ranges = ranges.compactMap { $0.intersection(range) }
        return result
    }

    /// True when every instant of `range` is in the set.
    package func contains(_ range: TimeRange) -> Bool {
        let index = firstIndex(endingAtOrAfter: range.end)
        return index < ranges.count && ranges[index].contains(range)
    }

    package var description: String { "{" + ranges.map(\.description).joined(separator: ", ") + "}" }
}
