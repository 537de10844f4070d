import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import ServiceLifecycle
import Synchronization

/// A supervised child's side of its link to `cryptod` (fd 3).
///
/// The supervisor sends `configure` first; the child answers `configureResult`, and `ready` once its role
/// can work. Later `configure`s are reloads. `shutdown`, or the link closing (the supervisor is gone),
/// shuts the child down gracefully: a child never outlives its supervisor. Status and metrics requests
/// are answered here too.
final class ParentLinkController: Sendable {
    /// Installed once the role exists; until then requests get a "starting" status.
    struct Handlers: Sendable {
        var status: @Sendable () async -> ProcessStatus
        var metrics: @Sendable () -> String
        var reload: @Sendable (Configure) async -> ConfigureResult
    }

    private struct State {
        var writer: LinkWriter?
        var firstConfiguration: CheckedContinuation<Configure, any Error>?
        var received: Configure?
        var handlers: Handlers?
        var group: ServiceGroup?
        var closed = false
        var pendingReady: UInt64?
    }

    private let state = Mutex(State())
    private let name: String
    private let role: ProcessRole
    private let logger: Logger

    init(name: String, role: ProcessRole, logger: Logger) {
        self.name = name
        self.role = role
        self.logger = logger
    }

    var endpoint: LinkEndpoint {
        LinkEndpoint(
            onOpen: { [self] writer, _ in
                let ready = state.withLock { state -> UInt64? in
                    state.writer = writer
                    defer { state.pendingReady = nil }
                    return state.pendingReady
                }
                if let ready { try await writer.send(.ready(Ready(generation: ready))) }
            },
            onMessage: { [self] message, writer in try await handle(message, writer: writer) })
    }

    /// Waits for the supervisor's first `configure`.
    func firstConfiguration() async throws -> Configure {
        try await withCheckedThrowingContinuation { continuation in
            let resolved = state.withLock { state -> Result<Configure, any Error>? in
                if let received = state.received { return .success(received) }
                if state.closed {
                    return .failure(LinkError.handshakeFailed("supervisor link closed before configure"))
                }
                state.firstConfiguration = continuation
                return nil
            }
            if let resolved { continuation.resume(with: resolved) }
        }
    }

    func answerFirstConfiguration(_ result: ConfigureResult) async {
        let writer = state.withLock { $0.writer }
        try? await writer?.send(.configureResult(result))
    }

    func install(_ handlers: Handlers, group: ServiceGroup) {
        let closed = state.withLock { state -> Bool in
            state.handlers = handlers
            state.group = group
            return state.closed
        }
        if closed { Task { await group.triggerGracefulShutdown() } }
    }

    /// Sends `ready` now, or as soon as the link is up.
    func sendReady(generation: UInt64) {
        let writer = state.withLock { state -> LinkWriter? in
            if state.writer == nil { state.pendingReady = generation }
            return state.writer
        }
        guard let writer else { return }
        Task { try? await writer.send(.ready(Ready(generation: generation))) }
    }

    /// The link ended: the supervisor is gone or asked us to go. Shut down.
    func linkClosed() async {
        let (continuation, group) = state.withLock {
            state -> (CheckedContinuation<Configure, any Error>?, ServiceGroup?) in
            state.closed = true
            defer { state.firstConfiguration = nil }
            return (state.firstConfiguration, state.group)
        }
        continuation?.resume(throwing: LinkError.handshakeFailed("supervisor link closed before configure"))
        if let group {
            logger.notice("supervisor link closed; shutting down")
            await group.triggerGracefulShutdown()
        }
    }

    private func handle(_ message: Message, writer: LinkWriter) async throws {
        switch message {
        case .configure(let configure):
            let (continuation, handlers) = state.withLock {
                state -> (CheckedContinuation<Configure, any Error>?, Handlers?) in
                if state.received == nil { state.received = configure }
                defer { state.firstConfiguration = nil }
                return (state.firstConfiguration, state.handlers)
            }
            if let continuation {
                continuation.resume(returning: configure)
            } else if let handlers {
                try await writer.send(.configureResult(await handlers.reload(configure)))
            }
        case .shutdown(let request):
            logger.notice(
                "supervisor asked to shut down", metadata: ["graceMilliseconds": "\(request.graceMilliseconds)"])
            let group = state.withLock { $0.group }
            await group?.triggerGracefulShutdown()
        case .statusRequest:
            let handlers = state.withLock { $0.handlers }
            let status =
                await handlers?.status()
                ?? ProcessStatus(
                    name: name, role: role, pid: ProcessIdentity.pid,
                    startedAt: Timestamp(nanoseconds: WallClock.nowNanoseconds()),
                    ready: false, configGeneration: 0, details: [.init("state", "starting")])
            try await writer.send(.statusReply(status))
        case .metricsRequest:
            let handlers = state.withLock { $0.handlers }
            try await writer.send(.metricsReply(MetricsReply(exposition: handlers?.metrics() ?? "")))
        default:
            throw LinkError.protocolViolation("\(message.type) is not expected from the supervisor")
        }
    }
}
