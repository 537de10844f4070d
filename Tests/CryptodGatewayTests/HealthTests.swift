import CryptodConfig
import CryptodGateway
import CryptodModel
import CryptodWire
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Health, status and metrics of every process", .timeLimit(.minutes(2)))
struct HealthTests {
    /// The configured processes other than the gateway, with their sockets.
    func others(_ configuration: Configuration) -> [ProcessSpec] {
        configuration.topology.processes.filter { $0.name != .gateway }
    }

    func processes(_ object: [String: Any]) -> [String: [String: Any]] {
        let list = object["processes"] as? [[String: Any]] ?? []
        return Dictionary(
            uniqueKeysWithValues: list.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } })
    }

    @Test("503 naming the process whose socket is absent")
    func absentSocket() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path)
        let (server, _) = makeServer(configuration)
        // Everyone but the writer runs.
        let fakes = others(configuration).filter { $0.name != .writer }.map {
            fakeProcess(path: $0.socketPath, name: $0.name.description, role: $0.role)
        }
        defer { fakes.forEach { $0.cancel() } }
        for spec in others(configuration) where spec.name != .writer { #expect(await waitForSocket(spec.socketPath)) }

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["status"] as? String == "unavailable")
                let byName = processes(object)
                #expect(byName["writer"]?["state"] as? String == "not_running")
                #expect(
                    (byName["writer"]?["problem"] as? String)?.contains("no socket at \(dir.path)/writer.sock") == true)
                #expect(byName["scheduler"]?["state"] as? String == "ready")
                #expect(byName["gateway"]?["state"] as? String == "ready")
                #expect((object["problems"] as? [String])?.count == 1)
            }
        }
    }

    @Test("200 once every configured process answers ready")
    func allReady() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path, exchanges: ["binance"])
        let (server, _) = makeServer(configuration)
        #expect(others(configuration).map(\.name.description) == ["writer", "scheduler", "ingestor-binance"])
        let fakes = others(configuration).map {
            fakeProcess(path: $0.socketPath, name: $0.name.description, role: $0.role)
        }
        defer { fakes.forEach { $0.cancel() } }
        for spec in others(configuration) { #expect(await waitForSocket(spec.socketPath)) }

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["status"] as? String == "ok")
                #expect(processes(object).count == 4)
                #expect(processes(object).values.allSatisfy { $0["ready"] as? Bool == true })
                #expect((object["problems"] as? [String])?.isEmpty == true)
            }
        }
    }

    @Test("a process that answers not ready keeps /health at 503")
    func notReady() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path, scheduler: false)
        let (server, _) = makeServer(configuration)
        let writer = fakeProcess(path: dir.path + "/writer.sock", name: "writer", role: .writer, ready: false)
        defer { writer.cancel() }
        #expect(await waitForSocket(dir.path + "/writer.sock"))

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let writer = processes(try jsonObject(String(buffer: response.body)))["writer"]
                #expect(writer?["state"] as? String == "not_ready")
                #expect(writer?["problem"] as? String == "running (pid 4242) but not ready yet")
            }
        }
    }

    @Test("the supervisor's view explains processes that do not run")
    func supervisorView() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path)
        let (server, _) = makeServer(configuration)
        let exit = ChildStatus.Exit(kind: .exited, code: 1, at: Timestamp(seconds: 1_700_000_050))
        let supervisor = fakeSupervisor(
            path: configuration.topology.controlSocketPath,
            children: [
                ChildStatus(
                    name: "writer", role: .writer, state: .backoff, pid: 0, startedAt: nil, restarts: 2, lastExit: exit,
                    nextRestartAt: Timestamp(seconds: 1_700_000_060), message: "cannot open /var/lib/cryptod/jsonl"),
                ChildStatus(
                    name: "scheduler", role: .scheduler, state: .failed, pid: 0, startedAt: nil, restarts: 5,
                    lastExit: exit,
                    nextRestartAt: nil),
            ])
        defer { supervisor.cancel() }
        #expect(await waitForSocket(configuration.topology.controlSocketPath))

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                let object = try jsonObject(String(buffer: response.body))
                let byName = processes(object)
                #expect(byName["writer"]?["state"] as? String == "not_running")
                let writerProblem = byName["writer"]?["problem"] as? String ?? ""
                #expect(writerProblem.contains("stopped after exit 1 and will be restarted"), "\(writerProblem)")
                #expect(writerProblem.contains("(supervisor: cannot open /var/lib/cryptod/jsonl)"), "\(writerProblem)")
                #expect(byName["scheduler"]?["state"] as? String == "failed")
                #expect(
                    (byName["scheduler"]?["problem"] as? String)?.contains("stopped restarting it after 5 restarts")
                        == true)
                let supervisorObject = try #require(object["supervisor"] as? [String: Any])
                #expect(supervisorObject["reachable"] as? Bool == true)
                #expect((byName["writer"]?["supervisor"] as? [String: Any])?["state"] as? String == "backoff")
            }
        }
    }

    @Test("/api/v1/status answers 200 with each process's details, healthy or not")
    func status() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path, scheduler: false)
        let (server, _) = makeServer(configuration)
        let writer = fakeProcess(path: dir.path + "/writer.sock", name: "writer", role: .writer, ready: false)
        defer { writer.cancel() }
        #expect(await waitForSocket(dir.path + "/writer.sock"))

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/api/v1/status", method: .get) { response in
                #expect(response.status == .ok)
                let object = try jsonObject(String(buffer: response.body))
                #expect(object["status"] as? String == "unavailable")
                let byName = processes(object)
                #expect((byName["writer"]?["details"] as? [String: String])?["fake"] == "yes")
                #expect(byName["writer"]?["socket"] as? String == dir.path + "/writer.sock")
                let gateway = try #require(byName["gateway"]?["details"] as? [String: String])
                #expect(gateway["ws.clients"] == "0")
                #expect(gateway["rest_listen"] == "127.0.0.1:0")
                #expect(object["supervisor"] is NSNull)
            }
        }
    }

    @Test("/metrics merges every process and counts the ones that did not answer")
    func metrics() async throws {
        let dir = try TemporaryDirectory()
        let configuration = testConfiguration(runtime: dir.path)
        let (server, _) = makeServer(configuration)
        let writerText = """
            # HELP cryptod_process_open_fds Number of open file descriptors.
            # TYPE cryptod_process_open_fds gauge
            cryptod_process_open_fds{process="writer"} 12
            # TYPE cryptod_writer_jsonl_lines_total counter
            cryptod_writer_jsonl_lines_total{process="writer"} 42

            """
        let writer = fakeProcess(path: dir.path + "/writer.sock", name: "writer", role: .writer, exposition: writerText)
        // The scheduler's socket answers status but refuses metrics: a scrape error.
        let scheduler = fakeProcess(path: dir.path + "/scheduler.sock", name: "scheduler", role: .scheduler)
        defer {
            writer.cancel()
            scheduler.cancel()
        }
        #expect(await waitForSocket(dir.path + "/writer.sock"))
        #expect(await waitForSocket(dir.path + "/scheduler.sock"))

        try await Application(router: server.restRouter()).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                let text = String(buffer: response.body)
                let lines = text.split(separator: "\n")
                #expect(lines.contains(#"cryptod_writer_jsonl_lines_total{process="writer"} 42"#))
                #expect(lines.contains(#"cryptod_process_open_fds{process="writer"} 12"#))
                #expect(lines.contains { $0.hasPrefix(#"cryptod_process_open_fds{process="gateway"}"#) })
                #expect(lines.filter { $0 == "# TYPE cryptod_process_open_fds gauge" }.count == 1)
                #expect(
                    lines.contains(#"cryptod_gateway_scrape_errors_total{target="scheduler",process="gateway"} 1"#),
                    "\(text)")
                #expect(!lines.contains { $0.contains(#"target="writer""#) })
            }
        }
    }
}
