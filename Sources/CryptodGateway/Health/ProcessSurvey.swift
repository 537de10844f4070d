import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Asks every process of the topology how it is, concurrently, over its process socket, and the
/// supervisor (when its control socket exists) what it knows about each child.
///
/// Each request has a short timeout so one wedged process cannot stall `/health`. The gateway answers for
/// itself without a socket round trip.
package struct ProcessSurvey: Sendable {
    let identity: LinkIdentity
    let settings: LinkSettings
    let timeout: Duration
    let logger: Logger
    /// The gateway's own name and status.
    let selfName: String
    let selfStatus: @Sendable () async -> ProcessStatus

    package init(
        identity: LinkIdentity, timeout: Duration, logger: Logger, selfName: String,
        selfStatus: @escaping @Sendable () async -> ProcessStatus
    ) {
        self.identity = identity
        var settings = LinkSettings()
        settings.handshakeTimeout = timeout
        self.settings = settings
        self.timeout = timeout
        self.logger = logger
        self.selfName = selfName
        self.selfStatus = selfStatus
    }

    /// Queries every process and the supervisor.
    package func survey(_ topology: Topology) async -> SurveyReport {
        async let supervisor = askSupervisor(topology.controlSocketPath)
        var reports = await withTaskGroup(of: (Int, ProcessReport).self) { group in
            for (index, spec) in topology.processes.enumerated() {
                group.addTask { (index, await ask(spec)) }
            }
            var reports = [ProcessReport?](repeating: nil, count: topology.processes.count)
            for await (index, report) in group { reports[index] = report }
            return reports.compactMap { $0 }
        }
        let supervisorReport = await supervisor
        let children = supervisorReport?.reply?.children ?? []
        for index in reports.indices {
            reports[index].child = children.first { $0.name == reports[index].name }
            Self.judge(&reports[index])
        }
        return SurveyReport(
            time: Timestamp(nanoseconds: WallClock.nowNanoseconds()), processes: reports, supervisor: supervisorReport)
    }

    private func ask(_ spec: ProcessSpec) async -> ProcessReport {
        var report = ProcessReport(name: spec.name.description, role: spec.role, socketPath: spec.socketPath)
        if report.name == selfName {
            report.status = await selfStatus()
            return report
        }
        switch await request(.statusRequest, path: spec.socketPath) {
        case .success(.statusReply(let status)): report.status = status
        case .success(let other): report.queryFailure = .failed("answered \(other.type) instead of a status")
        case .failure(let failure): report.queryFailure = failure
        }
        return report
    }

    private func askSupervisor(_ path: String) async -> SupervisorReport? {
        guard Self.socketExists(path) else { return nil }
        var report = SupervisorReport(socketPath: path)
        switch await request(.controlRequest(ControlRequest(requestID: 1, command: .status)), path: path) {
        case .success(.controlReply(let reply)): report.reply = reply
        case .success(let other): report.error = "answered \(other.type) instead of a control reply"
        case .failure(let failure): report.error = failure.description
        }
        return report
    }

    // MARK: - Requests

    /// Why a process did not answer.
    package enum QueryFailure: Error, Sendable, CustomStringConvertible {
        /// No socket file: the process is not running (or never started).
        case noSocket(String)
        case failed(String)

        package var description: String {
            switch self {
            case .noSocket(let path): "no socket at \(path)"
            case .failed(let why): why
            }
        }
    }

    /// One request with this survey's timeout; never throws.
    package func request(_ message: Message, path: String) async -> Result<Message, QueryFailure> {
        guard Self.socketExists(path) else { return .failure(.noSocket(path)) }
        do {
            let reply = try await LinkClient.request(
                message, path: path, identity: identity, settings: settings, timeout: timeout, logger: logger)
            return .success(reply)
        } catch LinkError.handshakeTimeout {
            return .failure(.failed("no answer within \(timeout) on \(path)"))
        } catch {
            return .failure(.failed("\(path): \(error)"))
        }
    }

    static func socketExists(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFSOCK
    }

    // MARK: - Verdict

    /// Sets the condition and the problem text of a report from what the process and the supervisor said.
    static func judge(_ report: inout ProcessReport) {
        let note = report.child.flatMap { $0.message.isEmpty ? nil : " (supervisor: \($0.message))" } ?? ""
        if let status = report.status {
            if status.ready {
                report.condition = .ready
                report.problem = nil
            } else {
                report.condition = .notReady
                report.problem = "running (pid \(status.pid)) but not ready yet" + note
            }
            return
        }
        let why = report.queryFailure?.description ?? "no answer"
        guard let child = report.child else {
            if case .noSocket = report.queryFailure {
                report.condition = .notRunning
                report.problem = "not running: \(why)"
            } else {
                report.condition = .notAnswering
                report.problem = "does not answer: \(why)"
            }
            return
        }
        let exit = child.lastExit.map { " after \($0)" } ?? ""
        switch child.state {
        case .failed:
            report.condition = .failed
            report.problem =
                "failed\(exit): the supervisor stopped restarting it after \(child.restarts) restarts; "
                + "fix the cause, then `cryptoctl start \(report.name)`" + note
        case .backoff:
            report.condition = .notRunning
            let when = child.nextRestartAt.map { " at \($0)" } ?? ""
            report.problem = "not running: it stopped\(exit) and will be restarted\(when)" + note
        case .stopped:
            report.condition = .notRunning
            report.problem = "not running: stopped (`cryptoctl start \(report.name)` starts it)" + note
        case .stopping:
            report.condition = .notRunning
            report.problem = "stopping" + note
        case .starting:
            report.condition = .notReady
            report.problem = "starting (pid \(child.pid)); its socket does not answer yet: \(why)" + note
        case .running:
            report.condition = .notAnswering
            report.problem = "the supervisor says it runs (pid \(child.pid)), but it does not answer: \(why)" + note
        }
    }
}
