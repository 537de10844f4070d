import NIOCore

/// One simulated exchange. A venue owns its REST routes, its WebSocket protocol, its stream
/// payloads and its rate limits; the core owns sockets, framing, the clock, the market engine,
/// faults and the admin API.
///
/// Adding an exchange means writing one type conforming to `Venue` (plus its `WSSession` and
/// `StreamPublisher`), and listing its `VenueDescriptor` in `VenueRegistry.all`. See
/// docs/exchsim.md, "Adding a venue".
package protocol Venue: AnyObject, Sendable {
    /// Everything the core gives the venue (engine, clock, faults, subscriptions, hubs).
    var context: VenueContext { get }

    /// WebSocket timing and limits enforced by the core for this venue.
    var webSocketPolicy: WebSocketPolicy { get }

    /// Answers one REST request (never called for `/_sim/` paths). Runs on the connection's event
    /// loop: must not block.
    func handle(_ request: SimRequest) -> SimResponse

    /// Decides an HTTP → WebSocket upgrade: accept with a session factory, or reject with a response.
    func upgrade(_ request: SimRequest) -> WebSocketDecision

    /// Creates the per-tick stream publisher. Called once; the publisher is only used on the
    /// broadcaster's event loop.
    func makePublisher() -> any StreamPublisher

    /// The exchange's name for a stream key (fault targeting, admin listings).
    func streamName(_ key: StreamKey) -> String

    /// The venue's symbol for a market, and back (admin `symbol=` parameters use the venue spelling).
    func symbol(of market: Int) -> String
    func market(forSymbol symbol: String) -> Int?

    /// Venue-specific rate-limit state for `/_sim/limits`.
    func limitsState() -> JSONValue

    /// Clears rate-limit counters and bans (`POST /_sim/limits/reset`).
    func resetLimits()

    /// The venue's answer when an `http_5xx` fault fires.
    func serverErrorResponse(status: Int, for request: SimRequest) -> SimResponse

    /// The venue's rate-limit answer when a `rate_limit_storm` fault fires.
    func rateLimitStormResponse(for request: SimRequest) -> SimResponse

    /// Venue-specific admin requests (`/_sim/<venue id>/…`) the core does not know; nil → 404.
    func adminRequest(_ request: SimRequest) -> SimResponse?

    /// Which load kind a subscribed stream takes part in (its market then receives that kind of
    /// generated updates, and its messages are charged to that kind's budget); nil: none.
    func loadKind(of key: StreamKey) -> LoadMix.Kind?
}

extension Venue {
    package func adminRequest(_ request: SimRequest) -> SimResponse? { nil }
    package func loadKind(of key: StreamKey) -> LoadMix.Kind? { nil }
}

/// How a venue is created; one per exchange, listed in `VenueRegistry.all`.
package struct VenueDescriptor: Sendable {
    /// Lowercase identifier used in flags (`--port binance=9101`) and logs.
    package var id: String
    /// The exchange's default port in exchsim.
    package var defaultPort: Int
    /// Builds the venue around its context.
    package var make: @Sendable (VenueContext) -> any Venue

    package init(id: String, defaultPort: Int, make: @escaping @Sendable (VenueContext) -> any Venue) {
        self.id = id
        self.defaultPort = defaultPort
        self.make = make
    }
}

/// The answer to a WebSocket upgrade request.
package enum WebSocketDecision: Sendable {
    /// Upgrade, and create the session on the connection's event loop.
    case accept(@Sendable () -> any WSSession)
    /// Answer with this HTTP response instead.
    case reject(SimResponse)
}

/// WebSocket rules the core enforces for a venue. Times are simulated ms (they follow
/// `--time-scale`) except `maxIncomingPerSecond`, which counts real seconds.
package struct WebSocketPolicy: Sendable {
    /// Server sends a ping frame this often (nil: never).
    package var serverPingIntervalMs: Int64?
    /// Close when a server ping is unanswered this long.
    package var pongTimeoutMs: Int64?
    /// Close when the client sends nothing for this long (nil: never).
    package var idleTimeoutMs: Int64?
    /// Connection lifetime; the session is told before the close (nil: unlimited).
    package var maxLifetimeMs: Int64?
    /// Incoming frames (text, ping, pong) allowed per real second; more closes the connection.
    package var maxIncomingPerSecond: Int?
    /// Most streams one connection may hold.
    package var maxStreamsPerConnection: Int
    /// Largest incoming frame.
    package var maxFrameSize: Int

    package init(
        serverPingIntervalMs: Int64? = nil, pongTimeoutMs: Int64? = nil, idleTimeoutMs: Int64? = nil,
        maxLifetimeMs: Int64? = nil, maxIncomingPerSecond: Int? = nil, maxStreamsPerConnection: Int = 1_024,
        maxFrameSize: Int = 1 << 16
    ) {
        self.serverPingIntervalMs = serverPingIntervalMs
        self.pongTimeoutMs = pongTimeoutMs
        self.idleTimeoutMs = idleTimeoutMs
        self.maxLifetimeMs = maxLifetimeMs
        self.maxIncomingPerSecond = maxIncomingPerSecond
        self.maxStreamsPerConnection = maxStreamsPerConnection
        self.maxFrameSize = maxFrameSize
    }
}

/// A venue's protocol on one WebSocket connection. Lives on the connection's event loop only.
package protocol WSSession: AnyObject {
    /// The upgrade completed (subscribe to streams named in the URL here).
    func didOpen(_ connection: WSConnection)
    /// A complete text message arrived (already counted against the incoming limit).
    func didReceive(text: ByteBuffer, on connection: WSConnection)
    /// A complete binary message arrived.
    func didReceive(binary: ByteBuffer, on connection: WSConnection)
    /// Frames one stream message for this connection (wrapping, filtering). Append nothing to skip it.
    func encode(_ message: StreamMessage, into output: inout WSOutput)
    /// The connection reached `maxLifetimeMs`; send any notice now, the core closes right after.
    func lifetimeEnded(_ connection: WSConnection)
}

extension WSSession {
    package func didReceive(binary: ByteBuffer, on connection: WSConnection) {}
    package func lifetimeEnded(_ connection: WSConnection) {}
}

/// Turns engine events into stream messages, once per broadcaster tick. Used only on the
/// broadcaster's event loop.
package protocol StreamPublisher: AnyObject {
    /// - Parameters:
    ///   - batch: what happened in the market since the last tick.
    ///   - active: streams with at least one subscriber (and how many), so nothing else is rendered.
    ///   - simNow: simulated time (event times in payloads).
    ///   - wallNanos: monotonic real time (stream cadences such as 100 ms / 1000 ms are real time).
    ///   - output: messages to deliver, in order.
    func publish(
        batch: EngineBatch, active: ActiveStreams, simNow: Int64, wallNanos: UInt64, into output: inout [StreamMessage]
    )
}
