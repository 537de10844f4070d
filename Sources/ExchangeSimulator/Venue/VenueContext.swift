import Logging
import Synchronization

/// What the core hands a venue: its engine, the shared clock, its faults, subscription counts,
/// the per-event-loop hubs, counters and the simulator options.
package final class VenueContext: Sendable {
    package let id: String
    package let options: SimulatorOptions
    package let clock: SimClock
    package let engine: MarketEngine
    package let faults: FaultInjector
    package let subscriptions: SubscriptionRegistry
    package let stats: VenueStats
    package let hubs: HubDirectory
    package let logger: Logger
    private let loadRate: Mutex<Double>
    private let mix: Mutex<LoadMix>

    package init(
        id: String, options: SimulatorOptions, clock: SimClock, engine: MarketEngine, faults: FaultInjector,
        subscriptions: SubscriptionRegistry, stats: VenueStats, hubs: HubDirectory, logger: Logger
    ) {
        self.id = id
        self.options = options
        self.clock = clock
        self.engine = engine
        self.faults = faults
        self.subscriptions = subscriptions
        self.stats = stats
        self.hubs = hubs
        self.logger = logger
        self.loadRate = Mutex(options.loadRate)
        self.mix = Mutex(options.loadMix[id] ?? LoadMix())
    }

    /// Target aggregate stream messages per second for load tests (0: off).
    package var load: Double {
        get { self.loadRate.withLock { $0 } }
        set { self.loadRate.withLock { $0 = max(0, newValue) } }
    }

    /// Load by stream kind (messages/s over the subscribed markets; all 0: off).
    package var loadMix: LoadMix {
        get { self.mix.withLock { $0 } }
        set { self.mix.withLock { $0 = newValue } }
    }
}

/// How many connections hold each stream, across all event loops of a venue.
package final class SubscriptionRegistry: Sendable {
    private let state = Mutex(ActiveStreams())

    package init() {}

    package func add(_ keys: some Sequence<StreamKey>) {
        self.state.withLock { state in
            for key in keys { state.counts[key, default: 0] += 1 }
            state.version &+= 1
        }
    }

    package func remove(_ keys: some Sequence<StreamKey>) {
        self.state.withLock { state in
            for key in keys {
                if let count = state.counts[key] {
                    state.counts[key] = count > 1 ? count - 1 : nil
                }
            }
            state.version &+= 1
        }
    }

    package var version: UInt64 { self.state.withLock { $0.version } }

    /// A copy of the counts (cheap to call when `version` has not moved: callers cache).
    package func snapshot() -> ActiveStreams { self.state.withLock { $0 } }
}

/// Monotonic counters of one venue, for `/_sim/stats`.
package final class VenueStats: Sendable {
    package let messagesSent = Atomic<Int>(0)
    package let bytesSent = Atomic<Int>(0)
    package let connectionsOpen = Atomic<Int>(0)
    package let connectionsTotal = Atomic<Int>(0)
    package let restRequests = Atomic<Int>(0)
    package let droppedSlowConsumers = Atomic<Int>(0)
    /// Source of connection ids.
    package let connectionIds = Atomic<Int>(0)

    package init() {}

    package var json: JSONValue {
        .object([
            ("messagesSent", .int(self.messagesSent.load(ordering: .relaxed))),
            ("bytesSent", .int(self.bytesSent.load(ordering: .relaxed))),
            ("connectionsOpen", .int(self.connectionsOpen.load(ordering: .relaxed))),
            ("connectionsTotal", .int(self.connectionsTotal.load(ordering: .relaxed))),
            ("restRequests", .int(self.restRequests.load(ordering: .relaxed))),
            ("droppedSlowConsumers", .int(self.droppedSlowConsumers.load(ordering: .relaxed))),
        ])
    }
}
