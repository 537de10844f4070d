import CLibPQ

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open libpq connection, used only on its ``PostgresConnection``'s thread.
///
/// Not `Sendable` on purpose: the `PGconn` must never leave that thread. Every call blocks; results are
/// copied into Swift values and cleared at once, so nothing of libpq outlives a call.
final class PostgresSession {
    private let raw: OpaquePointer
    /// Statements run since the current ``PostgresConnection/run(_:)`` began; lets it tell "the very first
    /// statement found a dead connection" (safe to reconnect and retry) from a failure mid-transaction.
    var statementsRun = 0
    /// Set by callers that keep per-connection state (temporary staging tables).
    var preparedStaging = false

    init(raw: OpaquePointer) {
        self.raw = raw
    }

    deinit {
        PQfinish(raw)
    }

    var isOK: Bool { PQstatus(raw) == CONNECTION_OK }
    var backendPID: Int32 { PQbackendPID(raw) }

    /// `15.20`-style version text the server reported at connect.
    var serverVersion: String {
        PQparameterStatus(raw, "server_version").map { String(cString: $0) } ?? String(PQserverVersion(raw))
    }

    /// Reads whatever the server already sent without blocking, so a backend that was terminated while the
    /// connection sat idle (it sends a FATAL error, then closes) is noticed before the next statement.
    func probe() -> Bool {
        _ = PQconsumeInput(raw)
        return isOK
    }

    // MARK: - Statements

    /// Runs one or more statements (simple protocol, no parameters).
    @discardableResult
    func execute(_ sql: String) throws(PostgresFailure) -> PostgresRows {
        statementsRun += 1
        let result = PQexec(raw, sql)
        return try consume(result)
    }

    /// Runs one statement with text parameters (`$1`, `$2`, …; `nil` is SQL NULL).
    @discardableResult
    func execute(_ sql: String, _ parameters: [String?]) throws(PostgresFailure) -> PostgresRows {
        statementsRun += 1
        // A C string ends at NUL: such a parameter would reach the server silently cut short. PostgreSQL text
        // cannot hold NUL anyway, so refuse it the way the server refuses it in COPY (a data exception).
        if parameters.contains(where: { $0?.utf8.contains(0) == true }) {
            throw PostgresFailure(
                sqlstate: "22021", message: "text contains a NUL byte (0x00), which PostgreSQL cannot store",
                context: nil, connectionLost: false)
        }
        var copies: [UnsafeMutablePointer<CChar>?] = parameters.map { value in value.flatMap { strdup($0) } }
        defer { for copy in copies { free(copy) } }
        let result = copies.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { values in
                PQexecParams(raw, sql, Int32(parameters.count), nil, values, nil, nil, 0)
            }
        }
        return try consume(result)
    }

    /// `COPY … FROM STDIN` (text format) with `data` as the rows. Returns the number of rows copied.
    @discardableResult
    func copy(_ sql: String, data: [UInt8]) throws(PostgresFailure) -> Int {
        statementsRun += 1
        let start = PQexec(raw, sql)
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            return try consume(start).affected
        }
        PQclear(start)
        let chunk = 1 << 20
        var sent = true
        data.withUnsafeBufferPointer { buffer in
            var offset = 0
            while offset < buffer.count, sent {
                let length = min(chunk, buffer.count - offset)
                let pointer = UnsafeRawPointer(buffer.baseAddress! + offset).assumingMemoryBound(to: CChar.self)
                sent = PQputCopyData(raw, pointer, Int32(length)) == 1
                offset += length
            }
        }
        // Ending the copy even after a failed send collects the server's error from PQgetResult.
        _ = PQputCopyEnd(raw, sent ? nil : "client failed to send COPY data")
        var rows = 0
        var failure: PostgresFailure?
        while let result = PQgetResult(raw) {
            if failure == nil {
                do throws(PostgresFailure) { rows = try consume(result).affected } catch { failure = error }
            } else {
                PQclear(result)
            }
        }
        if let failure { throw failure }
        if !isOK { throw PostgresFailure.from(result: nil, connection: raw) }
        return rows
    }

    // MARK: - Results

    private func consume(_ result: OpaquePointer?) throws(PostgresFailure) -> PostgresRows {
        defer { if let result { PQclear(result) } }
        guard let result else { throw PostgresFailure.from(result: nil, connection: raw) }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            let count = Int(PQntuples(result))
            let columns = Int(PQnfields(result))
            var values: [[String?]] = []
            values.reserveCapacity(count)
            for row in 0..<count {
                var fields: [String?] = []
                fields.reserveCapacity(columns)
                for column in 0..<columns {
                    if PQgetisnull(result, Int32(row), Int32(column)) == 1 {
                        fields.append(nil)
                    } else {
                        fields.append(String(cString: PQgetvalue(result, Int32(row), Int32(column))))
                    }
                }
                values.append(fields)
            }
            let affected = PQcmdTuples(result).map { Int(String(cString: $0)) ?? 0 } ?? 0
            return PostgresRows(values: values, affected: affected)
        default:
            throw PostgresFailure.from(result: result, connection: raw)
        }
    }
}
