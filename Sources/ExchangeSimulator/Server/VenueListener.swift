import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Binds one venue's port: HTTP/1.1 REST, the admin API and WebSocket upgrades on the same socket,
/// optionally behind TLS.
enum VenueListener {
    static func bind(
        group: any EventLoopGroup, host: String, port: Int, venue: any Venue, admin: AdminAPI, tls: NIOSSLContext?
    ) async throws -> any Channel {
        let router = SimRouter(venue: venue, admin: admin)
        return try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try Self.configure(channel: channel, router: router, tls: tls)
                }
            }
            .bind(host: host, port: port)
            .get()
    }

    private static func configure(channel: any Channel, router: SimRouter, tls: NIOSSLContext?) throws {
        let sync = channel.pipeline.syncOperations
        if let tls { try sync.addHandler(NIOSSLServerHandler(context: tls)) }
        let venue = router.venue
        let clientIP = channel.remoteAddress?.ipAddress ?? "unknown"
        let stash = UpgradeStash()
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: venue.webSocketPolicy.maxFrameSize, automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let request = SimRequest(method: head.method, uri: head.uri, headers: head.headers, clientIP: clientIP)
                switch venue.upgrade(request) {
                case .accept(let factory):
                    stash.accept(factory, request: request)
                    return channel.eventLoop.makeSucceededFuture(HTTPHeaders())
                case .reject(let response):
                    stash.reject(response)
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
            },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try Self.installWebSocket(channel: channel, venue: venue, stash: stash)
                }
            })
        let completion: @Sendable (ChannelHandlerContext) -> Void = { context in
            context.pipeline.syncOperations.removeHandler(name: "exchsim.http", promise: nil)
        }
        try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: completion))
        // NIO's upgrade handler only looks at the first request of a connection and then leaves the
        // pipeline. Clients that reuse a keep-alive connection for the WebSocket handshake (aiohttp,
        // hence ccxt.pro, after a REST call) would get a plain 404; web servers upgrade any request.
        // So each keep-alive answer puts a fresh upgrade handler in front of this one, before the
        // pipelining handler lets the next request through. The spent one may still be in the
        // pipeline (a refused handshake removes it only after delivering the request): it passes
        // anything it sees on, then leaves.
        let encoder = try sync.handler(type: HTTPResponseEncoder.self)
        let extraHandlers: [any RemovableChannelHandler] = [
            try sync.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self),
            try sync.handler(type: HTTPServerPipelineHandler.self),
            try sync.handler(type: NIOHTTPResponseHeadersValidator.self),
            try sync.handler(type: HTTPServerProtocolErrorHandler.self),
        ]
        let handler = HTTPServerHandler(router: router, stash: stash, clientIP: clientIP)
        handler.rearmUpgrade = { pipeline in
            let fresh = HTTPServerUpgradeHandler(
                upgraders: [upgrader], httpEncoder: encoder, extraHTTPHandlers: extraHandlers,
                upgradeCompletionHandler: completion)
            try? pipeline.syncOperations.addHandler(fresh, position: .before(handler))
        }
        try sync.addHandler(handler, name: "exchsim.http")
    }

    private static func installWebSocket(channel: any Channel, venue: any Venue, stash: UpgradeStash) throws {
        guard let accepted = stash.takeAccepted(), let hub = venue.context.hubs.hub(for: channel.eventLoop) else {
            channel.close(promise: nil)
            return
        }
        let sync = channel.pipeline.syncOperations
        let encoder = try sync.handler(type: WebSocketFrameEncoder.self)
        let raw = RawFrameWriter()
        try sync.addHandler(raw, position: .before(encoder))
        let policy = venue.webSocketPolicy
        try sync.addHandler(
            NIOWebSocketFrameAggregator(
                minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: policy.maxFrameSize))
        let id = venue.context.stats.connectionIds.wrappingAdd(1, ordering: .relaxed).newValue
        try sync.addHandler(
            WSConnection(
                id: id, request: accepted.request, hub: hub, policy: policy, raw: raw, session: accepted.factory()))
    }
}
