import Foundation
import Hummingbird
import NIOPosix
import Synchronization

/// `/docs` (Swagger UI) and `/redoc` (Redoc) with their vendored files (Resources/docs-ui, versions and
/// licences in its VERSIONS.md), so the pages fetch nothing from the internet.
///
/// Files are read once, on first use, on NIO's blocking thread pool (never on an event loop), then served
/// from memory.
package final class DocsAssets: Sendable {
    private static let files: [String: (path: String, type: String)] = [
        "swagger-ui-bundle.js": ("swagger-ui/swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
        "swagger-ui.css": ("swagger-ui/swagger-ui.css", "text/css; charset=utf-8"),
        "favicon-32x32.png": ("swagger-ui/favicon-32x32.png", "image/png"),
        "redoc.standalone.js": ("redoc/redoc.standalone.js", "text/javascript; charset=utf-8"),
    ]

    private let cache = Mutex<[String: ByteBuffer]>([:])

    package init() {}

    func asset(_ name: String) async throws -> Response {
        guard let file = Self.files[name] else {
            throw GatewayHTTPError(
                .notFound, .unknownEndpoint,
                "no documentation asset \(name); the assets are \(Self.files.keys.sorted().joined(separator: ", "))")
        }
        let buffer: ByteBuffer
        if let cached = cache.withLock({ $0[name] }) {
            buffer = cached
        } else {
            guard let url = Bundle.module.resourceURL?.appendingPathComponent("docs-ui/" + file.path) else {
                throw GatewayHTTPError(
                    .notFound, .unknownEndpoint, "the gateway was built without its docs-ui resources")
            }
            let bytes = try await NIOThreadPool.singleton.runIfActive { try Data(contentsOf: url) }
            buffer = ByteBuffer(bytes: bytes)
            cache.withLock { $0[name] = buffer }
        }
        return Response(
            status: .ok, headers: [.contentType: file.type, .cacheControl: "public, max-age=86400"],
            body: ResponseBody(byteBuffer: buffer))
    }

    static func page(_ html: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let swaggerPage = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>cryptod API</title>
          <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
          <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
        </head>
        <body>
          <div id="swagger-ui"></div>
          <script src="/docs/assets/swagger-ui-bundle.js"></script>
          <script>
            window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true });
          </script>
        </body>
        </html>
        """

    static let redocPage = """
        <!doctype html>
        <html lang="en">
        <head>
          <meta charset="utf-8">
          <title>cryptod API reference</title>
          <meta name="viewport" content="width=device-width, initial-scale=1">
        </head>
        <body>
          <redoc spec-url="/openapi.json"></redoc>
          <script src="/docs/assets/redoc.standalone.js"></script>
        </body>
        </html>
        """
}
