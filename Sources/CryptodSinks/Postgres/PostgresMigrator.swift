import Logging

/// Applies ``PostgresMigration/all`` to a database: at sink start and from `cryptoctl migrate`.
///
/// Idempotent: applied versions are read from `schema_migrations (version, name, applied_at)` and skipped.
/// Each migration runs in its own transaction together with its `schema_migrations` row, so a failure leaves
/// the schema at the previous version. A session-level `pg_advisory_lock` is held for the whole run, so two
/// processes starting at once migrate one after the other: the second finds everything applied.
package enum PostgresMigrator {
    /// The advisory lock key: `hashtext('cryptod.schema_migrations')`, computed by the server.
    static let lockKey = "hashtext('cryptod.schema_migrations')"

    /// Connects to `url`, applies what is missing and returns the versions this call applied (empty when the
    /// schema was current).
    /// - Throws: ``SinkError`` `.configuration` for a bad URL or a failed migration, `.unavailable` when the
    ///   server cannot be reached.
    package static func migrate(url: String, logger: Logger) async throws -> [Int] {
        let connection = try PostgresConnection(url: url, applicationName: "cryptod-migrate", logger: logger)
        do {
            let applied = try await migrate(connection: connection, logger: logger)
            await connection.close()
            return applied
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs the migrations on an existing connection's thread.
    static func migrate(connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        do {
            return try await connection.run { session in
                try migrate(session: session, logger: logger)
            }
        } catch let failure as MigrationFailure {
            throw failure.sinkError
        } catch let failure as PostgresFailure {
            throw MigrationFailure(version: nil, name: nil, underlying: failure).sinkError
        }
    }

    /// Applies the missing migrations on `session`. Runs on the connection's thread.
    static func migrate(session: PostgresSession, logger: Logger) throws(MigrationFailure) -> [Int] {
        do {
            try session.execute("SELECT pg_advisory_lock(\(lockKey))")
        } catch {
            throw MigrationFailure(version: nil, name: nil, underlying: error)
        }
        defer { _ = try? session.execute("SELECT pg_advisory_unlock(\(lockKey))") }
        let known: Set<Int>
        do {
            try session.execute(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let rows = try session.execute("SELECT version FROM schema_migrations ORDER BY version")
            known = Set(rows.values.compactMap { $0.first.flatMap { $0 }.flatMap { Int($0) } })
        } catch {
            throw MigrationFailure(version: nil, name: nil, underlying: error)
        }
        if let newest = known.max(), let ours = PostgresMigration.all.last?.version, newest > ours {
            logger.warning(
                "the database schema is newer than this build knows; continuing",
                metadata: ["database_version": "\(newest)", "known_version": "\(ours)"])
        }
        var applied: [Int] = []
        for migration in PostgresMigration.all where !known.contains(migration.version) {
            do {
                try session.execute("BEGIN")
                try session.execute(migration.sql)
                try session.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    [String(migration.version), migration.name])
                try session.execute("COMMIT")
            } catch {
                _ = try? session.execute("ROLLBACK")
                throw MigrationFailure(version: migration.version, name: migration.name, underlying: error)
            }
            logger.info(
                "applied migration", metadata: ["version": "\(migration.version)", "name": "\(migration.name)"])
            applied.append(migration.version)
        }
        return applied
    }
}

/// A migration run that failed: which version, and why.
struct MigrationFailure: Error {
    var version: Int?
    var name: String?
    var underlying: PostgresFailure

    var sinkError: SinkError {
        if underlying.kind == .connection {
            return SinkError(
                .unavailable, sink: "postgres",
                "migrating the schema failed: cannot reach the server (\(underlying)); the writer retries")
        }
        let which = version.map { "migration \($0) (\(name ?? "?"))" } ?? "reading schema_migrations"
        return SinkError(
            .configuration, sink: "postgres",
            "\(which) failed: \(underlying); it was rolled back, the schema stays at the previous version")
    }
}
