import CryptodFormats
import CryptodModel
import CryptodSinks

/// Reads stored candles and their coverage from PostgreSQL (`historical_data`, `candle_coverage`; see
/// docs/storage.md) for `GET /api/v1/exchanges/{exchange}/ohlcv/{symbol}`.
package struct CandleHistory: Sendable {
    /// One page request, after the parameters were checked.
    struct Query: Sendable, Equatable {
        enum Direction: String, Sendable { case forward = "f", backward = "b" }
        var market: MarketKey
        var interval: CandleInterval
        /// forward: from `start` (inclusive) up to `end`; backward: the newest `limit` before `end`.
        var direction: Direction
        var start: Timestamp?
        var end: Timestamp
        var limit: Int
    }

    struct Row: Sendable, Equatable {
        var openTime: Timestamp
        var open, high, low, close, volume: String
        var quoteVolume: String?
        var tradeCount: Int64?
        var closed: Bool
        var revisions: Int64
        /// Built by the scheduler from smaller candles (a timeframe the exchange does not offer).
        var derived: Bool = false
    }

    struct CoverageRange: Sendable, Equatable {
        var start: Timestamp
        var end: Timestamp
        var state: String
    }

    struct Page: Sendable, Equatable {
        var query: Query
        var rows: [Row]
        /// The stretch of time this page speaks for.
        var start: Timestamp
        var end: Timestamp
        var coverage: [CoverageRange]
        var next: Query?
    }

    let pool: PostgresReadPool

    /// The page, or nil when the market has never been stored.
    func page(_ query: Query) async throws(PostgresReadPool.Failure) -> Page? {
        let pair = try await pool.query(
            """
            SELECT tp.id FROM trading_pairs tp JOIN exchanges e ON e.id = tp.exchange_id
            WHERE e.name = $1 AND tp.market_type = $2 AND tp.symbol = $3
            """, [query.market.exchange.rawValue, query.market.type.description, query.market.symbol])
        guard let id = pair.first?.first ?? nil else { return nil }
        let columns = """
            SELECT \(Self.micros("open_time")), open, high, low, close, volume, quote_volume, trade_count,
              is_closed, revisions, is_derived FROM historical_data WHERE trading_pair_id = $1 AND timeframe = $2
            """
        let end = Self.micros(query.end)
        let fetched: [[String?]]
        switch query.direction {
        case .forward:
            fetched = try await pool.query(
                columns + " AND open_time >= \(Self.time("$3")) AND open_time < \(Self.time("$4")) "
                    + "ORDER BY open_time LIMIT $5",
                [id, query.interval.description, Self.micros(query.start ?? query.end), end, "\(query.limit + 1)"])
        case .backward:
            let lower = query.start.map { _ in " AND open_time >= \(Self.time("$5"))" } ?? ""
            var parameters: [String?] = [id, query.interval.description, end, "\(query.limit + 1)"]
            if let start = query.start { parameters.append(Self.micros(start)) }
            fetched = try await pool.query(
                columns + " AND open_time < \(Self.time("$3"))\(lower) ORDER BY open_time DESC LIMIT $4", parameters)
        }
        var rows = fetched.compactMap(Self.row)
        let more = rows.count > query.limit
        if more { rows.removeLast() }
        if query.direction == .backward { rows.reverse() }
        var next: Query?
        let start: Timestamp
        let pageEnd: Timestamp
        switch query.direction {
        case .forward:
            start = query.start ?? query.end
            if more, let last = rows.last {
                // Candles open on interval boundaries, so the next page starts where the last candle ends.
                var following = query
                let boundary = min(query.interval.nextOpenTime(after: last.openTime), query.end)
                following.start = boundary
                next = following
                pageEnd = boundary
            } else {
                pageEnd = query.end
            }
        case .backward:
            pageEnd = query.end
            if more, let first = rows.first {
                var previous = query
                previous.end = first.openTime
                next = previous
                start = first.openTime
            } else {
                start = query.start ?? rows.first?.openTime ?? query.end
            }
        }
        let coverage = try await coverage(pair: id, interval: query.interval, start: start, end: pageEnd)
        return Page(query: query, rows: rows, start: start, end: pageEnd, coverage: coverage, next: next)
    }

    /// What `candle_coverage` says about [start, end): its rows clipped to the range, the holes between them
    /// as `unknown`.
    private func coverage(
        pair: String, interval: CandleInterval, start: Timestamp, end: Timestamp
    ) async throws(PostgresReadPool.Failure) -> [CoverageRange] {
        guard start < end else { return [] }
        let rows = try await pool.query(
            """
            SELECT \(Self.micros("range_start")), \(Self.micros("range_end")), state FROM candle_coverage
            WHERE trading_pair_id = $1 AND timeframe = $2 AND range_end > \(Self.time("$3"))
              AND range_start < \(Self.time("$4")) ORDER BY range_start, range_end
            """, [pair, interval.description, Self.micros(start), Self.micros(end)])
        var ranges: [CoverageRange] = []
        var cursor = start
        for row in rows {
            guard row.count == 3, let from = row[0].flatMap(Int64.init), let to = row[1].flatMap(Int64.init),
                let state = row[2]
            else { continue }
            let lower = max(Timestamp(microseconds: from), cursor)
            let upper = min(Timestamp(microseconds: to), end)
            guard lower < upper else { continue }
            if cursor < lower { ranges.append(CoverageRange(start: cursor, end: lower, state: "unknown")) }
            ranges.append(CoverageRange(start: lower, end: upper, state: state))
            cursor = upper
        }
        if cursor < end { ranges.append(CoverageRange(start: cursor, end: end, state: "unknown")) }
        return ranges
    }

    /// `complete` when every part of the range is known to be stored or empty, `none` when no part is.
    static func summary(_ ranges: [CoverageRange]) -> String {
        let known = ranges.filter { $0.state == "present" || $0.state == "empty" }.count
        if !ranges.isEmpty && known == ranges.count { return "complete" }
        return known == 0 ? "none" : "partial"
    }

    // MARK: - Rows

    private static func row(_ fields: [String?]) -> Row? {
        guard fields.count == 11, let micros = fields[0].flatMap(Int64.init), let open = fields[1],
            let high = fields[2], let low = fields[3], let close = fields[4], let volume = fields[5]
        else { return nil }
        return Row(
            openTime: Timestamp(microseconds: micros), open: open, high: high, low: low, close: close, volume: volume,
            quoteVolume: fields[6], tradeCount: fields[7].flatMap(Int64.init), closed: fields[8] == "t",
            revisions: fields[9].flatMap(Int64.init) ?? 0, derived: fields[10] == "t")
    }

    /// Microseconds since the epoch of a `timestamptz` column, exactly (no float on the way).
    private static func micros(_ column: String) -> String {
        "((extract(epoch FROM date_trunc('second', \(column)))::bigint * 1000000) "
            + "+ extract(microseconds FROM \(column))::bigint % 1000000)"
    }

    /// The `timestamptz` of a microseconds parameter.
    private static func time(_ parameter: String) -> String {
        "(timestamptz 'epoch' + \(parameter)::bigint * interval '1 microsecond')"
    }

    private static func micros(_ time: Timestamp) -> String {
        "\(time.nanoseconds.floorDivided(by: 1000))"
    }
}
