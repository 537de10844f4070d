import NIOHTTP1

/// A WhiteBIT REST error: HTTP status plus one of the exchange's several body shapes (whitebit.md §3).
struct WhiteBITError: Error, Sendable {
    var status: HTTPResponseStatus
    var body: JSONValue

    /// Documented public v1/v4 format: `{"success":false,"message":"…","params":[]}`.
    static func plain(_ status: HTTPResponseStatus, _ message: String) -> WhiteBITError {
        WhiteBITError(
            status: status,
            body: .object([
                ("success", .bool(false)), ("message", .string(message)), ("params", .array([])),
            ]))
    }

    /// The field → messages variant recorded by ccxt:
    /// `{"success":false,"message":{"market":["Market is not available"]},"result":[]}`.
    static func field(_ name: String, _ message: String) -> WhiteBITError {
        WhiteBITError(
            status: .unprocessableEntity,
            body: .object([
                ("success", .bool(false)), ("message", .object([(name, .array([.string(message)]))])),
                ("result", .array([])),
            ]))
    }

    /// Private-API authentication failures in the older recorded form `{"code":N,"message":"…"}`.
    static func auth(_ status: HTTPResponseStatus, code: Int, _ message: String) -> WhiteBITError {
        WhiteBITError(status: status, body: .object([("code", .int(code)), ("message", .string(message))]))
    }

    /// Private-API middleware failures in the newer recorded form `{"code":0,"errors":{},"message":"…"}`.
    static func middleware(_ status: HTTPResponseStatus, _ message: String) -> WhiteBITError {
        WhiteBITError(
            status: status,
            body: .object([
                ("code", .int(0)), ("errors", .object([])), ("message", .string(message)),
            ]))
    }

    /// Private-API validation: `{"code":30,"message":"Validation failed","errors":{"ticker":["…"]}}` (422).
    static func validation(_ name: String, _ message: String) -> WhiteBITError {
        WhiteBITError(
            status: .unprocessableEntity,
            body: .object([
                ("code", .int(30)), ("message", .string("Validation failed")),
                ("errors", .object([(name, .array([.string(message)]))])),
            ]))
    }

    // MARK: - The exact bodies

    /// Bad signature or unknown key (fixture `err_v4_private_unauthorized.json`).
    static let unauthorized = auth(.unauthorized, code: 10, "Unauthorized request.")
    /// `X-TXC-PAYLOAD` is not the base64 of the body, or the body is not a JSON object.
    static let invalidPayload = auth(.badRequest, code: 9, "Invalid payload.")
    /// A nonce not above the previous one (and a reused nonce in window mode): HTTP 429, recorded
    /// in ccxt pull request #25353. Also the body of every rate-limit 429 (the only 429 body known).
    static let tooManyRequests = middleware(.tooManyRequests, "Too many requests.")
    static let nonceMissing = middleware(.badRequest, "Nonce not provided.")
    static let requestMissing = middleware(.badRequest, "Request not provided.")
    static let invalidNonceWindow = middleware(.badRequest, "Invalid nonceWindow.")
    static let nonceOutsideWindow = middleware(
        .badRequest, "Your nonce is more than 5 seconds lesser than the current nonce")

    static let marketUnavailable = field("market", "Market is not available")
    static let notFound = plain(.notFound, "Not found")
    static let methodNotAllowed = plain(.methodNotAllowed, "Method not allowed")

    /// The third recorded shape, used for 5xx answers (`http_5xx` fault):
    /// `{"response":null,"status":503,"errors":{"message":[""]},"notification":null,"warning":null,"_token":null}`.
    static func serverError(status: Int) -> WhiteBITError {
        WhiteBITError(
            status: HTTPResponseStatus(statusCode: status),
            body: .object([
                ("response", .null), ("status", .int(status)),
                ("errors", .object([("message", .array([.string("")]))])),
                ("notification", .null), ("warning", .null), ("_token", .null),
            ]))
    }

    var response: SimResponse {
        WhiteBITVenue.json(self.status, self.body.buffer)
    }
}
