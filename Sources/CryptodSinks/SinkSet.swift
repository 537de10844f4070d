import CryptodModel
import CryptodOps
import Logging

/// The writer's sinks together: delivers each batch to every sink and says when it may be acknowledged.
///
/// **Acknowledgement rule.** ``deliver(_:)`` returns once every *durable* sink holds the batch — the sink
/// wrote it, or it sits synced in that sink's spool. Durable are the sinks that keep positions (PostgreSQL,
/// JSONL) and RabbitMQ (it keeps none, but candles and trades published there must not be lost, so it is
/// durable through its spool). Caches (Redis) never hold back acknowledgements: their batches are queued and
/// dropped when the cache is down or slow.
///
/// **Resume position.** ``position(of:)`` is the lowest position every durable sink holds (its own record,
/// or the newest batch of the stream in its spool): a restarted writer resumes exactly there. When a
/// position-keeping sink is behind another, the sender replays the gap and the sink that is ahead writes
/// nothing twice, because each pipeline skips items at or below its sink's own position before writing.
/// Sinks that disagree on the stream's epoch resume from nothing (the whole stream the sender holds is
/// replayed and skipped where already held), since epochs are random and cannot be ordered.
package final class SinkSet: Sendable {
    package let pipelines: [SinkPipeline]
    /// The sinks themselves, for their worker pools.
    private let sinks: [any Sink]
    private let logger: Logger

    /// The sinks whose data only caches, by name: they never hold back acknowledgements and have no spool.
    package static let cacheSinks: Set<String> = ["redis"]

    /// - Parameters:
    ///   - sinks: the configured sinks, in configuration order.
    ///   - spoolDirectory: `writer.spool_dir`; each durable sink spools under `<spoolDirectory>/<name>`.
    ///   - configure: adjusts the settings of each sink's pipeline (limits from configuration, tests).
    /// - Throws: ``SinkError`` `configuration` when a spool directory cannot be created.
    package init(
        sinks: [any Sink], spoolDirectory: String, logger: Logger,
        configure: (inout SinkPipeline.Settings) -> Void = { _ in }
    ) throws {
        self.logger = logger
        self.sinks = sinks
        pipelines = try sinks.map { sink in
            var settings = SinkPipeline.Settings(
                durable: !Self.cacheSinks.contains(sink.name), spoolDirectory: spoolDirectory + "/" + sink.name)
            configure(&settings)
            return try SinkPipeline(sink: sink, settings: settings, logger: logger)
        }
    }

    /// Runs every sink's worker until ``close()``.
    package func run() async {
        await withDiscardingTaskGroup { group in
            for pipeline in pipelines { group.addTask { await pipeline.run() } }
        }
    }

    /// Hands the batch to every sink; returns once every durable sink holds it.
    /// - Throws: ``SinkError`` when the writer is stopping; the batch must then stay unacknowledged.
    package func deliver(_ batch: SinkBatch) async throws {
        guard !batch.items.isEmpty else { return }
        // Every submit runs to its end before this returns, so a retried delivery finds each sink either
        // holding the batch or not having it at all.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pipeline in pipelines { group.addTask { try await pipeline.submit(batch) } }
            var failure: (any Error)?
            while let result = await group.nextResult() {
                if case .failure(let error) = result, failure == nil { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// The position to resume `stream` from: the lowest one every durable sink holds; nil when one of them
    /// holds nothing of it (the sender replays all it has).
    package func position(of stream: String) async throws -> SinkPosition? {
        var lowest: SinkPosition?
        var first = true
        for pipeline in pipelines where pipeline.durable {
            guard let held = try await pipeline.heldPosition(of: stream) else { return nil }
            if first {
                lowest = held
                first = false
            } else if let current = lowest {
                guard current.epoch == held.epoch else {
                    logger.notice(
                        "sinks hold different epochs of a stream; resuming from its start",
                        metadata: ["stream": "\(stream)", "sink": "\(pipeline.name)"])
                    return nil
                }
                if held.sequence < current.sequence { lowest = held }
            }
        }
        return lowest
    }

    /// Stops every worker, spools what is queued, closes sinks and spools.
    package func close() async {
        await withDiscardingTaskGroup { group in
            for pipeline in pipelines { group.addTask { await pipeline.close() } }
        }
    }

    /// Every sink's scaling worker pools (the writer's part of `/api/v1/stream/workers`).
    package func poolReports() -> [PoolReport] { sinks.flatMap { $0.poolReports() } }

    /// Applies new bounds to every sink's pools of `kind`; returns once each sink has applied them.
    package func setWorkerBounds(kind: WorkerKind, bounds: WorkerBounds) async {
        for sink in sinks { await sink.setWorkerBounds(kind: kind, bounds: bounds) }
    }

    /// Per sink `<name>.<key>: value` pairs for `cryptoctl status`.
    package func statusDetails() async -> [(String, String)] {
        var details: [(String, String)] = []
        for pipeline in pipelines {
            for (key, value) in await pipeline.statusDetails() { details.append(("\(pipeline.name).\(key)", value)) }
        }
        return details
    }
}
