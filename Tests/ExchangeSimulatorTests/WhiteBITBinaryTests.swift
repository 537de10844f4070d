import Foundation
import Testing

/// `exchsim --venue whitebit` from the built executable: ready file, REST, the JSON-RPC socket, a
/// `--fault` flag for the venue, and a clean exit.
@Suite("WhiteBIT in the exchsim binary", .serialized)
struct WhiteBITBinaryTests {
    @Test("exchsim --venue whitebit serves REST and /ws on an ephemeral port and exits 0 on SIGTERM")
    func runBinary() async throws {
        let readyFile = FileManager.default.temporaryDirectory.appendingPathComponent(
            "exchsim-whitebit-ready-\(getpid()).json")
        try? FileManager.default.removeItem(at: readyFile)
        let process = Process()
        process.executableURL = try ExchsimBinaryTests.binary()
        process.arguments = [
            "--venue", "whitebit", "--port", "whitebit=0", "--ready-file", readyFile.path,
            "--start-time", "2026-07-01T00:00:00Z", "--time-scale", "0", "--log-level", "warning",
            "--fault", "whitebit/http_5xx:count=1,target=/api/v4/public/ping",
            "--limit", "whitebit.v4_public_per_10s=1",
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var port = 0
        for _ in 0..<200 {
            if let data = try? Data(contentsOf: readyFile),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            {
                #expect(object.keys.sorted() == ["whitebit"], "only the selected venue runs")
                port = (object["whitebit"] as? NSNumber)?.intValue ?? 0
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(port > 0, "ready file with the bound port")
        guard port > 0 else { return }
        #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/time").text == #"{"time":1782864000}"#)
        #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/ping").status == 503, "the --fault flag")
        #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/ping").status == 200)
        #expect(try await TestHTTP.request(port: port, path: "/api/v4/public/ping").status == 429, "the --limit flag")
        let socket = try await TestWebSocket.connect(port: port, path: "/ws")
        try await socket.send(#"{"id":7,"method":"time","params":[]}"#)
        #expect(await socket.nextText() == #"{"id":7,"result":1782864000,"error":null}"#)
        socket.close()
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        try? FileManager.default.removeItem(at: readyFile)
    }
}
