import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodRuntime
import CryptodWire
import Logging
import ServiceLifecycle
import Synchronization

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
    let runner: JobRunner?
    let sources: [any MarketDataSource]
    let executors: [any JobExecutor]

    /// - Parameters:
    ///   - sources: the exchange adapter's sessions.
    ///   - executors: the job kinds this ingestor can run.
    package init(context: ProcessContext, sources: [any MarketDataSource], executors: [any JobExecutor]) throws {
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
            outbound.append(
                (
                    peer,
                    try ReliableSender(
                        stream: stream, directory: context.streamDirectory(stream), settings: settings,
                        logger: context.logger)
                ))
        }
        self.outbound = outbound
        publisher = MarketPublisher(
            streams: outbound.map(\.1), exchange: exchange, profile: context.stream.settings.profile,
            writer: outbound.first { $0.0 == .writer }?.1,
            tradeCursors: TradeCursors(
                path: configuration.daemon.stateDirectory + "/cursors/\(exchange).json"))
        if configuration.enabledProcesses.contains(.scheduler) {
            let stream = "\(me)>scheduler"
            let results = try ReliableSender(
                stream: stream, directory: context.streamDirectory(stream), settings: settings, logger: context.logger)
            self.results = results
            let runner = JobRunner(results: results, publisher: publisher, executors: executors, logger: context.logger)
            self.runner = runner
            jobs = StreamReceiver(name: me, consumer: JobConsumer(runner: runner), logger: context.logger)
        } else {
            results = nil
            jobs = nil
            runner = nil
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
                    path: Topology.socketPath(for: peer, runtimeDirectory: topology.runtimeDirectory),
                    identity: identity,
                    settings: settings, logger: logger, expectedRole: ProcessRoleFilter(peer.role))
                group.addTask { try? await connector.run(endpoint: LinkEndpoint(outbound: sender)) }
            }
            if let results, let jobs {
                let connector = LinkConnector(
                    path: Topology.socketPath(for: .scheduler, runtimeDirectory: topology.runtimeDirectory),
                    identity: identity,
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
            if let runner { group.addTask { await runner.run() } }
            if publisher.tradeCursors != nil {
                let publisher = publisher
                // Each second: after a kill -9 the restarted ingestor re-fetches at most a second more than
                // was lost, and the file is written at most once a second.
                group.addTask {
                    var failing = false
                    while !Task.isCancelled {
                        try? await Task.sleep(for: .seconds(1))
                        do {
                            try await publisher.saveTradeCursors()
                            failing = false
                        } catch {
                            if !failing {
                                logger.error(
                                    "could not save the trade cursors; a crash now re-fetches more trades",
                                    metadata: [
                                        "error": "\(error)", "hint": "check the state directory's disk and permissions",
                                    ])
                            }
                            failing = true
                        }
                    }
                }
            }
            group.addTask { await Self.runConflation(publisher: publisher, stream: context.stream, logger: logger) }
            if let results {
                let sources = sources
                // The scheduler plans its time windows from these; every few seconds is fresh enough.
                group.addTask {
                    while !Task.isCancelled {
                        for source in sources {
                            if let report = await source.capacity() { try? results.send(.capacityReport(report)) }
                        }
                        try? await Task.sleep(for: .seconds(5))
                    }
                }
            }
            if sources.isEmpty {
                let peers = outbound.map(\.peer.description) + (results == nil ? [] : ["scheduler"])
                logger.notice(
                    "no market-data sources for this exchange in this build; keeping the links",
                    metadata: ["peers": "\(peers)"])
            }
            // Ready once the links are being kept: peers may be restarting, and the streams hold frames meanwhile.
            context.markReady()
            try? await gracefulShutdown()
            group.cancelAll()
        }
        // Save what the receivers have not acknowledged yet; the next start replays it.
        var writerSaved = true
        for sender in outbound.map(\.sender) + (results.map { [$0] } ?? []) {
            do {
                try await sender.close()
            } catch {
                if sender === publisher.writer { writerSaved = false }
                logger.error(
                    "could not save unacknowledged frames",
                    metadata: ["stream": "\(sender.stream)", "error": "\(error)"])
            }
        }
        // Every published trade is now on the writer's stream (acknowledged or saved): the next start fills
        // from the newest published. If that stream could not be saved, from the newest acknowledged.
        if let cursors = publisher.tradeCursors {
            do {
                if writerSaved, let data = cursors.cleanStop() {
                    try await cursors.write(data)
                } else {
                    try await publisher.saveTradeCursors()
                }
            } catch {
                logger.error("could not save the trade cursors at stop", metadata: ["error": "\(error)"])
            }
        }
        logger.info("ingestor stopped; unacknowledged frames saved for the next start")
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        .applied
    }

    /// Keeps the conflation buffers in step with the stream settings, closes their windows every 10 ms (the
    /// shortest window a mode uses is 100 ms), and feeds the auto mode the incoming message rate every 5 s.
    static func runConflation(publisher: MarketPublisher, stream: StreamControl, logger: Logger) async {
        stream.observe { settings in
            do { try publisher.apply(settings) } catch {
                logger.error("could not send updates released by a stream change", metadata: ["error": "\(error)"])
            }
        }
        stream.setReporter {
            let buffers = publisher.conflation.reports()
            return StreamControl.Figures(
                buffers: buffers, messagesTotal: publisher.conflation.offeredTotal,
                conflatedTotal: buffers.reduce(0) { $0 + $1.conflatedTotal })
        }
        let clock = ContinuousClock()
        var lastSample = clock.now
        var lastOffered = publisher.conflation.offeredTotal
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(10))
            do { try publisher.flushDue() } catch {
                logger.debug("could not send conflated updates", metadata: ["error": "\(error)"])
            }
            let now = clock.now
            if now - lastSample >= .seconds(5) {
                let offered = publisher.conflation.offeredTotal
                let seconds =
                    Double((now - lastSample).components.seconds)
                    + Double((now - lastSample).components.attoseconds) / 1e18
                stream.sample(rate: Double(offered - lastOffered) / seconds)
                (lastSample, lastOffered) = (now, offered)
            }
        }
    }

    package func control(_ request: ControlRequest) async -> ControlReply? {
        for source in sources {
            if let reply = await source.control(request) { return reply }
        }
        return nil
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        var details: [ProcessStatus.Detail] = [
            .init("exchange", exchange.rawValue),
            .init("sources", String(sources.count)),
            .init("job_kinds", executors.flatMap(\.kinds).map(\.description).sorted().joined(separator: ",")),
        ]
        for source in sources { details += source.statusDetails() }
        for sender in outbound.map(\.sender) + (results.map { [$0] } ?? []) {
            let stats = sender.stats
            details.append(
                .init(
                    "stream.\(sender.stream)",
                    "\(stats.attached ? "connected" : "disconnected") next \(stats.nextSequence) acked \(stats.ackedThrough) memory \(stats.memoryFrames) spilled \(stats.spillFrames)"
                ))
        }
        return details
    }
}

/// Takes the scheduler's jobs off the job stream and hands them to the ``JobRunner``; returns at once, so a
/// long backfill never holds back the acknowledgement of the jobs behind it.
struct JobConsumer: StreamConsumer {
    let runner: JobRunner

    func position(of stream: String) async throws -> StreamPosition? { nil }

    func consume(_ delivery: StreamDelivery) async throws {
        for item in delivery.items { runner.enqueue(item.message) }
    }
}

/// Runs jobs concurrently, highest priority first, at most `concurrency` at a time; a cancel stops a
/// running job at its next page. Progress and results go back on the results stream.
final class JobRunner: Sendable {
    private let results: ReliableSender
    private let publisher: MarketPublisher
    private let executors: [any JobExecutor]
    private let logger: Logger
    private let concurrency: Int
    private let state = Mutex(State())

    private struct State {
        var queue: [JobRequest] = []
        var running: Set<UInt64> = []
        var wake: AsyncStream<Void>.Continuation?
    }

    init(
        results: ReliableSender, publisher: MarketPublisher, executors: [any JobExecutor], logger: Logger,
        concurrency: Int = 4
    ) {
        self.results = results
        self.publisher = publisher
        self.executors = executors
        self.logger = logger
        self.concurrency = concurrency
    }

    func enqueue(_ message: Message) {
        switch message {
        case .jobRequest(let job):
            let wake = state.withLock { state -> AsyncStream<Void>.Continuation? in
                state.queue.append(job)
                // Stable: equal priorities keep their arrival order.
                state.queue = state.queue.enumerated().sorted { a, b in
                    a.element.priority != b.element.priority
                        ? a.element.priority > b.element.priority : a.offset < b.offset
                }.map(\.element)
                return state.wake
            }
            wake?.yield()
        case .jobCancel(let cancel):
            let queued = state.withLock { state -> Bool in
                let before = state.queue.count
                state.queue.removeAll { $0.id == cancel.id }
                return state.queue.count != before
            }
            if queued {
                try? results.send(
                    .jobResult(
                        JobResult(id: cancel.id, outcome: .cancelled, items: 0, message: "cancelled before it started"))
                )
            } else {
                for executor in executors { executor.cancel(cancel.id) }
            }
        default:
            logger.warning("unexpected message on the job stream", metadata: ["type": "\(message.type)"])
        }
    }

    /// Runs until cancelled.
    func run() async {
        let (wakes, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.wake = wake }
        wake.yield()
        // Discarding: finished jobs leave nothing behind in the group.
        await withDiscardingTaskGroup { group in
            for await _ in wakes {
                while let job = nextJob() {
                    group.addTask { await self.runJob(job) }
                }
            }
            group.cancelAll()
        }
    }

    private func nextJob() -> JobRequest? {
        state.withLock { state in
            guard state.running.count < concurrency, !state.queue.isEmpty else { return nil }
            let job = state.queue.removeFirst()
            state.running.insert(job.id)
            return job
        }
    }

    private func finished(_ id: UInt64) {
        _ = state.withLock { $0.running.remove(id) }
    }

    private func runJob(_ job: JobRequest) async {
        defer {
            finished(job.id)
            state.withLock { $0.wake }?.yield()
        }
        guard let executor = executors.first(where: { $0.kinds.contains(job.kind) }) else {
            logger.warning(
                "job kind not supported by this ingestor", metadata: ["job": "\(job.id)", "kind": "\(job.kind)"])
            try? results.send(
                .jobResult(
                    JobResult(
                        id: job.id, outcome: .failed, items: 0,
                        message: "this ingestor has no executor for \(job.kind) jobs; upgrade cryptod or cancel the job"
                    )))
            return
        }
        let results = results
        let result = await executor.execute(job, publisher: publisher) { progress in
            try? results.send(.jobProgress(progress))
        }
        do {
            try results.send(.jobResult(result))
        } catch {
            logger.error("could not queue a job result", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
    }
}
