import CLibPQ

/// A failed libpq call, classified by what the sink should do about it.
///
/// Internal to the sink: it crosses the module boundary only as a ``SinkError`` (see ``sinkError(sink:action:)``).
struct PostgresFailure: Error, CustomStringConvertible {
    /// What the failure means for the batch being written.
    enum Kind: String {
        /// The connection is gone (server down, backend terminated, network): reconnect and retry later.
        case connection
        /// SQLSTATE class 22 (data exception) or 23 (integrity constraint): one row is bad, the others are not.
        case data
        /// A retryable server condition: serialization failure, deadlock, out of disk, statement timeout.
        case transient
        /// The schema or the credentials are wrong (undefined table, missing database, authentication).
        case configuration
        /// Anything else: the server refused the statement itself.
        case other
    }

    var sqlstate: String?
    var message: String
    /// Where it happened (for COPY, the staging table, line and column).
    var context: String?
    var connectionLost: Bool

    var kind: Kind {
        if connectionLost { return Self.refusesLogin(message) ? .configuration : .connection }
        guard let state = sqlstate, state.utf8.count == 5 else { return .other }
        let sqlClass = String(state.prefix(2))
        switch sqlClass {
        case "22", "23": return .data
        case "08": return .connection
        case "57" where state != "57014": return .connection  // admin shutdown, crash shutdown, cannot connect now
        case "40", "53", "55", "57", "58": return .transient
        case "42", "3D", "3F", "28": return .configuration
        default: return .other
        }
    }

    var description: String {
        var text = sqlstate.map { "[\($0)] \(message)" } ?? message
        if let context, !context.isEmpty { text += " (\(context))" }
        return text
    }

    /// The ``SinkError`` the writer sees. `action` says what was being done
    /// ("writing 812 items of ingestor-binance>writer").
    func sinkError(sink: String, action: String) -> SinkError {
        switch kind {
        case .connection, .transient:
            SinkError(
                .unavailable, sink: sink,
                "\(action) failed: \(self); nothing was committed, the batch stays unacknowledged and spooled upstream")
        case .configuration:
            SinkError(
                .configuration, sink: sink, "\(action) failed: \(self); check database.url and run `cryptoctl migrate`")
        case .data, .other:
            SinkError(.rejected, sink: sink, "\(action) failed: \(self); nothing was committed")
        }
    }

    /// Connection failures that retrying cannot fix: wrong credentials, unknown role or database.
    private static func refusesLogin(_ message: String) -> Bool {
        ["authentication failed", "no pg_hba.conf entry", "does not exist"].contains { message.contains($0) }
    }

    // MARK: - From libpq

    /// Reads a failed result (which may be nil when libpq ran out of memory or lost the connection).
    static func from(result: OpaquePointer?, connection: OpaquePointer?) -> PostgresFailure {
        let lost = connection.map { PQstatus($0) == CONNECTION_BAD } ?? true
        guard let result else {
            return PostgresFailure(
                sqlstate: nil, message: connectionMessage(connection), context: nil, connectionLost: lost)
        }
        let state = cryptod_pq_sqlstate(result).map { String(cString: $0) }
        let primary = cryptod_pq_message_primary(result).map { String(cString: $0) }
        let context = cryptod_pq_context(result).map { String(cString: $0) }
        let message = primary ?? trimmed(String(cString: PQresultErrorMessage(result)))
        return PostgresFailure(
            sqlstate: state, message: message.isEmpty ? connectionMessage(connection) : message, context: context,
            connectionLost: lost)
    }

    /// The connection's last error text, one line.
    static func connectionMessage(_ connection: OpaquePointer?) -> String {
        guard let connection, let text = PQerrorMessage(connection) else { return "no connection" }
        let message = trimmed(String(cString: text))
        return message.isEmpty ? "connection failed" : message
    }

    static func trimmed(_ text: String) -> String {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
            .joined(separator: "; ")
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        var view = self[...]
        while let first = view.first, first == " " || first == "\t" { view = view.dropFirst() }
        while let last = view.last, last == " " || last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
