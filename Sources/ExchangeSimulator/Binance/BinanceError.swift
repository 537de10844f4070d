import NIOHTTP1

/// A Binance REST error: HTTP status plus the `{"code":…,"msg":"…"}` body.
struct BinanceError: Error, Sendable {
    var status: HTTPResponseStatus
    var code: Int
    var message: String

    var body: JSONValue { .object([("code", .int(self.code)), ("msg", .string(self.message))]) }

    static let invalidSymbol = BinanceError(status: .badRequest, code: -1121, message: "Invalid symbol.")
    static let invalidInterval = BinanceError(status: .badRequest, code: -1120, message: "Invalid interval.")
    static let invalidSignature = BinanceError(
        status: .badRequest, code: -1022, message: "Signature for this request is not valid.")
    static let invalidAPIKeyFormat = BinanceError(
        status: .unauthorized, code: -2014, message: "API-key format invalid.")
    static let rejectedAPIKey = BinanceError(
        status: .unauthorized, code: -2015, message: "Invalid API-key, IP, or permissions for action.")
    static let timestampOutsideWindow = BinanceError(
        status: .badRequest, code: -1021, message: "Timestamp for this request is outside of the recvWindow.")
    static let timestampAhead = BinanceError(
        status: .badRequest, code: -1021, message: "Timestamp for this request was 1000ms ahead of the server's time.")
    static let badCombination = BinanceError(
        status: .badRequest, code: -1128, message: "Combination of optional parameters invalid.")
    static let unknownEndpoint = BinanceError(
        status: .notFound, code: -1000, message: "An unknown error occurred while processing the request.")

    static func mandatory(_ name: String) -> BinanceError {
        BinanceError(
            status: .badRequest, code: -1102,
            message: "Mandatory parameter '\(name)' was not sent, was empty/null, or malformed.")
    }

    static func illegal(_ name: String, range: String) -> BinanceError {
        BinanceError(
            status: .badRequest, code: -1100,
            message: "Illegal characters found in parameter '\(name)'; legal range is '\(range)'.")
    }

    static func invalidValue(_ name: String) -> BinanceError {
        BinanceError(status: .badRequest, code: -1130, message: "Data sent for parameter '\(name)' is not valid.")
    }

    static func tooManyRequests(limit: Int64) -> BinanceError {
        BinanceError(
            status: .tooManyRequests, code: -1003,
            message: "Too much request weight used; current limit is \(limit) request weight per 1 MINUTE. "
                + "Please use WebSocket Streams for live updates to avoid polling the API.")
    }

    static func banned(until: Int64) -> BinanceError {
        BinanceError(
            status: .imATeapot, code: -1003,
            message: "Way too much request weight used; IP banned until \(until). "
                + "Please use WebSocket Streams for live updates to avoid bans.")
    }

    static func serverError(status: Int) -> BinanceError {
        BinanceError(
            status: HTTPResponseStatus(statusCode: status), code: -1001,
            message: "Internal error; unable to process your request. Please try again.")
    }
}
