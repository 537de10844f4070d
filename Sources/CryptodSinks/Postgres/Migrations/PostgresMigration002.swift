/// Version 2: the ledgers — candle coverage for the scheduler, stream positions for exactly-once delivery,
/// and dead letters for rows PostgreSQL refused.
enum PostgresMigration002 {
    static let migration = PostgresMigration(version: 2, name: "create_ledger_tables", sql: sql)

    static let sql = """
        -- Which candle ranges are known present, known empty (the exchange answered with nothing) or missing.
        -- Written by the scheduler's backfills; created here so the schema has one owner.
        CREATE TABLE candle_coverage (
            id bigserial PRIMARY KEY,
            trading_pair_id bigint NOT NULL REFERENCES trading_pairs (id),
            timeframe text NOT NULL,
            range_start timestamptz NOT NULL,
            range_end timestamptz NOT NULL,
            state text NOT NULL CHECK (state IN ('present', 'empty', 'missing')),
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT candle_coverage_range_check CHECK (range_end > range_start)
        );
        CREATE INDEX candle_coverage_trading_pair_id_timeframe_range_start_index
            ON candle_coverage (trading_pair_id, timeframe, range_start);

        -- How far each upstream stream is stored, updated in the same transaction as the rows. Epoch and
        -- sequence are unsigned 64-bit on the wire: numeric(20, 0) holds all of them (bigint would not).
        CREATE TABLE stream_positions (
            stream text PRIMARY KEY,
            epoch numeric(20, 0) NOT NULL,
            sequence numeric(20, 0) NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );

        -- Rows PostgreSQL refused (SQLSTATE class 22/23), kept with the reason so nothing is lost silently.
        -- payload is JSON text rather than jsonb: jsonb refuses \\u0000, which is exactly what some bad rows hold.
        CREATE TABLE dead_letters (
            id bigserial PRIMARY KEY,
            sink text NOT NULL,
            stream text NOT NULL,
            sequence numeric(20, 0) NOT NULL,
            target text NOT NULL,
            payload text NOT NULL,
            reason text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX dead_letters_stream_sequence_index ON dead_letters (stream, sequence);
        """
}
