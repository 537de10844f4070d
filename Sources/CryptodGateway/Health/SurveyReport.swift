import CryptodFormats
import CryptodModel
import CryptodWire

/// What one process said about itself, or why it said nothing, with the supervisor's view beside it.
package struct ProcessReport: Sendable {
    /// The verdict for `/health`; only ``ready`` is healthy.
    package enum Condition: String, Sendable {
        case ready
        /// Running but not (yet) ready.
        case notReady = "not_ready"
        /// Not running: no socket, stopped, or waiting to be restarted.
        case notRunning = "not_running"
        /// A socket exists but nothing answered on it in time.
        case notAnswering = "not_answering"
        /// The supervisor gave up restarting it.
        case failed
    }

    package let name: String
    package let role: ProcessRole
    package let socketPath: String
    /// Its answer to `statusRequest`, if it answered.
    package var status: ProcessStatus?
    /// Why the status request failed, if it did.
    package var queryFailure: ProcessSurvey.QueryFailure?
    /// The supervisor's view, when the supervisor answered.
    package var child: ChildStatus?
    package var condition: Condition = .notAnswering
    /// What is wrong, for people; `nil` when ready.
    package var problem: String?

    init(name: String, role: ProcessRole, socketPath: String) {
        self.name = name
        self.role = role
        self.socketPath = socketPath
    }
}

/// The supervisor's answer to `ControlRequest(status)`, or why there is none.
package struct SupervisorReport: Sendable {
    package let socketPath: String
    /// Its reply, when it answered.
    package var reply: ControlReply?
    package var error: String?
}

/// The state of every configured process at one moment: the body of `/health` and `/api/v1/status`.
package struct SurveyReport: Sendable {
    package var time: Timestamp
    /// In the topology's start order.
    package var processes: [ProcessReport]
    /// `nil` when there is no supervisor control socket (processes run under their own systemd units).
    package var supervisor: SupervisorReport?

    /// True when every configured process is ready.
    package var healthy: Bool { processes.allSatisfy { $0.condition == .ready } }

    /// The JSON body. `detailed` adds each process's status details and the supervisor's bookkeeping
    /// (`/api/v1/status`); `/health` keeps to the verdicts.
    package func json(detailed: Bool) -> [UInt8] {
        var json = JSONWriter(capacity: 2048)
        json.object { json in
            json.field("status", healthy ? "ok" : "unavailable")
            json.field("time", time)
            json.key("problems")
            json.array { json in
                for process in processes {
                    if let problem = process.problem { json.value("\(process.name): \(problem)") }
                }
            }
            json.key("processes")
            json.array { json in
                for process in processes { write(process, detailed: detailed, into: &json) }
            }
            json.key("supervisor")
            if let supervisor {
                json.object { json in
                    json.field("socket", supervisor.socketPath)
                    json.field("reachable", supervisor.reply != nil)
                    if let error = supervisor.error { json.field("error", error) }
                    if let reply = supervisor.reply, detailed {
                        json.field("result", reply.result.description)
                        json.field("message", reply.message)
                        json.field("time", reply.serverTime)
                    }
                }
            } else {
                json.null()
            }
        }
        return json.bytes
    }

    private func write(_ process: ProcessReport, detailed: Bool, into json: inout JSONWriter) {
        json.object { json in
            json.field("name", process.name)
            json.field("role", process.role.description)
            json.field("state", process.condition.rawValue)
            json.field("ready", process.condition == .ready)
            json.key("problem")
            if let problem = process.problem { json.value(problem) } else { json.null() }
            if let status = process.status {
                json.field("pid", Int64(status.pid))
                if detailed {
                    json.field("started_at", status.startedAt)
                    json.field("config_generation", status.configGeneration)
                    json.key("details")
                    json.object { json in
                        for detail in status.details { json.field(detail.key, detail.value) }
                    }
                }
            }
            if detailed {
                json.field("socket", process.socketPath)
                if let failure = process.queryFailure { json.field("error", failure.description) }
            }
            if let child = process.child {
                json.key("supervisor")
                json.object { json in
                    json.field("state", child.state.description)
                    json.field("pid", Int64(child.pid))
                    json.field("restarts", UInt64(child.restarts))
                    json.key("last_exit")
                    if let exit = child.lastExit { json.value(exit.description) } else { json.null() }
                    json.field("message", child.message)
                    if detailed {
                        json.field("started_at", child.startedAt)
                        json.field("next_restart_at", child.nextRestartAt)
                    }
                }
            }
        }
    }
}
