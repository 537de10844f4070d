import Foundation
import Testing

/// Launches the built `exchsim` executable and talks HTTP and WebSocket to it on loopback.
@Suite("exchsim binary", .serialized)
struct ExchsimBinaryTests {
    /// `exchsim` next to the test bundle in the build products directory.
    static func binary() throws -> URL {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = executable.deletingLastPathComponent()
        // Test bundles may be nested (…/debug/cryptodPackageTests.xctest/…).
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("exchsim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        throw TestWebSocket.Failure(
            description: "exchsim not found next to \(executable.path); build it with `swift build --product exchsim`")
    }

    @Test("the binary serves REST and streams, writes its ports, and exits 0 on SIGTERM")
    func runBinary() async throws {
        let readyFile = FileManager.default.temporaryDirectory.appendingPathComponent("exchsim-ready-\(getpid()).json")
        try? FileManager.default.removeItem(at: readyFile)
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = [
            // Every venue on an ephemeral port: the default ports may be taken by a running demo.
            "--port", "binance=0", "--port", "bybit=0", "--port", "whitebit=0", "--ready-file", readyFile.path,
            "--start-time", "2026-07-01T00:00:00Z",
            "--time-scale", "30", "--markets", "5", "--seed", "99", "--log-level", "warning",
        ]
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        var ports: [String: Int] = [:]
        for _ in 0..<100 {
            if let data = try? Data(contentsOf: readyFile),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: NSNumber]
            {
                ports = object.mapValues(\.intValue)
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(Set(ports.keys) == ["binance", "bybit", "whitebit"], "ready file with every venue's port: \(ports)")
        guard let port = ports["binance"], port > 0 else { return }
        if let bybit = ports["bybit"] {
            let (answer, _) = try await TestHTTP.json(port: bybit, path: "/v5/market/time")
            #expect(answer.status == 200)
        }
        if let whitebit = ports["whitebit"] {
            let (answer, _) = try await TestHTTP.json(port: whitebit, path: "/api/v4/public/time")
            #expect(answer.status == 200)
        }
        let (time, body) = try await TestHTTP.json(port: port, path: "/api/v3/time")
        #expect(time.status == 200)
        let serverTime = ((body as? [String: Any])?["serverTime"] as? NSNumber)?.int64Value ?? 0
        #expect(serverTime >= 1_782_864_000_000 && serverTime < 1_782_864_000_000 + 3_600_000)
        let (info, infoBody) = try await TestHTTP.json(port: port, path: "/api/v3/exchangeInfo")
        #expect(info.status == 200)
        #expect(((infoBody as? [String: Any])?["symbols"] as? [Any])?.count == 12 + 5)
        let socket = try await TestWebSocket.connect(port: port, path: "/stream?streams=btcusdt@aggTrade")
        let message = try #require(await socket.nextObject(timeout: .seconds(20)))
        #expect(message["stream"] as? String == "btcusdt@aggTrade")
        socket.close()
        kill(process.processIdentifier, SIGTERM)
        let deadline = ContinuousClock.now + .seconds(10)
        while process.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
        try? FileManager.default.removeItem(at: readyFile)
    }

    @Test("bad flags exit with 64")
    func badFlags() async throws {
        let process = Process()
        process.executableURL = try Self.binary()
        process.arguments = ["--fault", "no_such_fault"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 64)
    }
}
