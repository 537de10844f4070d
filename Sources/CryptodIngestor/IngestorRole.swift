import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Logging
import ServiceLifecycle

/// An ingestor: one per exchange. It keeps reliable streams to the writer and the gateway (market data
/// out), and to the scheduler (jobs in, job progress and results out), and runs the exchange's market-data
/// sources and job executors.
///
/// The streams are the foundation every adapter builds on: whatever a source publishes reaches the writer
/// and the gateway exactly once, across restarts of either, and survives this process's own graceful
/// restart (unacknowledged frames are saved on shutdown and replayed on start).
package struct IngestorRole: CryptodRole {
    let exchange: ExchangeID
    let publisher: MarketPublisher
    let outbound: [(peer: ProcessName, sender: ReliableSender)]
    let results: ReliableSender?
    let jobs: StreamReceiver?
    let sources: [any MarketDataSource]
    let executors: [any JobExecutor]

    /// - Parameters:
    ///   - sources: the exchange adapter's sessions.
    ///   - executors: the job kinds this ingestor can run.
    package init(context: ProcessContext, sources: [any MarketDataSource] = [], executors: [any JobExecutor] = []) throws {
        guard case .ingestor(let exchange) = context.name else {
            preconditionFailure("IngestorRole needs an ingestor process name, got \(context.name)")
        }
        self.exchange = exchange
        let configuration = context.configuration
        let settings = context.linkSettings
        let me = context.name.description
        var outbound: [(ProcessName, ReliableSender)] = []
        for peer in [ProcessName.writer, .gateway] where configuration.enabledProcesses.contains(peer) {
            let stream = "\(me)>\(peer)"
            outbound.append((peer, try ReliableSender(stream: stream, directory: context.streamDirectory(stream), settings: settings, logger: context.logger)))
        }
        self.outbound = outbound
        publisher = MarketPublisher(streams: outbound.map(\.1), exchange: exchange)
        if configuration.enabledProcesses.contains(.scheduler) {
            let stream = "\(me)>scheduler"
            let results = try ReliableSender(stream: stream, directory: context.streamDirectory(stream), settings: settings, logger: context.logger)
            self.results = results
            jobs = StreamReceiver(
                name: me, consumer: JobConsumer(results: results, publisher: publisher, executors: executors, logger: context.logger),
                logger: context.logger)
        } else {
            results = nil
            jobs = nil
        }
        self.sources = sources
        self.executors = executors
    }

    package func endpoint(for peer: Hello) throws -> LinkEndpoint? { nil }

    package func run(context: ProcessContext) async throws {
        let topology = context.topology
        let settings = context.linkSettings
        let identity = context.identity
        let logger = context.logger
        await withTaskGroup(of: Void.self) { group in
            for (peer, sender) in outbound {
                let connector = LinkConnector(
                    path: Topology.socketPath(for: peer, runtimeDirectory: topology.runtimeDirectory), identity: identity,
                    settings: settings, logger: logger, expectedRole: ProcessRoleFilter(peer.role))
                group.addTask { try? await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
            }
            if let results, let jobs {
                let connector = LinkConnector(
                    path: Topology.socketPath(for: .scheduler, runtimeDirectory: topology.runtimeDirectory), identity: identity,
                    settings: settings, logger: logger, expectedRole: ProcessRoleFilter(.scheduler))
                group.addTask { try? await connector.run(endpoint: LinkEndpoint(outbound: results, inbound: jobs)) }
            }
            for source in sources {
                let publisher = publisher
                group.addTask {
                    do {
                        try await source.run(publisher: publisher)
                    } catch is CancellationError {
                    } catch {
                        logger.error("market-data source stopped", metadata: ["error": "\(error)"])
                    }
                }
            }
            if sources.isEmpty {
                let peers = outbound.map(\.peer.description) + (results == nil ? [] : ["scheduler"])
                logger.notice("no market-data sources for this exchange in this build; keeping the links", metadata: ["peers": "\(peers)"])
            }
            // Ready once the links are being kept: peers may be restarting, and the streams hold frames meanwhile.
            context.markReady()
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Save what the receivers have not acknowledged yet; the next start replays it.
        for sender in outbound.map(\.sender) + (results.map { [$0] } ?? []) {
            do {
                try sender.close()
            } catch {
                logger.error("could not save unacknowledged frames", metadata: ["stream": "\(sender.stream)", "error": "\(error)"])
            }
        }
        logger.info("ingestor stopped; unacknowledged frames saved for the next start")
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        .applied
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        var details: [ProcessStatus.Detail] = [
            .init("exchange", exchange.rawValue),
            .init("sources", String(sources.count)),
            .init("job_kinds", executors.flatMap(\.kinds).map(\.description).sorted().joined(separator: ",")),
        ]
        for sender in outbound.map(\.sender) + (results.map { [$0] } ?? []) {
            let stats = sender.stats
            details.append(.init(
                "stream.\(sender.stream)",
                "\(stats.attached ? "connected" : "disconnected") next \(stats.nextSequence) acked \(stats.ackedThrough) memory \(stats.memoryFrames) spilled \(stats.spillFrames)"))
        }
        return details
    }
}

/// Runs the jobs the scheduler sends and reports back on the results stream.
struct JobConsumer: StreamConsumer {
    let results: ReliableSender
    let publisher: MarketPublisher
    let executors: [any JobExecutor]
    let logger: Logger

    func position(of stream: String) async throws -> StreamPosition? { nil }

    func consume(_ delivery: StreamDelivery) async throws {
        for item in delivery.items {
            switch item.message {
            case .jobRequest(let job):
                guard let executor = executors.first(where: { $0.kinds.contains(job.kind) }) else {
                    logger.warning("job kind not supported by this ingestor", metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
                    try results.send(.jobResult(JobResult(
                        id: job.id, outcome: .failed, items: 0,
                        message: "this ingestor build has no executor for \(job.kind) jobs; upgrade cryptod or cancel the job")))
                    continue
                }
                let results = results
                let result = await executor.execute(job, publisher: publisher) { progress in
                    try? results.send(.jobProgress(progress))
                }
                try results.send(.jobResult(result))
            case .jobCancel(let cancel):
                // Jobs run to completion in order; a cancel for one that already ended is answered by its result.
                logger.info("cancel for a job that is not running", metadata: ["job": "\(cancel.id)"])
            default:
                logger.warning("unexpected message on the job stream", metadata: ["type": "\(item.message.type)"])
            }
        }
    }
}
