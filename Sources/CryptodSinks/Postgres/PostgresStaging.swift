import CryptodModel

/// The per-connection staging tables, the COPY text for each, and the one merge statement per table.
///
/// A batch is copied (text COPY, one round trip per table) into `TEMP` tables that empty themselves at
/// commit, then merged with one set-based statement per table. Duplicates are resolved by the merges'
/// `ON CONFLICT` clauses, so a duplicate never fails the batch. Tickers have no natural key and nothing to
/// merge: they are copied straight into `ticker_snapshots`, which saves a staging pass.
enum PostgresStaging {
    /// Run on every new connection (temporary tables live as long as the session).
    static let create = """
        CREATE TEMP TABLE IF NOT EXISTS stage_trades (
            trading_pair_id bigint NOT NULL,
            trade_id text NOT NULL,
            price numeric NOT NULL,
            quantity numeric NOT NULL,
            side text NOT NULL,
            traded_at timestamptz NOT NULL
        ) ON COMMIT DELETE ROWS;
        CREATE TEMP TABLE IF NOT EXISTS stage_candles (
            trading_pair_id bigint NOT NULL,
            timeframe text NOT NULL,
            open_time timestamptz NOT NULL,
            open numeric NOT NULL,
            high numeric NOT NULL,
            low numeric NOT NULL,
            close numeric NOT NULL,
            volume numeric NOT NULL,
            quote_volume numeric NULL,
            trade_count bigint NULL,
            is_closed boolean NOT NULL,
            revisions integer NOT NULL
        ) ON COMMIT DELETE ROWS;
        """

    /// Empties the staging tables between two merges in one transaction (only needed when isolating bad rows).
    static let clear = "TRUNCATE stage_trades, stage_candles"

    // MARK: - Trades

    static let copyTrades =
        "COPY stage_trades (trading_pair_id, trade_id, price, quantity, side, traded_at) FROM STDIN"

    static let mergeTrades = """
        INSERT INTO trades (trading_pair_id, trade_id, price, quantity, side, traded_at)
        SELECT trading_pair_id, trade_id, price, quantity, side, traded_at FROM stage_trades
        ON CONFLICT (trading_pair_id, trade_id) DO NOTHING
        """

    static func append(_ trade: Trade, pair: Int64, to copy: inout PostgresCopyText) {
        copy.integer(pair)
        copy.text(trade.id)
        copy.decimal(trade.price)
        copy.decimal(trade.quantity)
        copy.text(trade.side.description)
        copy.timestamp(trade.time)
        copy.endRow()
    }

    // MARK: - Candles

    /// Taken before a batch's candles are checked and written; conflicts with other writers' inserts and
    /// updates, not with reads.
    static let lockCandles = "LOCK TABLE historical_data IN SHARE ROW EXCLUSIVE MODE"

    /// Any stored candle of a market and timeframe with an open time in a range (µs since the epoch).
    static let candlesStoredBetween = """
        SELECT 1 FROM historical_data WHERE trading_pair_id = $1::bigint AND timeframe = $2
            AND open_time BETWEEN 'epoch'::timestamptz + $3::bigint * interval '1 microsecond'
                AND 'epoch'::timestamptz + $4::bigint * interval '1 microsecond'
        LIMIT 1
        """

    /// The same rows as ``copyCandles``, straight into the table (when none of their keys is stored yet).
    static let copyCandlesDirect = """
        COPY historical_data (trading_pair_id, timeframe, open_time, open, high, low, close, volume, quote_volume,
            trade_count, is_closed, revisions) FROM STDIN
        """

    static let copyCandles = """
        COPY stage_candles (trading_pair_id, timeframe, open_time, open, high, low, close, volume, quote_volume,
            trade_count, is_closed, revisions) FROM STDIN
        """

    /// Inserts new candles and updates changed ones. A forming candle never overwrites a closed one; a closed
    /// candle that changes counts a revision. Returns (rows inserted or updated, revisions added), the
    /// latter by comparing with the rows as they were before the statement (the outer query's snapshot).
    static let mergeCandles = """
        WITH merged AS (
            INSERT INTO historical_data AS h (trading_pair_id, timeframe, open_time, open, high, low, close, volume,
                quote_volume, trade_count, is_closed, revisions)
            SELECT trading_pair_id, timeframe, open_time, open, high, low, close, volume, quote_volume, trade_count,
                is_closed, revisions
            FROM stage_candles
            ON CONFLICT (trading_pair_id, timeframe, open_time) DO UPDATE SET
                open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
                volume = EXCLUDED.volume, quote_volume = EXCLUDED.quote_volume, trade_count = EXCLUDED.trade_count,
                is_closed = EXCLUDED.is_closed,
                revisions = h.revisions + EXCLUDED.revisions + CASE WHEN h.is_closed THEN 1 ELSE 0 END,
                updated_at = now()
            WHERE (h.open, h.high, h.low, h.close, h.volume, h.quote_volume, h.trade_count, h.is_closed)
                    IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume,
                    EXCLUDED.quote_volume, EXCLUDED.trade_count, EXCLUDED.is_closed)
                AND (EXCLUDED.is_closed OR NOT h.is_closed)
            RETURNING h.id, h.revisions
        )
        SELECT count(*), coalesce(sum(m.revisions - coalesce(o.revisions, 0)), 0)
        FROM merged m LEFT JOIN historical_data o ON o.id = m.id
        """

    static func append(_ candle: Candle, pair: Int64, revisions: Int, to copy: inout PostgresCopyText) {
        copy.integer(pair)
        copy.text(candle.interval.description)
        copy.timestamp(candle.openTime)
        copy.decimal(candle.open)
        copy.decimal(candle.high)
        copy.decimal(candle.low)
        copy.decimal(candle.close)
        copy.decimal(candle.volume)
        copy.decimal(candle.quoteVolume)
        copy.integer(candle.tradeCount)
        copy.boolean(candle.isClosed)
        copy.integer(Int64(revisions))
        copy.endRow()
    }

    /// Whether `next` carries different values than `previous` (numeric comparison, as the merge's
    /// `IS DISTINCT FROM`).
    static func changed(_ previous: Candle, _ next: Candle) -> Bool {
        previous.open != next.open || previous.high != next.high || previous.low != next.low
            || previous.close != next.close || previous.volume != next.volume
            || previous.quoteVolume != next.quoteVolume || previous.tradeCount != next.tradeCount
            || previous.isClosed != next.isClosed
    }

    // MARK: - Tickers

    static let copyTickers = """
        COPY ticker_snapshots (trading_pair_id, last, last_quantity, bid, bid_quantity, ask, ask_quantity, open,
            high, low, volume, quote_volume, change_percent, captured_at) FROM STDIN
        """

    static func append(_ ticker: Ticker, pair: Int64, to copy: inout PostgresCopyText) {
        copy.integer(pair)
        copy.decimal(ticker.last)
        copy.decimal(ticker.lastQuantity)
        copy.decimal(ticker.bid)
        copy.decimal(ticker.bidQuantity)
        copy.decimal(ticker.ask)
        copy.decimal(ticker.askQuantity)
        copy.decimal(ticker.open)
        copy.decimal(ticker.high)
        copy.decimal(ticker.low)
        copy.decimal(ticker.volume)
        copy.decimal(ticker.quoteVolume)
        copy.decimal(ticker.changePercent)
        copy.timestamp(ticker.time)
        copy.endRow()
    }

    // MARK: - Dead letters

    static let copyDeadLetters =
        "COPY dead_letters (sink, stream, sequence, target, payload, reason) FROM STDIN"

    // MARK: - Markets and positions

    static let upsertExchange = """
        INSERT INTO exchanges (name) VALUES ($1)
        ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name
        RETURNING id
        """

    /// Finds the pair, inserting it when missing (the `DO UPDATE` makes a concurrent insert still return its id).
    /// A pair first seen in data (a backfill, a `cryptoctl subscribe`) is inserted inactive: `is_active` is what
    /// the scheduler follows, and only the configuration or the application switches a market on.
    static let upsertTradingPair = """
        WITH found AS (
            SELECT id FROM trading_pairs WHERE exchange_id = $1::bigint AND market_type = $2::text AND symbol = $3::text
        ), inserted AS (
            INSERT INTO trading_pairs (exchange_id, market_type, symbol, is_active)
            SELECT $1::bigint, $2::text, $3::text, false WHERE NOT EXISTS (SELECT 1 FROM found)
            ON CONFLICT (exchange_id, market_type, symbol) DO UPDATE SET symbol = EXCLUDED.symbol
            RETURNING id
        )
        SELECT id, false AS created FROM found UNION ALL SELECT id, true FROM inserted
        """

    static let selectExchange = "SELECT id FROM exchanges WHERE name = $1"

    static let readPosition = "SELECT epoch::text, sequence::text FROM stream_positions WHERE stream = $1"

    static let upsertPosition = """
        INSERT INTO stream_positions (stream, epoch, sequence, updated_at) VALUES ($1, $2, $3, now())
        ON CONFLICT (stream) DO UPDATE SET epoch = EXCLUDED.epoch, sequence = EXCLUDED.sequence, updated_at = now()
        """
}
