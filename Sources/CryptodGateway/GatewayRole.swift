import CryptodConfig
import CryptodIPC
import CryptodRuntime
import CryptodWire

#if canImport(Glibc)
import Glibc
#endif

/// The gateway: the client-facing API of cryptod (the only process that speaks HTTP).
///
/// - Its process socket accepts the market-data streams of ingestors (and of `.tool` peers such as replays
///   and tests); the consumer keeps the latest state in memory and fans every event out to WebSocket
///   clients. Nothing is persisted: after a restart the senders replay what was not acknowledged.
/// - REST on `gateway.rest_listen` (`/health`, `/metrics`, `/api/v1/…`) and WebSocket on `gateway.ws_listen`
///   (see ``GatewayServer`` and docs/api.md).
/// - Ready once both servers are bound; SIGTERM closes WebSocket clients with 1001, stops both servers
///   and returns.
package struct GatewayRole: CryptodRole {
    private let server: GatewayServer
    private let gateway: GatewayConfig

    package init(context: ProcessContext) {
        gateway = context.configuration.gateway
        let name = context.name
        server = GatewayServer(
            configuration: context.configuration, name: name, logger: context.logger, metrics: context.metrics,
            streamControl: context.stream,
            selfStatus: { details in
                ProcessStatus(
                    name: name.description, role: name.role, pid: getpid(), startedAt: context.startedAt,
                    ready: context.isReady, configGeneration: context.generation, details: details)
            })
    }

    package func endpoint(for peer: Hello) throws -> LinkEndpoint? {
        switch peer.role {
        // Tools (replays, tests) may feed data like an ingestor; their stream is named after them.
        case .ingestor, .tool: LinkEndpoint(inbound: server.receiver)
        default: nil
        }
    }

    package func run(context: ProcessContext) async throws {
        try await server.run { _ in context.markReady() }
        context.logger.info("gateway stopped: servers closed, WebSocket clients disconnected")
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        if next.gateway.restListen != gateway.restListen { return .restartRequired("gateway.rest_listen changed") }
        if next.gateway.wsListen != gateway.wsListen { return .restartRequired("gateway.ws_listen changed") }
        // Limits apply to connections made from now on; the topology (processes to check) at once.
        server.apply(next)
        return .applied
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        await server.statusDetails()
    }
}
