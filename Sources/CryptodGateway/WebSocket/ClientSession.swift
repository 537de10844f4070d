import CryptodIPC
import CryptodModel
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket

/// Serves one WebSocket connection: admits it (or refuses it with 1013 when the gateway is full), answers
/// its requests, and writes its queued events and replies until either side ends.
///
/// Three child tasks: the reader handles requests and queues their replies; a timer queues a heartbeat
/// every `gateway.ws_heartbeat_interval`; the writer drains the client's
/// bounded queue into the socket. When the queue overflows, the writer sends close code 1008 as soon as it
/// gets control back, and the connection is closed outright `closeGrace` later in any case, because a
/// client that reads nothing would never let the close frame through.
struct ClientSession: Sendable {
    let hub: WebSocketHub
    let metrics: GatewayMetrics
    let logger: Logger
    /// How long an overflowing client has to take its close frame before the TCP connection is cut.
    let closeGrace: Duration

    /// Close code 1013, "try again later" (RFC 6455 registry): the gateway is full.
    static let tryAgainLater = WebSocketErrorCode.unknown(1013)
    static let shutdownReason = "gateway shutting down; reconnect later"

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async throws {
        let grace = TimeAmount.nanoseconds(closeGrace.nanoseconds)
        let admission = hub.admit(
            remote: channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "unknown"
        ) {
            channel.eventLoop.scheduleTask(in: grace) { channel.close(promise: nil) }
        }
        // Close reasons must fit in 123 bytes.
        let client: WebSocketHub.Client
        switch admission {
        case .admitted(let admitted):
            client = admitted
        case .full(let limit):
            logger.notice(
                "refusing a WebSocket client: gateway.ws_max_clients reached", metadata: ["limit": "\(limit)"])
            try? await outbound.close(Self.tryAgainLater, reason: "gateway full (\(limit) clients); try again later")
            return
        case .shuttingDown:
            try? await outbound.close(.goingAway, reason: Self.shutdownReason)
            return
        }
        defer { hub.remove(client) }
        let heartbeat = hub.limits.heartbeatInterval
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await write(client, to: outbound, channel: channel) }
            group.addTask {
                try await read(client, from: inbound)
                client.queue.finish(.closed)
            }
            // An application-level heartbeat, beside the WebSocket pings: browsers hide pings from
            // JavaScript, and this one carries the epoch a client needs to resume.
            group.addTask {
                // Ends only by cancellation: returning would end the session before the writer's close.
                while true {
                    try await Task.sleep(for: heartbeat)
                    if client.queue.end == nil { hub.heartbeat(client) }
                }
            }
            // Whichever side ends first ends the session; a reader error (e.g. a message too large) is
            // rethrown so the WebSocket handler closes with its code.
            try await group.next()
            group.cancelAll()
        }
    }

    // MARK: - Writing

    /// Most messages written with one flush.
    static let batchLimit = 256

    private func write(
        _ client: WebSocketHub.Client, to outbound: WebSocketOutboundWriter, channel: any Channel
    ) async throws {
        while true {
            let batch = await client.queue.nextBatch(limit: Self.batchLimit)
            if batch.isEmpty { break }
            try await Self.writeText(batch, to: channel)
            metrics.messagesSent.increment(by: Int64(batch.count))
        }
        switch client.queue.end {
        case .overflow:
            try? await outbound.close(
                .policyViolation,
                reason: "too slow: over \(client.queue.capacity) messages queued; read faster or subscribe to less")
        case .shutdown:
            try? await outbound.close(.goingAway, reason: Self.shutdownReason)
        case .closed, nil:
            break
        }
    }

    /// Writes `messages` as text frames with one flush. It waits for the socket only when the channel has
    /// become unwritable (more than its high water mark, 64 KiB, not yet taken by the kernel), as WSCore's
    /// writer does. That is the back-pressure: while a slow client's socket is full the writer waits and its
    /// queue fills until it overflows. Waiting for every write instead would keep the channel writable, so
    /// WSCore's pings would go through and a client that reads nothing would be closed as a ping timeout
    /// rather than dropped as too slow (1008), uncounted.
    ///
    /// Beside WSCore's `WebSocketOutboundWriter`, which hops to the event loop and flushes once per frame:
    /// with a thousand clients that was one system call per message per client (scripts/bench-ws). The
    /// frames go into the same pipeline, through the same frame encoder; WSCore adds nothing to a server's
    /// data frame here (no extensions are configured, and servers do not mask). Control frames (pings,
    /// pongs, close) stay with WSCore; since this returns only after the frames are in the channel, a close
    /// frame written afterwards follows them.
    static func writeText(_ messages: [ByteBuffer], to channel: any Channel) async throws {
        try Task.checkCancellation()
        guard let last = messages.last else { return }
        let pending = try await channel.eventLoop.submit { () -> EventLoopFuture<Void>? in
            for message in messages.dropLast() {
                channel.write(WebSocketFrame(fin: true, opcode: .text, data: message), promise: nil)
            }
            let written = channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: last))
            return channel.isWritable ? nil : written
        }.get()
        try await pending?.get()
    }

    // MARK: - Requests

    /// Largest request accepted, in bytes (a subscribe naming 256 long topics fits easily).
    static let maxRequestBytes = 64 * 1024

    private func read(_ client: WebSocketHub.Client, from inbound: WebSocketInboundStream) async throws {
        for try await message in inbound.messages(maxSize: Self.maxRequestBytes) {
            switch message {
            case .text(let text):
                handle(text, for: client)
            case .binary:
                metrics.subscribeErrors.increment()
                let error = ClientError(.binaryNotSupported, "requests are JSON text frames, not binary frames")
                hub.reply(ClientReply.error(error), to: client)
            }
        }
    }

    /// Answers one request, in either format (a `type` key means the seed's, an `op` key the topic format);
    /// every request gets exactly one reply, queued before anything the request causes (a book snapshot,
    /// a replay).
    func handle(_ text: String, for client: WebSocketHub.Client) {
        do throws(ClientError) {
            let body = try RequestBody(text: text)
            switch (body.op, body.type) {
            case (nil, nil):
                throw ClientError(
                    .badRequest,
                    "missing \"type\" (or \"op\"); send e.g. \(SeedRequest.example) "
                        + #"or {"op":"subscribe","topics":["trades.binance.BTCUSDT"]}"#, id: body.clientID)
            case (_?, _?):
                throw ClientError(
                    .badRequest,
                    "a request has either \"type\" (the seed's format) or \"op\" (the topic format), not both",
                    id: body.clientID)
            case (_?, nil):
                try handle(try ClientRequest(text: text), for: client)
            case (nil, _?):
                try handle(try SeedRequest(body), for: client)
            }
        } catch {
            metrics.subscribeErrors.increment()
            hub.reply(ClientReply.error(error), to: client)
        }
    }

    private func handle(_ request: ClientRequest, for client: WebSocketHub.Client) throws(ClientError) {
        switch request.operation {
        case .subscribe where request.topics.contains(Self.statsTopic):
            // `stats` is not a market topic: the stream figures, pushed every 2 s (docs/websocket.md).
            _ = hub.setStats(client, true)
            let rest = request.topics.filter { $0 != Self.statsTopic }
            hub.reply(ClientReply.statsSubscription("subscribe", id: request.id), to: client)
            guard !rest.isEmpty else { return }
            var remaining = request
            remaining.topics = rest
            try handle(remaining, for: client)
        case .unsubscribe where request.topics.contains(Self.statsTopic):
            _ = hub.setStats(client, false)
            let rest = request.topics.filter { $0 != Self.statsTopic }
            hub.reply(ClientReply.statsSubscription("unsubscribe", id: request.id), to: client)
            guard !rest.isEmpty else { return }
            var remaining = request
            remaining.topics = rest
            try handle(remaining, for: client)
        case .subscribe:
            let patterns = try Self.patterns(request)
            do {
                try hub.subscribe(client, to: patterns) { added, total in
                    ClientReply.subscribed(added, total: total, id: request.id)
                }
            } catch {
                throw ClientError(
                    .tooManyTopics,
                    "a connection may hold \(error.limit) subscriptions; it holds \(error.held) "
                        + "and asked for \(error.asked) more. "
                        + "Unsubscribe from some, or use wildcards such as trades.binance.*",
                    op: request.operation.rawValue, id: request.id)
            }
        case .unsubscribe:
            let patterns = try Self.patterns(request)
            let (removed, unknown, total) = hub.unsubscribe(client, from: patterns)
            hub.reply(
                ClientReply.unsubscribed(removed, notSubscribed: unknown, total: total, id: request.id), to: client)
        case .list:
            hub.reply(ClientReply.list(hub.subscriptions(of: client), id: request.id), to: client)
        case .ping:
            hub.reply(
                ClientReply.pong(id: request.id, time: Timestamp(nanoseconds: WallClock.nowNanoseconds())), to: client)
        }
    }

    private func handle(_ request: SeedRequest, for client: WebSocketHub.Client) throws(ClientError) {
        let kind = request.kind.rawValue
        let epoch = hub.epoch
        switch request.kind {
        case .ping:
            hub.reply(
                ClientReply.seedPong(
                    id: request.id, time: Timestamp(nanoseconds: WallClock.nowNanoseconds()), epoch: epoch),
                to: client)
            return
        case .list:
            hub.reply(ClientReply.seedList(hub.subscriptions(of: client), id: request.id), to: client)
            return
        case .subscribe, .unsubscribe:
            break
        }
        guard let target = request.target else { return }
        guard let market = hub.market(exchange: target.exchange, symbol: target.symbol, type: target.market) else {
            throw ClientError(
                .badSymbol,
                "symbol \"\(target.symbol)\" is neither the exchange's spelling (1-64 letters, digits, '_' or '-', "
                    + "e.g. BTCUSDT or BTC_USDT) nor unified (BTC/USDT)",
                op: kind, id: request.id, seed: true)
        }
        let topic = EventTopic(channel: target.stream.channel, market: market, interval: target.interval)
        if request.kind == .unsubscribe {
            hub.unsubscribe(client, from: topic) { was in
                ClientReply.seedUnsubscribed(topic, wasSubscribed: was, id: request.id)
            }
            return
        }
        do {
            try hub.subscribe(client, to: topic, resume: request.resume) { seq, already in
                ClientReply.seedSubscribed(
                    topic, seq: seq, epoch: epoch, alreadySubscribed: already, id: request.id)
            }
        } catch {
            throw ClientError(
                .tooManyTopics,
                "a connection may hold \(error.limit) subscriptions and this one holds \(error.held); "
                    + "unsubscribe from some first",
                op: kind, id: request.id, seed: true)
        }
    }

    static let statsTopic = "stats"

    /// Every topic of a request, or one error naming all the bad ones (nothing is applied then).
    private static func patterns(_ request: ClientRequest) throws(ClientError) -> [TopicPattern] {
        var patterns: [TopicPattern] = []
        var problems: [String] = []
        for topic in request.topics {
            do throws(TopicPattern.Invalid) {
                patterns.append(try TopicPattern(parsing: topic))
            } catch {
                problems.append(error.description)
            }
        }
        guard problems.isEmpty else {
            throw ClientError(
                .badTopic,
                problems.joined(separator: "; ") + ". Nothing was changed; fix these topics and send the request again",
                op: request.operation.rawValue, id: request.id)
        }
        return patterns
    }
}
