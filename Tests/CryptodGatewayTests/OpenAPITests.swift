import CryptodConfig
import CryptodGateway
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The OpenAPI document is generated from the route table: the committed docs/openapi.json must equal it,
/// it must list every route, and every route it lists must answer with a status it documents.
///
/// Regenerate after changing routes with `OpenAPIDocument.regenerateCommand`.
@Suite("OpenAPI document and route table", .timeLimit(.minutes(2)))
struct OpenAPITests {
    static let committed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.json")
    /// The table with the default `[gateway]` limits: what the committed file describes.
    let table = GatewayServer.Settings(Configuration.defaults.gateway).routeTable

    @Test("docs/openapi.json equals the document generated from the route table")
    func committedFileIsCurrent() throws {
        let generated = String(decoding: OpenAPIDocument.generate(table), as: UTF8.self)
        if ProcessInfo.processInfo.environment["CRYPTOD_REGENERATE_OPENAPI"] == "1" {
            try generated.write(to: Self.committed, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.committed, encoding: .utf8)
        #expect(
            committed == generated,
            "docs/openapi.json differs from the route table; regenerate with: \(OpenAPIDocument.regenerateCommand)")
    }

    @Test("every route is an operation of the document, and every operation is a route")
    func documentMatchesTable() throws {
        let document = try jsonObject(OpenAPIDocument.generate(table))
        #expect(document["openapi"] as? String == "3.1.0")
        let paths = try #require(document["paths"] as? [String: [String: Any]])
        var operations = Set<String>()
        for (path, methods) in paths {
            for method in methods.keys { operations.insert("\(method.uppercased()) \(path)") }
        }
        let routes = Set(table.routes.map { "\($0.method) \($0.path)" })
        #expect(operations == routes)
        #expect(routes.count == table.routes.count, "a route is listed twice")
        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: Any])
        // Every $ref points at a component that exists.
        let text = String(decoding: OpenAPIDocument.generate(table), as: UTF8.self)
        for match in text.split(separator: "#/components/schemas/").dropFirst() {
            let name = String(match.prefix { $0 != "\"" })
            #expect(schemas[name] != nil, "dangling $ref \(name)")
        }
    }

    @Test("every route answers (with the admin token and a body where it takes one) with a status it documents")
    func everyRouteAnswers() async throws {
        let dir = try TemporaryDirectory()
        let served = table
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                #expect(response.status == .ok)
                let document = try jsonObject(String(buffer: response.body))
                #expect(document["paths"] is [String: Any])
            }
            for route in served.routes {
                var path = route.path
                let samples = [
                    "exchange": "binance", "symbol": "BTCUSDT", "file": "swagger-ui.css", "interval": "1m",
                    "sub_id": "7b2273796d626f6c223a2242544355534454227d", "id": "1", "timeframe": "1m",
                ]
                for (name, value) in samples { path = path.replacingOccurrences(of: "{\(name)}", with: value) }
                let body =
                    route.requestBody == nil ? nil : ByteBuffer(string: #"{"symbol":"BTCUSDT","key":"k","secret":"s"}"#)
                try await client.execute(uri: path, method: route.method, headers: admin, body: body) { response in
                    let documented = route.statuses.map(\.code)
                    #expect(documented.contains(response.status.code), "\(route.method) \(path): \(response.status)")
                }
            }
        }
    }

    @Test("/docs and /redoc load only assets the gateway serves itself")
    func documentationPages() async throws {
        let dir = try TemporaryDirectory()
        try await withREST(restConfiguration(runtime: dir.path)) { _, client in
            for page in ["/docs", "/redoc"] {
                let html = try await client.execute(uri: page, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    return String(buffer: response.body)
                }
                #expect(!html.contains("http://") && !html.contains("https://"), "\(page) refers to another host")
                for asset in html.split(separator: "\"").filter({ $0.hasPrefix("/docs/assets/") }) {
                    try await client.execute(uri: String(asset), method: .get) { response in
                        #expect(response.status == .ok, "\(asset)")
                        #expect(response.body.readableBytes > 100)
                    }
                }
            }
            try await client.execute(uri: "/docs/assets/nothing.js", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
