import Logging
import Testing

@testable import CryptodSinks

// Real PostgreSQL: set CRYPTOD_TEST_DATABASE_URL (scripts/services up prints it). Without it these tests are
// reported as skipped.
@Suite("PostgreSQL migrations", .enabled(if: PostgresTestDatabase.isConfigured, "CRYPTOD_TEST_DATABASE_URL is not set"))
struct PostgresMigratorTests {
    static let tables = [
        "exchanges", "trading_pairs", "historical_data", "trades", "ticker_snapshots", "candle_coverage",
        "stream_positions", "dead_letters", "backfill_jobs",
    ]

    @Test("migrating an empty database applies every version and creates every table")
    func migratesFromEmpty() async throws {
        try await PostgresTestDatabase.with { db in
            let applied = try await PostgresMigrator.migrate(url: db.url, logger: PostgresTestDatabase.logger)
            #expect(applied == PostgresMigration.all.map(\.version))
            let rows = try await db.query("SELECT version::text, name FROM schema_migrations ORDER BY version")
            #expect(rows.map { $0[0] } == PostgresMigration.all.map { String($0.version) })
            #expect(rows.map { $0[1] } == PostgresMigration.all.map(\.name))
            for table in Self.tables {
                #expect(try await db.value("SELECT to_regclass($1)::text", [table]) == table, "table \(table)")
            }
        }
    }

    @Test("running the migrator again applies nothing and changes nothing")
    func rerunIsNoOp() async throws {
        try await PostgresTestDatabase.with { db in
            _ = try await PostgresMigrator.migrate(url: db.url, logger: PostgresTestDatabase.logger)
            let before = try await db.query("SELECT version, applied_at::text FROM schema_migrations ORDER BY version")
            let again = try await PostgresMigrator.migrate(url: db.url, logger: PostgresTestDatabase.logger)
            #expect(again.isEmpty)
            let after = try await db.query("SELECT version, applied_at::text FROM schema_migrations ORDER BY version")
            #expect(before == after)
        }
    }

    @Test("two migrators at once both succeed and each migration is applied once")
    func concurrentMigrators() async throws {
        try await PostgresTestDatabase.with { db in
            let url = db.url
            async let first = PostgresMigrator.migrate(url: url, logger: PostgresTestDatabase.logger)
            async let second = PostgresMigrator.migrate(url: url, logger: PostgresTestDatabase.logger)
            let results = try await [first, second]
            #expect((results[0] + results[1]).sorted() == PostgresMigration.all.map(\.version))
            #expect(results.contains { $0.isEmpty })
            #expect(try await db.count("schema_migrations") == PostgresMigration.all.count)
        }
    }

    @Test("a database that does not exist is a configuration error")
    func missingDatabase() async throws {
        let url = PostgresTestDatabase.url(try #require(PostgresTestDatabase.serverURL), database: "cryptod_no_such_db")
        await #expect {
            _ = try await PostgresMigrator.migrate(url: url, logger: PostgresTestDatabase.logger)
        } throws: { ($0 as? SinkError)?.code == .configuration }
    }

    @Test("a failed migration is rolled back and reported as a configuration error")
    func failedMigration() async throws {
        try await PostgresTestDatabase.with { db in
            // A table in the way of migration 1: its CREATE TABLE fails, nothing of version 1 may remain.
            _ = try await db.query("CREATE TABLE trades (id int)")
            await #expect {
                _ = try await PostgresMigrator.migrate(url: db.url, logger: PostgresTestDatabase.logger)
            } throws: { error in
                guard let error = error as? SinkError else { return false }
                return error.code == .configuration && error.message.contains("migration 1")
            }
            #expect(try await db.value("SELECT to_regclass('exchanges')::text") == nil)
            #expect(try await db.count("schema_migrations") == 0)
        }
    }
}

/// Needs no server: runs everywhere.
@Suite("PostgreSQL migrations without a server")
struct PostgresMigratorOfflineTests {
    @Test("a bad URL is a configuration error, an unreachable server is unavailable")
    func connectionErrors() async throws {
        await #expect {
            _ = try await PostgresMigrator.migrate(url: "postgres://[oops", logger: PostgresTestDatabase.logger)
        } throws: { ($0 as? SinkError)?.code == .configuration }
        await #expect {
            _ = try await PostgresMigrator.migrate(
                url: "postgres://postgres@127.0.0.1:1/none", logger: PostgresTestDatabase.logger)
        } throws: { ($0 as? SinkError)?.code == .unavailable }
    }
}
