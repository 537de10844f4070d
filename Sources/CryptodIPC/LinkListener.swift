import CryptodWire
import Logging
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Listens on a process socket (`<runtime_dir>/<name>.sock`) and runs a ``LinkSession`` for each peer.
///
/// The socket file is created owner-only (0600) inside an owner-only directory. A stale file left by a
/// crashed process is replaced; a live listener on the same path is an error (two instances must never
/// share a socket). Each connection runs in its own child task and catches its own errors, so one bad
/// peer cannot take the listener down.
package struct LinkListener: Sendable {
    package let path: String
    package let identity: LinkIdentity
    package let settings: LinkSettings
    package let logger: Logger

    package init(path: String, identity: LinkIdentity, settings: LinkSettings, logger: Logger) {
        self.path = path
        self.identity = identity
        self.settings = settings
        self.logger = logger
    }

    /// Binds and serves until cancelled.
    /// - Parameter endpoint: chooses what to do with each peer from its `Hello`; throw to refuse it.
    /// - Throws: ``LinkError/socketInUse(path:)`` or ``LinkError/socketPath(path:reason:)`` when binding fails.
    package func run(
        onListening: (@Sendable () -> Void)? = nil, endpoint: @escaping @Sendable (Hello) throws -> LinkEndpoint
    ) async throws {
        try prepareSocketPath()
        let settings = settings
        let server: NIOAsyncChannel<any Channel, Never>
        do {
            // Accepted channels start with autoRead off and are wrapped by their serving task (see
            // `LinkPipeline.adoptAccepted`), so no byte is read before the link's handlers are in place.
            server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 128)
                .childChannelOption(.autoRead, value: false)
                .bind(unixDomainSocketPath: path) { channel in channel.eventLoop.makeSucceededFuture(channel) }
        } catch {
            throw LinkError.socketPath(path: path, reason: "\(error)")
        }
        guard chmod(path, 0o600) == 0 else {
            try? await server.channel.close()
            throw LinkError.socketPath(path: path, reason: "chmod 0600 failed: \(String(cString: strerror(errno)))")
        }
        logger.info("listening", metadata: ["socket": "\(path)"])
        onListening?()
        defer { unlink(path) }
        // Cancellation must not reach the accept loop's iterator: a cancelled iterator drops connections
        // already accepted and buffered, leaving them open with nobody serving them. So the
        // loop runs in its own task and cancellation closes the server channel instead; the loop then
        // drains what is buffered, and the serving tasks are cancelled, each closing its channel properly.
        // (An unstructured task with a reason: it is awaited right here, so nothing outlives this call.)
        let accepting = Task {
            try await server.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await accepted in connections {
                        group.addTask {
                            let connection: LinkChannel
                            do {
                                connection = try await LinkPipeline.adoptAccepted(accepted, settings: settings)
                            } catch {
                                logger.debug(
                                    "accepted peer gone before its link was set up", metadata: ["error": "\(error)"])
                                accepted.close(promise: nil)
                                return
                            }
                            await serve(connection, endpoint: endpoint)
                        }
                    }
                    group.cancelAll()
                }
            }
        }
        try await withTaskCancellationHandler {
            try await accepting.value
        } onCancel: {
            server.channel.close(promise: nil)
        }
    }

    private func serve(_ connection: LinkChannel, endpoint: @escaping @Sendable (Hello) throws -> LinkEndpoint) async {
        do {
            let peer = try await LinkSession.run(
                channel: connection, identity: identity, settings: settings, logger: logger, endpoint: endpoint)
            logger.debug("link closed", metadata: ["peer": "\(peer.name)"])
        } catch is CancellationError {
            return
        } catch let error as ChannelError where error == .ioOnClosedChannel || error == .eof {
            // A peer that connects and leaves (a liveness probe, a client that gave up) is not news.
            logger.debug("peer left", metadata: ["socket": "\(path)", "error": "\(error)"])
        } catch {
            logger.warning("link ended", metadata: ["socket": "\(path)", "error": "\(error)"])
        }
    }

    /// Makes the directory (0700) and removes a stale socket file; refuses when a live listener owns it.
    private func prepareSocketPath() throws {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !directory.isEmpty {
            do { try PosixFile.makeDirectory(directory) } catch {
                throw LinkError.socketPath(path: path, reason: "\(error)")
            }
        }
        guard path.utf8.count < 108 else {
            throw LinkError.socketPath(
                path: path, reason: "longer than the 107 bytes a Unix socket path may have; use a shorter runtime_dir")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw LinkError.socketPath(path: path, reason: "exists and is not a socket")
        }
        if Self.isLive(path) { throw LinkError.socketInUse(path: path) }
        unlink(path)
    }

    /// Whether something accepts connections on `path` (a blocking connect; local sockets answer at once).
    package static func isLive(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
