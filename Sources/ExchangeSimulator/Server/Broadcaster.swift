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
    /// Load generation: the aggregate `--load-rate` bucket, charged with every delivered frame.
    private var loadTokens = 0.0
    private var messagesPerLoadEvent = 1.0
    /// The `--load` mix: one bucket per kind, charged with that kind's frames only.
    private var mixBuckets: [LoadMix.Kind: LoadBucket] = [:]
    /// Markets with a subscribed stream of each load kind, for `targetsVersion` of the subscriptions.
    private var mixTargets: [LoadMix.Kind: [Int]] = [:]
    private var targetsVersion: UInt64 = .max
    private var lastTick: UInt64 = 0

    private struct LoadBucket {
        var tokens = 0.0
        var messagesPerEvent = 1.0
        var events = 0
    }

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
        let mix = self.context.loadMix
        let mixOn = !mix.isOff || !self.mixBuckets.isEmpty
        if mixOn { self.planMix(mix, elapsed: elapsed) }
        let batch = self.context.engine.drain()
        self.messages.removeAll(keepingCapacity: true)
        self.publisher.publish(
            batch: batch, active: self.active, simNow: batch.time, wallNanos: wall, into: &self.messages)
        if loadEvents > 0 || self.context.load > 0 {
            self.settleLoad(events: loadEvents)
        }
        if mixOn { self.settleMix() }
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

    /// Generates this tick's updates of each kind of the mix on the markets subscribed to that kind.
    private func planMix(_ mix: LoadMix, elapsed: Double) {
        if self.targetsVersion != self.active.version {
            self.targetsVersion = self.active.version
            var targets: [LoadMix.Kind: Set<Int>] = [:]
            for key in self.active.counts.keys where key.market >= 0 {
                if let kind = self.venue.loadKind(of: key) { targets[kind, default: []].insert(key.market) }
            }
            self.mixTargets = targets.mapValues { $0.sorted() }
        }
        for kind in LoadMix.Kind.allCases {
            let rate = mix.rate(kind)
            guard rate > 0, let markets = self.mixTargets[kind], !markets.isEmpty else {
                self.mixBuckets[kind] = nil
                continue
            }
            var bucket = self.mixBuckets[kind] ?? LoadBucket()
            // At most 50 ms of budget carried: a stall never turns into a burst.
            bucket.tokens = min(bucket.tokens + rate * elapsed, rate * 0.05)
            bucket.events = 0
            if bucket.tokens > 0 {
                let wanted = (bucket.tokens / max(0.05, bucket.messagesPerEvent)).rounded(.up)
                // Venues that publish on a cadence deliver less than one message per update; the cap keeps
                // the update rate bounded by the target.
                bucket.events = Int(min(wanted, max(1, rate * 0.05)))
                self.context.engine.generateLoad(count: bucket.events, markets: markets, kind: kind)
            }
            self.mixBuckets[kind] = bucket
        }
    }

    /// Charges each kind's delivered frames (organic ones included) against its bucket.
    private func settleMix() {
        guard !self.mixBuckets.isEmpty else { return }
        var delivered: [LoadMix.Kind: Int] = [:]
        for message in self.messages {
            guard let kind = self.venue.loadKind(of: message.key), self.mixBuckets[kind] != nil else { continue }
            delivered[kind, default: 0] += self.active.subscribers(message.key)
        }
        for (kind, current) in self.mixBuckets {
            var bucket = current
            let count = delivered[kind] ?? 0
            bucket.tokens -= Double(count)
            if bucket.events > 0 {
                let observed = Double(count) / Double(bucket.events)
                bucket.messagesPerEvent = max(0.05, 0.8 * bucket.messagesPerEvent + 0.2 * observed)
            }
            self.mixBuckets[kind] = bucket
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
