import CryptodConfig
import CryptodGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// `/dashboard`: the page, its assets (with the right content types, and nothing else from the resource
/// folder), and the config it starts from. The page's live behaviour is checked in headless Chromium by
/// Tests/scripts/dashboard.sh.
@Suite("Web dashboard", .timeLimit(.minutes(2)))
struct DashboardTests {
    static let resources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/CryptodGateway/Resources/dashboard")

    @Test("the page is HTML with a strict policy and loads only scripts and styles the gateway serves")
    func page() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            let html = try await client.execute(uri: "/dashboard", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let policy = try #require(response.headers[.contentSecurityPolicy])
                #expect(policy.contains("script-src 'self'"))
                #expect(!policy.contains("unsafe-inline"))
                return String(buffer: response.body)
            }
            // No inline script: every <script> names a file (the policy would block anything else).
            let scripts = html.components(separatedBy: "<script").dropFirst()
            #expect(scripts.count >= 2)
            for script in scripts { #expect(script.hasPrefix(" src=\"/dashboard/assets/"), "\(script.prefix(60))") }
            #expect(!html.contains("style=\""))
            #expect(
                !html.contains("http://") && !html.contains("https://"), "the page must load nothing from elsewhere")
            let referenced = html.split(separator: "\"").filter { $0.hasPrefix("/dashboard/assets/") }.map(String.init)
            #expect(Set(referenced) == Set(DashboardAssets.files.keys.map { "/dashboard/assets/" + $0 }))
            // Stable ids the Chromium test reads.
            for id in ["connected-exchanges", "ticker-last", "ws-clients", "health-score", "book-bids", "candle-chart"]
            {
                #expect(html.contains("id=\"\(id)\""), "\(id)")
            }
        }
    }

    @Test(
        "each asset is served with its content type",
        arguments: [
            ("dashboard.js", "text/javascript; charset=utf-8"), ("charts.js", "text/javascript; charset=utf-8"),
            ("dashboard.css", "text/css; charset=utf-8"),
        ])
    func asset(name: String, type: String) async throws {
        let dir = try TemporaryDirectory()
        let onDisk = try Data(contentsOf: Self.resources.appendingPathComponent(name))
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            try await client.execute(uri: "/dashboard/assets/\(name)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(Array(response.body.readableBytesView) == Array(onDisk))
            }
        }
    }

    @Test("every file of the resource folder is the page or a listed asset")
    func resourceFolderMatchesTable() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.resources.path)
        #expect(Set(files) == Set(DashboardAssets.files.keys).union(["index.html"]))
    }

    @Test(
        "anything else under /dashboard/assets/ is 404",
        arguments: ["nothing.js", "index.html", "DASHBOARD.JS", "..%2Fdocs-ui%2FVERSIONS.md", "%2E%2E%2Findex.html"])
    func unknownAsset(name: String) async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            try await client.execute(uri: "/dashboard/assets/\(name)", method: .get) { response in
                #expect(response.status == .notFound, "\(name)")
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            }
        }
    }

    @Test("config.json names the WebSocket port, the enabled exchanges' markets, and no secret")
    func config() async throws {
        let dir = try TemporaryDirectory()
        let configuration = restConfiguration(
            runtime: dir.path, exchanges: ["binance", "bybit"],
            [
                "gateway.ws_listen": .address(ListenAddress(host: "127.0.0.1", port: 18_123)),
                "exchanges.binance.markets": .list(["BTCUSDT", "ETHUSDT"]),
                "exchanges.binance.candle_intervals": .list(["1m", "5m"]),
                "exchanges.bybit.category": .string("linear"),
            ])
        try await withREST(configuration) { _, client in
            try await client.execute(uri: "/dashboard/config.json", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json; charset=utf-8")
                let text = String(buffer: response.body)
                #expect(!text.contains(testAdminToken))
                let json = try jsonObject(text)
                #expect(json["ws_port"] as? Int == 18_123)
                #expect(json["ws_path"] as? String == "/ws")
                #expect(json["ws_url"] is NSNull, "same host as REST: the page uses its own host")
                #expect(json["admin_enabled"] as? Bool == true)
                #expect(json["poll_seconds"] as? Int == 2)
                let exchanges = try #require(json["exchanges"] as? [[String: Any]])
                #expect(exchanges.compactMap { $0["exchange"] as? String } == ["binance", "bybit"])
                #expect(exchanges[0]["markets"] as? [String] == ["BTCUSDT", "ETHUSDT"])
                #expect(exchanges[0]["candle_intervals"] as? [String] == ["1m", "5m"])
                #expect(exchanges[1]["default_market"] as? String == "linear")
            }
        }
    }

    @Test("a WebSocket on another address than REST is named in full; admin off is said")
    func configOtherAddress() async throws {
        let dir = try TemporaryDirectory()
        var configuration = restConfiguration(
            runtime: dir.path, ["gateway.ws_listen": .address(ListenAddress(host: "127.0.0.2", port: 18_124))])
        var values = configuration.values
        values["gateway.admin_token"] = .secret(SecretString(""))
        configuration = Configuration(values: values)
        try await withREST(configuration) { _, client in
            try await client.execute(uri: "/dashboard/config.json", method: .get) { response in
                let json = try jsonObject(String(buffer: response.body))
                #expect(json["ws_url"] as? String == "ws://127.0.0.2:18124/ws")
                #expect(json["admin_enabled"] as? Bool == false)
            }
        }
    }
}
