/// One versioned schema change. Versions are applied in order, each in its own transaction, and recorded
/// in `schema_migrations`; a version, once released, is never edited (add a new one instead).
package struct PostgresMigration: Sendable {
    package let version: Int
    /// snake_case, recorded with the version (`create_market_tables`).
    package let name: String
    /// One or more statements; no BEGIN/COMMIT (the migrator wraps them).
    package let sql: String

    package init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// Every migration the sink knows, oldest first.
    package static let all: [PostgresMigration] = [
        PostgresMigration001.migration,
        PostgresMigration002.migration,
        PostgresMigration003.migration,
        PostgresMigration004.migration,
    ]
}
