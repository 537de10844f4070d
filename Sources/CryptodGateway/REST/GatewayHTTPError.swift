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
