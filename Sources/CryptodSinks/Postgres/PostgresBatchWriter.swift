import CryptodModel
import Logging

/// Writes one ``SinkBatch`` in one transaction on a ``PostgresSession``. Runs on the connection's thread.
///
/// The transaction: read the stream's stored position (items at or below it are already stored and are
/// skipped, which makes a replayed batch harmless), resolve the ids of markets seen for the first time,
/// COPY the rows into the staging tables, merge each table with one statement, upsert `stream_positions`,
/// COMMIT. Rows and position commit together or not at all.
///
/// When PostgreSQL rejects data (SQLSTATE class 22 or 23), the transaction is rolled back and the batch is
/// written again with the bad rows isolated: markets are resolved one by one and the rows bisected under
/// savepoints until each rejected row stands alone; those go to `dead_letters` with the server's reason, the
/// rest lands, and the position still advances.
struct PostgresBatchWriter {
    private let session: PostgresSession
    private let logger: Logger
    /// Ids known before this batch (committed earlier).
    private let knownPairs: [MarketKey: Int64]
    /// Ids resolved in this transaction; handed back only after COMMIT.
    private var newPairs: [MarketKey: Int64] = [:]
    private var exchangeIDs: [String: Int64] = [:]
    /// Whether the staging tables may hold rows of an earlier merge in this transaction.
    private var stagingDirty = false
    private var report = PostgresWriteReport()

    init(session: PostgresSession, knownPairs: [MarketKey: Int64], logger: Logger) {
        self.session = session
        self.knownPairs = knownPairs
        self.logger = logger
    }

    /// Writes `batch` and returns what was stored. Throws ``PostgresFailure`` (nothing was committed then).
    mutating func write(_ batch: SinkBatch) throws -> PostgresWriteReport {
        do {
            try transaction { try $0.attempt(batch, isolating: false) }
        } catch let failure as PostgresFailure where failure.sqlstate == "23503" && !knownPairs.isEmpty {
            // A cached market id no longer exists (the table was emptied under us): resolve them all again.
            logger.warning(
                "a cached trading pair id is gone; resolving markets again", metadata: ["error": "\(failure)"])
            self = PostgresBatchWriter(session: session, knownPairs: [:], logger: logger)
            report.forgetCachedPairs = true
            return try write(batch)
        } catch let failure as PostgresFailure where failure.kind == .data {
            logger.warning(
                "postgres rejected rows of a batch; writing it again with the bad rows quarantined",
                metadata: ["stream": "\(batch.stream)", "error": "\(failure)"])
            let forget = report.forgetCachedPairs
            self = PostgresBatchWriter(session: session, knownPairs: forget ? [:] : knownPairs, logger: logger)
            report.forgetCachedPairs = forget
            try transaction { try $0.attempt(batch, isolating: true) }
        }
        report.newPairs = newPairs
        return report
    }

    // MARK: - Transaction

    private mutating func transaction(_ body: (inout PostgresBatchWriter) throws -> Void) throws {
        try session.execute("BEGIN")
        do {
            try body(&self)
            try session.execute("COMMIT")
        } catch {
            if session.isOK { _ = try? session.execute("ROLLBACK") }
            throw error
        }
    }

    private mutating func attempt(_ batch: SinkBatch, isolating: Bool) throws {
        guard let last = batch.lastPosition else { return }
        let stored = try readPosition(batch.stream)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(batch.items.count)
        for item in batch.items {
            if let stored, stored.epoch == batch.epoch, item.sequence <= stored.sequence {
                report.skippedItems += 1
                continue
            }
            rows.append(contentsOf: PostgresRow.rows(of: item))
        }
        if report.skippedItems == batch.items.count { return }  // all stored already: a replay after a lost ack
        if isolating {
            var dead: [(row: PostgresRow, reason: String)] = []
            let (pairs, refused) = try resolveMarketsIsolating(rows)
            var good: [PostgresRow] = []
            for row in rows {
                if let reason = refused[row.market] { dead.append((row, reason)) } else { good.append(row) }
            }
            // The batch failed as a whole; unless a refused market explains that, so does some slice of `good`.
            dead += try isolate(good[...], pairs: pairs, knownBad: refused.isEmpty)
            try insertDeadLetters(dead, stream: batch.stream)
        } else {
            let pairs = try resolveMarkets(rows)
            report.add(try apply(rows[...], pairs: pairs))
        }
        try session.execute(
            PostgresStaging.upsertPosition, [batch.stream, String(last.epoch), String(last.sequence)])
        report.position = last
    }

    private func readPosition(_ stream: String) throws -> SinkPosition? {
        let rows = try session.execute(PostgresStaging.readPosition, [stream])
        guard let row = rows.values.first, row.count == 2, let epoch = row[0].flatMap({ UInt64($0) }),
            let sequence = row[1].flatMap({ UInt64($0) })
        else { return nil }
        return SinkPosition(epoch: epoch, sequence: sequence)
    }

    // MARK: - Markets

    private mutating func resolveMarkets(_ rows: [PostgresRow]) throws -> [MarketKey: Int64] {
        var pairs = knownPairs
        for row in rows where pairs[row.market] == nil {
            let id = try resolve(row.market)
            pairs[row.market] = id
            newPairs[row.market] = id
        }
        return pairs
    }

    /// Resolves each new market under its own savepoint; a market PostgreSQL refuses (a symbol with a NUL)
    /// comes back with the reason, and its rows become dead letters.
    private mutating func resolveMarketsIsolating(
        _ rows: [PostgresRow]
    ) throws -> (pairs: [MarketKey: Int64], refused: [MarketKey: String]) {
        var pairs = knownPairs
        var refused: [MarketKey: String] = [:]
        for row in rows where pairs[row.market] == nil && refused[row.market] == nil {
            try session.execute("SAVEPOINT cryptod_market")
            do {
                let id = try resolve(row.market)
                try session.execute("RELEASE SAVEPOINT cryptod_market")
                pairs[row.market] = id
                newPairs[row.market] = id
            } catch let failure as PostgresFailure where failure.kind == .data {
                try session.execute("ROLLBACK TO SAVEPOINT cryptod_market")
                try session.execute("RELEASE SAVEPOINT cryptod_market")
                exchangeIDs[row.market.exchange.rawValue] = nil
                refused[row.market] = "market \(row.market): \(failure)"
            }
        }
        return (pairs, refused)
    }

    private mutating func resolve(_ market: MarketKey) throws -> Int64 {
        let exchange = try exchangeID(market.exchange.rawValue)
        let rows = try session.execute(
            PostgresStaging.upsertTradingPair, [String(exchange), market.type.description, market.symbol])
        guard let id = rows.scalar.flatMap({ Int64($0) }) else {
            throw PostgresFailure(
                sqlstate: nil, message: "no id returned for trading pair \(market)", context: nil, connectionLost: false
            )
        }
        if rows.values.first?[1] == "t" { report.rows["trading_pairs", default: 0] += 1 }
        return id
    }

    private mutating func exchangeID(_ name: String) throws -> Int64 {
        if let id = exchangeIDs[name] { return id }
        var id = try session.execute(PostgresStaging.selectExchange, [name]).scalar.flatMap { Int64($0) }
        if id == nil { id = try session.execute(PostgresStaging.upsertExchange, [name]).scalar.flatMap { Int64($0) } }
        guard let id else {
            throw PostgresFailure(
                sqlstate: nil, message: "no id returned for exchange \(name)", context: nil, connectionLost: false)
        }
        exchangeIDs[name] = id
        return id
    }

    // MARK: - Copy and merge

    /// Stages and merges `rows`; returns the counts, which the caller adds once the rows are kept.
    private mutating func apply(
        _ rows: ArraySlice<PostgresRow>, pairs: [MarketKey: Int64]
    ) throws -> PostgresWriteReport {
        var counts = PostgresWriteReport()
        if stagingDirty { try session.execute(PostgresStaging.clear) }
        stagingDirty = true

        var trades = PostgresCopyText()
        var tickers = PostgresCopyText()
        // Candles: one row per key, the last one wins (DO UPDATE cannot touch a row twice in one statement);
        // a closed candle changing within the batch is a revision too.
        var candleIndex: [CandleKey: Int] = [:]
        var candles: [(candle: Candle, pair: Int64, revisions: Int)] = []
        for row in rows {
            guard let pair = pairs[row.market] else { continue }
            switch row.value {
            case .trade(let trade):
                PostgresStaging.append(trade, pair: pair, to: &trades)
            case .ticker(let ticker):
                PostgresStaging.append(ticker, pair: pair, to: &tickers)
            case .candle(let candle):
                let key = CandleKey(pair: pair, interval: candle.interval, openTime: candle.openTime)
                if let index = candleIndex[key] {
                    let previous = candles[index]
                    if previous.candle.isClosed && !candle.isClosed { continue }  // never reopen a closed candle
                    let revision = previous.candle.isClosed && PostgresStaging.changed(previous.candle, candle) ? 1 : 0
                    candles[index] = (candle, pair, previous.revisions + revision)
                } else {
                    candleIndex[key] = candles.count
                    candles.append((candle, pair, 0))
                }
            }
        }
        if trades.rows > 0 {
            try session.copy(PostgresStaging.copyTrades, data: trades.bytes)
            let inserted = try session.execute(PostgresStaging.mergeTrades).affected
            counts.rows["trades", default: 0] += inserted
            counts.duplicates["trades", default: 0] += trades.rows - inserted
        }
        if !candles.isEmpty {
            var copy = PostgresCopyText(capacity: candles.count * 128)
            for entry in candles {
                PostgresStaging.append(entry.candle, pair: entry.pair, revisions: entry.revisions, to: &copy)
            }
            // The lock (readers are not blocked) keeps another writer from storing one of these keys between
            // the check below and the COPY that follows it.
            try session.execute(PostgresStaging.lockCandles)
            if try candlesAreNew(candles) {
                // A backfill or a new market: no stored row shares a key with the batch, so the rows go straight
                // into the table. The merge's row-by-row ON CONFLICT costs about three times a COPY
                // (docs/storage.md, "Measured").
                counts.rows["historical_data", default: 0] += try session.copy(
                    PostgresStaging.copyCandlesDirect, data: copy.bytes)
                counts.revisions += candles.reduce(0) { $0 + $1.revisions }
            } else {
                try session.copy(PostgresStaging.copyCandles, data: copy.bytes)
                let result = try session.execute(PostgresStaging.mergeCandles)
                let changed = result.values.first?[0].flatMap { Int($0) } ?? 0
                counts.rows["historical_data", default: 0] += changed
                counts.duplicates["historical_data", default: 0] += copy.rows - changed
                counts.revisions += result.values.first?[1].flatMap { Int($0) } ?? 0
            }
        }
        if tickers.rows > 0 {
            counts.rows["ticker_snapshots", default: 0] += try session.copy(
                PostgresStaging.copyTickers, data: tickers.bytes)
        }
        return counts
    }

    /// Applies `rows` under a savepoint; on a data error splits them in halves until each rejected row is
    /// alone. Returns the rejected rows with the server's reason. `knownBad` skips trying a slice that just
    /// failed as a whole.
    private mutating func isolate(
        _ rows: ArraySlice<PostgresRow>, pairs: [MarketKey: Int64], knownBad: Bool
    ) throws -> [(row: PostgresRow, reason: String)] {
        if rows.isEmpty { return [] }
        if !(knownBad && rows.count > 1) {
            try session.execute("SAVEPOINT cryptod_rows")
            do {
                let counts = try apply(rows, pairs: pairs)
                try session.execute("RELEASE SAVEPOINT cryptod_rows")
                report.add(counts)
                return []
            } catch let failure as PostgresFailure where failure.kind == .data {
                try session.execute("ROLLBACK TO SAVEPOINT cryptod_rows")
                try session.execute("RELEASE SAVEPOINT cryptod_rows")
                if rows.count == 1 { return [(rows[rows.startIndex], failure.description)] }
            }
        }
        let middle = rows.startIndex + rows.count / 2
        return try isolate(rows[..<middle], pairs: pairs, knownBad: false)
            + isolate(rows[middle...], pairs: pairs, knownBad: false)
    }

    private mutating func insertDeadLetters(_ dead: [(row: PostgresRow, reason: String)], stream: String) throws {
        guard !dead.isEmpty else { return }
        var copy = PostgresCopyText()
        for entry in dead {
            copy.text("postgres")
            copy.text(stream)
            copy.unsigned(entry.row.sequence)
            copy.text(entry.row.target)
            copy.text(entry.row.payload)
            copy.text(String(entry.reason.unicodeScalars.filter { $0 != "\0" }))
            copy.endRow()
            logger.error(
                "postgres refused a row; stored it in dead_letters",
                metadata: [
                    "stream": "\(stream)", "sequence": "\(entry.row.sequence)", "table": "\(entry.row.target)",
                    "reason": "\(entry.reason)",
                ])
        }
        try session.copy(PostgresStaging.copyDeadLetters, data: copy.bytes)
        report.deadLetters += dead.count
        report.rows["dead_letters", default: 0] += dead.count
    }
}

extension PostgresBatchWriter {
    /// Whether no stored candle shares a key with `candles`: per market and timeframe, nothing is stored
    /// between the batch's first and last open time (one index range scan each).
    fileprivate mutating func candlesAreNew(
        _ candles: [(candle: Candle, pair: Int64, revisions: Int)]
    ) throws -> Bool {
        var ranges: [GroupKey: (first: Int64, last: Int64)] = [:]
        for entry in candles {
            let key = GroupKey(pair: entry.pair, interval: entry.candle.interval)
            let time = entry.candle.openTime.nanoseconds.floorDivided(by: 1_000)
            let range = ranges[key] ?? (time, time)
            ranges[key] = (min(range.first, time), max(range.last, time))
        }
        for (key, range) in ranges {
            let found = try session.execute(
                PostgresStaging.candlesStoredBetween,
                [String(key.pair), key.interval.description, String(range.first), String(range.last)])
            if !found.values.isEmpty { return false }
        }
        return true
    }
}

/// A market and timeframe of the candles table.
private struct GroupKey: Hashable {
    var pair: Int64
    var interval: CandleInterval
}

/// The natural key of a candle row.
private struct CandleKey: Hashable {
    var pair: Int64
    var interval: CandleInterval
    var openTime: Timestamp
}
