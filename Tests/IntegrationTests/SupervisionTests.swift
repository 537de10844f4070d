import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cryptod` with its real children: restarts after crashes, the restart budget, and shutdown.
@Suite("supervision", .timeLimit(.minutes(3)))
struct SupervisionTests {
    /// The gateway joins the run when its executable was built (it is developed alongside).
    static let withGateway = Binaries.exists("cryptod-gateway")

    @Test("every child killed with SIGKILL runs again with a new pid and one more restart")
    func killEachChild() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        var config = TestConfig(scheduler: true, exchanges: ["binance", "bybit", "whitebit"])
        var names = ["writer", "scheduler", "ingestor-binance", "ingestor-bybit", "ingestor-whitebit"]
        if Self.withGateway {
            config.gateway = true
            config.gatewayPorts = (try freeTCPPort(), try freeTCPPort())
            names.append("gateway")
        }
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: names)
        let initial = try await daemon.status()
        for name in names { #expect(initial[name]?.restarts == 0, "\(name) has not restarted yet") }

        for name in names {
            let restarted = try await daemon.killAndAwaitRestart(name)
            #expect(restarted.restarts == 1)
            #expect(restarted.startedAt != nil)
        }
        // Each kill restarted only its own child.
        let final = try await daemon.status()
        #expect(final.allRunning)
        for name in names {
            #expect(final[name]?.restarts == 1, "\(name) restarted exactly once")
            #expect(final[name]?.pid != initial[name]?.pid)
        }
        #expect(await daemon.terminate() == 0)
    }

    @Test("SIGTERM stops every child in time, exits 0, and leaves no process, socket or pid file")
    func sigterm() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let config = TestConfig(scheduler: true, exchanges: ["binance", "bybit"], stopTimeout: "3s")
        let names = ["writer", "scheduler", "ingestor-binance", "ingestor-bybit"]
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: names)
        let status = try await daemon.status()
        let pids = status.children.compactMap(\.pid)
        #expect(pids.count == names.count)
        for pid in pids { #expect(ProcessTable.isAlive(pid, named: "cryptod-")) }
        let pidFile = sandbox.runtimeDirectory + "/cryptod.pid"
        let recorded = try String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(
            in: .whitespacesAndNewlines)
        #expect(recorded == String(daemon.process.pid))
        for name in names + ["control"] { #expect(FileManager.default.fileExists(atPath: sandbox.socket(name))) }

        // Stop stages: ingestors, scheduler, writer (three here), each allowed stop_timeout before SIGKILL.
        let budget = Duration.seconds(3 * 3)
        let started = ContinuousClock.now
        let code = await daemon.terminate(timeout: .seconds(60))
        let elapsed = ContinuousClock.now - started
        #expect(code == 0, "cryptod exit status\n\(daemon.process.errorTail())")
        #expect(elapsed < budget + .seconds(3), "stopped within the stop budget (took \(elapsed))")

        for pid in pids { #expect(!ProcessTable.isAlive(pid), "child \(pid) is gone") }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: sandbox.runtimeDirectory)) ?? []
        #expect(
            left.filter { $0.hasSuffix(".sock") || $0 == "cryptod.pid" }.isEmpty, "runtime directory still has \(left)")
        let log = daemon.process.errorOutput
        #expect(log.contains("all processes stopped"))
        #expect(!log.contains("SIGKILL"), "every child stopped on SIGTERM alone")
    }

    @Test("a child that keeps crashing ends failed, says why, and cryptoctl start brings it back")
    func restartBudget() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let config = TestConfig(exchanges: ["binance"], restartBudget: 2, restartBudgetWindow: "1m")
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])

        // Kill every new process of the ingestor as soon as it has a pid, until the supervisor gives up.
        var killed: Set<Int32> = []
        let failed = try await eventually("ingestor-binance failed", lastSeen: { await daemon.diagnostics() }) {
            () async throws -> StatusDocument.Child? in
            guard let child = try await daemon.status()["ingestor-binance"] else { return nil }
            if child.state == "failed" { return child }
            if let pid = child.pid, !killed.contains(pid), kill(pid, SIGKILL) == 0 { killed.insert(pid) }
            return nil
        }
        #expect(killed.count == 2, "the budget of 2 crashes was spent by 2 kills")
        #expect(failed.pid == nil)
        #expect(failed.restarts == 1, "one automatic restart between the two crashes")
        #expect(failed.message.contains("restart budget 2"))
        #expect(failed.message.contains("cryptoctl start ingestor-binance"))

        let table = try await daemon.ctl(["status"])
        #expect(table.status == 0)
        let row = table.output.split(separator: "\n").first { $0.hasPrefix("ingestor-binance") }.map(String.init) ?? ""
        #expect(row.contains("failed") && row.contains("restart budget 2"), "status table row: \(row)")

        // Still failed a while later: no automatic restart.
        try await Task.sleep(for: .seconds(2))
        #expect(try await daemon.status()["ingestor-binance"]?.state == "failed")

        let start = try await daemon.ctl(["start", "ingestor-binance"])
        #expect(start.status == 0, "\(start)")
        #expect(start.output.contains("start requested"))
        let back = try await daemon.waitForStatus("ingestor-binance running after cryptoctl start") { status in
            status["ingestor-binance"]?.state == "running"
        }
        let pid = try #require(back["ingestor-binance"]?.pid)
        #expect(!killed.contains(pid))
        #expect(back["writer"]?.restarts == 0, "the other child was not disturbed")
        #expect(await daemon.terminate() == 0)
    }
}
