import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One test's world: a short temporary directory (`/tmp/cit-XXXXXX`, so socket paths stay far below the
/// 107-byte limit) with the runtime and state directories, the configuration, the logs, and every process the
/// test started. ``cleanup()`` kills them all, children included, whatever the test's outcome.
final class Sandbox: Sendable {
    let root: String
    private let processes = Mutex<[TestProcess]>([])
    private let commandCounter = Atomic<Int>(0)

    init() throws {
        var template = Array("/tmp/cit-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else {
            throw TestFailure("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        root = String(cString: made)
        try FileManager.default.createDirectory(atPath: root + "/logs", withIntermediateDirectories: true)
    }

    var runtimeDirectory: String { root + "/run" }
    var stateDirectory: String { root + "/state" }
    var configPath: String { root + "/cryptod.toml" }
    var controlSocket: String { runtimeDirectory + "/control.sock" }
    var logDirectory: String { root + "/logs" }

    func socket(_ name: String) -> String { runtimeDirectory + "/\(name).sock" }

    /// Writes the configuration file atomically (a reload never reads half a file).
    func writeConfig(_ text: String) throws {
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Starts a built executable; it is killed by ``cleanup()`` if still running.
    @discardableResult
    func launch(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws -> TestProcess {
        let process = try TestProcess(
            name: binary, executable: try Binaries.path(binary), arguments: arguments, directory: root,
            logDirectory: logDirectory,
            environment: TestProcess.cleanEnvironment(environment))
        processes.withLock { $0.append(process) }
        return process
    }

    /// Runs a built executable to completion.
    /// - Parameter directory: the working directory (default: the sandbox).
    func run(
        _ binary: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> CommandResult {
        let number = commandCounter.add(1, ordering: .relaxed).newValue
        let process = try TestProcess(
            name: "\(binary)-\(number)", executable: try Binaries.path(binary), arguments: arguments,
            directory: directory ?? root,
            logDirectory: logDirectory, environment: TestProcess.cleanEnvironment(environment))
        processes.withLock { $0.append(process) }
        guard let status = await process.waitForExit(timeout: timeout) else {
            process.signal(SIGKILL)
            throw TestFailure("\(binary) \(arguments.joined(separator: " ")) did not finish within \(timeout)")
        }
        return CommandResult(status: status, output: process.output, errorOutput: process.errorOutput)
    }

    /// Kills every process this sandbox started, and their descendants, then removes the directory.
    func cleanup() {
        let started = processes.withLock { $0 }
        for process in started where process.isRunning {
            for descendant in ProcessTable.descendants(of: process.pid) { kill(descendant, SIGKILL) }
            process.signal(SIGKILL)
        }
        if ProcessInfo.processInfo.environment["CRYPTOD_TEST_KEEP_SANDBOX"] == "1" {
            print("sandbox kept: \(root)")
        } else {
            try? FileManager.default.removeItem(atPath: root)
        }
    }
}

/// The configuration file of a test daemon: everything in the sandbox, restarts fast, stops fast.
struct TestConfig {
    var writer = true
    /// `writer.sinks`.
    var sinks = ["jsonl"]
    /// Lines added to `[writer]` (sink URLs).
    var writerExtra = ""
    var gateway = false
    var scheduler = false
    var exchanges: [String] = []
    var logLevel = "info"
    var restartBudget = 20
    var restartBudgetWindow = "1m"
    var stopTimeout = "3s"
    /// Free TCP ports for the gateway's REST and WebSocket listeners.
    var gatewayPorts: (rest: Int, ws: Int)?
    /// Lines added to `[gateway]` (an admin token).
    var gatewayExtra = ""
    /// Appended verbatim (extra sections or keys for one test).
    var extra = ""

    func render(in sandbox: Sandbox) -> String {
        var text = """
            [daemon]
            runtime_dir = "\(sandbox.runtimeDirectory)"
            state_dir = "\(sandbox.stateDirectory)"
            log_level = "\(logLevel)"
            log_format = "text"

            [supervisor]
            restart_initial_backoff = "1s"
            restart_max_backoff = "2s"
            restart_budget = \(restartBudget)
            restart_budget_window = "\(restartBudgetWindow)"
            stable_after = "1s"
            stop_timeout = "\(stopTimeout)"
            ready_timeout = "30s"

            [delivery]
            reconnect_initial_backoff = "50ms"
            reconnect_max_backoff = "500ms"

            [writer]
            enabled = \(writer)
            sinks = [\(sinks.map { "\"\($0)\"" }.joined(separator: ", "))]
            \(writerExtra)

            [scheduler]
            enabled = \(scheduler)

            [gateway]
            enabled = \(gateway)

            """
        if let ports = gatewayPorts {
            text += "rest_listen = \"127.0.0.1:\(ports.rest)\"\nws_listen = \"127.0.0.1:\(ports.ws)\"\n"
        }
        text += gatewayExtra
        for (index, exchange) in exchanges.enumerated() {
            // Nothing listens there: ingestors must live with an unreachable exchange. A privileged port
            // nobody serves (not exchsim's default, which a demo on this machine may use), the same on every
            // render so that a reload sees no change.
            let port = 1 + index
            text +=
                "\n[exchanges.\(exchange)]\nrest_url = \"http://127.0.0.1:\(port)\"\nws_url = \"ws://127.0.0.1:\(port)\"\n"
        }
        return text + "\n" + extra
    }
}

/// A TCP port nothing listens on right now (bound to port 0 and released).
func freeTCPPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw TestFailure("socket() failed") }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
        }
    }
    guard bound else { throw TestFailure("bind to port 0 failed") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Polls `condition` until it returns a value or `timeout` passes. Tests check behaviour, not speed, so
/// timeouts are generous; the failure says what was awaited and what was last seen.
@discardableResult
func eventually<T>(
    _ what: String, timeout: Duration = .seconds(60), every interval: Duration = .milliseconds(200),
    lastSeen: @Sendable () async -> String = { "" }, _ condition: () async throws -> T?
) async throws -> T {
    let deadline = ContinuousClock.now + timeout
    var lastError: (any Error)?
    while true {
        do {
            if let value = try await condition() { return value }
        } catch {
            lastError = error
        }
        guard ContinuousClock.now < deadline else {
            let seen = await lastSeen()
            throw TestFailure(
                "timed out after \(timeout) waiting for \(what)" + (lastError.map { "\nlast error: \($0)" } ?? "")
                    + (seen.isEmpty ? "" : "\nlast seen:\n\(seen)"))
        }
        try await Task.sleep(for: interval)
    }
}
