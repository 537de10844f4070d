/// Version 3: the scheduler's backfill jobs, so a job and how far it got survive a restart of any process.
enum PostgresMigration003 {
    static let migration = PostgresMigration(version: 3, name: "create_backfill_jobs", sql: sql)

    static let sql = """
        -- One row per backfill request. Progress is counted here; what is stored is never recorded twice: a
        -- resumed job plans again from historical_data and candle_coverage, so it skips what landed.
        CREATE TABLE backfill_jobs (
            id bigserial PRIMARY KEY,
            trading_pair_id bigint NOT NULL REFERENCES trading_pairs (id),
            timeframe text NOT NULL,
            -- 'request' (cryptoctl, REST) or 'sync' (the scheduler's periodic catch-up, one row per pair and
            -- timeframe, reused by every pass so the table does not grow with time).
            kind text NOT NULL DEFAULT 'request' CHECK (kind IN ('request', 'sync')),
            range_start timestamptz NOT NULL,
            range_end timestamptz NOT NULL,
            fetch_order text NOT NULL CHECK (fetch_order IN ('newest_first', 'oldest_first')),
            state text NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
            chunks_total integer NOT NULL DEFAULT 0,
            chunks_done integer NOT NULL DEFAULT 0,
            candles bigint NOT NULL DEFAULT 0,
            -- Closed candles already stored in the range when the job first planned: with candles, how many a
            -- resumed job waits to see stored before it plans again.
            stored_before bigint NOT NULL DEFAULT 0,
            message text NOT NULL DEFAULT '',
            started_at timestamptz NULL,
            finished_at timestamptz NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT backfill_jobs_range_check CHECK (range_end > range_start)
        );
        CREATE INDEX backfill_jobs_state_index ON backfill_jobs (state);
        CREATE UNIQUE INDEX backfill_jobs_sync_unique ON backfill_jobs (trading_pair_id, timeframe) WHERE kind = 'sync';
        """
}
