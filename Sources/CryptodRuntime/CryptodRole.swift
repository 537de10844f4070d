import CryptodConfig
import CryptodIPC
import CryptodWire

/// What a process role (ingestor, scheduler, writer, gateway) gives ``ProcessHost``.
///
/// The host owns everything every process has in common — configuration, logging, metrics, the process
/// socket with its status and metrics answers, the supervisor link or systemd notifications, signals and
/// graceful shutdown — so a role is only its own work.
package protocol CryptodRole: Sendable {
    /// What to do with a peer that connected to this process's socket, beyond the status and metrics
    /// requests the host answers itself. Return `nil` for peers that may only ask for status; throw to
    /// refuse a peer with a message it will log.
    func endpoint(for peer: Hello) throws -> LinkEndpoint?

    /// Does the role's work. Call `context.markReady()` once the role can work, and return when the
    /// process shuts down gracefully (see ServiceLifecycle's `gracefulShutdown()`), after flushing: the
    /// host cancels the rest of the process only after this returns (or after the stop timeout).
    func run(context: ProcessContext) async throws

    /// Applies a reloaded configuration where possible.
    func reconfigure(_ configuration: Configuration) async -> ReconfigureOutcome

    /// Role facts for `status` (links, queue depths, positions).
    func statusDetails() async -> [ProcessStatus.Detail]

    /// Answers an operator command sent to this process's socket (an ingestor's `subscribe`), or `nil`
    /// when the role takes no such command.
    func control(_ request: ControlRequest) async -> ControlReply?
}

extension CryptodRole {
    package func control(_ request: ControlRequest) async -> ControlReply? { nil }
}

/// The result of applying a reloaded configuration.
package enum ReconfigureOutcome: Sendable, Equatable {
    /// Nothing this role uses changed, or it was applied in place.
    case applied
    /// Valid, but only a restart applies it (a listen address, a socket path); the message says which key.
    case restartRequired(String)
    /// Not valid for this role; the old configuration stays in force.
    case rejected(String)
}
