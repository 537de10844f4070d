import Logging
import Synchronization

/// Read-only PostgreSQL sessions for readers of what the writer stored (the gateway's history routes).
///
/// Each connection is a ``PostgresConnection``: its own thread, so libpq's blocking calls never run on an
/// event loop or the cooperative pool, and a reconnect after a server restart. Sessions are opened with
/// `default_transaction_read_only` so a reader cannot change the writer's tables, and with a statement
/// timeout so one slow query cannot hold a connection for ever. Queries go round robin.
package final class PostgresReadPool: Sendable {
    /// Why a query failed, in terms a caller can act on.
    package struct Failure: Error, Sendable, CustomStringConvertible {
        /// True when the server could not be reached or the connection broke (retry later).
        package var unavailable: Bool
        package var message: String
        package var description: String { message }
    }

    private let connections: [PostgresConnection]
    private let next = Atomic<Int>(0)

    /// - Parameters:
    ///   - url: a libpq URL; the password never appears in a message.
    ///   - size: connections (threads), at least 1.
    ///   - statementTimeout: the server cancels a query running longer.
    /// - Throws: ``SinkError`` `.configuration` when libpq cannot parse `url`.
    package init(
        url: String, size: Int, applicationName: String, statementTimeout: Duration = .seconds(10), logger: Logger
    ) throws {
        let milliseconds =
            statementTimeout.components.seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
        connections = try (0..<max(1, size)).map { _ in
            try PostgresConnection(
                url: url, applicationName: applicationName, logger: logger,
                prepare: { session throws(PostgresFailure) in
                    try session.execute(
                        "SET default_transaction_read_only = on; SET statement_timeout = \(milliseconds)")
                })
        }
    }

    /// Runs one statement with text parameters and returns its rows as text (`nil` is SQL NULL).
    /// - Throws: ``Failure``.
    package func query(_ sql: String, _ parameters: [String?]) async throws(Failure) -> [[String?]] {
        let index = next.add(1, ordering: .relaxed).oldValue % connections.count
        do {
            return try await connections[index].run { session in try session.execute(sql, parameters).values }
        } catch let failure as PostgresFailure {
            throw Failure(
                unavailable: failure.kind == .connection || failure.kind == .transient, message: failure.description)
        } catch {
            throw Failure(unavailable: true, message: "\(error)")
        }
    }

    /// Whether at least one connection is open now.
    package var connected: Bool { connections.contains { $0.status.connected } }

    /// The last connection error, if no connection is open.
    package var lastError: String? {
        connected ? nil : connections.lazy.compactMap { $0.status.lastError }.first
    }

    /// Closes every connection and stops their threads.
    package func close() async {
        for connection in connections { await connection.close() }
    }
}
