import CryptodExchanges
import CryptodFormats
import CryptodIPC
import CryptodModel
import Logging
import NIOCore
import Synchronization

/// The connected WebSocket clients, their subscriptions, the topics' sequence numbers and replay buffers,
/// and the fan-out of market events to clients.
///
/// **One lock orders everything a client sees.** Publishing an event (applying it to ``books``, numbering
/// it, keeping it for replay, queueing it to subscribers) and subscribing (registering the subscription,
/// taking the book snapshot or the replay, queueing them) happen under the same lock. So a new book
/// subscriber gets exactly the deltas after its snapshot, and a resuming client exactly the events after
/// its sequence number: none missed, none twice.
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

    /// The limits a hub enforces; `maxClients` and `queueCapacity` are reloadable (they apply to connections
    /// made afterwards).
    package struct Limits: Sendable, Equatable {
        /// `gateway.ws_max_clients`.
        package var maxClients: Int
        /// `gateway.ws_client_queue`: messages waiting per client before it is dropped as too slow.
        package var queueCapacity: Int
        /// Subscriptions one connection may hold.
        package var maxTopicsPerClient: Int
        /// `gateway.ws_replay_buffer`: messages kept per topic for clients that resume.
        package var replayBuffer: Int
        /// `gateway.ws_replay_memory`: bytes all topics' replay buffers may hold together.
        package var replayMemory: Int
        /// `gateway.ws_heartbeat_interval`.
        package var heartbeatInterval: Duration

        package init(
            maxClients: Int, queueCapacity: Int, maxTopicsPerClient: Int = 256, replayBuffer: Int = 1024,
            replayMemory: Int = 32 << 20, heartbeatInterval: Duration = .seconds(15)
        ) {
            self.maxClients = maxClients
            self.queueCapacity = queueCapacity
            self.maxTopicsPerClient = maxTopicsPerClient
            self.replayBuffer = replayBuffer
            self.replayMemory = replayMemory
            self.heartbeatInterval = heartbeatInterval
        }
    }

    /// Where a client's messages go.
    private struct Sink {
        let queue: ClientQueue
        let onOverflow: @Sendable () -> Void
    }

    private struct Entry {
        let sink: Sink
        var subscriptions: Set<TopicPattern> = []
        /// Subscribed to the `stats` topic (the stream figures, every 2 s).
        var stats = false
        var remote = "unknown"
        var connectedAt = Timestamp(nanoseconds: 0)
        var sent: UInt64 = 0
    }

    private struct State {
        var limits: Limits
        var clients: [UInt64: Entry] = [:]
        var nextID: UInt64 = 0
        var shuttingDown = false
        /// ``waitUntilEmpty(atMost:)`` waiting for the last session to end.
        var drained: CheckedContinuation<Void, Never>?
        /// Sequence numbers and replay buffers, one per topic that has had an event.
        var logs: [EventTopic: TopicLog] = [:]
        /// What every log's messages occupy together, kept under `limits.replayMemory`.
        var replayBytes = 0
        /// The subscribers of each topic, computed on first use and forgotten whenever a subscription
        /// changes, so the fan-out does not match every client's patterns for every event.
        var routes: [EventTopic: [Sink]] = [:]
        /// Every exchange's instruments, to read unified symbols (`BTC/USDT`).
        var symbols: [ExchangeID: SymbolDirectory] = [:]

        mutating func sinks(for topic: EventTopic) -> [Sink] {
            if let known = routes[topic] { return known }
            let found = clients.values.filter { entry in entry.subscriptions.contains { $0.matches(topic) } }
                .map(\.sink)
            routes[topic] = found
            return found
        }
    }

    /// Identifies this gateway's run: sequence numbers start again at 1 in a new epoch, so a resume that
    /// names another epoch always gets a resync.
    package let epoch: String
    /// The order books, fed through ``publish(_:)``; REST reads them directly.
    package let books: BookStore
    private let state: Mutex<State>
    private let dropped = Atomic<Int>(0)
    /// Messages queued for clients, and messages discarded with a client dropped as too slow (`/stream/stats`).
    private let queuedTotal = Atomic<UInt64>(0)
    private let droppedTotal = Atomic<UInt64>(0)
    private let metrics: GatewayMetrics
    private let socketMetrics: WebSocketMetrics
    private let logger: Logger

    package init(
        limits: Limits, metrics: GatewayMetrics, socketMetrics: WebSocketMetrics, books: BookStore,
        logger: Logger, epoch: String? = nil
    ) {
        state = Mutex(State(limits: limits))
        self.metrics = metrics
        self.socketMetrics = socketMetrics
        self.books = books
        self.logger = logger
        self.epoch = epoch ?? String(UInt64.random(in: 1...UInt64.max), radix: 16)
    }

    package var limits: Limits {
        get { state.withLock { $0.limits } }
        set { state.withLock { $0.limits = newValue } }
    }

    /// Clients connected now.
    package var clientCount: Int { state.withLock { $0.clients.count } }

    /// Clients dropped so far because they did not keep up.
    package var slowDisconnects: Int { dropped.load(ordering: .relaxed) }

    /// The latest sequence number of `topic` (0 before its first event).
    package func latestSequence(of topic: EventTopic) -> UInt64 {
        state.withLock { $0.logs[topic]?.latest ?? 0 }
    }

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
    func admit(remote: String = "unknown", onOverflow: @escaping @Sendable () -> Void) -> Admission {
        let admission = state.withLock { state -> Admission in
            if state.shuttingDown { return .shuttingDown }
            guard state.clients.count < state.limits.maxClients else { return .full(limit: state.limits.maxClients) }
            state.nextID += 1
            let queue = ClientQueue(capacity: state.limits.queueCapacity)
            state.clients[state.nextID] = Entry(
                sink: Sink(queue: queue, onOverflow: onOverflow), remote: remote,
                connectedAt: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
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
            let removed = state.clients.removeValue(forKey: client.id)
            if removed?.subscriptions.isEmpty == false { state.routes = [:] }
            guard state.clients.isEmpty else { return (removed != nil, nil) }
            defer { state.drained = nil }
            return (removed != nil, state.drained)
        }
        client.queue.finish(.closed)
        if removed { metrics.clientsChanged(by: -1) }
        drained?.resume()
    }

    /// Why a subscribe was refused.
    struct TooManyTopics: Error {
        let held: Int
        let asked: Int
        let limit: Int
    }

    /// Adds `op`-format subscriptions, all or none, and queues `reply` followed by the current book of every
    /// book market a new pattern matches (or `book_pending` for a concrete book topic without one).
    /// - Returns: the patterns that were new, and how many the client holds now.
    /// - Throws: ``TooManyTopics`` when the client would hold more than the limit (nothing is queued).
    func subscribe(
        _ client: Client, to patterns: [TopicPattern],
        reply: (_ added: [TopicPattern], _ total: Int) -> ByteBuffer
    ) throws(TooManyTopics) {
        try state.withLock { state throws(TooManyTopics) in
            guard var entry = state.clients[client.id] else { return }
            let held = entry.subscriptions
            let fresh = Set(patterns).subtracting(held)
            guard held.count + fresh.count <= state.limits.maxTopicsPerClient else {
                throw TooManyTopics(held: held.count, asked: fresh.count, limit: state.limits.maxTopicsPerClient)
            }
            entry.subscriptions.formUnion(fresh)
            state.clients[client.id] = entry
            if !fresh.isEmpty { state.routes = [:] }
            push(reply(fresh.sorted(), entry.subscriptions.count), to: entry.sink)
            // The current books for the new book patterns, each market once, skipping those an older
            // pattern already delivers (the client has them).
            var sent: Set<EventTopic> = []
            for pattern in fresh.sorted() where pattern.channel == .book {
                if let topic = pattern.concrete {
                    guard !held.contains(where: { $0.matches(topic) }), sent.insert(topic).inserted else { continue }
                    sendBook(topic, to: entry.sink, state: &state)
                    continue
                }
                for market in books.markets() {
                    let topic = EventTopic(channel: .book, market: market)
                    guard pattern.matches(topic), !held.contains(where: { $0.matches(topic) }),
                        sent.insert(topic).inserted
                    else { continue }
                    sendBook(topic, to: entry.sink, state: &state)
                }
            }
        }
    }

    /// Removes `op`-format subscriptions.
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
            if !removed.isEmpty { state.routes = [:] }
            return (removed.sorted(), asked.subtracting(removed).sorted(), entry.subscriptions.count)
        }
    }

    /// Adds a seed-format subscription to one topic and queues, in this order: the `subscribed` reply made
    /// by `reply` (given the topic's latest sequence number and whether it was held already), then what
    /// `resume` asks for (the missed events, or a `resync`), then for a book its current snapshot (on a
    /// fresh subscribe or a resync). A subscription already held gets only the reply.
    /// - Throws: ``TooManyTopics`` when the client would hold more than the limit (nothing is queued).
    func subscribe(
        _ client: Client, to topic: EventTopic, resume: SeedRequest.Resume?,
        reply: (_ seq: UInt64, _ alreadySubscribed: Bool) -> ByteBuffer
    ) throws(TooManyTopics) {
        try state.withLock { state throws(TooManyTopics) in
            guard var entry = state.clients[client.id] else { return }
            let pattern = TopicPattern(topic)
            let latest = state.logs[topic]?.latest ?? 0
            guard !entry.subscriptions.contains(pattern) else {
                push(reply(latest, true), to: entry.sink)
                return
            }
            guard entry.subscriptions.count < state.limits.maxTopicsPerClient else {
                throw TooManyTopics(held: entry.subscriptions.count, asked: 1, limit: state.limits.maxTopicsPerClient)
            }
            entry.subscriptions.insert(pattern)
            state.clients[client.id] = entry
            state.routes = [:]
            push(reply(latest, false), to: entry.sink)
            guard let resume else {
                if topic.channel == .book { sendBook(topic, to: entry.sink, state: &state) }
                return
            }
            let log = state.logs[topic] ?? TopicLog(capacity: state.limits.replayBuffer)
            let outcome: TopicLog.Resume =
                resume.epoch == epoch ? log.resume(after: resume.seq) : .resync(.unknownSequence(latest: latest))
            switch outcome {
            case .upToDate:
                socketMetrics.resumes.increment()
            case .replay(let messages):
                socketMetrics.resumes.increment()
                socketMetrics.replayedMessages.increment(by: Int64(messages.count))
                for message in messages { push(message, to: entry.sink) }
            case .resync(let why):
                let reason =
                    switch why {
                    case _ where resume.epoch != epoch:
                        "the gateway restarted (epoch \(epoch), yours \(resume.epoch)), so sequence numbers started "
                            + "again"
                    case .tooFarBehind(let oldest):
                        "seq \(resume.seq + 1) onwards is no longer buffered: the replay buffer starts at \(oldest) "
                            + "(gateway.ws_replay_buffer = \(log.capacity) messages per topic, "
                            + "gateway.ws_replay_memory = \(state.limits.replayMemory) bytes for all topics)"
                    case .unknownSequence(let latest):
                        "seq \(resume.seq) is ahead of this topic's latest, \(latest)"
                    }
                let advice =
                    topic.channel == .book
                    ? "; a fresh book snapshot follows" : "; fetch the latest state over REST if you need it"
                socketMetrics.resyncs.increment()
                push(ClientReply.resync(topic, seq: latest, epoch: epoch, reason: reason + advice), to: entry.sink)
                if topic.channel == .book { sendBook(topic, to: entry.sink, state: &state) }
            }
        }
    }

    /// Removes a seed-format subscription and queues `reply` (given whether it was held).
    func unsubscribe(_ client: Client, from topic: EventTopic, reply: (_ wasSubscribed: Bool) -> ByteBuffer) {
        state.withLock { state in
            guard var entry = state.clients[client.id] else { return }
            let removed = entry.subscriptions.remove(TopicPattern(topic)) != nil
            state.clients[client.id] = entry
            if removed { state.routes = [:] }
            push(reply(removed), to: entry.sink)
        }
    }

    /// The client's subscriptions, sorted.
    func subscriptions(of client: Client) -> [TopicPattern] {
        state.withLock { $0.clients[client.id]?.subscriptions.sorted() ?? [] }
    }

    /// The market a client means by `symbol` on `exchange`: the exchange's spelling (any case) or unified
    /// (`BTC/USDT`), read with the exchange's instrument list when the gateway has one.
    func market(exchange: ExchangeID, symbol: String, type: MarketType) -> MarketKey? {
        let directory = state.withLock { $0.symbols[exchange] } ?? SymbolDirectory()
        if let found = directory.market(exchange: exchange, symbol: symbol, type: type),
            TopicPattern.isSymbol(found.symbol)
        {
            return found
        }
        let upper = symbol.uppercased()
        return TopicPattern.isSymbol(upper) ? MarketKey(exchange: exchange, type: type, symbol: upper) : nil
    }

    /// Queues the current book of `topic` as a `book_snapshot` carrying the topic's latest sequence number,
    /// or `book_pending` when there is no book yet. Called under the lock.
    private func sendBook(_ topic: EventTopic, to sink: Sink, state: inout State) {
        let seq = state.logs[topic]?.latest ?? 0
        guard let id = ExchangeID(topic.exchange),
            let view = books.view(MarketKey(exchange: id, type: topic.marketType, symbol: topic.symbol), depth: .max)
        else {
            push(ClientReply.bookPending(topic, seq: seq), to: sink)
            return
        }
        socketMetrics.bookSnapshots.increment()
        push(Self.encode(.bookSnapshot(view.snapshot()), topic: topic, seq: seq), to: sink)
    }

    // MARK: - Fan-out

    /// Applies `event` to the books, numbers it on its topic, keeps it for replay and sends it to every
    /// client subscribed to the topic. Gaps and source statuses go to the clients subscribed to the market
    /// (and channel) they concern; instrument lists only teach the hub the exchange's symbols.
    package func publish(_ event: MarketEvent) {
        switch event {
        case .instruments(let list):
            state.withLock { state in
                for instrument in list.instruments {
                    state.symbols[list.exchange, default: SymbolDirectory()].add(instrument)
                }
            }
        case .gap(let gap):
            passThrough(event, exchange: gap.market.exchange, market: gap.market, channel: Self.channel(ofGap: gap))
        case .status(let status):
            state.withLock { _ in _ = books.apply(event) }
            passThrough(event, exchange: status.exchange, market: status.market, channel: nil)
        case .ticker, .trades, .candle, .bookSnapshot, .bookDelta:
            guard let topic = EventTopic(event) else { return }
            state.withLock { state in
                if topic.channel == .book {
                    guard books.apply(event) == .applied else {
                        // A delta without a snapshot, or one the book already has: a client could not
                        // place it either.
                        socketMetrics.unplacedBookEvents.increment()
                        return
                    }
                }
                var log = state.logs.removeValue(forKey: topic) ?? TopicLog(capacity: state.limits.replayBuffer)
                if log.latest == 0 { socketMetrics.topics.record(state.logs.count + 1) }
                let message = Self.encode(event, topic: topic, seq: log.next)
                state.replayBytes += log.append(message)
                // Over budget, the topic being written gives up its oldest messages: a busy topic (a book's
                // deltas) is the one using the memory, and a quiet one keeps its longer history. Once the
                // budget is reached each topic's size holds still, which leaves every topic about the same
                // span of time to resume within.
                while state.replayBytes > state.limits.replayMemory {
                    let freed = log.dropOldest()
                    if freed == 0 { break }
                    state.replayBytes -= freed
                }
                socketMetrics.replayBytes.record(state.replayBytes)
                state.logs[topic] = log
                for sink in state.sinks(for: topic) { push(message, to: sink) }
            }
        }
    }

    /// An event as sent to clients: its market-event JSON with `topic` and `seq` after the symbol.
    static func encode(_ event: MarketEvent, topic: EventTopic, seq: UInt64) -> ByteBuffer {
        var json = JSONWriter(capacity: 512)
        MarketEventJSON.write(event, into: &json) { json in
            json.field("topic", topic.description)
            json.field("seq", seq)
        }
        return ByteBuffer(bytes: json.bytes)
    }

    /// The channel a gap's `channel` names (`trades`, `ticker`, `candles:1m`, `book`); `nil` for one this
    /// gateway does not know, which then goes to every subscriber of the market.
    static func channel(ofGap gap: StreamGap) -> MarketChannel? {
        let name = gap.channel.split(separator: ":").first.map(String.init) ?? gap.channel
        return MarketChannel(rawValue: name)
    }

    /// Queues a gap or status event, without a sequence number, to the clients it concerns.
    private func passThrough(_ event: MarketEvent, exchange: ExchangeID, market: MarketKey?, channel: MarketChannel?) {
        let message = ByteBuffer(bytes: MarketEventJSON.encode(event))
        state.withLock { state in
            for entry in state.clients.values {
                let concerned = entry.subscriptions.contains { pattern in
                    if let channel, pattern.channel != channel { return false }
                    if let market { return pattern.concerns(market) }
                    return pattern.exchange == nil || pattern.exchange == exchange.rawValue
                }
                guard concerned else { continue }
                socketMetrics.passThrough.increment()
                push(message, to: entry.sink)
            }
        }
    }

    /// Queues a reply for `client`; replies count against its queue like events do.
    func reply(_ message: ByteBuffer, to client: Client) {
        guard let entry = state.withLock({ $0.clients[client.id] }) else { return }
        push(message, to: entry.sink)
    }

    /// Queues a heartbeat for `client`.
    func heartbeat(_ client: Client) {
        socketMetrics.heartbeats.increment()
        reply(ClientReply.heartbeat(time: Timestamp(nanoseconds: WallClock.nowNanoseconds()), epoch: epoch), to: client)
    }

    private func push(_ message: ByteBuffer, to sink: Sink) {
        switch sink.queue.push(message) {
        case .queued:
            queuedTotal.add(1, ordering: .relaxed)
            return
        case .ended:
            // The client is leaving; its session has not removed it yet. Counted only for a dropped client.
            if sink.queue.end == .overflow { socketMetrics.droppedMessages.increment() }
        case .overflowed(let discarded):
            droppedTotal.add(UInt64(discarded), ordering: .relaxed)
            socketMetrics.droppedMessages.increment(by: Int64(discarded))
            dropped.add(1, ordering: .relaxed)
            metrics.slowClientDisconnects.increment()
            logger.warning(
                "dropping a WebSocket client that does not keep up (gateway.ws_client_queue messages waiting)",
                metadata: ["queue": "\(sink.queue.capacity)"])
            sink.onOverflow()
        }
    }

    // MARK: - Stream figures and operator messages

    /// Messages queued for clients since start, and messages dropped with slow clients.
    package var sentTotal: UInt64 { queuedTotal.load(ordering: .relaxed) }
    package var droppedMessagesTotal: UInt64 { droppedTotal.load(ordering: .relaxed) }

    /// Subscribes or unsubscribes a client to `stats`; returns whether it changed anything.
    func setStats(_ client: Client, _ on: Bool) -> Bool {
        state.withLock { state in
            guard var entry = state.clients[client.id], entry.stats != on else { return false }
            entry.stats = on
            state.clients[client.id] = entry
            return true
        }
    }

    func wantsStats(_ client: Client) -> Bool { state.withLock { $0.clients[client.id]?.stats ?? false } }

    /// Queues `message` for every client subscribed to `stats`; returns how many.
    @discardableResult
    package func publishStats(_ message: ByteBuffer) -> Int {
        state.withLock { state in
            var count = 0
            for entry in state.clients.values where entry.stats {
                push(message, to: entry.sink)
                count += 1
            }
            return count
        }
    }

    /// Queues an operator's message for every client; returns how many.
    package func broadcast(_ message: ByteBuffer) -> Int {
        state.withLock { state in
            for entry in state.clients.values { push(message, to: entry.sink) }
            return state.clients.count
        }
    }

    /// One connected client, for `/api/v1/stream/websocket/clients`.
    package struct ClientInfo: Sendable {
        package var id: UInt64
        package var remote: String
        package var connectedAt: Timestamp
        package var subscriptions: Int
        package var stats: Bool
        package var queued: Int
    }

    package func clientInfos() -> [ClientInfo] {
        state.withLock { state in
            state.clients.sorted { $0.key < $1.key }.map { id, entry in
                ClientInfo(
                    id: id, remote: entry.remote, connectedAt: entry.connectedAt,
                    subscriptions: entry.subscriptions.count, stats: entry.stats, queued: entry.sink.queue.count)
            }
        }
    }

    /// Ends every client's queue so the sessions close (code 1001), and refuses new clients.
    package func shutdown() {
        let queues = state.withLock { state -> [ClientQueue] in
            state.shuttingDown = true
            return state.clients.values.map(\.sink.queue)
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
