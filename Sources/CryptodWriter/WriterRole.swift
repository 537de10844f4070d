import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Logging
import ServiceLifecycle

/// The writer: receives the market-data streams of every ingestor and hands them to the sinks, and
/// acknowledges only what the sinks have made durable.
///
/// Sinks in this build: `jsonl` (see ``JSONLSink``). Later sinks (PostgreSQL, Redis, RabbitMQ) plug into
/// ``WriterConsumer`` beside it.
package struct WriterRole: CryptodRole {
    private let receiver: StreamReceiver
    private let consumer: WriterConsumer
    private let configuration: WriterConfig

    package init(context: ProcessContext) throws {
        configuration = context.configuration.writer
        var sinks: [JSONLSink] = []
        for kind in configuration.sinks {
            switch kind {
            case .jsonl: sinks.append(try JSONLSink(directory: configuration.jsonlDirectory, logger: context.logger))
            }
        }
        consumer = WriterConsumer(jsonl: sinks.first, logger: context.logger)
        receiver = StreamReceiver(name: context.name.description, consumer: consumer, logger: context.logger)
    }

    package func endpoint(for peer: Hello) throws -> LinkEndpoint? {
        switch peer.role {
        // Tools (replays, tests) may feed data like an ingestor; their stream is named after them.
        case .ingestor, .tool: LinkEndpoint(inbound: receiver)
        default: nil
        }
    }

    package func run(context: ProcessContext) async throws {
        context.markReady()
        // Work happens on the socket's links; wait for the end, then let the sinks finish.
        try? await gracefulShutdown()
        context.logger.info("writer stopping; every acknowledged frame is on disk")
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        if next.writer.sinks != configuration.sinks { return .restartRequired("writer.sinks changed") }
        if next.writer.jsonlDirectory != configuration.jsonlDirectory { return .restartRequired("writer.jsonl_dir changed") }
        return .applied
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        var details: [ProcessStatus.Detail] = [.init("sinks", configuration.sinks.map(\.rawValue).joined(separator: ","))]
        for (stream, position) in await receiver.positions.sorted(by: { $0.key < $1.key }) {
            details.append(.init("stream.\(stream)", "epoch \(position.epoch) delivered \(position.deliveredThrough)"))
        }
        return details
    }
}

/// Hands each delivery to every sink; the position of a stream is the one its durable sink recorded.
struct WriterConsumer: StreamConsumer {
    let jsonl: JSONLSink?
    let logger: Logger

    func position(of stream: String) async throws -> StreamPosition? {
        try jsonl?.position(of: stream)
    }

    func consume(_ delivery: StreamDelivery) async throws {
        let now = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        try jsonl?.write(delivery, now: now)
    }
}
