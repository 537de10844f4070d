import NIOCore
import NIOHTTP1

/// A Bybit business error: `retCode` and `retMsg` in the usual envelope, sent with HTTP 200 (pybit
/// treats any other status as a transport failure before it looks at `retCode`).
///
/// Texts come from the error table (bybit.md §2.6, §3) where it gives one, otherwise from bodies
/// observed on the live API (quoted in public client code); see docs/exchsim.md, "Bybit".
struct BybitError: Error, Sendable, Equatable {
    var code: Int
    var message: String

    /// Missing, unknown or unsupported `category`.
    static let illegalCategory = BybitError(code: 10001, message: "Illegal category")
    /// Unknown symbol (orderbook, kline, recent-trade, linear instruments).
    static let symbolInvalid = BybitError(code: 10001, message: "params error: symbol invalid")
    /// Unknown symbol on tickers.
    static let notSupportedSymbols = BybitError(code: 10001, message: "Not supported symbols")
    /// Missing or unknown kline interval.
    static let invalidPeriod = BybitError(code: 10001, message: "Invalid period!")
    static let apiKeyInvalid = BybitError(code: 10003, message: "API key is invalid.")
    static let tooManyVisits = BybitError(code: 10006, message: "Too many visits!")
    static let serverError = BybitError(code: 10016, message: "Server error.")
    static let routeNotFound = BybitError(code: 10017, message: "Route not found.")

    /// Any other malformed parameter: `params error: <name> invalid`.
    static func invalid(_ name: String) -> BybitError {
        BybitError(code: 10001, message: "params error: \(name) invalid")
    }

    /// 10002 with the timestamps the server compared.
    static func timestamp(request: String, server: Int64, recvWindow: String) -> BybitError {
        BybitError(
            code: 10002,
            message: "invalid request, please check your server timestamp or recv_window param. "
                + "req_timestamp[\(request)],server_timestamp[\(server)],recv_window[\(recvWindow)]")
    }

    /// 10004 quoting the string the server signed, which is what makes it useful for debugging.
    static func sign(origin: String) -> BybitError {
        BybitError(code: 10004, message: "error sign! origin_string[\(origin)]")
    }
}

/// The `{"retCode","retMsg","result","retExtInfo","time"}` envelope every REST answer uses.
enum BybitEnvelope {
    /// Bybit's spelling of the JSON content type.
    static let contentType = ("Content-Type", "application/json; charset=utf-8")

    /// A success envelope around an already rendered `result` object.
    static func ok(
        _ result: ByteBuffer, message: StaticString = "OK", time: Int64, headers: [(String, String)] = []
    ) -> SimResponse {
        var w = JSONWriter(capacity: result.readableBytes + 96)
        w.raw("{\"retCode\":0,\"retMsg\":\"")
        w.raw(message)
        w.raw("\",\"result\":")
        w.raw(result)
        w.raw(",\"retExtInfo\":{},\"time\":")
        w.int(time)
        w.raw("}")
        return SimResponse(status: .ok, headers: [contentType] + headers, body: w.buffer)
    }

    static func ok(
        _ result: JSONValue, message: StaticString = "OK", time: Int64, headers: [(String, String)] = []
    ) -> SimResponse {
        self.ok(result.buffer, message: message, time: time, headers: headers)
    }

    /// An error envelope with an empty `result` (HTTP 200 unless told otherwise).
    static func error(
        _ error: BybitError, time: Int64, status: HTTPResponseStatus = .ok, result: JSONValue = .object([]),
        headers: [(String, String)] = []
    ) -> SimResponse {
        let body: JSONValue = .object([
            ("retCode", .int(error.code)), ("retMsg", .string(error.message)), ("result", result),
            ("retExtInfo", .object([])), ("time", .int(time)),
        ])
        return SimResponse(status: status, headers: [contentType] + headers, body: body.buffer)
    }
}
