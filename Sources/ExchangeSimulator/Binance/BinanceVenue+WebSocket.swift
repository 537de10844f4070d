import NIOCore

/// WebSocket upgrade: `/ws`, `/ws/<stream>[/<stream>…]` (raw) and `/stream?streams=a/b/c` (combined).
/// Raw path segments that are not market streams are ignored (the connection subscribes to the rest).
extension BinanceVenue {
    func upgrade(_ request: SimRequest) -> WebSocketDecision {
        let combined: Bool
        var names: [String] = []
        if request.path == "/ws" || request.path == "/ws/" {
            combined = false
        } else if request.path.hasPrefix("/ws/") {
            combined = false
            names = request.path.dropFirst("/ws/".count).split(separator: "/").map { SimRequest.percentDecode($0) }
        } else if request.path == "/stream" || request.path == "/stream/" {
            combined = true
            names = (request.parameter("streams") ?? "").split(separator: "/").map(String.init)
        } else {
            return .reject(.json(.notFound, BinanceError.unknownEndpoint.body))
        }
        var keys: [StreamKey] = []
        for name in names {
            guard let key = BinanceStream.parse(name, market: { self.market(forSymbol: $0) }) else {
                // A raw path segment that names no market stream (ccxt opens `/ws/0`, `/ws/1`, …
                // and subscribes later; user-data streams are `/ws/<listenKey>`) connects and
                // delivers nothing, as on Binance. Combined URLs keep the error.
                if !combined { continue }
                return .reject(
                    .json(
                        .badRequest,
                        .object([("code", .int(2)), ("msg", .string("Invalid request: invalid stream name \(name)"))])))
            }
            if !keys.contains(key) { keys.append(key) }
        }
        if keys.count > self.webSocketPolicy.maxStreamsPerConnection {
            return .reject(
                .json(.badRequest, .object([("code", .int(2)), ("msg", .string("Invalid request: too many streams"))])))
        }
        let now = self.context.clock.now()
        guard self.limiter.admitConnection(ip: request.clientIP, now: now) else {
            let error = BinanceError(
                status: .tooManyRequests, code: -1003,
                message:
                    "Too many new connections; current limit is \(self.limiter.limits.connectionsPer5m) per 5 MINUTE.")
            return .reject(
                self.errorResponse(
                    error, used: self.limiter.usedWeight(ip: request.clientIP, now: now),
                    retryAfterMs: 300_000 - now % 300_000))
        }
        let initial = keys
        return .accept { [self] in BinanceSession(venue: self, combined: combined, initial: initial) }
    }
}
