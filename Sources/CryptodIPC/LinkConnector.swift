import CryptodModel
import CryptodWire
import Logging
import Metrics

/// Keeps a link to a peer's socket up: connects, runs a ``LinkSession``, and reconnects with capped,
/// jittered exponential backoff whenever it ends, until cancelled. A peer that is down is normal (it may
/// be restarting); the outbound stream keeps its frames meanwhile.
package struct LinkConnector: Sendable {
    package let path: String
    package let identity: LinkIdentity
    package let settings: LinkSettings
    package let logger: Logger
    /// The role the peer must have; anything else is refused.
    package let expectedRole: ProcessRoleFilter

    package init(
        path: String, identity: LinkIdentity, settings: LinkSettings, logger: Logger, expectedRole: ProcessRoleFilter
    ) {
        self.path = path
        self.identity = identity
        self.settings = settings
        self.logger = logger
        self.expectedRole = expectedRole
    }

    /// Connects and reconnects until cancelled.
    package func run(endpoint: LinkEndpoint) async throws {
        var backoff = settings.reconnectInitialBackoff
        var failures = 0
        let connects = Counter(label: "cryptod_ipc_connects_total", dimensions: [("socket", path)])
        while !Task.isCancelled {
            let started = ContinuousClock.now
            do {
                let channel = try await LinkPipeline.connect(path: path, settings: settings)
                connects.increment()
                let expected = expectedRole
                try await LinkSession.run(channel: channel, identity: identity, settings: settings, logger: logger) {
                    peer in
                    guard expected.accepts(peer.role) else {
                        throw LinkError.unexpectedPeer("\(peer.name) (\(peer.role)) answered on \(path)")
                    }
                    return endpoint
                }
                failures = 0
            } catch is CancellationError {
                return
            } catch {
                failures += 1
                // Log the first failure and then sparsely, so a peer that is down for long doesn't flood.
                if failures == 1 || failures.isMultiple(of: 30) {
                    logger.warning(
                        "link to peer unavailable; retrying",
                        metadata: ["socket": "\(path)", "error": "\(error)", "attempts": "\(failures)"])
                }
            }
            if ContinuousClock.now - started > .seconds(10) { backoff = settings.reconnectInitialBackoff }
            let jitter = Double.random(in: 0.8...1.2)
            try? await Task.sleep(for: backoff * jitter)
            backoff = min(backoff * 2, settings.reconnectMaxBackoff)
        }
    }
}

/// Which peer roles a connector accepts.
package struct ProcessRoleFilter: Sendable {
    let roles: Set<ProcessRole>

    package init(_ roles: ProcessRole...) { self.roles = Set(roles) }

    func accepts(_ role: ProcessRole) -> Bool { roles.contains(role) }
}
