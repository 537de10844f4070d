import ExchangeSimulator
import Foundation
import NIOSSL
import Testing

/// Core features: TLS with a generated certificate, load generation, latency and stall faults,
/// ground-truth candles and trades.
@Suite("Simulator features", .serialized)
struct SimulatorFeatureTests {
    @Test("--tls serves https with a generated certificate that clients can trust")
    func tls() async throws {
        let certificate = FileManager.default.temporaryDirectory.appendingPathComponent("exchsim-cert-\(getpid()).pem")
        var options = SimulatorHarness.options()
        options.tls = true
        options.tlsCertificateOut = certificate.path
        try await SimulatorHarness.withBinance(options) { port, _ in
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(certificate.path))
            let context = try NIOSSLContext(configuration: configuration)
            let result = try await TestHTTP.request(port: port, path: "/api/v3/time", tls: context)
            #expect(result.status == 200)
            #expect(result.text == #"{"serverTime":\#(SimulatorHarness.start)}"#)
            // Without trusting the certificate the handshake fails.
            let untrusting = try NIOSSLContext(configuration: .makeClientConfiguration())
            await #expect(throws: (any Error).self) {
                _ = try await TestHTTP.request(port: port, path: "/api/v3/time", tls: untrusting)
            }
        }
        try? FileManager.default.removeItem(at: certificate)
    }

    @Test("a WebSocket handshake on a reused keep-alive connection upgrades (aiohttp, hence ccxt.pro, does this)")
    func upgradeOnKeepAliveConnection() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let connection = try await RawTCPConnection.connect(port: port)
            defer { connection.close() }
            for _ in 0..<2 {
                try await connection.send("GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let answer = try #require(await connection.read(through: "{}"))
                #expect(answer.hasPrefix("HTTP/1.1 200 OK") && !answer.lowercased().contains("connection: close"))
            }
            let handshake =
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nHost: 127.0.0.1\r\n\r\n"
            // A refused handshake after a REST call gets the venue's answer, then the connection closes.
            let refusing = try await RawTCPConnection.connect(port: port)
            defer { refusing.close() }
            try await refusing.send("GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(await refusing.read(through: "{}") != nil)
            try await refusing.send("GET /stream?streams=nosuch@trade HTTP/1.1\r\n" + handshake)
            let refused = try #require(await refusing.read(through: "}"))
            #expect(refused.hasPrefix("HTTP/1.1 400") && refused.contains(#"{"code":2,"#), "\(refused)")
            #expect(refused.lowercased().contains("connection: close"))
            try await connection.send("GET /ws/btcusdt@trade HTTP/1.1\r\n" + handshake)
            let upgraded = try #require(await connection.read(through: "\r\n\r\n"))
            #expect(upgraded.hasPrefix("HTTP/1.1 101"), "\(upgraded)")
            #expect(upgraded.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "RFC 6455 accept key")
            // The connection now speaks WebSocket: a masked LIST_SUBSCRIPTIONS text frame is answered.
            let request = Array(#"{"method":"LIST_SUBSCRIPTIONS","id":1}"#.utf8)
            let mask: [UInt8] = [1, 2, 3, 4]
            var frame: [UInt8] = [0x81, 0x80 | UInt8(request.count)] + mask
            frame += request.enumerated().map { $0.element ^ mask[$0.offset % 4] }
            try await connection.sendBytes(frame)
            #expect(await connection.read(through: #"{"result":["btcusdt@trade"],"id":1}"#) != nil)
        }
    }

    @Test("load generation drives real-time streams on a pinned clock and stops at rate 0")
    func load() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@bookTicker")
            defer { socket.close() }
            // Pinned clock, no load: the book does not move.
            #expect(await socket.nextText(timeout: .seconds(1)) == nil)
            _ = try await SimulatorHarness.admin(port, "/_sim/load", #"{"rate":400}"#)
            var received = 0
            while received < 20, await socket.nextText(timeout: .seconds(5)) != nil { received += 1 }
            #expect(received == 20)
            _ = try await SimulatorHarness.admin(port, "/_sim/load", #"{"rate":0}"#)
            while await socket.nextText(timeout: .milliseconds(300)) != nil {}
            #expect(await socket.nextText(timeout: .seconds(1)) == nil, "no messages after the load stops")
        }
    }

    @Test("latency and stall faults delay answers and streams, and are counted")
    func latencyAndStall() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 20)) { port, _ in
            _ = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"latency","ms":400,"count":1,"scope":"rest"}"#)
            let start = ContinuousClock.now
            #expect(try await TestHTTP.request(port: port, path: "/api/v3/ping").status == 200)
            #expect(ContinuousClock.now - start >= .milliseconds(400), "the answer waited for the injected latency")
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@trade")
            defer { socket.close() }
            #expect(await socket.nextText() != nil)
            _ = try await SimulatorHarness.admin(port, "/_sim/faults", #"{"kind":"stall_stream","ms":1500,"count":1}"#)
            // Drain what was already on its way, then expect silence during the stall and data after.
            while await socket.nextText(timeout: .milliseconds(200)) != nil {}
            let quietStart = ContinuousClock.now
            #expect(await socket.nextText(timeout: .seconds(10)) != nil)
            #expect(ContinuousClock.now - quietStart >= .milliseconds(900), "messages were held back")
            let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
            let counters = (faults as? [String: Any])?["counters"] as? [String: Any]
            #expect((counters?["latency"] as? NSNumber)?.intValue == 1)
            #expect((counters?["stall_stream"] as? NSNumber)?.intValue == 1)
        }
    }

    @Test("ground-truth candles and trades agree with the REST history")
    func groundTruth() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let (_, klines) = try await TestHTTP.json(
                port: port, path: "/api/v3/klines?symbol=ETHUSDT&interval=1m&limit=5")
            let (_, candles) = try await TestHTTP.json(
                port: port, path: "/_sim/candles?symbol=ETHUSDT&interval=1m&limit=5")
            let rows = try #require(klines as? [[Any]])
            let truth = try #require(candles as? [[String: Any]])
            #expect(rows.count == 5 && truth.count == 5)
            for (row, candle) in zip(rows, truth) {
                #expect((row[0] as? NSNumber)?.int64Value == (candle["openTime"] as? NSNumber)?.int64Value)
                #expect(row[1] as? String == candle["open"] as? String)
                #expect(row[5] as? String == candle["volume"] as? String)
                #expect((row[8] as? NSNumber)?.intValue == (candle["trades"] as? NSNumber)?.intValue)
            }
            let (_, trades) = try await TestHTTP.json(port: port, path: "/api/v3/trades?symbol=ETHUSDT&limit=50")
            let (_, trueTrades) = try await TestHTTP.json(port: port, path: "/_sim/trades?symbol=ETHUSDT&limit=50")
            let ids = (trades as? [[String: Any]] ?? []).compactMap { ($0["id"] as? NSNumber)?.int64Value }
            let trueIds = (trueTrades as? [[String: Any]] ?? []).compactMap { ($0["id"] as? NSNumber)?.int64Value }
            #expect(ids.count == 50 && ids == trueIds)
        }
    }
}
