import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodSinks
import CryptodWire
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// The scheduler: owns the jobs and sends each to the ingestor of its exchange over a reliable stream
/// (`scheduler>ingestor-<exchange>`), receiving progress and results back (`ingestor-<exchange>>scheduler`).
///
/// Jobs survive the ingestor restarting (the stream replays them) and are tracked here until they end.
/// Job producers (backfill planning, book-resync requests, `cryptoctl backfill`) submit through ``submit(_:)``.
package final class SchedulerRole: CryptodRole {
    private let senders: [String: ReliableSender]
    private let receiver: StreamReceiver
    private let table: JobTable
    private let logger: Logger
    /// Backfills, when the writer stores candles in PostgreSQL (history lives there); `nil` otherwise.
    let backfills: BackfillManager?
    private let history: PostgresHistory?
    /// Follows `trading_pairs.is_active` (with PostgreSQL only).
    private let markets: ActiveMarkets?
    private let retention: Retention?
    private let sync: HistorySync?
    let exchanges: [ExchangeID]

    package init(context: ProcessContext) throws {
        logger = context.logger
        let settings = context.linkSettings
        var senders: [String: ReliableSender] = [:]
        for exchange in context.configuration.enabledExchanges {
            let ingestor = ProcessName.ingestor(exchange.exchange).description
            let stream = "\(context.name)>\(ingestor)"
            senders[ingestor] = try ReliableSender(
                stream: stream, directory: context.streamDirectory(stream), settings: settings, logger: context.logger)
        }
        self.senders = senders
        let table = JobTable(logger: context.logger)
        self.table = table
        receiver = StreamReceiver(name: context.name.description, consumer: table, logger: context.logger)
        exchanges = context.configuration.enabledExchanges.map(\.exchange)
        let writer = context.configuration.writer
        if writer.sinks.contains(.postgres) {
            let history = try PostgresHistory(url: writer.postgresURL.revealed, logger: context.logger)
            self.history = history
            let manager = BackfillManager(
                history: history,
                submit: { [senders] job in try Self.submit(job, senders: senders, table: table) },
                logger: context.logger)
            table.onResult { manager.received($0) }
            backfills = manager
            let scheduler = context.configuration.scheduler
            markets = ActiveMarkets(
                history: history, exchanges: context.configuration.enabledExchanges,
                runtimeDirectory: context.configuration.daemon.runtimeDirectory,
                interval: scheduler.marketsPollInterval, logger: context.logger)
            retention = Retention(
                history: history,
                periods: [
                    (.trades, scheduler.retentionTrades), (.tickerSnapshots, scheduler.retentionTickerSnapshots),
                    (.candles1m, scheduler.retentionCandles1m), (.candles, scheduler.retentionCandles),
                ], logger: context.logger)
            sync = HistorySync(
                history: history, backfills: manager, exchanges: exchanges, timeframes: scheduler.timeframes,
                interval: scheduler.historyInterval, lookback: scheduler.historyLookback, logger: context.logger)
        } else {
            history = nil
            backfills = nil
            markets = nil
            retention = nil
            sync = nil
        }
    }

    package func endpoint(for peer: Hello) throws -> LinkEndpoint? {
        guard peer.role == .ingestor else { return nil }
        guard let sender = senders[peer.name] else {
            throw LinkError.unexpectedPeer("\(peer.name) is not an enabled ingestor in this configuration")
        }
        return LinkEndpoint(outbound: sender, inbound: receiver)
    }

    /// Queues a job for the ingestor of its market's exchange.
    /// - Throws: when that exchange has no ingestor in this configuration, or the stream cannot take it.
    package func submit(_ job: JobRequest) throws {
        try Self.submit(job, senders: senders, table: table)
    }

    private static func submit(_ job: JobRequest, senders: [String: ReliableSender], table: JobTable) throws {
        let ingestor = ProcessName.ingestor(job.market.exchange).description
        guard let sender = senders[ingestor] else {
            throw LinkError.unexpectedPeer("no enabled ingestor for exchange \(job.market.exchange)")
        }
        table.submitted(job)
        try sender.send(.jobRequest(job))
    }

    package func run(context: ProcessContext) async throws {
        if let history {
            // The scheduler may start before the writer: both migrate, under the migrator's lock.
            do { _ = try await history.migrate() } catch {
                logger.error(
                    "could not migrate the database; backfills wait until PostgreSQL answers",
                    metadata: ["error": "\(error)"])
            }
        }
        context.markReady()
        await withTaskGroup(of: Void.self) { group in
            if let backfills {
                context.stream.observe { settings in
                    backfills.pacing.set(throttlePercent: settings.throttlePercent, stopped: settings.stopped)
                }
                group.addTask { await backfills.run() }
            }
            if let markets { group.addTask { await markets.run() } }
            if let retention { group.addTask { await retention.run() } }
            if let sync { group.addTask { await sync.run() } }
            let gauges = SchedulerGauges(
                capacity: { [table] in table.capacityWithDelays() }, history: history, logger: logger)
            group.addTask { await gauges.run() }
            try? await gracefulShutdown()
            backfills?.finish()
            group.cancelAll()
        }
        await history?.close()
        for sender in senders.values {
            do { try await sender.close() } catch {
                logger.error(
                    "could not save unsent jobs", metadata: ["stream": "\(sender.stream)", "error": "\(error)"])
            }
        }
    }

    /// The latest capacity report of each exchange, with the adaptive delay derived from them.
    func capacityReports() -> [(report: CapacityReportMessage, delay: AdaptiveDelay)] { table.capacityWithDelays() }

    /// Re-derives the adaptive delay of `exchange` (nil: every exchange) from its latest capacity report
    /// (`POST /api/v1/historical/optimize-capacity`); the reports with the delays before and after.
    func optimizeCapacity(
        _ exchange: ExchangeID?
    ) -> [(report: CapacityReportMessage, before: AdaptiveDelay, after: AdaptiveDelay)] {
        table.optimizeDelays(exchange)
    }

    package func reconfigure(_ next: Configuration) async -> ReconfigureOutcome {
        let ingestors = Set(next.enabledExchanges.map { ProcessName.ingestor($0.exchange).description })
        return ingestors == Set(senders.keys) ? .applied : .restartRequired("the set of enabled exchanges changed")
    }

    package func statusDetails() async -> [ProcessStatus.Detail] {
        var details = table.summary()
        for (name, sender) in senders.sorted(by: { $0.key < $1.key }) {
            let stats = sender.stats
            details.append(
                .init(
                    "stream.\(sender.stream)",
                    "\(stats.attached ? "connected" : "disconnected") to \(name), next \(stats.nextSequence) acked \(stats.ackedThrough)"
                ))
        }
        return details
    }
}

/// Every job the scheduler knows and where it stands, fed by the ingestors' result streams.
final class JobTable: StreamConsumer, Sendable {
    struct Entry {
        var job: JobRequest
        var completed: UInt64 = 0
        var total: UInt64 = 0
        var result: JobResult?
    }

    private let entries = Mutex<[UInt64: Entry]>([:])
    /// The latest request budgets each ingestor reported (what time-window planning works from).
    private let capacity = Mutex<[ExchangeID: CapacityReportMessage]>([:])
    private let logger: Logger
    private let finished: Counter
    private let resultHandler = Mutex<(@Sendable (JobResult) -> Void)?>(nil)
    /// Each exchange's adaptive delay, moved by its capacity reports.
    private let delays = Mutex<[ExchangeID: AdaptiveDelay]>([:])

    init(logger: Logger) {
        self.logger = logger
        finished = Counter(label: "cryptod_scheduler_jobs_finished_total")
    }

    /// Also passes every job result to `handler` (the backfill manager).
    func onResult(_ handler: @escaping @Sendable (JobResult) -> Void) {
        resultHandler.withLock { $0 = handler }
    }

    /// The latest capacity report of each exchange, with its adaptive delay.
    func capacityWithDelays() -> [(report: CapacityReportMessage, delay: AdaptiveDelay)] {
        let reports = capacity.withLock { $0 }
        let delays = delays.withLock { $0 }
        return reports.sorted { $0.key < $1.key }.map { ($0.value, delays[$0.key] ?? AdaptiveDelay()) }
    }

    /// Sets each exchange's delay to ``CapacityPlan/optimizedDelay(report:current:)`` of its latest report.
    func optimizeDelays(
        _ exchange: ExchangeID?
    ) -> [(report: CapacityReportMessage, before: AdaptiveDelay, after: AdaptiveDelay)] {
        let reports = capacity.withLock { $0 }.filter { exchange == nil || $0.key == exchange }
            .sorted { $0.key < $1.key }
        return delays.withLock { delays in
            reports.map { key, report in
                let before = delays[key] ?? AdaptiveDelay()
                let after = CapacityPlan.optimizedDelay(report: report, current: before)
                delays[key] = after
                return (report, before, after)
            }
        }
    }

    func submitted(_ job: JobRequest) {
        entries.withLock { $0[job.id] = Entry(job: job) }
    }

    func position(of stream: String) async throws -> StreamPosition? { nil }

    func consume(_ delivery: StreamDelivery) async throws {
        for item in delivery.items {
            switch item.message {
            case .jobProgress(let progress):
                entries.withLock {
                    $0[progress.id]?.completed = progress.completed
                    $0[progress.id]?.total = progress.total
                }
            case .capacityReport(let report):
                capacity.withLock { $0[report.exchange] = report }
                // A budget at its limit or blocked is a rate-limit signal; a report with room is a success.
                let limited = CapacityPlan.isLimited(report)
                delays.withLock { delays in
                    var delay = delays[report.exchange] ?? AdaptiveDelay()
                    if limited { delay.rateLimited() } else { delay.succeeded() }
                    delays[report.exchange] = delay
                }
            case .jobResult(let result):
                entries.withLock { $0[result.id]?.result = result }
                resultHandler.withLock { $0 }?(result)
                finished.increment()
                let metadata: Logger.Metadata = [
                    "job": "\(result.id)", "outcome": "\(result.outcome)", "items": "\(result.items)",
                ]
                if result.outcome == .failed {
                    logger.error("job failed: \(result.message)", metadata: metadata)
                } else {
                    logger.info("job ended", metadata: metadata)
                }
            default:
                logger.warning(
                    "unexpected message on a results stream",
                    metadata: ["type": "\(item.message.type)", "stream": "\(delivery.stream)"])
            }
        }
    }

    func summary() -> [ProcessStatus.Detail] {
        entries.withLock { entries in
            let running = entries.values.filter { $0.result == nil }.count
            let failed = entries.values.filter { $0.result?.outcome == .failed }.count
            return [
                .init("jobs.known", String(entries.count)), .init("jobs.running", String(running)),
                .init("jobs.failed", String(failed)),
            ]
        }
            + capacity.withLock { reports in
                reports.sorted { $0.key < $1.key }.compactMap { exchange, report in
                    report.budgets.first.map {
                        .init("capacity.\(exchange)", "\($0.name) \($0.used)/\($0.budget) of \($0.limit)")
                    }
                }
            }
    }
}
