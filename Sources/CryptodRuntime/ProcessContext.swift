import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import Synchronization

/// Everything a role needs from its process: who it is, the configuration in force, link settings,
/// the logger, and the way to say "ready".
package final class ProcessContext: Sendable {
    package let name: ProcessName
    package let identity: LinkIdentity
    package let logger: Logger
    package let metrics: CryptodMetrics
    package let startedAt: Timestamp
    /// Performance mode, throttle and emergency stop (`[performance]`; the `stream` control command).
    package let stream: StreamControl
    private let state: Mutex<State>
    private let readiness: @Sendable (UInt64) -> Void

    private struct State {
        var configuration: Configuration
        var generation: UInt64
        var roleReady = false
        var socketListening = false
        var ready = false
    }

    init(
        name: ProcessName, configuration: Configuration, generation: UInt64, logger: Logger, metrics: CryptodMetrics,
        readiness: @escaping @Sendable (UInt64) -> Void
    ) {
        self.name = name
        self.identity = LinkIdentity(role: name.role, name: name.description)
        self.logger = logger
        self.metrics = metrics
        self.startedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        self.stream = StreamControl(process: name.description, configuration: configuration.performance, logger: logger)
        self.state = Mutex(State(configuration: configuration, generation: generation))
        self.readiness = readiness
    }

    /// The configuration in force (replaced when a reload is applied).
    package var configuration: Configuration { state.withLock { $0.configuration } }
    package var generation: UInt64 { state.withLock { $0.generation } }
    package var isReady: Bool { state.withLock { $0.ready } }

    /// Link tunables from `[delivery]`.
    package var linkSettings: LinkSettings { Self.linkSettings(configuration.delivery) }

    /// This process's socket and everyone else's.
    package var topology: Topology { configuration.topology }

    /// Where the reliable stream `stream` keeps its state and spill files.
    package func streamDirectory(_ stream: String) -> String {
        configuration.daemon.stateDirectory + "/streams/" + stream
    }

    /// Tells the supervisor (or systemd) that this process can work, once its socket listens too.
    /// Idempotent.
    package func markReady() {
        announceIfReady { $0.roleReady = true }
    }

    func socketIsListening() {
        announceIfReady { $0.socketListening = true }
    }

    private func announceIfReady(_ change: (inout State) -> Void) {
        let generation = state.withLock { state -> UInt64? in
            change(&state)
            guard !state.ready, state.roleReady, state.socketListening else { return nil }
            state.ready = true
            return state.generation
        }
        if let generation {
            logger.info("ready")
            readiness(generation)
        }
    }

    func replace(configuration: Configuration, generation: UInt64) {
        state.withLock {
            $0.configuration = configuration
            $0.generation = generation
        }
    }

    static func linkSettings(_ delivery: DeliveryConfig) -> LinkSettings {
        LinkSettings(
            maxFrameBytes: delivery.maxFrameBytes, heartbeatInterval: delivery.heartbeatInterval,
            heartbeatTimeout: delivery.heartbeatTimeout, reconnectInitialBackoff: delivery.reconnectInitialBackoff,
            reconnectMaxBackoff: delivery.reconnectMaxBackoff, memoryLimit: delivery.memoryLimit,
            spillLimit: delivery.spillLimit, maxBatch: delivery.maxBatch)
    }
}
