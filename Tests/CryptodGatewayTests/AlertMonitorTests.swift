import CryptodConfig
import CryptodOps
import Foundation
import HummingbirdTesting
import Testing

@testable import CryptodGateway

@Suite("Alert monitor: routes, webhook target, SMTP framing", .timeLimit(.minutes(2)))
struct AlertMonitorTests {
    @Test("the health, alert and recommendation routes answer their shapes (admin ones only with the token)")
    func routes() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            try await client.execute(uri: "/api/v1/stream/health", method: .get) { response in
                #expect(response.status == .ok)
                let health = try jsonObject(String(buffer: response.body))
                #expect(["healthy", "degraded", "critical"].contains(health["status"] as? String ?? ""))
                #expect((0...100).contains(health["score"] as? Int ?? -1))
            }
            for path in [
                "/api/v1/admin/health/detailed", "/api/v1/admin/alerts", "/api/v1/admin/performance/recommendations",
            ] {
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .unauthorized, "\(path)")
                }
                try await client.execute(uri: path, method: .get, headers: admin) { response in
                    #expect(response.status == .ok, "\(path)")
                    let body = try jsonObject(String(buffer: response.body))
                    #expect((body["time"] as? String)?.hasSuffix("Z") == true, "\(path)")
                }
            }
            try await client.execute(uri: "/api/v1/admin/alerts", method: .get, headers: admin) { response in
                let body = try jsonObject(String(buffer: response.body))
                #expect(body["rules"] as? Int == AlertCatalog.rules.count)
                #expect(body["alerts"] is [Any])
            }
            try await client.execute(uri: "/api/v1/admin/health/detailed", method: .get, headers: admin) { response in
                let body = try jsonObject(String(buffer: response.body))
                let components = try #require(body["components"] as? [[String: Any]])
                #expect(components.contains { $0["name"] as? String == "gateway" })
            }
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:9000/hooks/x?y=1", "127.0.0.1", 9000, "/hooks/x?y=1", "127.0.0.1:9000"),
        ("http://hooks.local", "hooks.local", 80, "/", "hooks.local"),
        ("http://user:pw@[::1]:8080/a", "::1", 8080, "/a", "[::1]:8080"),
    ])
    func webhookTargets(url: String, host: String, port: Int, path: String, header: String) throws {
        let target = try #require(WebhookTarget(url))
        #expect(target.host == host && target.port == port && target.path == path && target.hostHeader == header)
    }

    @Test(arguments: ["https://x/y", "http://:80/", "http://host:0/", "http://host:99999/", "ftp://x"])
    func refusedWebhookTargets(url: String) {
        #expect(WebhookTarget(url) == nil)
    }

    @Test func smtpFraming() {
        #expect(SMTPClient.dotStuffed("a\r\n.b\r\n..c\r\n") == "a\r\n..b\r\n...c\r\n")
        #expect(SMTPClient.dotStuffed("x") == "x\r\n")
        #expect(AlertMonitor.hostPort("127.0.0.1:2525")! == ("127.0.0.1", 2525))
        #expect(AlertMonitor.hostPort("[::1]:25")! == ("::1", 25))
        #expect(AlertMonitor.hostPort("mail") == nil)
        #expect(AlertMonitor.hostPort(":25") == nil)
    }
}
