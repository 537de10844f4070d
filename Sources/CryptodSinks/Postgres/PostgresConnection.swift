import CLibPQ
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A PostgreSQL connection that lives on a thread of its own and reconnects after a failure.
///
/// libpq blocks, and on a two-core machine the cooperative pool has two threads: one `PQexec` there would
/// stall half the process. So the `PGconn` is owned by a one-thread `NIOThreadPool` and every libpq call runs
/// in a closure submitted to it with ``run(_:)``. That single thread also serialises access: closures run one
/// after another, each sees the connection alone, and a transaction is one closure. This is why the type can
/// be `@unchecked Sendable`: ``session`` is only read and written on that thread, the status in a `Mutex`.
final class PostgresConnection: @unchecked Sendable {
    /// What `statusDetails()` shows; readable from any thread without waiting for a running batch.
    struct Status: Sendable {
        var connected = false
        var serverVersion: String?
        var backendPID: Int32?
        var connects = 0
        var lastError: String?
    }

    private let url: String
    private let applicationName: String
    private let logger: Logger
    private let pool: NIOThreadPool
    private let prepare: @Sendable (PostgresSession) throws(PostgresFailure) -> Void
    private let state = Mutex(Status())
    private let lifecycle = Mutex((started: false, closed: false))
    /// Only touched on the pool's thread.
    private var session: PostgresSession?

    /// - Parameters:
    ///   - url: a libpq connection URI or `key=value` string (`postgres://user@host:5432/db`). Its own
    ///     `connect_timeout` and `application_name` win over the defaults (5 s, `applicationName`).
    ///   - prepare: runs on every new connection before it is used (session settings, temporary tables).
    /// - Throws: ``SinkError`` `.configuration` when libpq cannot parse `url`.
    init(
        url: String, applicationName: String, logger: Logger,
        prepare: @escaping @Sendable (PostgresSession) throws(PostgresFailure) -> Void = { _ in }
    ) throws {
        try Self.validate(url: url)
        self.url = url
        self.applicationName = applicationName
        self.logger = logger
        self.prepare = prepare
        self.pool = NIOThreadPool(numberOfThreads: 1)
    }

    deinit {
        // A started pool must be shut down before it is released (NIO asserts in debug builds).
        let flags = lifecycle.withLock { $0 }
        if flags.started, !flags.closed { pool.shutdownGracefully { _ in } }
    }

    /// Checks that libpq can parse `url`, without connecting.
    static func validate(url: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(url, &message) else {
            let reason = message.map { PostgresFailure.trimmed(String(cString: $0)) } ?? "out of memory"
            if let message { PQfreemem(message) }
            // The URL may hold a password: name the problem, not the text.
            throw SinkError(
                .configuration, sink: "postgres", "the database URL is not a valid libpq connection string: \(reason)")
        }
        PQconninfoFree(options)
    }

    var status: Status { state.withLock { $0 } }

    // MARK: - Running work on the connection's thread

    /// Runs `body` on the connection's thread with a live session, connecting first when there is none.
    ///
    /// When the *first* statement of `body` finds the connection dead (the server restarted, the backend was
    /// terminated while idle), nothing of `body` reached the server, so it reconnects and runs `body` once
    /// more. A failure after that point is thrown: the caller's transaction is gone and only the caller knows
    /// whether to retry.
    /// - Throws: ``PostgresFailure`` from `body` or from connecting; `CancellationError` if the task was
    ///   cancelled before `body` started.
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) throws -> T) async throws -> T {
        startPoolIfNeeded()
        return try await pool.runIfActive { try self.runOnThread(body) }
    }

    private func runOnThread<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let reused = session != nil
        let current = try connectedSession()
        current.statementsRun = 0
        do {
            return try body(current)
        } catch  where Self.lostConnection(error, current) {
            drop(reason: "\(error)")
            guard reused, current.statementsRun <= 1 else { throw error }
            logger.info("postgres connection was lost while idle; reconnecting", metadata: ["error": "\(error)"])
            let fresh = try connectedSession()
            fresh.statementsRun = 0
            do {
                return try body(fresh)
            } catch  where Self.lostConnection(error, fresh) {
                drop(reason: "\(error)")
                throw error
            }
        }
    }

    /// Whether `error` left the session unusable (so the next call must reconnect).
    private static func lostConnection(_ error: any Error, _ session: PostgresSession) -> Bool {
        if !session.isOK { return true }
        if let failure = error as? PostgresFailure { return failure.kind == .connection }
        if let failure = error as? MigrationFailure { return failure.underlying.kind == .connection }
        return false
    }

    /// The open session, or a new one. Runs on the pool's thread.
    private func connectedSession() throws(PostgresFailure) -> PostgresSession {
        if let session, session.probe() { return session }
        if session != nil { drop(reason: "the server closed the connection") }
        let keywords = ["connect_timeout", "application_name", "dbname"]
        let values = ["5", applicationName, url]
        let raw = withCStrings(keywords) { keys in
            withCStrings(values) { vals in PQconnectdbParams(keys, vals, 1) }
        }
        guard let raw else {
            throw PostgresFailure(
                sqlstate: nil, message: "out of memory connecting", context: nil, connectionLost: true)
        }
        guard PQstatus(raw) == CONNECTION_OK else {
            let failure = PostgresFailure(
                sqlstate: nil, message: PostgresFailure.connectionMessage(raw), context: nil, connectionLost: true)
            PQfinish(raw)
            state.withLock {
                $0.connected = false
                $0.lastError = failure.message
            }
            throw failure
        }
        let fresh = PostgresSession(raw: raw)
        do {
            // UTC text for timestamps; NOTICEs ("already exists, skipping") would go to stderr.
            try fresh.execute("SET TIME ZONE 'UTC'; SET client_min_messages = warning")
            try prepare(fresh)
        } catch {
            state.withLock { $0.lastError = error.description }
            throw error
        }
        let version = fresh.serverVersion
        let pid = fresh.backendPID
        let count = state.withLock { status in
            status.connected = true
            status.serverVersion = version
            status.backendPID = pid
            status.connects += 1
            return status.connects
        }
        logger.info(
            "postgres connected",
            metadata: ["server_version": "\(version)", "backend_pid": "\(pid)", "connects": "\(count)"])
        session = fresh
        return fresh
    }

    private func drop(reason: String) {
        session = nil
        state.withLock {
            $0.connected = false
            $0.backendPID = nil
            $0.lastError = reason
        }
    }

    // MARK: - Life cycle

    private func startPoolIfNeeded() {
        let start = lifecycle.withLock { flags -> Bool in
            precondition(!flags.closed, "PostgresConnection used after close()")
            defer { flags.started = true }
            return !flags.started
        }
        if start { pool.start() }
    }

    /// Closes the connection and stops its thread. Safe to call more than once.
    func close() async {
        let (started, alreadyClosed) = lifecycle.withLock { flags in
            defer { flags.closed = true }
            return (flags.started, flags.closed)
        }
        guard !alreadyClosed else { return }
        if started {
            _ = try? await pool.runIfActive { self.session = nil }
            try? await pool.shutdownGracefully()
        }
        state.withLock { $0.connected = false }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live for the duration of the call.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { buffer in
        buffer.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: buffer.count) { body($0) }
    }
}
