import NIOCore
import NIOHTTP1
import NIOWebSocket
import Synchronization

/// Carries the upgrade decision from `shouldUpgrade` to the pipeline installer (accepted) or to the
/// HTTP handler (rejected), for one connection.
final class UpgradeStash: Sendable {
    private struct State {
        var accepted: (factory: @Sendable () -> any WSSession, request: SimRequest)?
        var rejection: SimResponse?
    }

    private let state = Mutex(State())

    func accept(_ factory: @escaping @Sendable () -> any WSSession, request: SimRequest) {
        self.state.withLock { $0.accepted = (factory, request) }
    }

    func reject(_ response: SimResponse) {
        self.state.withLock { $0.rejection = response }
    }

    func takeAccepted() -> (factory: @Sendable () -> any WSSession, request: SimRequest)? {
        self.state.withLock { state in
            defer { state.accepted = nil }
            return state.accepted
        }
    }

    func takeRejection() -> SimResponse? {
        self.state.withLock { state in
            defer { state.rejection = nil }
            return state.rejection
        }
    }
}

/// Reads HTTP/1.1 requests, routes them, writes the answers (with latency faults and keep-alive).
final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private static let maxBody = 1 << 20

    private let router: SimRouter
    private let stash: UpgradeStash
    private let clientIP: String
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var bodyTooLarge = false
    /// Puts an HTTP upgrade handler back in front of this one (see `VenueListener`), so the next
    /// request on a keep-alive connection may be a WebSocket handshake.
    var rearmUpgrade: ((ChannelPipeline) -> Void)?

    init(router: SimRouter, stash: UpgradeStash, clientIP: String) {
        self.router = router
        self.stash = stash
        self.clientIP = clientIP
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.clear()
            self.bodyTooLarge = false
        case .body(var chunk):
            if self.body.readableBytes + chunk.readableBytes > Self.maxBody {
                self.bodyTooLarge = true
            } else {
                self.body.writeBuffer(&chunk)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            var response: SimResponse
            if let rejection = self.stash.takeRejection() {
                // NIO's request decoder stops parsing after a request carrying `Upgrade`, so a
                // refused handshake ends the connection once answered.
                response = rejection
                response.closeConnection = true
            } else if self.bodyTooLarge {
                response = .text(.payloadTooLarge, "request body too large")
            } else {
                let request = SimRequest(
                    method: head.method, uri: head.uri, headers: head.headers, body: self.body, clientIP: self.clientIP)
                response = self.router.route(request)
            }
            self.respond(context: context, head: head, response: response)
        }
    }

    private func respond(context: ChannelHandlerContext, head: HTTPRequestHead, response: SimResponse) {
        if let later = response.later {
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            later.hop(to: context.eventLoop).whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let response): handler.respond(context: context, head: head, response: response)
                case .failure:
                    handler.respond(context: context, head: head, response: .text(.internalServerError, "failed"))
                }
            }
            return
        }
        if response.dropWithoutAnswer {
            context.close(promise: nil)
            return
        }
        let keepAlive = head.isKeepAlive && !response.closeConnection
        if keepAlive { self.rearmUpgrade?(context.pipeline) }
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.readableBytes))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let responseHead = HTTPResponseHead(version: head.version, status: response.status, headers: headers)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let write: @Sendable () -> Void = {
            let context = bound.value
            context.write(Self.wrapOutboundOut(.head(responseHead)), promise: nil)
            if response.body.readableBytes > 0 && head.method != .HEAD {
                context.write(Self.wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
            }
            let done = context.eventLoop.makePromise(of: Void.self)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: done)
            if !keepAlive {
                done.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
            }
        }
        if response.delayMs > 0 {
            context.eventLoop.scheduleTask(in: .milliseconds(response.delayMs)) { write() }
        } else {
            write()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A refused WebSocket upgrade surfaces as an error before the request is passed on to be
        // answered normally (with the venue's rejection): not a reason to close.
        if error is NIOWebSocketUpgradeError { return }
        context.close(promise: nil)
    }
}

/// Sends `/_sim/` to the admin API and everything else, through REST faults, to the venue.
package final class SimRouter: Sendable {
    let venue: any Venue
    let admin: AdminAPI

    init(venue: any Venue, admin: AdminAPI) {
        self.venue = venue
        self.admin = admin
    }

    /// `body` with the quantity of its first bid level one digit longer (`"0.5"` → `"0.51"`, `"3"` →
    /// `"3.1"`): still a valid quantity, and a different one. Finds the bids under `bids` (Binance,
    /// WhiteBIT) or `b` (Bybit), at any depth; nil when there is none.
    package static func changingFirstBid(_ body: JSONValue) -> JSONValue? {
        switch body {
        case .object(var members):
            for index in members.indices {
                let (key, value) = members[index]
                if key == "bids" || key == "b", case .array(var levels) = value, case .array(var level)? = levels.first,
                    level.count >= 2, case .string(let quantity) = level[1]
                {
                    level[1] = .string(quantity.contains(".") ? quantity + "1" : quantity + ".1")
                    levels[0] = .array(level)
                    members[index].1 = .array(levels)
                    return .object(members)
                }
                if let changed = changingFirstBid(value) {
                    members[index].1 = changed
                    return .object(members)
                }
            }
            return nil
        default:
            return nil
        }
    }

    package func route(_ request: SimRequest) -> SimResponse {
        if request.path.hasPrefix("/_sim/") || request.path == "/_sim" {
            return self.admin.handle(request)
        }
        let context = self.venue.context
        context.stats.restRequests.wrappingAdd(1, ordering: .relaxed)
        let action = context.faults.restAction(path: request.path)
        var response: SimResponse
        if action.drop {
            response = SimResponse(status: .ok)
            response.dropWithoutAnswer = true
            return response
        } else if let status = action.status {
            response = self.venue.serverErrorResponse(status: status, for: request)
        } else if action.rateLimited {
            response = self.venue.rateLimitStormResponse(for: request)
        } else {
            response = self.venue.handle(request)
        }
        if action.corruptBook, response.status == .ok, let body = JSONValue.parse(response.body),
            let corrupted = Self.changingFirstBid(body)
        {
            var bytes = ByteBuffer()
            corrupted.write(into: &bytes)
            response.body = bytes
        }
        if action.truncate {
            response.body =
                response.body.getSlice(at: response.body.readerIndex, length: response.body.readableBytes / 2)
                ?? response.body
        }
        response.delayMs += action.latencyMs
        return response
    }
}
