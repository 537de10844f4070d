import CryptodFormats
import CryptodModel
import Logging
import NIOCore
import Synchronization

/// The connected WebSocket clients, their subscriptions, and the fan-out of market events to them.
///
/// Publishing never waits for a client: each event is encoded once, then pushed into the bounded queue of
/// every client with a matching subscription. A client whose queue overflows is dropped (see
/// ``ClientQueue``), counted, and its connection closed by its session.
package final class WebSocketHub: Sendable {
    /// A connected client's handle, given by ``admit(onOverflow:)``.
    struct Client: Sendable {
        let id: UInt64
        let queue: ClientQueue
    }

    /// The limits a hub enforces; reloadable (applies to connections made afterwards).
    package struct Limits: Sendable, Equatable {
        /// `gateway.ws_max_clients`.
        package var maxClients: Int
        /// `gateway.ws_client_queue`: messages waiting per client before it is dropped as too slow.
        package var queueCapacity: Int
        /// Subscriptions one connection may hold.
        package var maxTopicsPerClient: Int

        package init(maxClients: Int, queueCapacity: Int, maxTopicsPerClient: Int = 256) {
            self.maxClients = maxClients
            self.queueCapacity = queueCapacity
            self.maxTopicsPerClient = maxTopicsPerClient
        }
    }

    private struct Entry {
        let queue: ClientQueue
        let onOverflow: @Sendable () -> Void
        var subscriptions: Set<TopicPattern> = []
    }

    private struct State {
        var limits: Limits
        var clients: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var shuttingDown = false
        /// ``waitUntilEmpty(atMost:)`` waiting for the last session to end.
        var drained: CheckedContinuation<Void, Never>?
    }

    private let state: Mutex<State>
    private let dropped = Atomic<Int>(0)
    private let metrics: GatewayMetrics
    private let logger: Logger

    package init(limits: Limits, metrics: GatewayMetrics, logger: Logger) {
        state = Mutex(State(limits: limits))
        self.metrics = metrics
        self.logger = logger
    }

    package var limits: Limits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// Clients connected now.
    package var clientCount: Int { state.withLock { $0.clients.count } }

    /// Clients dropped so far because they did not keep up.
    package var slowDisconnects: Int { dropped.load(ordering: .relaxed) }

    // MARK: - Clients

    /// The answer to a new connection.
    enum Admission: Sendable {
        case admitted(Client)
        /// `maxClients` are connected already.
        case full(limit: Int)
        case shuttingDown
    }

    /// Registers a new client, unless `maxClients` are already connected or the gateway is shutting down.
    /// - Parameter onOverflow: Called once, from the publishing task, when the client's queue overflows;
    ///   it must not block (the session uses it to bound how long the close may take).
    func admit(onOverflow: @escaping @Sendable () -> Void) -> Admission {
        let admission = state.withLock { state -> Admission in
            if state.shuttingDown { return .shuttingDown }
            guard state.clients.count < state.limits.maxClients else { return .full(limit: state.limits.maxClients) }
            state.nextID += 1
            let queue = ClientQueue(capacity: state.limits.queueCapacity)
            state.clients[state.nextID] = Entry(queue: queue, onOverflow: onOverflow)
            return .admitted(Client(id: state.nextID, queue: queue))
        }
        switch admission {
        case .admitted: metrics.clientsChanged(by: 1)
        case .full: metrics.refused.increment()
        case .shuttingDown: break
        }
        return admission
    }

    /// Forgets a client (its session ended).
    func remove(_ client: Client) {
        let (removed, drained) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            let removed = state.clients.removeValue(forKey: client.id) != nil
            guard state.clients.isEmpty else { return (removed, nil) }
            defer { state.drained = nil }
            return (removed, state.drained)
        }
        client.queue.finish(.closed)
        if removed { metrics.clientsChanged(by: -1) }
        drained?.resume()
    }

    /// Why ``subscribe(_:to:)`` refused.
    struct TooManyTopics: Error {
        let held: Int
        let asked: Int
        let limit: Int
    }

    /// Adds subscriptions, all or none.
    /// - Returns: the patterns that were new, and how many the client holds now.
    /// - Throws: ``TooManyTopics`` when the client would hold more than the limit.
    func subscribe(
        _ client: Client, to patterns: [TopicPattern]
    ) throws(TooManyTopics) -> (
        added: [TopicPattern], total: Int
    ) {
        try state.withLock { state throws(TooManyTopics) -> (added: [TopicPattern], total: Int) in
            guard var entry = state.clients[client.id] else { return ([], 0) }
            let fresh = Set(patterns).subtracting(entry.subscriptions)
            guard entry.subscriptions.count + fresh.count <= state.limits.maxTopicsPerClient else {
                throw TooManyTopics(
                    held: entry.subscriptions.count, asked: fresh.count, limit: state.limits.maxTopicsPerClient)
            }
            entry.subscriptions.formUnion(fresh)
            state.clients[client.id] = entry
            return (fresh.sorted(), entry.subscriptions.count)
        }
    }

    /// Removes subscriptions.
    /// - Returns: the patterns removed, those the client did not hold, and how many it holds now.
    func unsubscribe(
        _ client: Client, from patterns: [TopicPattern]
    ) -> (
        removed: [TopicPattern], unknown: [TopicPattern], total: Int
    ) {
        state.withLock { state in
            guard var entry = state.clients[client.id] else { return ([], patterns, 0) }
            let asked = Set(patterns)
            let removed = asked.intersection(entry.subscriptions)
            entry.subscriptions.subtract(removed)
            state.clients[client.id] = entry
            return (removed.sorted(), asked.subtracting(removed).sorted(), entry.subscriptions.count)
        }
    }

    /// The client's subscriptions, sorted.
    func subscriptions(of client: Client) -> [TopicPattern] {
        state.withLock { $0.clients[client.id]?.subscriptions.sorted() ?? [] }
    }

    // MARK: - Fan-out

    /// Sends `event` to every client subscribed to its topic.
    package func publish(_ event: MarketEvent) {
        guard let topic = EventTopic(event) else { return }
        let targets = state.withLock { state -> [Entry] in
            state.clients.values.filter { entry in entry.subscriptions.contains { $0.matches(topic) } }
        }
        guard !targets.isEmpty else { return }
        var json = JSONWriter(capacity: 512)
        MarketEventJSON.write(event, into: &json) { $0.field("topic", topic.description) }
        let message = ByteBuffer(bytes: json.bytes)
        for target in targets { push(message, to: target) }
    }

    /// Queues a reply for `client`; replies count against its queue like events do.
    func reply(_ message: ByteBuffer, to client: Client) {
        guard let entry = state.withLock({ $0.clients[client.id] }) else { return }
        push(message, to: entry)
    }

    private func push(_ message: ByteBuffer, to entry: Entry) {
        guard entry.queue.push(message) == .overflowed else { return }
        dropped.add(1, ordering: .relaxed)
        metrics.slowClientDisconnects.increment()
        logger.warning(
            "dropping a WebSocket client that does not keep up (gateway.ws_client_queue messages waiting)",
            metadata: ["queue": "\(entry.queue.capacity)"])
        entry.onOverflow()
    }

    /// Ends every client's queue so the sessions close (code 1001), and refuses new clients.
    package func shutdown() {
        let queues = state.withLock { state -> [ClientQueue] in
            state.shuttingDown = true
            return state.clients.values.map(\.queue)
        }
        for queue in queues { queue.finish(.shutdown) }
    }

    /// Returns once no client is connected, or after `limit`, or when cancelled.
    package func waitUntilEmpty(atMost limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.drained() }
            group.addTask { try? await Task.sleep(for: limit) }
            await group.next()
            group.cancelAll()
        }
    }

    private func drained() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let waiting = state.withLock { state -> Bool in
                    guard !state.clients.isEmpty, !Task.isCancelled, state.drained == nil else { return false }
                    state.drained = continuation
                    return true
                }
                if !waiting { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.drained = nil }
                return state.drained
            }
            waiter?.resume()
        }
    }
}
