import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cryptoctl` against a missing daemon, unknown children, and reloads (by cryptoctl and by SIGHUP).
@Suite("cryptoctl", .timeLimit(.minutes(3)))
struct ControlTests {
    @Test("with no daemon: exit 3, naming the sockets tried and how to point cryptoctl at the daemon")
    func noDaemon() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let explicit = try await sandbox.run("cryptoctl", ["status", "--socket", sandbox.controlSocket])
        #expect(explicit.status == 3, "\(explicit)")
        #expect(explicit.errorOutput.contains("\(sandbox.controlSocket) (--socket): no such socket"), "\(explicit)")
        #expect(explicit.errorOutput.contains("--socket PATH"))
        #expect(explicit.errorOutput.contains("CRYPTOD_CONTROL_SOCKET"))

        // A stale socket: the file exists, nobody listens.
        try FileManager.default.createDirectory(atPath: sandbox.runtimeDirectory, withIntermediateDirectories: true)
        try bindAndAbandon(sandbox.controlSocket)
        let stale = try await sandbox.run(
            "cryptoctl", ["restart", "writer"], environment: ["CRYPTOD_CONTROL_SOCKET": sandbox.controlSocket])
        #expect(stale.status == 3, "\(stale)")
        #expect(stale.errorOutput.contains("$CRYPTOD_CONTROL_SOCKET): nothing is listening"), "\(stale)")

        // No flags inside a checkout: its etc/cryptod.local.toml, from a subdirectory, then the default.
        let checkout = sandbox.root + "/checkout"
        try FileManager.default.createDirectory(atPath: checkout + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: checkout + "/Sources/x", withIntermediateDirectories: true)
        try "[daemon]\nruntime_dir = \"../var/run\"\n".write(
            toFile: checkout + "/etc/cryptod.local.toml", atomically: true, encoding: .utf8)
        let guessed = try await sandbox.run("cryptoctl", ["status"], directory: checkout + "/Sources/x")
        if FileManager.default.fileExists(atPath: "/run/cryptod/control.sock") {
            // A system daemon runs on this machine and may answer; only the first guess is certain.
            #expect(guessed.errorOutput.contains(checkout + "/var/run/control.sock") || guessed.status == 0)
        } else {
            #expect(guessed.status == 3, "\(guessed)")
            #expect(
                guessed.errorOutput.contains(
                    checkout + "/var/run/control.sock (daemon.runtime_dir of \(checkout)/etc/cryptod.local.toml"))
            #expect(guessed.errorOutput.contains("/run/cryptod/control.sock (the default)"))
        }

        let usage = try await sandbox.run("cryptoctl", ["restart"])
        #expect(usage.status == 2, "a missing argument is a usage error: \(usage)")
        let unknownCommand = try await sandbox.run("cryptoctl", ["explode"])
        #expect(unknownCommand.status == 2)
        let help = try await sandbox.run("cryptoctl", ["--help"])
        #expect(help.status == 0)
        let helpText = help.output.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(helpText.contains("3 cannot reach the daemon") && helpText.contains("78 invalid configuration"))
    }

    @Test("unknown child: exit 4 with the names of the running children")
    func unknownChild() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let daemon = try await Daemon.start(
            in: sandbox, config: TestConfig(scheduler: true), expecting: ["writer", "scheduler"])
        for command in ["restart", "stop", "start"] {
            let result = try await daemon.ctl([command, "nosuchchild"])
            #expect(result.status == 4, "\(result)")
            #expect(result.errorOutput.contains("no child named 'nosuchchild'"))
            #expect(result.errorOutput.contains("running children: writer, scheduler"), "\(result)")
        }
        let json = try await daemon.ctl(["restart", "nosuchchild", "--json"])
        #expect(json.status == 4)
        #expect(json.output.contains("\"exit_code\": 4"))

        // stop and start of a real child, for contrast.
        let stop = try await daemon.ctl(["stop", "scheduler"])
        #expect(stop.status == 0, "\(stop)")
        try await daemon.waitForStatus("scheduler stopped") { $0["scheduler"]?.state == "stopped" }
        let start = try await daemon.ctl(["start", "scheduler"])
        #expect(start.status == 0, "\(start)")
        let status = try await daemon.waitForStatus("scheduler running again") { $0["scheduler"]?.state == "running" }
        #expect(status["scheduler"]?.restarts == 0, "operator stops and starts are not automatic restarts")
        #expect(await daemon.terminate() == 0)
    }

    @Test("reload applies a valid file, refuses a broken one (exit 78) and keeps running; SIGHUP alike")
    func reload() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        var config = TestConfig(scheduler: true, exchanges: ["binance"])
        let daemon = try await Daemon.start(
            in: sandbox, config: config, expecting: ["writer", "scheduler", "ingestor-binance"])
        let before = try await daemon.status()
        func unchanged(_ status: StatusDocument) {
            for child in before.children {
                #expect(status[child.name]?.pid == child.pid, "\(child.name) kept its process")
                #expect(status[child.name]?.state == "running")
            }
        }

        config.logLevel = "debug"
        try sandbox.writeConfig(config.render(in: sandbox))
        let applied = try await daemon.ctl(["reload"])
        #expect(applied.status == 0, "\(applied)")
        #expect(applied.output.contains("reloaded"), "\(applied)")
        let again = try await daemon.ctl(["reload"])
        #expect(again.status == 0)
        #expect(again.output.contains("nothing changed"))
        unchanged(try await daemon.status())

        let broken = config.render(in: sandbox).replacingOccurrences(
            of: "restart_budget = 20", with: "restart_budget = 0")
        try sandbox.writeConfig(broken)
        let refused = try await daemon.ctl(["reload"])
        #expect(refused.status == 78, "\(refused)")
        #expect(refused.errorOutput.contains("nothing was changed"))
        #expect(refused.errorOutput.contains("supervisor.restart_budget = 0"))
        let status = try await daemon.ctl(["status"])
        #expect(status.status == 0, "status still works with the file broken")
        unchanged(try await daemon.status())

        // SIGHUP with the broken file: logged, nothing changes.
        daemon.process.signal(SIGHUP)
        // "reload: …" is what cryptod logs for a reload that SIGHUP asked for.
        try await eventually("the SIGHUP reload refused in the log") {
            daemon.process.errorOutput.contains("reload: \(sandbox.configPath) is invalid, nothing was changed")
                ? true : nil
        }
        #expect(daemon.process.isRunning)
        unchanged(try await daemon.status())

        // SIGHUP with a fixed file: applied.
        config.logLevel = "notice"
        try sandbox.writeConfig(config.render(in: sandbox))
        daemon.process.signal(SIGHUP)
        try await eventually("the SIGHUP reload applied in the log") {
            daemon.process.errorOutput.contains("reload: reloaded") ? true : nil
        }
        let settled = try await daemon.ctl(["reload"])
        #expect(settled.output.contains("nothing changed"), "SIGHUP applied the file already: \(settled)")
        unchanged(try await daemon.status())
        #expect(await daemon.terminate() == 0)
    }

    /// Leaves a Unix socket file with nothing listening on it, like a daemon killed with SIGKILL does.
    func bindAndAbandon(_ path: String) throws {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
    }
}
