/// Version 1: the market tables a Laravel app reads with plain Eloquent models.
///
/// Names follow Laravel's conventions (plural snake_case tables, `id bigserial`, `created_at`/`updated_at`,
/// `{table}_{columns}_{unique|index}` for indexes) so `php artisan model:show` finds everything where it
/// looks. Every price and quantity is `numeric` without a typmod: it keeps the scale it was given, so
/// `0.00010000` reads back as `0.00010000`.
enum PostgresMigration001 {
    static let migration = PostgresMigration(version: 1, name: "create_market_tables", sql: sql)

    static let sql = """
        CREATE TABLE exchanges (
            id bigserial PRIMARY KEY,
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT exchanges_name_unique UNIQUE (name)
        );

        CREATE TABLE trading_pairs (
            id bigserial PRIMARY KEY,
            exchange_id bigint NOT NULL REFERENCES exchanges (id),
            market_type text NOT NULL CHECK (market_type IN ('spot', 'linear', 'inverse')),
            symbol text NOT NULL,
            base text NULL,
            quote text NULL,
            is_active boolean NOT NULL DEFAULT true,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT trading_pairs_exchange_id_market_type_symbol_unique UNIQUE (exchange_id, market_type, symbol)
        );

        -- Candles. The unique index serves "latest N candles of a market and timeframe" (scanned backward:
        -- ORDER BY open_time DESC LIMIT n) and time ranges (open_time BETWEEN a AND b) alike.
        CREATE TABLE historical_data (
            id bigserial PRIMARY KEY,
            trading_pair_id bigint NOT NULL REFERENCES trading_pairs (id),
            timeframe text NOT NULL,
            open_time timestamptz NOT NULL,
            open numeric NOT NULL,
            high numeric NOT NULL,
            low numeric NOT NULL,
            close numeric NOT NULL,
            volume numeric NOT NULL,
            quote_volume numeric NULL,
            trade_count bigint NULL,
            is_closed boolean NOT NULL DEFAULT false,
            revisions integer NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT historical_data_trading_pair_id_timeframe_open_time_unique
                UNIQUE (trading_pair_id, timeframe, open_time)
        );

        CREATE TABLE trades (
            id bigserial PRIMARY KEY,
            trading_pair_id bigint NOT NULL REFERENCES trading_pairs (id),
            trade_id text NOT NULL,
            price numeric NOT NULL,
            quantity numeric NOT NULL,
            side text NOT NULL CHECK (side IN ('buy', 'sell', 'unknown')),
            traded_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            CONSTRAINT trades_trading_pair_id_trade_id_unique UNIQUE (trading_pair_id, trade_id)
        );
        CREATE INDEX trades_trading_pair_id_traded_at_index ON trades (trading_pair_id, traded_at);

        CREATE TABLE ticker_snapshots (
            id bigserial PRIMARY KEY,
            trading_pair_id bigint NOT NULL REFERENCES trading_pairs (id),
            last numeric NULL,
            last_quantity numeric NULL,
            bid numeric NULL,
            bid_quantity numeric NULL,
            ask numeric NULL,
            ask_quantity numeric NULL,
            open numeric NULL,
            high numeric NULL,
            low numeric NULL,
            volume numeric NULL,
            quote_volume numeric NULL,
            change_percent numeric NULL,
            captured_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX ticker_snapshots_trading_pair_id_captured_at_index
            ON ticker_snapshots (trading_pair_id, captured_at);
        """
}
