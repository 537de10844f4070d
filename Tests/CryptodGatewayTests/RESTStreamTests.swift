import CryptodConfig
import CryptodGateway
import CryptodOps
import CryptodWire
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/api/v1/stream/*` and the emergency and performance routes against a fake ingestor that answers the
/// `stream` control command: what the gateway asks, what it passes on, and what it refuses.
@Suite("REST stream routes", .serialized)
struct RESTStreamTests {
    static func report(throttle: Int = 0, mode: PerformanceMode = .medium) -> String {
        let report = StreamReport(
            process: "ingestor-binance", mode: mode, configuredMode: mode, modeReason: "configured",
            throttlePercent: throttle,
            buffers: [
                BufferReport(
                    kind: .ticker, limits: BufferLimits(maxSize: 10, maxAgeMilliseconds: 500),
                    effective: BufferLimits(maxSize: 1, maxAgeMilliseconds: 500), pending: 2, flushesTotal: 7,
                    passedTotal: 40, conflatedTotal: 12)
            ], messagesTotal: 1234, conflatedTotal: 12)
        return String(decoding: try! JSONEncoder().encode(report), as: UTF8.self)
    }

    @Test func buffersStatsAndTheThrottleGoThroughTheIngestor() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { request in
            guard request.command == .stream else { return (.invalidRequest, "no") }
            let change = (try? JSONSerialization.jsonObject(with: Data(request.argument.utf8))) as? [String: Any]
            return (.ok, Self.report(throttle: change?["throttle_percent"] as? Int ?? 0))
        }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { server, client in
            let buffers = try await client.execute(uri: "/api/v1/stream/buffers", method: .get) { response in
                #expect(response.status == .ok)
                return try jsonObject(String(buffer: response.body))
            }
            let list = buffers["buffers"] as? [[String: Any]] ?? []
            let ticker = try #require(list.first { $0["process"] as? String == "ingestor-binance" }, "\(buffers)")
            #expect(ticker["kind"] as? String == "ticker")
            #expect(ticker["max_size"] as? Int == 10 && ticker["effective_max_size"] as? Int == 1)
            #expect(ticker["conflated_total"] as? Int == 12 && ticker["pending"] as? Int == 2)

            let stats = try await client.execute(uri: "/api/v1/stream/stats", method: .get) { response in
                try jsonObject(String(buffer: response.body))
            }
            for key in ["totals", "exchanges", "stages", "websocket", "mode", "throttle_percent"] {
                #expect(stats[key] != nil, "stats has \(key): \(stats)")
            }
            let exchanges = stats["exchanges"] as? [[String: Any]] ?? []
            #expect(exchanges.first?["messages_total"] as? Int == 1234, "\(exchanges)")

            // The throttle needs the token and a valid body; the ingestor gets the change with who asked.
            let body = ByteBuffer(string: #"{"action":"throttle","throttle_percent":90}"#)
            try await client.execute(uri: "/api/v1/stream/throttle", method: .post, body: body) { response in
                #expect(response.status == .unauthorized)
            }
            #expect(!ingestor.sent.contains { !$0.argument.isEmpty }, "no change without the token")
            for bad in [
                #"{"action":"throttle"}"#, #"{"action":"throttle","throttle_percent":100}"#, #"{"action":"nap"}"#,
                #"{"action":"stop","throttle_percent":5}"#, #"{"action":"stop","extra":1}"#, "[]",
            ] {
                try await client.execute(
                    uri: "/api/v1/stream/throttle", method: .post, headers: admin, body: ByteBuffer(string: bad)
                ) { response in
                    #expect(response.status == .badRequest, "\(bad): \(String(buffer: response.body))")
                }
            }
            let answer = try await client.execute(
                uri: "/api/v1/stream/throttle", method: .post, headers: admin, body: body
            ) { response in
                #expect(response.status == .ok)
                return try jsonObject(String(buffer: response.body))
            }
            #expect(answer["throttle_percent"] as? Int == 90, "\(answer)")
            #expect(server.stream.own.settings.throttlePercent == 90, "the gateway applied it to itself too")
            let sent = try #require(ingestor.sent.last { !$0.argument.isEmpty })
            #expect(sent.command == .stream && sent.target == "ingestor-binance")
            #expect(sent.argument.contains("\"throttle_percent\":90") && sent.argument.contains("admin token"))

            try await client.execute(
                uri: "/api/v1/admin/emergency", method: .post, headers: admin,
                body: ByteBuffer(string: #"{"action":"restart"}"#)
            ) { response in
                #expect(response.status == .ok)
            }
            #expect(server.stream.own.settings.throttlePercent == 0)
        }
    }

    @Test func performanceConfigIsCheckedLikeTheFile() async throws {
        let dir = try TemporaryDirectory()
        let ingestor = FakeIngestor(path: dir.path + "/ingestor-binance.sock") { _ in (.ok, Self.report(mode: .heavy)) }
        #expect(await waitForSocket(dir.path + "/ingestor-binance.sock"))
        try await withREST(restConfiguration(runtime: dir.path, exchanges: ["binance"])) { server, client in
            for (body, status, fragment) in [
                (#"{"performance.mode":"turbo"}"#, HTTPResponse.Status.badRequest, "turbo"),
                (#"{"ticker_max_age_ms":-5}"#, .badRequest, "ticker_max_age_ms"),
                (#"{"performance.colour":1}"#, .badRequest, "unknown key"),
                (#"{"gateway.rest_listen":"127.0.0.1:1"}"#, .conflict, "restart"),
                (#"{"daemon.log_level":"debug"}"#, .conflict, "cryptoctl reload"),
                ("{}", .badRequest, "at least one key"),
            ] {
                try await client.execute(
                    uri: "/api/v1/admin/performance/config", method: .post, headers: admin,
                    body: ByteBuffer(string: body)
                ) { response in
                    let text = String(buffer: response.body)
                    #expect(response.status == status, "\(body): \(text)")
                    #expect(text.contains(fragment), "\(body): \(text)")
                }
            }
            #expect(!ingestor.sent.contains { !$0.argument.isEmpty }, "nothing refused reached the ingestor")
            let answer = try await client.execute(
                uri: "/api/v1/admin/performance/config", method: .post, headers: admin,
                body: ByteBuffer(string: #"{"performance.mode":"heavy","orderbook_max_age_ms":50}"#)
            ) { response in
                #expect(response.status == .ok)
                return try jsonObject(String(buffer: response.body))
            }
            #expect(answer["mode"] as? String == "heavy", "\(answer)")
            #expect(server.stream.own.settings.profile.limits(.orderbook).maxAgeMilliseconds == 50)
            let sent = try #require(ingestor.sent.last { !$0.argument.isEmpty })
            #expect(sent.argument.contains("\"mode\":\"heavy\"") && sent.argument.contains("orderbook_max_age_ms"))
        }
    }
}
