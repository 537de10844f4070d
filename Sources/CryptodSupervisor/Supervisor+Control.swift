import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Foundation

/// Operator commands from `cryptoctl` over the control socket.
extension Supervisor {
    /// Handles one control request and returns the reply.
    package func handle(_ request: ControlRequest) async -> ControlReply {
        func reply(_ result: ControlReply.Result, _ message: String) -> ControlReply {
            ControlReply(
                requestID: request.requestID, result: result, message: message,
                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()), children: statuses())
        }
        switch request.command {
        case .status:
            return reply(.ok, "")
        case .reload:
            let (result, message) = await reload()
            return reply(result, message)
        case .checkConfig:
            let path = request.argument.isEmpty ? configPath : request.argument
            do {
                let candidate = try ConfigLoader.load(path: path, environment: environment)
                let warnings = candidate.warnings.map(\.description)
                return reply(.ok, (["\(path): configuration is valid"] + warnings).joined(separator: "\n"))
            } catch {
                return reply(.invalidConfig, "\(error)")
            }
        case .start, .stop, .restart:
            guard !shuttingDown else { return reply(.busy, "cryptod is shutting down") }
            guard let name = ProcessName(request.target), children[name] != nil else {
                let known = children.keys.sorted().map(\.description).joined(separator: ", ")
                return reply(.unknownTarget, "no child named '\(request.target)'; running children: \(known)")
            }
            switch request.command {
            case .start:
                event(name) { $0.startRequested(at: .now) }
                return reply(.ok, "\(name): start requested")
            case .stop:
                event(name) { $0.stopRequested(at: .now) }
                return reply(.ok, "\(name): stop requested (it stays stopped until `cryptoctl start \(name)`)")
            default:
                event(name) { $0.restartRequested(at: .now) }
                return reply(.ok, "\(name): restart requested")
            }
        case .subscribe, .unsubscribe, .subscriptions, .verifyKey, .inject:
            // Ingestor commands: relayed to the ingestor's own socket, whose answer is the reply.
            guard let name = ProcessName(request.target), case .ingestor = name, children[name] != nil else {
                let ingestors = children.keys.filter { if case .ingestor = $0 { true } else { false } }
                    .sorted().map(\.description).joined(separator: ", ")
                return reply(
                    .unknownTarget, "'\(request.command)' needs an ingestor as target; running ingestors: \(ingestors)")
            }
            return await relay(request, to: name)
        case .stream:
            // Stream processing (mode, throttle): answered by the child named in the target.
            guard let name = ProcessName(request.target), children[name] != nil else {
                let names = children.keys.sorted().map(\.description).joined(separator: ", ")
                return reply(.unknownTarget, "'stream' needs a running child as target; children: \(names)")
            }
            return await relay(request, to: name)
        case .backfill, .jobs, .capacity, .coverage, .cancelJob:
            // History commands belong to the scheduler, whatever the target says.
            guard children[.scheduler] != nil else {
                return reply(
                    .unknownTarget,
                    "'\(request.command)' needs the scheduler, which is not enabled in this configuration")
            }
            return await relay(request, to: .scheduler)
        }
    }

    /// Passes `request` to a child's own socket and returns its answer, with the children's states added.
    private func relay(_ request: ControlRequest, to name: ProcessName) async -> ControlReply {
        func reply(_ result: ControlReply.Result, _ message: String) -> ControlReply {
            ControlReply(
                requestID: request.requestID, result: result, message: message,
                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()), children: statuses())
        }
        let path = Topology.socketPath(for: name, runtimeDirectory: configuration.daemon.runtimeDirectory)
        do {
            let answer = try await LinkClient.request(
                .controlRequest(request), path: path, identity: LinkIdentity(role: .supervisor, name: "cryptod"),
                timeout: .seconds(30), logger: logger)
            guard case .controlReply(var relayed) = answer else {
                return reply(.failed, "\(name) answered with \(answer.type) instead of a control reply")
            }
            relayed.children = statuses()
            return relayed
        } catch {
            return reply(.failed, "\(name) did not answer on \(path): \(error); is it running? (cryptoctl status)")
        }
    }

    /// The supervisor's own status, for `statusRequest` on the control socket (the gateway's /health).
    package func processStatus(startedAt: Timestamp) -> ProcessStatus {
        let details = statuses().map { child in
            ProcessStatus.Detail("child.\(child.name)", "\(child.state) pid \(child.pid) restarts \(child.restarts)")
        }
        return ProcessStatus(
            name: "cryptod", role: .supervisor, pid: getpid(), startedAt: startedAt, ready: announcedReady,
            configGeneration: generation, details: details)
    }
}

/// Reloading the configuration, all or nothing.
extension Supervisor {
    /// Reads and validates the configuration file again and applies it.
    ///
    /// Nothing changes when the file is invalid, when a key that only a restart of cryptod applies has
    /// changed, or when any running child refuses the new configuration (the ones that had accepted get the
    /// old one back). Otherwise children whose keys are reloadable get it in place, the others are restarted,
    /// and processes enabled or disabled by it are started or stopped.
    func reload() async -> (ControlReply.Result, String) {
        guard !reloading else { return (.busy, "a reload is already in progress; try again when it has finished") }
        guard !shuttingDown else { return (.busy, "cryptod is shutting down") }
        reloading = true
        defer { reloading = false }
        try? notifier.reloading(status: "reloading configuration")
        defer { try? notifier.ready(status: "running") }

        let text: String
        let candidate: LoadedConfiguration
        do {
            text = try String(contentsOfFile: configPath, encoding: .utf8)
            candidate = try ConfigLoader.load(text: text, path: configPath, environment: environment)
        } catch {
            logger.error(
                "reload refused: the configuration is invalid; the running one stays in force",
                metadata: ["error": "\(error)"])
            return (.invalidConfig, "\(configPath) is invalid, nothing was changed:\n\(error)")
        }
        let plan = ReloadPlan(old: configuration, new: candidate.configuration)
        if plan.isEmpty { return (.ok, "nothing changed") }
        guard plan.daemonRestartKeys.isEmpty else {
            return (
                .failed,
                "changing \(plan.daemonRestartKeys.joined(separator: ", ")) needs a restart of cryptod itself; nothing was changed"
            )
        }

        // Phase 1: offer the new configuration to the children that can take it in place.
        let previous = Configure(generation: generation, path: configPath, text: configText)
        generation += 1
        let offer = Configure(generation: generation, path: configPath, text: text)
        var accepted: [ProcessName] = []
        var restartNeeded: [ProcessName] = []
        var refusals: [String] = []
        for step in plan.steps {
            switch step.action {
            case .applyInPlace:
                guard children[step.process]?.link != nil else {
                    // Not running right now: it reads the new configuration when it next starts.
                    continue
                }
                guard let result = await configure(step.process, with: offer) else {
                    refusals.append("\(step.process): did not answer")
                    continue
                }
                if !result.accepted {
                    refusals.append("\(step.process): \(result.message)")
                } else {
                    accepted.append(step.process)
                    if result.restartRequired { restartNeeded.append(step.process) }
                }
            case .restart:
                restartNeeded.append(step.process)
            case .unchanged, .added, .removed:
                break
            }
        }
        if !refusals.isEmpty {
            // Phase 2, failure: roll back the children that took it.
            generation += 1
            let rollback = Configure(generation: generation, path: previous.path, text: previous.text)
            for name in accepted { _ = await configure(name, with: rollback) }
            logger.error(
                "reload refused by children; the previous configuration was restored",
                metadata: ["refusals": "\(refusals)"])
            return (.failed, "reload refused, nothing was changed:\n" + refusals.joined(separator: "\n"))
        }

        // Phase 2, success: commit.
        loaded = candidate
        configText = text
        let policy = Self.policy(candidate.configuration)
        for name in children.keys { children[name]?.machine.policy = policy }
        var summary: [String] = []
        for name in restartNeeded {
            event(name) { $0.configChanged(needsRestart: true, at: .now) }
            summary.append("\(name) restarted")
        }
        for step in plan.steps {
            switch step.action {
            case .added:
                children[step.process] = Child(
                    name: step.process, machine: ChildStateMachine(name: step.process.description, policy: policy))
                event(step.process) { $0.startRequested(at: .now) }
                summary.append("\(step.process) started")
            case .removed:
                children[step.process]?.retiring = true
                event(step.process) { $0.stopRequested(at: .now) }
                if children[step.process]?.machine.hasProcess == false { children[step.process] = nil }
                summary.append("\(step.process) stopped")
            case .applyInPlace:
                if accepted.contains(step.process), !restartNeeded.contains(step.process) {
                    summary.append("\(step.process) updated in place")
                }
            case .unchanged, .restart:
                break
            }
        }
        logger.info(
            "configuration reloaded", metadata: ["generation": "\(generation)", "changed": "\(plan.changedKeys)"])
        return (
            .ok,
            "reloaded (\(plan.changedKeys.count) keys changed)"
                + (summary.isEmpty ? "" : ": " + summary.joined(separator: ", "))
        )
    }
}
