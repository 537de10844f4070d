import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A response as the tests see it.
struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer

    var text: String { String(buffer: self.body) }
    func header(_ name: String) -> String? { self.headers.first(name: name) }
}

/// A minimal HTTP/1.1 client on NIO (one connection per request, `Connection: close`), written for
/// the tests so they share no code with the simulator or the adapters.
enum TestHTTP {
    static let group = MultiThreadedEventLoopGroup.singleton

    /// Sends one request to 127.0.0.1:`port`, optionally from another loopback address (`from`).
    static func request(
        port: Int, method: HTTPMethod = .GET, path: String, headers: [(String, String)] = [], body: String? = nil,
        from localAddress: String? = nil, tls: NIOSSLContext? = nil
    ) async throws -> HTTPResult {
        let promise = self.group.next().makePromise(of: HTTPResult.self)
        var bootstrap = ClientBootstrap(group: self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: "localhost"))
                    }
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
        if let localAddress {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0))
        }
        let channel = try await bootstrap.connect(host: "127.0.0.1", port: port).get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: "127.0.0.1:\(port)")
        head.headers.add(name: "Connection", value: "close")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        var bodyBuffer: ByteBuffer?
        if let body {
            bodyBuffer = ByteBuffer(string: body)
            head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let bodyBuffer { channel.write(HTTPClientRequestPart.body(.byteBuffer(bodyBuffer)), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let result = try await promise.futureResult.get()
        try? await channel.close()
        return result
    }

    /// GET and parse the body as JSON (Foundation).
    static func json(port: Int, path: String, headers: [(String, String)] = []) async throws -> (HTTPResult, Any) {
        let result = try await self.request(port: port, path: path, headers: headers)
        return (result, try JSONShape.parse(result.text))
    }
}

private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResult>
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()

    init(promise: EventLoopPromise<HTTPResult>) {
        self.promise = promise
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body(var chunk): self.body.writeBuffer(&chunk)
        case .end:
            if let head = self.head {
                self.promise.succeed(HTTPResult(status: Int(head.status.code), headers: head.headers, body: self.body))
            }
            self.head = nil
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}
