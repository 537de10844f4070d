import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cryptoctl status --json`, decoded.
struct StatusDocument: Decodable, CustomStringConvertible {
    struct Child: Decodable {
        struct LastExit: Decodable {
            let kind: String
            let code: Int
            let at: String
        }

        let name: String
        let role: String
        let state: String
        let pid: Int32?
        let startedAt: String?
        let uptimeSeconds: Int?
        let restarts: Int
        let lastExit: LastExit?
        let nextRestartAt: String?
        let message: String

        enum CodingKeys: String, CodingKey {
            case name, role, state, pid, restarts, message
            case startedAt = "started_at"
            case uptimeSeconds = "uptime_seconds"
            case lastExit = "last_exit"
            case nextRestartAt = "next_restart_at"
        }
    }

    let serverTime: String
    let children: [Child]

    enum CodingKeys: String, CodingKey {
        case serverTime = "server_time"
        case children
    }

    subscript(name: String) -> Child? { children.first { $0.name == name } }

    var allRunning: Bool { !children.isEmpty && children.allSatisfy { $0.state == "running" && $0.pid != nil } }

    var description: String {
        children.map {
            "\($0.name) \($0.state) pid \($0.pid.map(String.init) ?? "-") restarts \($0.restarts) \($0.message)"
        }
        .joined(separator: "\n")
    }
}

/// A `cryptod` started by a test, and `cryptoctl` pointed at it.
struct Daemon {
    let sandbox: Sandbox
    let process: TestProcess

    /// Writes `config`, starts `cryptod --config`, and waits until every child in `expecting` runs.
    static func start(in sandbox: Sandbox, config: TestConfig, expecting names: [String]) async throws -> Daemon {
        try sandbox.writeConfig(config.render(in: sandbox))
        let process = try sandbox.launch("cryptod", ["--config", sandbox.configPath])
        let daemon = Daemon(sandbox: sandbox, process: process)
        try await daemon.waitForStatus("\(names.joined(separator: ", ")) running") { status in
            Set(status.children.map(\.name)) == Set(names) && status.allRunning
        }
        return daemon
    }

    /// Runs `cryptoctl ARGS --socket <control.sock>`.
    func ctl(_ arguments: [String]) async throws -> CommandResult {
        try await sandbox.run("cryptoctl", arguments + ["--socket", sandbox.controlSocket])
    }

    /// The daemon's status, through the real `cryptoctl status --json`.
    func status() async throws -> StatusDocument {
        let result = try await ctl(["status", "--json"])
        guard result.status == 0 else { throw TestFailure("cryptoctl status --json failed: \(result)") }
        return try JSONDecoder().decode(StatusDocument.self, from: Data(result.output.utf8))
    }

    /// Polls the status until `predicate` holds; fails with the last status and the daemon's log tail.
    @discardableResult
    func waitForStatus(
        _ what: String, timeout: Duration = .seconds(60), _ predicate: (StatusDocument) -> Bool
    ) async throws -> StatusDocument {
        try await eventually(what, timeout: timeout, lastSeen: { await self.diagnostics() }) {
            guard process.isRunning else {
                throw TestFailure(
                    "cryptod exited (status \(await process.waitForExit(timeout: .seconds(1)).map(String.init) ?? "?"))"
                )
            }
            let status = try await status()
            return predicate(status) ? status : nil
        }
    }

    /// The last status (if any) and the end of the daemon's log.
    func diagnostics() async -> String {
        let status = (try? await self.status()).map(\.description) ?? "(no status)"
        return "\(status)\n--- cryptod log (tail)\n\(process.errorTail())"
    }

    /// Kills the child's current process with SIGKILL and waits until the supervisor has restarted it:
    /// running, a new pid, one more automatic restart.
    func killAndAwaitRestart(_ name: String) async throws -> StatusDocument.Child {
        let before = try await status()
        guard let child = before[name], child.state == "running", let pid = child.pid else {
            throw TestFailure("\(name) is not running before the kill:\n\(before)")
        }
        #expect(kill(pid, SIGKILL) == 0, "kill -9 \(name) (\(pid))")
        let after = try await waitForStatus("\(name) restarted after kill -9 of pid \(pid)") { status in
            guard let now = status[name] else { return false }
            return now.state == "running" && now.pid != nil && now.pid != pid && now.restarts == child.restarts + 1
        }
        #expect(!ProcessTable.isAlive(pid), "the killed \(name) (\(pid)) is gone")
        let restarted = after[name]!
        #expect(restarted.lastExit?.kind == "signaled")
        #expect(restarted.lastExit?.code == Int(SIGKILL))
        return restarted
    }

    /// SIGTERM, then the exit status (nil when it did not exit within `timeout`).
    func terminate(timeout: Duration = .seconds(60)) async -> Int32? {
        process.signal(SIGTERM)
        return await process.waitForExit(timeout: timeout)
    }
}
