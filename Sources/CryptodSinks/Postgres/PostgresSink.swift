import CryptodModel
import Logging
import Synchronization

/// Stores trades, candles and tickers in PostgreSQL, exactly once, with the stream position in the same
/// transaction as the rows (see `docs/storage.md`).
///
/// Book events are not stored here (Redis keeps the books); they still advance the position. All libpq work
/// runs on the connection's own thread (``PostgresConnection``).
package final class PostgresSink: Sink {
    package let name = "postgres"
    package let keepsPositions = true

    private let connection: PostgresConnection
    private let logger: Logger
    private let metrics = PostgresSinkMetrics()
    /// Trading-pair ids committed so far; a market seen for the first time is upserted once.
    private let pairs = Mutex<[MarketKey: Int64]>([:])
    private let totals = Mutex(Totals())

    private struct Totals {
        var rows = 0
        var deadLetters = 0
        var revisions = 0
        var batches = 0
        var migrated = false
    }

    /// - Parameters:
    ///   - url: libpq connection URI (`postgres://user:password@host:5432/cryptod`) or `key=value` string.
    ///   - applicationName: shown in `pg_stat_activity` (default `cryptod-writer`).
    /// - Throws: ``SinkError`` `.configuration` when `url` does not parse. Nothing connects until ``start()``.
    package init(url: String, applicationName: String = "cryptod-writer", logger: Logger) throws {
        var logger = logger
        logger[metadataKey: "sink"] = "postgres"
        self.logger = logger
        self.connection = try PostgresConnection(url: url, applicationName: applicationName, logger: logger) {
            session throws(PostgresFailure) in
            try session.execute(PostgresStaging.create)
        }
    }

    // MARK: - Sink

    /// Connects and applies pending migrations.
    /// - Throws: ``SinkError`` `.unavailable` when the server is down, `.configuration` when a migration fails.
    package func start() async throws {
        do {
            let applied = try await PostgresMigrator.migrate(connection: connection, logger: logger)
            totals.withLock { $0.migrated = true }
            logger.info("postgres sink ready", metadata: ["migrations_applied": "\(applied)"])
        } catch let error as SinkError {
            metrics.error(error.code)
            throw error
        } catch {
            throw mapped(error, action: "connecting and migrating")
        }
    }

    package func position(of stream: String) async throws -> SinkPosition? {
        do {
            return try await connection.run { session in
                let rows = try session.execute(PostgresStaging.readPosition, [stream])
                guard let row = rows.values.first, let epoch = row[0].flatMap({ UInt64($0) }),
                    let sequence = row[1].flatMap({ UInt64($0) })
                else { return nil }
                return SinkPosition(epoch: epoch, sequence: sequence)
            }
        } catch {
            throw mapped(error, action: "reading the position of \(stream)")
        }
    }

    package func write(_ batch: SinkBatch) async throws {
        guard !batch.items.isEmpty else { return }
        let clock = ContinuousClock()
        let started = clock.now
        let known = pairs.withLock { $0 }
        let logger = self.logger
        let report: PostgresWriteReport
        do {
            report = try await connection.run { session in
                var writer = PostgresBatchWriter(session: session, knownPairs: known, logger: logger)
                return try writer.write(batch)
            }
        } catch {
            throw mapped(error, action: "writing \(batch.items.count) items of \(batch.stream)")
        }
        let elapsed = started.duration(to: clock.now)
        let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
        pairs.withLock { cache in
            if report.forgetCachedPairs { cache.removeAll() }
            cache.merge(report.newPairs) { _, new in new }
        }
        metrics.record(report, nanoseconds: nanoseconds)
        totals.withLock { totals in
            totals.rows += report.rows.values.reduce(0, +)
            totals.deadLetters += report.deadLetters
            totals.revisions += report.revisions
            totals.batches += 1
        }
        if report.skippedItems > 0 {
            logger.debug(
                "skipped items already stored",
                metadata: ["stream": "\(batch.stream)", "items": "\(report.skippedItems)"])
        }
    }

    package func close() async {
        await connection.close()
    }

    package func statusDetails() async -> [(String, String)] {
        let status = connection.status
        let totals = totals.withLock { $0 }
        var details: [(String, String)] = [
            ("connection", status.connected ? "connected" : "disconnected"),
            ("server_version", status.serverVersion ?? "unknown"),
            ("rows_written", String(totals.rows)),
            ("batches_written", String(totals.batches)),
            ("dead_letters", String(totals.deadLetters)),
            ("candle_revisions", String(totals.revisions)),
            ("schema", totals.migrated ? "current" : "not checked"),
        ]
        if !status.connected, let error = status.lastError { details.append(("last_error", error)) }
        return details
    }

    // MARK: - Errors

    /// Turns anything thrown on the connection's thread into the ``SinkError`` the writer expects.
    private func mapped(_ error: any Error, action: String) -> SinkError {
        let sinkError: SinkError
        switch error {
        case let error as SinkError: sinkError = error
        case let failure as PostgresFailure: sinkError = failure.sinkError(sink: name, action: action)
        case is CancellationError:
            sinkError = SinkError(
                .unavailable, sink: name, "\(action) was cancelled before it started; nothing was written")
        default:
            sinkError = SinkError(.unavailable, sink: name, "\(action) failed: \(error); the data stays unacknowledged")
        }
        metrics.error(sinkError.code)
        if sinkError.code != .unavailable || connection.status.connected {
            logger.error("postgres sink error", metadata: ["error": "\(sinkError)"])
        } else {
            logger.warning("postgres unavailable", metadata: ["error": "\(sinkError)"])
        }
        return sinkError
    }
}
