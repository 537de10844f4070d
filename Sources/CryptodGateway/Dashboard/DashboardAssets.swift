import Foundation
import Hummingbird
import NIOPosix
import Synchronization

/// The files of the web dashboard (`/dashboard`, Resources/dashboard): one HTML page, its script and its
/// style sheet, all written for this project (no third-party code, no build step).
///
/// Files are read once, on first use, on NIO's blocking thread pool (never on an event loop), then served
/// from memory, as ``DocsAssets`` does.
package final class DashboardAssets: Sendable {
    /// The assets under `/dashboard/assets/`, with their content types.
    package static let files: [String: String] = [
        "dashboard.js": "text/javascript; charset=utf-8",
        "charts.js": "text/javascript; charset=utf-8",
        "dashboard.css": "text/css; charset=utf-8",
    ]

    /// The page's policy: everything from the gateway itself, WebSocket connections to the gateway's
    /// WebSocket port (another port, hence `ws:`/`wss:`), no inline script or style, no framing.
    static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// One cache per process: the files are read-only resources of the gateway's bundle, so every router
    /// shares them (this keeps ``RESTAPI`` and its construction unchanged).
    package static let shared = DashboardAssets()

    private let cache = Mutex<[String: ByteBuffer]>([:])

    package init() {}

    /// `GET /dashboard`.
    func page() async throws -> Response {
        let buffer = try await load("index.html")
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                .contentSecurityPolicy: Self.contentSecurityPolicy, .xContentTypeOptions: "nosniff",
            ],
            body: ResponseBody(byteBuffer: buffer))
    }

    /// `GET /dashboard/assets/{file}`.
    func asset(_ name: String) async throws -> Response {
        guard let type = Self.files[name] else {
            throw GatewayHTTPError(
                .notFound, .unknownEndpoint,
                "no dashboard asset \(name); the assets are \(Self.files.keys.sorted().joined(separator: ", "))")
        }
        let buffer = try await load(name)
        // no-cache: a browser revalidates, so an upgraded gateway's files are picked up at once.
        return Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache", .xContentTypeOptions: "nosniff"],
            body: ResponseBody(byteBuffer: buffer))
    }

    private func load(_ name: String) async throws -> ByteBuffer {
        if let cached = cache.withLock({ $0[name] }) { return cached }
        guard let url = Bundle.module.resourceURL?.appendingPathComponent("dashboard/" + name) else {
            throw GatewayHTTPError(.notFound, .unknownEndpoint, "the gateway was built without its dashboard resources")
        }
        let bytes = try await NIOThreadPool.singleton.runIfActive { try Data(contentsOf: url) }
        let buffer = ByteBuffer(bytes: bytes)
        cache.withLock { $0[name] = buffer }
        return buffer
    }
}
