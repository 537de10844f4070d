import CryptodModel

// Consolidation: a timeframe the exchange does not offer, built in PostgreSQL from smaller stored candles.
// The arithmetic is SQL NUMERIC (exact); nothing passes through a floating-point value.
extension PostgresHistory {
    /// Candles written (new or changed) by one ``consolidate(market:source:target:)`` call.
    package struct ConsolidationResult: Sendable, Hashable {
        package var written: Int
        /// Of those, how many are closed (every source candle of the range stored or known empty).
        package var closed: Int
    }

    /// Builds `target` candles of `market` from its stored `source` candles: open of the first, high the
    /// maximum, low the minimum, close of the last, volumes and trade counts summed. Only ranges touched since
    /// the newest derived row was written are rebuilt (a new or revised source candle moves its `updated_at`),
    /// and a row is rewritten only when a value changed. A derived candle is closed only when every source
    /// slot of its range holds a closed candle or lies in a range the exchange answered empty; otherwise it is
    /// stored open. A candle the exchange itself delivered for `target` is never overwritten.
    ///
    /// - Precondition: both intervals have a fixed length, `source` divides `target`, and `target`'s grid
    ///   offset (weeks start on Monday) is a multiple of `source`.
    @discardableResult
    package func consolidate(
        market: MarketKey, source: CandleInterval, target: CandleInterval
    ) async throws -> ConsolidationResult {
        guard let sourceSeconds = source.seconds, let targetSeconds = target.seconds,
            targetSeconds > sourceSeconds, targetSeconds % sourceSeconds == 0
        else { preconditionFailure("cannot consolidate \(source) into \(target)") }
        let length = targetSeconds * 1000
        let sourceLength = sourceSeconds * 1000
        // Weeks open on Monday 1969-12-29, three days before the epoch.
        let offset: Int64 = target == .w1 ? 3 * 86_400_000 : 0
        precondition(offset % sourceLength == 0, "cannot consolidate \(source) into \(target)")
        let expected = length / sourceLength
        let milliseconds = "(extract(epoch FROM h.open_time) * 1000)::bigint"
        let bucket = "((\(milliseconds) + \(offset)) / \(length))"
        let bucketStart = { (b: String) in
            "(timestamptz 'epoch' + (\(b) * \(length) - \(offset)) * interval '1 millisecond')"
        }
        let sql = """
            WITH since AS (
                -- The newest derived write, less a minute for writer transactions still committing then.
                SELECT coalesce(max(updated_at) - interval '1 minute', '-infinity'::timestamptz) AS t
                FROM historical_data
                WHERE trading_pair_id = $1::bigint AND timeframe = $3 AND is_derived
            ), touched AS (
                SELECT DISTINCT \(bucket) AS bucket
                FROM historical_data h, since
                WHERE h.trading_pair_id = $1::bigint AND h.timeframe = $2 AND h.updated_at > since.t
                UNION
                SELECT DISTINCT \(bucket)
                FROM candle_coverage c JOIN since ON c.updated_at > since.t
                JOIN historical_data h ON h.trading_pair_id = c.trading_pair_id AND h.timeframe = c.timeframe
                    AND h.open_time >= c.range_start - \(length) * interval '1 millisecond'
                    AND h.open_time < c.range_end + \(length) * interval '1 millisecond'
                WHERE c.trading_pair_id = $1::bigint AND c.timeframe = $2 AND c.state = 'empty'
            ), aggregated AS (
                SELECT t.bucket,
                    (array_agg(h.open ORDER BY h.open_time))[1] AS open,
                    max(h.high) AS high, min(h.low) AS low,
                    (array_agg(h.close ORDER BY h.open_time DESC))[1] AS close,
                    sum(h.volume) AS volume,
                    CASE WHEN count(h.quote_volume) = count(*) THEN sum(h.quote_volume) END AS quote_volume,
                    CASE WHEN count(h.trade_count) = count(*) THEN sum(h.trade_count) END AS trade_count,
                    count(*) FILTER (WHERE h.is_closed) AS closed_sources
                FROM touched t JOIN historical_data h
                    ON h.trading_pair_id = $1::bigint AND h.timeframe = $2
                    AND h.open_time >= \(bucketStart("t.bucket")) AND h.open_time < \(bucketStart("(t.bucket + 1)"))
                GROUP BY t.bucket
            ), judged AS (
                SELECT a.*, a.closed_sources + coalesce((
                    -- Source slots the exchange answered empty count as present: no trades, no candle.
                    SELECT sum(extract(epoch FROM least(c.range_end, \(bucketStart("(a.bucket + 1)")))
                        - greatest(c.range_start, \(bucketStart("a.bucket")))) * 1000)::bigint / \(sourceLength)
                    FROM candle_coverage c
                    WHERE c.trading_pair_id = $1::bigint AND c.timeframe = $2 AND c.state = 'empty'
                      AND c.range_end > \(bucketStart("a.bucket")) AND c.range_start < \(bucketStart("(a.bucket + 1)"))
                ), 0) >= \(expected) AS is_closed
                FROM aggregated a
            ), written AS (
                INSERT INTO historical_data AS d (trading_pair_id, timeframe, open_time, open, high, low, close,
                    volume, quote_volume, trade_count, is_closed, is_derived, derived_from)
                SELECT $1::bigint, $3, \(bucketStart("bucket")), open, high, low, close, volume, quote_volume,
                    trade_count, is_closed, true, $2
                FROM judged
                ON CONFLICT (trading_pair_id, timeframe, open_time) DO UPDATE SET
                    open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
                    volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume,
                    trade_count = EXCLUDED.trade_count, is_closed = EXCLUDED.is_closed,
                    derived_from = EXCLUDED.derived_from,
                    revisions = d.revisions + CASE WHEN d.is_closed THEN 1 ELSE 0 END,
                    updated_at = now()
                WHERE d.is_derived
                    AND (d.open, d.high, d.low, d.close, d.volume, d.quote_volume, d.trade_count, d.is_closed,
                        d.derived_from)
                    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,
                        EXCLUDED.quote_volume, EXCLUDED.trade_count, EXCLUDED.is_closed, EXCLUDED.derived_from)
                RETURNING d.is_closed
            )
            SELECT count(*)::text, (count(*) FILTER (WHERE is_closed))::text FROM written
            """
        return try await run("consolidating \(source) candles into \(target)") { session in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(sql, [pair, source.description, target.description])
            let row = rows.values.first ?? []
            func integer(_ index: Int) -> Int { row.count > index ? row[index].flatMap { Int($0) } ?? 0 : 0 }
            return ConsolidationResult(written: integer(0), closed: integer(1))
        }
    }
}

extension PostgresHistory {
    /// How many closed candles are stored in `[start, end)` (epoch ms), for the coverage gauge.
    package func closedCount(market: MarketKey, interval: CandleInterval, start: Int64, end: Int64) async throws -> Int
    {
        try await run("counting stored candles") { session in
            let pair = try Self.pairID(session, market)
            let rows = try session.execute(
                """
                SELECT count(*)::text FROM historical_data
                WHERE trading_pair_id = $1::bigint AND timeframe = $2 AND is_closed
                  AND open_time >= \(Self.millisecondsSQL(3)) AND open_time < \(Self.millisecondsSQL(4))
                """, [pair, interval.description, String(start), String(end)])
            return rows.scalar.flatMap { Int($0) } ?? 0
        }
    }
}
