import CryptodFormats
import Hummingbird

/// Every error the REST API returns: a status and the body
/// `{"error":{"code":"…","message":"what was wrong and what to do"}}`.
///
/// Codes are stable and listed in docs/api.md; messages are for people.
package struct GatewayHTTPError: HTTPResponseError, Sendable, Equatable {
    package struct Code: Sendable, Hashable, CustomStringConvertible {
        package let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }
        package var description: String { rawValue }

        /// No such endpoint.
        package static let unknownEndpoint = Code("unknown_endpoint")
        /// The endpoint exists, but not for this method.
        package static let methodNotAllowed = Code("method_not_allowed")
        /// The exchange path segment is not an exchange name.
        package static let badExchange = Code("bad_exchange")
        /// The symbol path segment is not a symbol.
        package static let badSymbol = Code("bad_symbol")
        /// The interval path segment is not a candle interval.
        package static let badInterval = Code("bad_interval")
        /// `?limit=` is not a number in range.
        package static let badLimit = Code("bad_limit")
        /// A malformed request Hummingbird itself refused (headers, body size).
        package static let badRequest = Code("bad_request")
        /// Nothing has been received yet for this market (or channel, or interval).
        package static let noData = Code("no_data")
        /// The WebSocket port was asked a plain HTTP question.
        package static let upgradeRequired = Code("upgrade_required")
        /// A bug: the message and the gateway's log say more.
        package static let internalError = Code("internal")
        /// The exchange is not one cryptod supports.
        package static let unknownExchange = Code("unknown_exchange")
        /// The exchange lists no such market.
        package static let unknownSymbol = Code("unknown_symbol")
        /// `?market=` is not a market type of the exchange.
        package static let badMarket = Code("bad_market")
        /// `?depth=` is not a number in range.
        package static let badDepth = Code("bad_depth")
        /// `?timeframe=` is not a candle interval of the exchange.
        package static let badTimeframe = Code("bad_timeframe")
        /// `start`/`end` are not times, or not in order.
        package static let badRange = Code("bad_range")
        /// `?cursor=` is not a cursor of this query.
        package static let badCursor = Code("bad_cursor")
        /// `?limit=` is larger than the page size allowed.
        package static let pageTooLarge = Code("page_too_large")
        /// A subscription id that no POST …/subscribe returned.
        package static let badSubscription = Code("bad_subscription")
        /// The request body is not the JSON object the route takes.
        package static let badBody = Code("bad_body")
        /// The request body is larger than `gateway.max_body`.
        package static let bodyTooLarge = Code("body_too_large")
        /// No or a wrong bearer token on an admin route.
        package static let unauthorized = Code("unauthorized")
        /// Admin routes are off (`gateway.admin_token` is empty).
        package static let adminDisabled = Code("admin_disabled")
        /// The client's request rate is over `gateway.rate_limit`.
        package static let rateLimited = Code("rate_limited")
        /// The exchange is supported but not enabled, so it has no ingestor to ask.
        package static let exchangeDisabled = Code("exchange_disabled")
        /// The ingestor did not answer or refused the command.
        package static let ingestorUnavailable = Code("ingestor_unavailable")
        /// The ingestor refused the request as invalid.
        package static let rejected = Code("rejected")
        /// The scheduler is disabled or did not answer a history request.
        package static let schedulerUnavailable = Code("scheduler_unavailable")
        /// PostgreSQL cannot be reached for history.
        package static let historyUnavailable = Code("history_unavailable")
    }

    package var status: HTTPResponse.Status
    package var code: Code
    package var message: String
    package var headers: HTTPFields

    package init(_ status: HTTPResponse.Status, _ code: Code, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.object(status) { json in
            json.key("error")
            json.object { json in
                json.field("code", code.rawValue)
                json.field("message", message)
            }
        }
        response.headers.append(contentsOf: headers)
        return response
    }
}

/// Builds JSON responses from ``JSONWriter`` output: the only way the gateway writes JSON, so decimals keep
/// their exact text.
package enum JSONBody {
    package static let contentType = "application/json; charset=utf-8"

    /// A response whose body is one JSON object; `members` writes its members.
    package static func object(_ status: HTTPResponse.Status = .ok, _ members: (inout JSONWriter) -> Void) -> Response {
        var json = JSONWriter(capacity: 1024)
        json.object(members)
        return response(status, bytes: json.bytes)
    }

    package static func response(_ status: HTTPResponse.Status, bytes: [UInt8]) -> Response {
        // Live data: a cached answer would be a wrong answer.
        let headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-store"]
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
