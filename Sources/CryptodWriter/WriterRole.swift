import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodRuntime
import CryptodSinks
import CryptodWire
import Logging
import ServiceLifecycle
import Synchronization

/// The writer: receives the market-data streams of every ingestor, hands them to its sinks, and
/// acknowledges only what every durable sink holds (see ``SinkSet``).
///
/// Sinks come from `writer.sinks` through ``makeSinks(configuration:logger:)``; each runs in its own
/// ``SinkPipeline`` with a circuit breaker and a disk spool under `writer.spool_dir`.
package struct WriterRole: CryptodRole {
    private let receiver: StreamReceiver
    private let sinks: SinkSet
    private let configuration: WriterConfig
    /// Events handed to the sinks since start (the stream report's total).
    private let delivered = EventCount()

    /// - Throws: ``SinkError`` `configuration` when a sink cannot be built (the process exits 78).
    package init(context: ProcessContext) throws {
        configuration = context.configuration.writer
        sinks = try Self.makeSinkSet(configuration: configuration, logger: context.logger)
        receiver = StreamReceiver(
            name: context.name.description, consumer: WriterConsumer(sinks: sinks, delivered: delivered),
            logger: context.logger)
    }

    /// The sinks with the pipeline settings from `[writer]`.
    static func makeSinkSet(configuration: WriterConfig, logger: Logger) throws -> SinkSet {
        try SinkSet(
            sinks: makeSinks(configuration: configuration, logger: logger),
            spoolDirectory: configuration.spoolDirectory,
            logger: logger
        ) { settings in
            settings.spoolLimit = configuration.spoolLimit
            settings.flushMaxRows = configuration.flushMaxRows
            settings.flushMaxAge = configuration.flushMaxAge
        }
    }

    package func endpoint(for peer: Hello) throws -> LinkEndpoint? {
        switch peer.role {
        // Tools (replays, tests) may feed data like an ingestor; their stream is named after them.
        case .ingestor, .tool: LinkEndpoint(inbound: receiver)
        default: nil
        }
    }

    package func run(context: ProcessContext) async throws {
        // The mode's worker bounds (and run-time overrides) for the sinks' pools; pools report back.
        let sinks = sinks
        let delivered = delivered
        let (changes, changed) = AsyncStream.makeStream(
            of: StreamControl.Settings.self, bufferingPolicy: .bufferingNewest(1))
        context.stream.observe { settings in changed.yield(settings) }
        context.stream.setReporter {
            StreamControl.Figures(pools: sinks.poolReports(), messagesTotal: delivered.value.load(ordering: .relaxed))
        }
        await withDiscardingTaskGroup { group in
            group.addTask { await sinks.run() }
            group.addTask {
                var applied: [WorkerKind: WorkerBounds] = [:]
                for await settings in changes {
                    for kind in WorkerKind.allCases {
                        let next = settings.profile.bounds(kind)
                        guard applied.updateValue(next, forKey: kind) != next else { continue }
                        await sinks.setWorkerBounds(kind: kind, bounds: next)
                    }
                }
            }
            context.markReady()
            // Work happens on the socket's links; wait for the end, then let the sinks finish.
            try? await gracefulShutdown()
            changed.finish()
            await sinks.close()
        }
        context.logger.info("writer stopping; every acknowledged frame is held by its durable sinks")
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        // Sinks own connections, spools and threads: any change of [writer] applies by a restart.
        if next.writer != configuration { return .restartRequired("[writer] changed") }
        return .applied
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        var details: [ProcessStatus.Detail] = [
            .init("sinks", configuration.sinks.map(\.rawValue).joined(separator: ","))
        ]
        for (key, value) in await sinks.statusDetails() { details.append(.init("sink.\(key)", value)) }
        for (stream, position) in await receiver.positions.sorted(by: { $0.key < $1.key }) {
            details.append(.init("stream.\(stream)", "epoch \(position.epoch) delivered \(position.deliveredThrough)"))
        }
        return details
    }
}

/// Hands each delivery to the sinks as one batch; a stream's durable position is the lowest one its
/// durable sinks hold.
struct WriterConsumer: StreamConsumer {
    let sinks: SinkSet
    var delivered = EventCount()

    func position(of stream: String) async throws -> StreamPosition? {
        try await sinks.position(of: stream).map { StreamPosition(epoch: $0.epoch, deliveredThrough: $0.sequence) }
    }

    func consume(_ delivery: StreamDelivery) async throws {
        let batch = Self.batch(of: delivery)
        try await sinks.deliver(batch)
        delivered.value.add(UInt64(batch.items.count), ordering: .relaxed)
    }

    /// The market events of a delivery, a batched frame's in order, each with its frame's sequence number
    /// (the position stays per frame); other messages on a market-data stream carry nothing to store.
    static func batch(of delivery: StreamDelivery) -> SinkBatch {
        var items: [SinkItem] = []
        items.reserveCapacity(delivery.items.count)
        for item in delivery.items {
            for event in item.message.marketEvents { items.append(SinkItem(sequence: item.sequence, event: event)) }
        }
        return SinkBatch(stream: delivery.stream, epoch: delivery.epoch, items: items)
    }
}

/// A shared event count.
final class EventCount: Sendable {
    let value = Atomic<UInt64>(0)
}
