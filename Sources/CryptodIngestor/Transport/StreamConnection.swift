import CryptodExchanges
import CryptodIPC
import CryptodModel
import HTTPTypes
import Logging
import Metrics
import NIOCore
import NIOSSL
import Synchronization
import WSClient

/// Receives what a ``StreamConnection`` reads. Called on the connection's task; must not block.
package protocol StreamConnectionDelegate: Sendable {
    /// The connection is up and its subscriptions are being sent. `reconnect` is false on the first
    /// connect of this connection object: after a reconnect, the delegate fills the gap over REST.
    func connectionOpened(_ connection: StreamConnection, reconnect: Bool)
    /// Events parsed from one frame.
    func connection(_ connection: StreamConnection, received events: [StreamEvent], receivedAt: Timestamp)
    /// A frame that did not parse; the connection goes on.
    func connection(_ connection: StreamConnection, failedToParse error: ExchangeParseError, frame: String)
    /// The connection dropped (it reconnects by itself unless retired).
    func connectionClosed(_ connection: StreamConnection, reason: String)
}

/// One WebSocket connection to an exchange, carrying a set of stream subscriptions that may change at run
/// time. It reconnects forever with capped, jittered backoff, resubscribes everything after a reconnect,
/// paces its own messages to the exchange's per-connection limit, and keeps liveness (pings and pongs,
/// or the WebSocket ping frames) apart from data: a quiet market is not a dead socket.
package final class StreamConnection: Sendable {
    package let id: Int
    package let type: MarketType
    package let api: any ExchangeAPI
    private let url: String
    private let tlsConfiguration: TLSConfiguration?
    private let delegate: any StreamConnectionDelegate
    private let logger: Logger
    private let state: Mutex<State>
    private let metrics: Metrics

    private struct State {
        var subscriptions: [StreamSubscription] = [] {
            didSet { subscriptionsVersion &+= 1 }
        }
        var subscriptionsVersion: UInt64 = 1
        /// The parse context for `contextVersion` of the subscriptions (the read loop refreshes it).
        var context = StreamContext(type: .spot)
        var contextVersion: UInt64 = 0
        /// Control messages waiting to be sent on the current socket.
        var outbox: [String] = []
        var wake: AsyncStream<Void>.Continuation?
        var nextID: UInt64 = 1
        var connected = false
        var connects = 0
        var retired = false
        var lastFrameAt: ContinuousClock.Instant?
        var lastPongAt: ContinuousClock.Instant?
    }

    private struct Metrics {
        let frames: Counter
        let reconnects: Counter
        let connected: Meter

        init(exchange: ExchangeID) {
            let dimensions = [("exchange", exchange.rawValue)]
            frames = Counter(label: "cryptod_ingestor_ws_frames_total", dimensions: dimensions)
            reconnects = Counter(label: "cryptod_ingestor_ws_reconnects_total", dimensions: dimensions)
            connected = Meter(label: "cryptod_ingestor_ws_connections", dimensions: dimensions)
        }
    }

    /// Frames larger than this are refused by the WebSocket layer (an exchange never sends them).
    static let maxFrameSize = 4 << 20

    package init(
        id: Int, type: MarketType, api: any ExchangeAPI, baseURL: String, tlsConfiguration: TLSConfiguration?,
        subscriptions: [StreamSubscription], delegate: any StreamConnectionDelegate, logger: Logger
    ) {
        self.id = id
        self.type = type
        self.api = api
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        // `ws_url` may already end in the path (WhiteBIT `…/ws`); don't repeat it.
        let path = api.webSocketPath(type: type)
        url = base.hasSuffix(path) ? base : base + path
        self.tlsConfiguration = tlsConfiguration
        self.delegate = delegate
        var logger = logger
        logger[metadataKey: "connection"] = "\(id)"
        self.logger = logger
        state = Mutex(State(subscriptions: subscriptions))
        metrics = Metrics(exchange: api.exchange)
    }

    // MARK: - Subscriptions

    package var subscriptions: [StreamSubscription] { state.withLock { $0.subscriptions } }

    /// Whether `subscription` may join this connection (room left, exchange rules).
    package func canAccept(_ subscription: StreamSubscription) -> Bool {
        state.withLock { state in
            !state.retired && state.subscriptions.count < api.maxSubscriptionsPerConnection
                && api.canShareConnection(subscription, with: state.subscriptions)
        }
    }

    /// The candle interval this connection's candle rows are in (WhiteBIT rows carry none).
    package var context: StreamContext { Self.context(type: type, subscriptions: subscriptions) }

    static func context(type: MarketType, subscriptions: [StreamSubscription]) -> StreamContext {
        let interval = subscriptions.lazy.compactMap { sub -> CandleInterval? in
            if case .candles(let interval) = sub.channel { return interval }
            return nil
        }.first
        return StreamContext(type: type, candleInterval: interval)
    }

    /// Subscribes more streams; touches no other subscription on the connection.
    package func add(_ added: [StreamSubscription]) {
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            let fresh = added.filter { !state.subscriptions.contains($0) }
            guard !fresh.isEmpty else { return nil }
            state.subscriptions.append(contentsOf: fresh)
            guard state.connected else { return nil }
            state.outbox += api.subscribeMessages(fresh, all: state.subscriptions, nextID: &state.nextID)
            return state.wake
        }
        wake?.yield()
    }

    /// Unsubscribes streams; the others on the connection stay as they are.
    package func remove(_ removed: [StreamSubscription]) {
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            let gone = removed.filter { state.subscriptions.contains($0) }
            guard !gone.isEmpty else { return nil }
            state.subscriptions.removeAll { gone.contains($0) }
            guard state.connected else { return nil }
            state.outbox += api.unsubscribeMessages(gone, remaining: state.subscriptions, nextID: &state.nextID)
            return state.wake
        }
        wake?.yield()
    }

    /// Stops reconnecting and closes the socket (the make-before-break replacement is live, or the
    /// connection carries nothing any more).
    package func retire() {
        let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
            state.retired = true
            return state.wake
        }
        wake?.yield()
    }

    package var isRetired: Bool { state.withLock { $0.retired } }
    package var isConnected: Bool { state.withLock { $0.connected } }

    // MARK: - Running

    /// Connects and keeps the connection until retired or cancelled.
    package func run() async {
        var backoff = Duration.milliseconds(200)
        while !Task.isCancelled, !isRetired {
            let started = ContinuousClock.now
            let reason: String
            do {
                try await connectOnce()
                reason = "closed by the exchange"
            } catch is CancellationError {
                break
            } catch {
                reason = "\(error)"
            }
            let wasConnected = state.withLock { state -> Bool in
                let was = state.connected
                state.connected = false
                state.wake = nil
                state.outbox = []
                return was
            }
            if wasConnected { metrics.connected.decrement() }
            if isRetired || Task.isCancelled { break }
            delegate.connectionClosed(self, reason: reason)
            metrics.reconnects.increment()
            // A connection that lived a while starts its backoff over.
            if ContinuousClock.now - started > .seconds(30) { backoff = .milliseconds(200) }
            let jittered = backoff * Double.random(in: 0.5...1.0)
            logger.warning(
                "stream connection lost; reconnecting", metadata: ["reason": "\(reason)", "in": "\(jittered)"])
            try? await Task.sleep(for: jittered)
            backoff = min(backoff * 2, .seconds(30))
        }
    }

    private func connectOnce() async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: Self.maxFrameSize)
        // Exchanges that ping the client (Binance) are answered by the WebSocket layer; our own pings
        // detect a silent dead socket where the exchange expects the client to speak first.
        if api.clientPing == nil { configuration.autoPing = .enabled(timePeriod: .seconds(30)) }
        try await WebSocketClient.connect(
            url: url, configuration: configuration, tlsConfiguration: tlsConfiguration, logger: logger
        ) { inbound, outbound, _ in
            try await self.session(inbound: inbound, outbound: outbound)
        }
    }

    private func session(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let reconnect = state.withLock { state -> Bool in
            state.connected = true
            state.connects += 1
            state.wake = wake
            state.lastFrameAt = .now
            state.lastPongAt = .now
            state.outbox = api.subscribeMessages(state.subscriptions, all: state.subscriptions, nextID: &state.nextID)
            return state.connects > 1
        }
        metrics.connected.increment()
        logger.info("stream connected", metadata: ["url": "\(url)", "streams": "\(subscriptions.count)"])
        delegate.connectionOpened(self, reconnect: reconnect)
        wake.yield()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.readLoop(inbound) }
            group.addTask { try await self.writeLoop(outbound, wakes: wakes) }
            group.addTask { try await self.livenessLoop() }
            try await group.next()
            group.cancelAll()
        }
        try? await outbound.close(.normalClosure, reason: nil)
    }

    private func readLoop(_ inbound: WebSocketInboundStream) async throws {
        var partial: ByteBuffer?
        var events: [StreamEvent] = []
        events.reserveCapacity(8)
        for try await frame in inbound {
            if isRetired { return }
            var data = frame.data
            switch frame.opcode {
            case .text, .binary:
                if !frame.fin {
                    partial = data
                    continue
                }
            case .continuation:
                guard var buffer = partial else { continue }
                buffer.writeBuffer(&data)
                guard buffer.readableBytes <= Self.maxFrameSize else {
                    partial = nil
                    delegate.connection(
                        self, failedToParse: ExchangeParseError(.oversize, "message over \(Self.maxFrameSize) bytes"),
                        frame: "")
                    continue
                }
                if !frame.fin {
                    partial = buffer
                    continue
                }
                data = buffer
                partial = nil
            }
            let receivedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
            // One lock per frame: the liveness stamp and the parse context (rebuilt only when the
            // subscriptions change, not scanned per frame).
            let context = state.withLock { state -> StreamContext in
                state.lastFrameAt = .now
                if state.contextVersion != state.subscriptionsVersion {
                    state.context = Self.context(type: type, subscriptions: state.subscriptions)
                    state.contextVersion = state.subscriptionsVersion
                }
                return state.context
            }
            metrics.frames.increment()
            events.removeAll(keepingCapacity: true)
            let failure: ExchangeParseError? = data.withUnsafeReadableBytes { bytes in
                do throws(ExchangeParseError) {
                    try api.parseStreamMessage(bytes, context: context, receivedAt: receivedAt, into: &events)
                    return nil
                } catch {
                    return error
                }
            }
            if let failure {
                delegate.connection(
                    self, failedToParse: failure,
                    frame: String(
                        buffer: data.getSlice(at: data.readerIndex, length: min(data.readableBytes, 160)) ?? data))
                continue
            }
            if events.contains(.pong) { state.withLock { $0.lastPongAt = .now } }
            if !events.isEmpty { delegate.connection(self, received: events, receivedAt: receivedAt) }
        }
    }

    /// Sends queued control messages, paced to the exchange's limit, and the client keepalive.
    private func writeLoop(_ outbound: WebSocketOutboundWriter, wakes: AsyncStream<Void>) async throws {
        let spacing = Duration.milliseconds(1000 / max(1, api.maxClientMessagesPerSecond - 1)) + .milliseconds(20)
        var lastSent = ContinuousClock.now - spacing
        var lastPing = ContinuousClock.now
        let ping = api.clientPing
        for await _ in wakes {
            while true {
                if isRetired { return }
                let next = state.withLock { state -> String? in
                    state.outbox.isEmpty ? nil : state.outbox.removeFirst()
                }
                guard let message = next else { break }
                let wait = lastSent + spacing - ContinuousClock.now
                if wait > .zero { try await Task.sleep(for: wait) }
                try await outbound.writeTextMessage(message)
                lastSent = .now
            }
            if let ping, ContinuousClock.now - lastPing >= ping.interval {
                try await outbound.writeTextMessage(ping.message)
                lastSent = .now
                lastPing = .now
            }
        }
    }

    /// Wakes the writer for keepalives and closes a socket that stopped answering.
    private func livenessLoop() async throws {
        let ping = api.clientPing
        let tick = min(ping?.interval ?? .seconds(5), .seconds(5))
        while true {
            try await Task.sleep(for: tick)
            let (wake, silentFor, pongAge, retired) = state.withLock { state in
                (
                    state.wake, ContinuousClock.now - (state.lastFrameAt ?? .now),
                    ContinuousClock.now - (state.lastPongAt ?? .now), state.retired
                )
            }
            if retired { throw CancellationError() }
            wake?.yield()
            if let ping {
                // Liveness is the pong (any frame also counts): three missed keepalives mean a dead socket.
                if pongAge > ping.interval * 3, silentFor > ping.interval * 3 {
                    throw StreamConnectionError("no pong or frame for \(pongAge); the socket is dead")
                }
            }
        }
    }

    static func host(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let hostPort = rest.prefix { $0 != "/" && $0 != "?" }
        if hostPort.hasPrefix("[") { return nil }
        return String(hostPort.prefix { $0 != ":" })
    }
}

struct StreamConnectionError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
