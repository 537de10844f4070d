import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import ServiceLifecycle
import UnixSignals

/// The process's own socket: answers `statusRequest` and `metricsRequest` from anyone allowed to connect
/// (the socket is owner-only), and hands the role's peers to the role.
struct ProcessSocketService: Service {
    let context: ProcessContext
    let role: any CryptodRole
    let status: @Sendable () async -> ProcessStatus
    let metrics: @Sendable () -> String

    func run() async throws {
        let path = Topology.socketPath(
            for: context.name, runtimeDirectory: context.configuration.daemon.runtimeDirectory)
        let listener = LinkListener(
            path: path, identity: context.identity, settings: context.linkSettings, logger: context.logger)
        let role = role
        let context = context
        let status = status
        let metrics = metrics
        try await cancelWhenGracefulShutdown {
            try await listener.run(onListening: { context.socketIsListening() }) { peer in
                var endpoint = try role.endpoint(for: peer) ?? LinkEndpoint()
                let roleMessages = endpoint.onMessage
                endpoint.onMessage = { message, writer in
                    switch message {
                    case .statusRequest: try await writer.send(.statusReply(await status()))
                    case .metricsRequest: try await writer.send(.metricsReply(MetricsReply(exposition: metrics())))
                    case .controlRequest(let request) where request.command == .stream:
                        try await writer.send(.controlReply(context.stream.answer(request)))
                    case .controlRequest(let request):
                        let answer =
                            await role.control(request)
                            ?? ControlReply(
                                requestID: request.requestID, result: .invalidRequest,
                                message: "\(context.name) takes no '\(request.command)' command",
                                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
                        try await writer.send(.controlReply(answer))
                    default:
                        guard let roleMessages else {
                            throw LinkError.protocolViolation(
                                "\(message.type) is not accepted by \(peer.name)'s link to this process")
                        }
                        try await roleMessages(message, writer)
                    }
                }
                return endpoint
            }
        }
    }
}

/// Runs the role; its return (after graceful shutdown) ends the process.
struct RoleService: Service {
    let role: any CryptodRole
    let context: ProcessContext

    func run() async throws {
        try await role.run(context: context)
    }
}

/// SIGHUP reloads the configuration from the file (standalone processes only).
struct ReloadService: Service {
    let logger: Logger
    let notifier: SystemdNotifier
    let reload: @Sendable () async throws -> Void

    func run() async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                try? notifier.reloading(status: "reloading")
                do {
                    try await reload()
                } catch {
                    logger.error(
                        "reload failed; the running configuration stays in force", metadata: ["error": "\(error)"])
                }
                try? notifier.ready(status: "ready")
            }
        }
    }
}

/// Sends `WATCHDOG=1` at half the interval systemd asked for, while the process's executor is healthy.
struct WatchdogService: Service {
    let notifier: SystemdNotifier

    func run() async {
        await cancelWhenGracefulShutdown {
            await notifier.runWatchdog()
        }
    }
}
