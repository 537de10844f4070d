import NIOCore

/// The WebSocket connections of one venue on one event loop, and who subscribes to what.
///
/// Stream messages are rendered once per tick by the broadcaster and handed to every hub; a hub
/// frames each message for each local subscriber and flushes each touched connection once.
package final class LoopHub {
    package let loop: any EventLoop
    package let clock: SimClock
    let stats: VenueStats
    let subscriptions: SubscriptionRegistry
    private var connections: [Int: WSConnection] = [:]
    // Read for every message; only touched on this hub's event loop (see WSConnection.output).
    @exclusivity(unchecked) private var subscribers: [StreamKey: [WSConnection]] = [:]
    @exclusivity(unchecked) private var touched: [WSConnection] = []
    private var housekeepingTask: RepeatedTask?

    init(loop: any EventLoop, clock: SimClock, stats: VenueStats, subscriptions: SubscriptionRegistry) {
        self.loop = loop
        self.clock = clock
        self.stats = stats
        self.subscriptions = subscriptions
    }

    package var connectionCount: Int { self.connections.count }

    /// Starts the keepalive/lifetime timer (real time; rules inside compare simulated times).
    func start() {
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.housekeepingTask = self.loop.scheduleRepeatedTask(
            initialDelay: .milliseconds(20), delay: .milliseconds(20)
        ) { _ in
            bound.value.housekeeping()
        }
    }

    func stop() {
        self.housekeepingTask?.cancel()
        self.housekeepingTask = nil
    }

    func register(_ connection: WSConnection) {
        self.connections[connection.id] = connection
        self.stats.connectionsOpen.wrappingAdd(1, ordering: .relaxed)
        self.stats.connectionsTotal.wrappingAdd(1, ordering: .relaxed)
    }

    func unregister(_ connection: WSConnection) {
        guard self.connections.removeValue(forKey: connection.id) != nil else { return }
        self.remove(connection, keys: Array(connection.streams))
        self.stats.connectionsOpen.wrappingSubtract(1, ordering: .relaxed)
    }

    func add(_ connection: WSConnection, keys: [StreamKey]) {
        guard !keys.isEmpty else { return }
        for key in keys { self.subscribers[key, default: []].append(connection) }
        self.subscriptions.add(keys)
    }

    func remove(_ connection: WSConnection, keys: [StreamKey]) {
        guard !keys.isEmpty else { return }
        for key in keys {
            guard var list = self.subscribers[key] else { continue }
            list.removeAll { $0 === connection }
            self.subscribers[key] = list.isEmpty ? nil : list
        }
        self.subscriptions.remove(keys)
    }

    /// Frames every message for its subscribers, then flushes each touched connection once.
    package func deliver(_ messages: [StreamMessage]) {
        for message in messages {
            guard let list = self.subscribers[message.key] else { continue }
            for connection in list {
                if !connection.isQueued {
                    connection.isQueued = true
                    self.touched.append(connection)
                }
                connection.enqueue(message)
            }
        }
        guard !self.touched.isEmpty else { return }
        for connection in self.touched {
            connection.isQueued = false
            connection.flush()
        }
        self.touched.removeAll(keepingCapacity: true)
    }

    private func housekeeping() {
        let now = self.clock.now()
        for connection in Array(self.connections.values) {
            connection.housekeeping(now: now)
        }
    }

    /// Drops connections whose URL or streams mention `target` (all when nil); returns how many.
    package func dropConnections(target: String?, name: (StreamKey) -> String) -> Int {
        var dropped = 0
        for connection in Array(self.connections.values) {
            let matches =
                target.map { target in
                    connection.request.path.contains(target) || connection.request.rawQuery.contains(target)
                        || connection.streams.contains { name($0).contains(target) }
                } ?? true
            if matches {
                connection.drop()
                dropped += 1
            }
        }
        return dropped
    }

    /// Closes every connection with a close frame (shutdown).
    func closeAll(code: UInt16, reason: String) {
        for connection in Array(self.connections.values) {
            connection.close(code: code, reason: reason)
        }
    }

    /// Admin view of the connections.
    package func describe(name: (StreamKey) -> String) -> [JSONValue] {
        let now = self.clock.now()
        return self.connections.values.sorted { $0.id < $1.id }.map { connection in
            .object([
                ("id", .int(connection.id)), ("clientIP", .string(connection.clientIP)),
                (
                    "path",
                    .string(
                        connection.request.path
                            + (connection.request.rawQuery.isEmpty ? "" : "?" + connection.request.rawQuery))
                ),
                ("ageMs", .int(now - connection.openedAt)),
                ("streams", .array(connection.streams.sorted().map { .string(name($0)) })),
            ])
        }
    }
}

/// The hubs of one venue, one per event loop.
package final class HubDirectory: Sendable {
    private let hubs: [NIOLoopBound<LoopHub>]

    init(hubs: [NIOLoopBound<LoopHub>]) {
        self.hubs = hubs
    }

    /// An event loop of this venue (for futures of admin queries).
    package var anyLoop: any EventLoop { self.hubs[0].eventLoop }

    /// The hub of `loop`; call on that loop.
    func hub(for loop: any EventLoop) -> LoopHub? {
        self.hubs.first { $0.eventLoop === loop }?.value
    }

    /// Runs `body` on every hub, each on its own loop; completes when all did.
    package func forEach<T: Sendable>(
        on loop: any EventLoop, _ body: @escaping @Sendable (LoopHub) -> T
    ) -> EventLoopFuture<[T]> {
        let futures = self.hubs.map { bound in
            bound.eventLoop.submit { body(bound.value) }
        }
        return EventLoopFuture.whenAllSucceed(futures, on: loop)
    }

    /// Delivers messages on every hub (directly when already on its loop).
    func deliver(_ messages: [StreamMessage]) {
        for bound in self.hubs {
            if bound.eventLoop.inEventLoop {
                bound.value.deliver(messages)
            } else {
                bound.eventLoop.execute { bound.value.deliver(messages) }
            }
        }
    }

    func start() {
        for bound in self.hubs { bound.eventLoop.execute { bound.value.start() } }
    }

    func stop() -> EventLoopFuture<Void>? {
        guard let first = self.hubs.first else { return nil }
        let futures = self.hubs.map { bound in
            bound.eventLoop.submit {
                bound.value.stop()
                bound.value.closeAll(code: 1001, reason: "Server shutting down")
            }
        }
        return EventLoopFuture.andAllSucceed(futures, on: first.eventLoop)
    }
}
