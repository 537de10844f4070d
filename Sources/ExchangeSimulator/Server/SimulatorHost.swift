import Logging
import NIOCore
import NIOPosix
import NIOSSL

/// A running simulator: one listener per venue on one event-loop group, sharing one clock.
///
/// Tests start it in-process on port 0; `exchsim` starts it from flags.
package final class SimulatorHost: Sendable {
    /// One running venue.
    package struct RunningVenue: Sendable {
        package var id: String
        package var port: Int
        package var context: VenueContext
        package var venue: any Venue
        fileprivate var channel: any Channel
        fileprivate var broadcaster: NIOLoopBound<Broadcaster>
    }

    package let options: SimulatorOptions
    package let clock: SimClock
    package let venues: [RunningVenue]
    private let group: MultiThreadedEventLoopGroup

    private init(options: SimulatorOptions, clock: SimClock, venues: [RunningVenue], group: MultiThreadedEventLoopGroup)
    {
        self.options = options
        self.clock = clock
        self.venues = venues
        self.group = group
    }

    /// The port a venue listens on (after binding, so port 0 resolves).
    package func port(of id: String) -> Int? {
        self.venues.first { $0.id == id }?.port
    }

    package func venue(_ id: String) -> RunningVenue? {
        self.venues.first { $0.id == id }
    }

    /// Binds every selected venue and starts their broadcasters.
    package static func start(options: SimulatorOptions, logger: Logger) async throws -> SimulatorHost {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, options.threads))
        do {
            let clock = SimClock(start: options.startTime, scale: options.timeScale)
            let tls = options.tls ? try TLSSetup.context(options: options) : nil
            let selected = VenueRegistry.all.filter { descriptor in
                options.venues.map { $0.contains(descriptor.id) } ?? true
            }
            var running: [RunningVenue] = []
            for descriptor in selected {
                running.append(
                    try await self.startVenue(
                        descriptor: descriptor, options: options, clock: clock, group: group, tls: tls, logger: logger))
            }
            return SimulatorHost(options: options, clock: clock, venues: running, group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func startVenue(
        descriptor: VenueDescriptor, options: SimulatorOptions, clock: SimClock, group: MultiThreadedEventLoopGroup,
        tls: NIOSSLContext?, logger: Logger
    ) async throws -> RunningVenue {
        var venueLogger = logger
        venueLogger[metadataKey: "venue"] = "\(descriptor.id)"
        let history = MarketHistory(specs: options.markets, seed: options.seed)
        let engine = MarketEngine(history: history, clock: clock, config: options.engine)
        let rules = (options.faults["*"] ?? []) + (options.faults[descriptor.id] ?? [])
        let faults = FaultInjector(seed: SimHash.mix(options.seed ^ SimHash.fnv1a(descriptor.id)), rules: rules)
        let stats = VenueStats()
        let subscriptions = SubscriptionRegistry()
        var hubs: [NIOLoopBound<LoopHub>] = []
        for loop in group.makeIterator() {
            hubs.append(
                try await loop.submit {
                    NIOLoopBound(
                        LoopHub(loop: loop, clock: clock, stats: stats, subscriptions: subscriptions), eventLoop: loop)
                }.get())
        }
        let directory = HubDirectory(hubs: hubs)
        let context = VenueContext(
            id: descriptor.id, options: options, clock: clock, engine: engine, faults: faults,
            subscriptions: subscriptions, stats: stats, hubs: directory, logger: venueLogger)
        let venue = descriptor.make(context)
        let admin = AdminAPI(venue: venue)
        let channel = try await VenueListener.bind(
            group: group, host: options.host, port: options.port(for: descriptor), venue: venue, admin: admin, tls: tls)
        directory.start()
        let loop = group.next()
        let broadcaster = try await loop.submit {
            let broadcaster = Broadcaster(context: context, venue: venue, loop: loop)
            broadcaster.start(tickMs: max(1, options.tickMs))
            return NIOLoopBound(broadcaster, eventLoop: loop)
        }.get()
        let port = channel.localAddress?.port ?? options.port(for: descriptor)
        venueLogger.info(
            "listening",
            metadata: [
                "address": "\(options.tls ? "https" : "http")://\(options.host):\(port)",
                "markets": "\(options.markets.count)",
            ])
        return RunningVenue(
            id: descriptor.id, port: port, context: context, venue: venue, channel: channel, broadcaster: broadcaster)
    }

    /// Stops accepting, closes every connection, stops timers, and shuts the event loops down.
    package func shutdown() async throws {
        for venue in self.venues {
            try? await venue.channel.close()
            let broadcaster = venue.broadcaster
            try? await broadcaster.eventLoop.submit { broadcaster.value.stop() }.get()
            try? await venue.context.hubs.stop()?.get()
        }
        try await self.group.shutdownGracefully()
    }
}
