import Hummingbird
import NIOCore

/// The REST request context: Hummingbird's core context plus the client's address, which the per-client
/// rate limit keys on.
package struct GatewayRequestContext: RequestContext, RemoteAddressRequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: SocketAddress?

    package init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The client's IP address as text (`127.0.0.1`, `::1`), or `local` when there is none (tests).
    var clientKey: String { remoteAddress?.ipAddress ?? "local" }
}
