import CryptodModel

/// What is known about one market's candles of one interval: ranges known **present** (stored), known
/// **empty** (the exchange answered with no candles: no trading then) and, by elimination, **missing**.
///
/// The PostgreSQL ledger (`candle_coverage`) is this value written down; planning works on the value, so
/// the rules are tested without a database. A range known empty is never asked for again, and a candle that
/// appears later inside an empty range (a late trade, a revision) turns that part present.
package struct Coverage: Sendable, Hashable {
    package enum State: String, Sendable, Hashable, CaseIterable {
        case present
        case empty
        case missing
    }

    /// One stretch of a range and its state, for `cryptoctl coverage` and the REST coverage route.
    package struct Segment: Sendable, Hashable {
        package var range: TimeRange
        package var state: State
    }

    package private(set) var present = TimeRangeSet()
    package private(set) var empty = TimeRangeSet()

    package init() {}

    package init(present: TimeRangeSet, empty: TimeRangeSet) {
        self.present = present
        self.empty = empty.subtracting(present)
    }

    /// Stored candles cover `range`.
    package mutating func recordPresent(_ range: TimeRange) {
        present.insert(range)
        empty.remove(range)
    }

    package mutating func recordPresent(_ ranges: TimeRangeSet) {
        for range in ranges.ranges { recordPresent(range) }
    }

    /// The exchange answered for `range` and had nothing in the parts not already present.
    package mutating func recordEmpty(_ range: TimeRange) {
        for part in TimeRangeSet([range]).subtracting(present).ranges { empty.insert(part) }
    }

    /// The part of `range` neither present nor known empty: what a backfill must fetch.
    package func missing(in range: TimeRange) -> TimeRangeSet {
        TimeRangeSet([range]).subtracting(present).subtracting(empty)
    }

    /// `range` cut into consecutive segments, each present, empty or missing, in time order.
    package func segments(in range: TimeRange) -> [Segment] {
        var segments: [Segment] = []
        segments += present.clipped(to: range).ranges.map { Segment(range: $0, state: .present) }
        segments += empty.clipped(to: range).ranges.map { Segment(range: $0, state: .empty) }
        segments += missing(in: range).ranges.map { Segment(range: $0, state: .missing) }
        return segments.sorted { $0.range < $1.range }
    }

    /// Share of `range` known (present or empty), 0…1, as a ratio of two integers for exact tests.
    package func known(in range: TimeRange) -> (known: Int64, total: Int64) {
        (range.length - missing(in: range).totalLength, range.length)
    }
}
