import CryptodModel

/// Bybit's REST envelope `{"retCode","retMsg","result","retExtInfo","time"}`.
///
/// Members are read in any order: `result` is noted and skipped, then read once `retCode` says the call
/// succeeded, so an error body never reaches a result parser.
enum BybitEnvelope {
    /// The envelope's status and, when `retCode` is 0, what `read` made of `result`.
    struct Outcome<Value> {
        var code: Int64
        var message: String
        /// The envelope's `time` (ms), where sent.
        var time: Int64?
        /// `nil` when `code != 0`.
        var value: Value?
    }

    /// Reads the envelope and, on success, `result` with `read`.
    /// - Throws: `.malformedJSON`, `.missingField` (`retCode`; `result` on success) or what `read` throws.
    static func outcome<Value>(
        _ body: [UInt8], _ read: (inout JSONCursor, _ time: Int64?) throws(ExchangeParseError) -> Value
    ) throws(ExchangeParseError) -> Outcome<Value> {
        try JSONCursor.parse(body) { (cursor) throws(ExchangeParseError) -> Outcome<Value> in
            guard try cursor.peek() == .object else {
                throw ExchangeParseError(.unknownMessage, "response is not a JSON object")
            }
            var code: Int64?
            var message = ""
            var time: Int64?
            var resultCursor: JSONCursor?
            try cursor.object { (key, c) throws(ExchangeParseError) in
                if key == "retCode" {
                    code = try BybitField.int64(&c, "retCode")
                } else if key == "retMsg" {
                    if !c.null() { message = try BybitField.string(&c, "retMsg") }
                } else if key == "time" {
                    if !c.null() { time = try BybitField.int64(&c, "time") }
                } else if key == "result" {
                    resultCursor = c
                    try c.skip()
                } else {
                    try c.skip()
                }
            }
            try cursor.finish()
            guard let code else { throw BybitField.missing("retCode", in: "response") }
            guard code == 0 else { return Outcome(code: code, message: message, time: time, value: nil) }
            guard var resultCursor else { throw BybitField.missing("result", in: "response") }
            let value = try read(&resultCursor, time)
            return Outcome(code: code, message: message, time: time, value: value)
        }
    }

    /// The value `read` made of `result`.
    /// - Throws: `.exchangeError` (`retCode N: message`) when `retCode != 0` (10001 bad parameters, 10006
    ///   rate limit, …), else as ``outcome(_:_:)``.
    static func result<Value>(
        _ body: [UInt8], _ read: (inout JSONCursor, _ time: Int64?) throws(ExchangeParseError) -> Value
    ) throws(ExchangeParseError) -> Value {
        let outcome = try outcome(body, read)
        guard let value = outcome.value else {
            throw ExchangeParseError(.exchangeError, "retCode \(outcome.code): \(outcome.message.prefix(200))")
        }
        return value
    }
}
