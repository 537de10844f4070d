/// Version 4: consolidated candles. A timeframe an exchange does not offer (Bybit has no 8h or 3d) is built
/// by the scheduler from smaller stored candles; those rows say so, and say what they were built from.
enum PostgresMigration004 {
    static let migration = PostgresMigration(version: 4, name: "add_derived_candles", sql: sql)

    static let sql = """
        -- true for a candle the scheduler built from smaller ones; derived_from names their timeframe.
        ALTER TABLE historical_data ADD COLUMN is_derived boolean NOT NULL DEFAULT false;
        ALTER TABLE historical_data ADD COLUMN derived_from text NULL;
        -- How the consolidation finds the source candles written or revised since its last pass without
        -- reading every candle of a market.
        CREATE INDEX historical_data_updated_at_index ON historical_data (trading_pair_id, timeframe, updated_at);
        """
}
