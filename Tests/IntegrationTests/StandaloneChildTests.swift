import CryptodIPC
import CryptodWire
import Foundation
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A child executable run alone, as under its own systemd unit: no supervisor, configuration from the file.
@Suite("standalone child", .timeLimit(.minutes(3)))
struct StandaloneChildTests {
    @Test("cryptod-writer alone: creates its socket, answers status, exits 0 on SIGTERM")
    func writerAlone() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        try sandbox.writeConfig(TestConfig().render(in: sandbox))
        try FileManager.default.createDirectory(atPath: sandbox.runtimeDirectory, withIntermediateDirectories: true)
        let writer = try sandbox.launch("cryptod-writer", ["--config", sandbox.configPath])
        let socket = sandbox.socket("writer")

        var logger = Logger(label: "test.standalone")
        logger.logLevel = .critical
        let status = try await eventually("writer.sock answering status", lastSeen: { writer.errorTail() }) {
            () async throws -> ProcessStatus? in
            guard writer.isRunning else { throw TestFailure("cryptod-writer exited early:\n\(writer.errorTail())") }
            guard FileManager.default.fileExists(atPath: socket) else { return nil }
            let reply = try await LinkClient.request(
                .statusRequest, path: socket, identity: LinkIdentity(role: .tool, name: "standalone-test"),
                timeout: .seconds(10),
                logger: logger)
            guard case .statusReply(let status) = reply else { throw TestFailure("unexpected reply \(reply.type)") }
            return status.ready ? status : nil
        }
        #expect(status.name == "writer")
        #expect(status.role == .writer)
        #expect(status.pid == writer.pid)
        #expect(status.details.contains { $0.key == "sinks" && $0.value == "jsonl" })

        writer.signal(SIGTERM)
        let code = await writer.waitForExit(timeout: .seconds(30))
        #expect(code == 0, "exit status after SIGTERM\n\(writer.errorTail())")
        #expect(!FileManager.default.fileExists(atPath: socket), "the socket is removed on exit")
    }

    @Test("cryptod-writer alone with an invalid configuration exits 78 and says why")
    func writerInvalidConfig() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let valid = TestConfig().render(in: sandbox)
        try sandbox.writeConfig(
            valid.replacingOccurrences(of: "[delivery]\n", with: "[delivery]\nmemory_limit = \"lots\"\n"))
        let result = try await sandbox.run("cryptod-writer", ["--config", sandbox.configPath], timeout: .seconds(30))
        #expect(result.status == 78, "\(result)")
        #expect(result.errorOutput.contains("delivery.memory_limit"), "\(result)")

        // Valid file, but the writer is disabled in it: also a configuration error for this process.
        try sandbox.writeConfig(TestConfig(writer: false, scheduler: true).render(in: sandbox))
        let disabled = try await sandbox.run("cryptod-writer", ["--config", sandbox.configPath], timeout: .seconds(30))
        #expect(disabled.status == 78, "\(disabled)")
        #expect(disabled.errorOutput.contains("writer is disabled"), "\(disabled)")
    }
}
