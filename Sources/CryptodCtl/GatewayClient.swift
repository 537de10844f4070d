import CryptodConfig
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

// HTTP to the gateway's REST API, for `cryptoctl health`, `alerts`, `throttle` and `top`.
//
// A small HTTP/1.1 client on SwiftNIO rather than FoundationNetworking's URLSession: URLSession on Linux is
// libcurl underneath, which would add libcurl4 to the Debian package's dependencies (and a static libcurl to a
// --static-swift-stdlib build) for one GET at a time on loopback; NIOPosix and NIOHTTP1 are already compiled
// for the gateway and exchsim. One request per connection (`Connection: close`), so there is no pooling to get
// wrong.

/// Where the gateway is and the admin token to show it, with where each came from (for error messages).
package struct GatewayTarget: Sendable, Equatable {
    package var host: String
    package var port: Int
    package var urlOrigin: String
    package var token: String?
    package var tokenOrigin: String
    /// Notes on sources that could not be used (an unreadable configuration file, say).
    package var notes: [String]

    package init(
        host: String, port: Int, urlOrigin: String, token: String?, tokenOrigin: String, notes: [String] = []
    ) {
        self.host = host
        self.port = port
        self.urlOrigin = urlOrigin
        self.token = token
        self.tokenOrigin = tokenOrigin
        self.notes = notes
    }

    /// `http://127.0.0.1:8000`, IPv6 in brackets.
    package var url: String { "http://" + (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }

    package static let tokenVariable = "CRYPTOD_GATEWAY_ADMIN_TOKEN"

    /// The gateway to talk to: `--url` > the configuration in use (`gateway.rest_listen`, after its environment
    /// overrides, found as for every cryptoctl command) > the default `127.0.0.1:8000`. The token: `--token` >
    /// `$CRYPTOD_GATEWAY_ADMIN_TOKEN` > the file's `gateway.admin_token`.
    package static func resolve(
        urlFlag: String?, tokenFlag: String?, locator: DaemonLocator
    ) throws(GatewayURLError) -> GatewayTarget {
        let environment = locator.environment
        let (file, fileOrigin) = locator.configFile()
        var notes: [String] = []
        var listen = ListenAddress(host: "127.0.0.1", port: 8000)
        var listenOrigin = "the default gateway.rest_listen"
        var fileToken: String?
        var loaded: LoadedConfiguration?
        if FileManager.default.isReadableFile(atPath: file) {
            do {
                loaded = try ConfigLoader.load(path: file, environment: environment)
                listenOrigin = "gateway.rest_listen of \(file) (\(fileOrigin))"
            } catch {
                notes.append("\(file) (\(fileOrigin)) is invalid (cryptoctl check-config explains); using defaults")
            }
        } else if FileManager.default.fileExists(atPath: file) {
            notes.append("cannot read \(file) (\(fileOrigin)): permission denied? using defaults")
        }
        if loaded == nil {
            // Defaults plus the environment's overrides (CRYPTOD_GATEWAY_REST_LISTEN), as a daemon would see them.
            loaded = try? ConfigLoader.load(path: nil, environment: environment)
        }
        if let gateway = loaded?.configuration.gateway {
            listen = gateway.restListen
            fileToken = gateway.adminToken?.revealed
        }
        if environment["CRYPTOD_GATEWAY_REST_LISTEN"].map({ !$0.isEmpty }) == true {
            listenOrigin = "$CRYPTOD_GATEWAY_REST_LISTEN"
        }

        var target = GatewayTarget(
            host: Self.connectable(listen.host), port: listen.port, urlOrigin: listenOrigin, token: nil,
            tokenOrigin: "none given (--token, $\(tokenVariable) or gateway.admin_token of \(file))", notes: notes)
        if let urlFlag, !urlFlag.isEmpty {
            let (host, port) = try parse(url: urlFlag)
            target.host = host
            target.port = port
            target.urlOrigin = "--url"
        }
        if let tokenFlag, !tokenFlag.isEmpty {
            (target.token, target.tokenOrigin) = (tokenFlag, "--token")
        } else if let variable = environment[tokenVariable], !variable.isEmpty {
            (target.token, target.tokenOrigin) = (variable, "$\(tokenVariable)")
        } else if let fileToken, !fileToken.isEmpty {
            (target.token, target.tokenOrigin) = (fileToken, "gateway.admin_token of \(file)")
        }
        return target
    }

    /// A wildcard listen address is reached on loopback.
    static func connectable(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::": "::1"
        default: host
        }
    }

    /// `http://HOST:PORT[/]`, `HOST:PORT`, `http://[::1]:8000`.
    package static func parse(url text: String) throws(GatewayURLError) -> (host: String, port: Int) {
        var rest = Substring(text)
        if rest.hasPrefix("https://") {
            throw GatewayURLError(
                message: "--url \(text): cryptoctl speaks plain HTTP to the gateway (it listens without TLS); "
                    + "use http://HOST:PORT")
        }
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        let host: Substring
        let portText: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            portText = after.hasPrefix(":") ? after.dropFirst() : ""
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        } else {
            host = rest
            portText = ""
        }
        guard !host.isEmpty, !host.contains("/"), let port = Int(portText), (1...65_535).contains(port) else {
            throw GatewayURLError(message: "--url \(text): expected http://HOST:PORT, e.g. http://127.0.0.1:8000")
        }
        return (String(host), port)
    }
}

package struct GatewayURLError: Error, Sendable, CustomStringConvertible {
    package var message: String
    package var description: String { message }
}

/// The gateway's answer: status and body.
package struct GatewayResponse: Sendable {
    package var status: Int
    package var body: [UInt8]

    package init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }

    package var text: String { String(decoding: body, as: UTF8.self) }
}

/// Why no answer came.
package enum GatewayTransportError: Error, Sendable, CustomStringConvertible {
    case connect(String)
    case timedOut(seconds: Double)
    case closedEarly

    package var description: String {
        switch self {
        case .connect(let reason): reason
        case .timedOut(let seconds): "no complete answer within \(seconds) s"
        case .closedEarly: "the connection closed before the answer was complete"
        }
    }
}

/// One HTTP/1.1 exchange per call.
package struct GatewayClient: Sendable {
    package var target: GatewayTarget
    package var timeoutSeconds: Double

    package init(target: GatewayTarget, timeoutSeconds: Double) {
        self.target = target
        self.timeoutSeconds = timeoutSeconds
    }

    package func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> GatewayResponse {
        var headers = HTTPHeaders()
        headers.add(
            name: "Host",
            value: target.host.contains(":") ? "[\(target.host)]:\(target.port)" : "\(target.host):\(target.port)")
        headers.add(name: "User-Agent", value: "cryptoctl")
        headers.add(name: "Accept", value: "application/json")
        headers.add(name: "Connection", value: "close")
        if let token = target.token { headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let timeout = TimeAmount.milliseconds(Int64(timeoutSeconds * 1000))
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: GatewayResponse.self)
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            ExchangeHandler(head: head, body: body, promise: promise))
                    }
                }
                .connect(host: target.host, port: target.port).get()
        } catch {
            promise.fail(error)
            throw GatewayTransportError.connect(Self.describe(error))
        }
        let seconds = timeoutSeconds
        let deadline = channel.eventLoop.scheduleTask(in: timeout) {
            promise.fail(GatewayTransportError.timedOut(seconds: seconds))
            channel.close(promise: nil)
        }
        defer { deadline.cancel() }
        let response = try await promise.futureResult.get()
        channel.close(promise: nil)
        return response
    }

    /// "connection refused" rather than NIO's type dump.
    static func describe(_ error: any Error) -> String {
        if let error = error as? NIOConnectionError {
            let reasons = Array(Set(error.connectionErrors.map { describe($0.error) })).sorted()
            return reasons.isEmpty ? "\(error)" : reasons.joined(separator: "; ")
        }
        if let error = error as? IOError {
            return String(cString: strerror(error.errnoCode)).lowercased()
        }
        if error is ChannelError { return "timed out connecting" }
        return "\(error)"
    }
}

/// Writes the request once connected and collects the response into the promise.
private final class ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let body: [UInt8]?
    private let promise: EventLoopPromise<GatewayResponse>
    private var status: Int?
    private var collected: [UInt8] = []
    private var done = false

    init(head: HTTPRequestHead, body: [UInt8]?, promise: EventLoopPromise<GatewayResponse>) {
        self.head = head
        self.body = body
        self.promise = promise
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: body)))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response): status = Int(response.status.code)
        case .body(var buffer): collected += buffer.readBytes(length: buffer.readableBytes) ?? []
        case .end:
            guard !done, let status else { return }
            done = true
            promise.succeed(GatewayResponse(status: status, body: collected))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !done {
            done = true
            promise.fail(GatewayTransportError.closedEarly)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !done {
            done = true
            promise.fail(error)
        }
        context.close(promise: nil)
    }
}
