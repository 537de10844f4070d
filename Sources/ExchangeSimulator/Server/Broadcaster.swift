import NIOCore

/// Drives one venue's streams: on every tick it drains the engine, has the venue publisher render
/// messages for subscribed streams, applies stream faults and load, and hands the result to the hubs.
///
/// Confined to one event loop (scheduled there; state is never touched from elsewhere).
final class Broadcaster {
    private let context: VenueContext
    private let venue: any Venue
    private let publisher: any StreamPublisher
    private let loop: any EventLoop
    private var task: RepeatedTask?
    private var active = ActiveStreams()
    private var messages: [StreamMessage] = []
    /// Delayed messages (latency and stall faults), released in order.
    private var held: [(release: UInt64, message: StreamMessage)] = []
    private var heldUntil: [StreamKey: UInt64] = [:]
    private var stalls: [(target: String?, until: UInt64)] = []
    /// A depth message held back by a reorder fault, sent after the next one of its stream.
    private var reordered: [StreamKey: StreamMessage] = [:]
    /// Load generation.
    private var loadTokens = 0.0
    private var messagesPerLoadEvent = 1.0
    private var lastTick: UInt64 = 0

    init(context: VenueContext, venue: any Venue, loop: any EventLoop) {
        self.context = context
        self.venue = venue
        self.publisher = venue.makePublisher()
        self.loop = loop
    }

    func start(tickMs: Int64) {
        let bound = NIOLoopBound(self, eventLoop: self.loop)
        self.lastTick = SimClock.monotonicNanos()
        self.task = self.loop.scheduleRepeatedTask(initialDelay: .milliseconds(tickMs), delay: .milliseconds(tickMs)) {
            _ in
            bound.value.tick()
        }
    }

    func stop() {
        self.task?.cancel()
        self.task = nil
    }

    private func tick() {
        let wall = SimClock.monotonicNanos()
        let elapsed = Double(wall &- self.lastTick) / 1e9
        self.lastTick = wall
        if self.context.subscriptions.version != self.active.version {
            self.active = self.context.subscriptions.snapshot()
        }
        let drop = self.context.faults.connectionDrop()
        if drop.fire {
            let venue = self.venue
            let target = drop.target
            _ = self.context.hubs.forEach(on: self.loop) { hub in
                hub.dropConnections(target: target) { venue.streamName($0) }
            }
        }
        let loadEvents = self.planLoad(elapsed: elapsed)
        if loadEvents > 0 {
            self.context.engine.generateLoad(count: loadEvents, markets: Array(self.active.markets).sorted())
        }
        let batch = self.context.engine.drain()
        self.messages.removeAll(keepingCapacity: true)
        self.publisher.publish(
            batch: batch, active: self.active, simNow: batch.time, wallNanos: wall, into: &self.messages)
        if loadEvents > 0 || self.context.load > 0 {
            self.settleLoad(events: loadEvents)
        }
        let out = self.applyFaults(self.messages, wall: wall)
        if !out.isEmpty { self.context.hubs.deliver(out) }
    }

    // MARK: - Load

    /// Events to generate this tick so that delivered messages approach the target rate.
    private func planLoad(elapsed: Double) -> Int {
        let rate = self.context.load
        guard rate > 0, !self.active.counts.isEmpty else {
            self.loadTokens = 0
            return 0
        }
        self.loadTokens = min(self.loadTokens + rate * elapsed, rate * 0.05)
        guard self.loadTokens > 0 else { return 0 }
        return Int((self.loadTokens / max(0.05, self.messagesPerLoadEvent)).rounded(.up))
    }

    /// Charges the messages this tick delivers (organic ones included) against the token bucket.
    private func settleLoad(events: Int) {
        var delivered = 0
        for message in self.messages { delivered += self.active.subscribers(message.key) }
        self.loadTokens -= Double(delivered)
        if events > 0 {
            let observed = Double(delivered) / Double(events)
            self.messagesPerLoadEvent = max(0.05, 0.8 * self.messagesPerLoadEvent + 0.2 * observed)
        }
    }

    // MARK: - Faults

    private func applyFaults(_ messages: [StreamMessage], wall: UInt64) -> [StreamMessage] {
        var ordered: [StreamMessage] = []
        if self.context.faults.hasRules && !messages.isEmpty {
            let venue = self.venue
            let decision = self.context.faults.decide(messages: messages) { venue.streamName($0) }
            self.stalls.append(contentsOf: decision.stalls)
            ordered.reserveCapacity(messages.count)
            for (index, message) in messages.enumerated() {
                if decision.skip.contains(index) { continue }
                var message = message
                if let corruption = decision.corrupt[index] { message.corruption = corruption }
                if decision.reorder.contains(index) && self.reordered[message.key] == nil {
                    self.reordered[message.key] = message
                    continue
                }
                ordered.append(message)
                if decision.duplicate.contains(index) { ordered.append(message) }
                if let late = self.reordered.removeValue(forKey: message.key) { ordered.append(late) }
            }
            return self.delay(ordered, wall: wall, latencyMs: decision.latencyMs)
        }
        // No rules: still flush held messages, and release held-back reorders in order.
        if !self.reordered.isEmpty {
            for message in messages {
                ordered.append(message)
                if let late = self.reordered.removeValue(forKey: message.key) { ordered.append(late) }
            }
            return self.delay(ordered, wall: wall, latencyMs: 0)
        }
        return self.held.isEmpty && self.stalls.isEmpty ? messages : self.delay(messages, wall: wall, latencyMs: 0)
    }

    /// Latency and stall faults: messages wait in a delay line; per stream, order is kept.
    private func delay(_ messages: [StreamMessage], wall: UInt64, latencyMs: Int64) -> [StreamMessage] {
        self.stalls.removeAll { $0.until <= wall }
        var now: [StreamMessage] = []
        let venue = self.venue
        for message in messages {
            var release = wall + UInt64(max(0, latencyMs)) * 1_000_000
            for stall in self.stalls where stall.target.map({ venue.streamName(message.key).contains($0) }) ?? true {
                release = max(release, stall.until)
            }
            if let until = self.heldUntil[message.key] { release = max(release, until) }
            if release <= wall {
                now.append(message)
            } else {
                self.held.append((release, message))
                self.heldUntil[message.key] = release
            }
        }
        guard !self.held.isEmpty else { return now }
        var released: [StreamMessage] = []
        var remaining: [(release: UInt64, message: StreamMessage)] = []
        for entry in self.held {
            if entry.release <= wall && (remaining.allSatisfy { $0.message.key != entry.message.key }) {
                released.append(entry.message)
            } else {
                remaining.append(entry)
            }
        }
        self.held = remaining
        self.heldUntil = self.heldUntil.filter { key, _ in remaining.contains { $0.message.key == key } }
        return released + now
    }
}
