import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Logging
import Metrics

/// `cryptod`'s heart: owns one ``ChildStateMachine`` per child, carries out what the machines decide
/// (spawn, signal, arm timers), talks to each child over its fd-3 link (configuration, readiness), answers
/// `cryptoctl`, reloads, and shuts everything down in order.
///
/// Everything that waits (child exits, timers, links) runs as a child task of ``run()``, which feeds its
/// outcome back into the actor as an event; the actor itself never blocks.
package actor Supervisor {
    struct Child {
        let name: ProcessName
        var machine: ChildStateMachine
        var process: SpawnedChild?
        /// Increases with every spawn; events from older processes are ignored.
        var incarnation: UInt64 = 0
        var link: LinkWriter?
        var pendingConfigure: [UInt64: CheckedContinuation<ConfigureResult?, Never>] = [:]
        /// Removed from the configuration: stop it and forget it once it has exited.
        var retiring = false
    }

    let logger: Logger
    let notifier: SystemdNotifier
    let spawner: Spawner
    let binDirectory: String
    let configPath: String
    let environment: [String: String]
    var loaded: LoadedConfiguration
    var configText: String
    var generation: UInt64 = 1
    var children: [ProcessName: Child] = [:]
    var shuttingDown = false
    var reloading = false
    var announcedReady = false
    private var exitWaiters: [CheckedContinuation<Void, Never>] = []
    private let work: AsyncStream<@Sendable () async -> Void>
    private let workSink: AsyncStream<@Sendable () async -> Void>.Continuation
    private let restartsCounter: @Sendable (String) -> Counter
    private let stateGauge: @Sendable (String) -> Gauge

    /// - Parameters:
    ///   - loaded: the validated configuration, and `text`, the file content it came from (children get
    ///     exactly this text).
    ///   - binDirectory: where the child executables are.
    package init(
        loaded: LoadedConfiguration, text: String, configPath: String, binDirectory: String,
        environment: [String: String],
        logger: Logger, notifier: SystemdNotifier
    ) {
        self.loaded = loaded
        self.configText = text
        self.configPath = configPath
        self.binDirectory = binDirectory
        self.environment = environment
        self.logger = logger
        self.notifier = notifier
        self.spawner = Spawner(parentEnvironment: environment)
        (work, workSink) = AsyncStream.makeStream(bufferingPolicy: .unbounded)
        restartsCounter = { Counter(label: "cryptod_supervisor_child_restarts_total", dimensions: [("child", $0)]) }
        // 1 while the child is ready and working, 0 otherwise (starting, backoff, failed, stopped).
        stateGauge = { Gauge(label: "cryptod_supervisor_child_up", dimensions: [("child", $0)]) }
        for spec in loaded.configuration.topology.startOrder {
            children[spec.name] = Child(
                name: spec.name,
                machine: ChildStateMachine(name: spec.name.description, policy: Self.policy(loaded.configuration)))
            // Export every child's series from the start, so dashboards see zeros rather than gaps.
            restartsCounter(spec.name.description).increment(by: 0)
            stateGauge(spec.name.description).record(0)
        }
    }

    static func policy(_ configuration: Configuration) -> RestartPolicy {
        let supervisor = configuration.supervisor
        return RestartPolicy(
            initialBackoff: supervisor.restartInitialBackoff, maxBackoff: supervisor.restartMaxBackoff,
            budget: supervisor.restartBudget, budgetWindow: supervisor.restartBudgetWindow,
            stableAfter: supervisor.stableAfter, stopTimeout: supervisor.stopTimeout,
            readyTimeout: supervisor.readyTimeout)
    }

    var configuration: Configuration { loaded.configuration }

    // MARK: - Running

    /// Starts every child and runs until ``shutdown()`` has stopped them all.
    package func run() async {
        for name in children.keys.sorted() { event(name) { $0.startRequested(at: .now) } }
        await withDiscardingTaskGroup { group in
            for await job in work { group.addTask { await job() } }
            // Shutdown has stopped every child; what still runs are timers (ready, backoff, configure) that no
            // longer matter. Without this, cryptod would exit only when the longest of them expired.
            group.cancelAll()
        }
    }

    /// Schedules `job` as a child task of ``run()``.
    nonisolated func enqueue(_ job: @escaping @Sendable () async -> Void) {
        workSink.yield(job)
    }

    /// Feeds one event to a child's machine and carries out the action.
    func event(_ name: ProcessName, _ feed: (inout ChildStateMachine) -> ChildAction) {
        guard var child = children[name] else { return }
        let restartsBefore = child.machine.restarts
        let action = feed(&child.machine)
        children[name] = child
        if child.machine.restarts > restartsBefore {
            restartsCounter(name.description).increment(by: Int(child.machine.restarts - restartsBefore))
        }
        stateGauge(name.description).record(child.machine.state == .running ? 1 : 0)
        perform(action, for: name)
    }

    func perform(_ action: ChildAction, for name: ProcessName) {
        for step in action.steps {
            switch step {
            case .spawn:
                spawn(name)
            case .signal(let signal):
                if let process = children[name]?.process, !process.signal(signal) {
                    logger.debug(
                        "signal not delivered; the child has already exited",
                        metadata: ["child": "\(name)", "signal": "\(signal)"])
                }
            case .scheduleTimer(let timer, let delay):
                enqueue { [weak self] in
                    try? await Task.sleep(for: delay)
                    await self?.event(name) { $0.timerFired(timer, at: .now) }
                }
            case .giveUp(let reason):
                logger.error("giving up on child: \(reason)", metadata: ["child": "\(name)"])
            case .none, .sequence:
                break
            }
        }
    }

    private func spawn(_ name: ProcessName) {
        guard var child = children[name] else { return }
        let executable = name.executableName.withPrefix(directory: binDirectory)
        var arguments = ["--supervised", "--log-format", configuration.daemon.logFormat.rawValue]
        if let exchange = name.exchange { arguments = ["--exchange", exchange.rawValue] + arguments }
        let process: SpawnedChild
        do {
            process = try spawner.spawn(executable: executable, arguments: arguments)
        } catch {
            logger.error("cannot start child: \(error)", metadata: ["child": "\(name)"])
            event(name) { $0.spawnFailed(errno: error.errno, at: .now) }
            return
        }
        child.incarnation += 1
        child.process = process
        child.link = nil
        let incarnation = child.incarnation
        children[name] = child
        logger.info("started child", metadata: ["child": "\(name)", "pid": "\(process.pid)"])
        event(name) { $0.spawned(pid: process.pid, at: .now) }

        let logger = logger
        enqueue { [weak self] in
            do {
                let exit = try await process.waitForExit()
                await self?.exited(name, incarnation: incarnation, exit: exit)
            } catch {
                logger.error("lost track of child", metadata: ["child": "\(name)", "error": "\(error)"])
            }
        }
        if let descriptor = process.takeParentLink() {
            enqueue { [weak self] in await self?.serveLink(name, incarnation: incarnation, descriptor: descriptor) }
        }
    }

    private func exited(_ name: ProcessName, incarnation: UInt64, exit: ChildStatus.Exit) {
        guard var child = children[name], child.incarnation == incarnation else { return }
        child.process = nil
        child.link = nil
        for continuation in child.pendingConfigure.values { continuation.resume(returning: nil) }
        child.pendingConfigure = [:]
        children[name] = child
        let level: Logger.Level = shuttingDown || child.machine.state == .stopping ? .info : .error
        logger.log(level: level, "child exited (\(exit))", metadata: ["child": "\(name)"])
        event(name) { $0.exited(exit, at: .now) }
        if let retired = children[name], retired.retiring, !retired.machine.hasProcess {
            children[name] = nil
            logger.info("child removed from the configuration", metadata: ["child": "\(name)"])
        }
        let waiters = exitWaiters
        exitWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    // MARK: - Links to children

    private func serveLink(_ name: ProcessName, incarnation: UInt64, descriptor: Int32) async {
        let configure = Configure(generation: generation, path: configPath, text: configText)
        let endpoint = LinkEndpoint(
            onOpen: { [weak self] writer, _ in
                await self?.linkOpened(name, incarnation: incarnation, writer: writer)
                try await writer.send(.configure(configure))
            },
            onMessage: { [weak self] message, _ in await self?.received(message, from: name, incarnation: incarnation) }
        )
        do {
            _ = try await ParentLink.serveChild(
                descriptor: descriptor, identity: LinkIdentity(role: .supervisor, name: "cryptod"),
                settings: LinkSettings(),
                logger: logger, endpoint: endpoint)
        } catch {
            logger.debug("link to child ended", metadata: ["child": "\(name)", "error": "\(error)"])
        }
    }

    private func linkOpened(_ name: ProcessName, incarnation: UInt64, writer: LinkWriter) {
        guard children[name]?.incarnation == incarnation else { return }
        children[name]?.link = writer
    }

    private func received(_ message: Message, from name: ProcessName, incarnation: UInt64) {
        guard let child = children[name], child.incarnation == incarnation else { return }
        switch message {
        case .ready:
            event(name) { $0.becameReady(at: .now) }
            announceReadinessIfComplete()
        case .configureResult(let result):
            if let continuation = children[name]?.pendingConfigure.removeValue(forKey: result.generation) {
                continuation.resume(returning: result)
            } else if !result.accepted {
                // The first configuration was refused; the child exits with 78 and the machine marks it failed.
                logger.error("child refused its configuration: \(result.message)", metadata: ["child": "\(name)"])
            }
        default:
            logger.warning("unexpected message from child", metadata: ["child": "\(name)", "type": "\(message.type)"])
        }
    }

    private func announceReadinessIfComplete() {
        guard !announcedReady, !children.isEmpty, children.values.allSatisfy({ $0.machine.state == .running }) else {
            return
        }
        announcedReady = true
        logger.info("all processes ready", metadata: ["processes": "\(children.keys.sorted().map(\.description))"])
        try? notifier.ready(status: "all \(children.count) processes ready")
    }

    /// Sends `configure` to a running child and waits (bounded) for its verdict; `nil` when it cannot answer.
    func configure(
        _ name: ProcessName, with configure: Configure, timeout: Duration = .seconds(10)
    ) async -> ConfigureResult? {
        guard let writer = children[name]?.link else { return nil }
        return await withCheckedContinuation { continuation in
            children[name]?.pendingConfigure[configure.generation] = continuation
            enqueue { [weak self] in
                do { try await writer.send(.configure(configure)) } catch {
                    await self?.resolveConfigure(name, generation: configure.generation, with: nil)
                }
            }
            enqueue { [weak self] in
                try? await Task.sleep(for: timeout)
                await self?.resolveConfigure(name, generation: configure.generation, with: nil)
            }
        }
    }

    private func resolveConfigure(_ name: ProcessName, generation: UInt64, with result: ConfigureResult?) {
        children[name]?.pendingConfigure.removeValue(forKey: generation)?.resume(returning: result)
    }

    // MARK: - Shutdown

    /// Stops every child in order — ingestors, scheduler, writer (which flushes), gateway — then ends ``run()``.
    package func shutdown() async {
        guard !shuttingDown else { return }
        shuttingDown = true
        try? notifier.stopping(status: "stopping children")
        logger.info("stopping all processes")
        for stage in Self.stopStages(children.keys) {
            for name in stage { event(name) { $0.stopRequested(at: .now) } }
            while stage.contains(where: { children[$0]?.machine.hasProcess == true }) {
                await withCheckedContinuation { exitWaiters.append($0) }
            }
        }
        logger.info("all processes stopped")
        workSink.finish()
    }

    /// Groups processes by stop rank: every ingestor together, then the scheduler, the writer, the gateway.
    static func stopStages(_ names: some Collection<ProcessName>) -> [[ProcessName]] {
        var stages: [[ProcessName]] = []
        let ingestors = names.filter { $0.role == .ingestor }.sorted()
        if !ingestors.isEmpty { stages.append(ingestors) }
        for single in [ProcessName.scheduler, .writer, .gateway] where names.contains(single) {
            stages.append([single])
        }
        return stages
    }

    // MARK: - Status

    func statuses() -> [ChildStatus] {
        let now = ContinuousClock.now
        let wall = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        return children.values.sorted { $0.name < $1.name }.map {
            $0.machine.status(role: $0.name.role, now: now, wallNow: wall)
        }
    }
}

extension String {
    func withPrefix(directory: String) -> String {
        directory.hasSuffix("/") ? directory + self : directory + "/" + self
    }
}
