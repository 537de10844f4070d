import CryptodModel

/// Field readers shared by the WhiteBIT REST and stream parsers: every value is range-checked and every
/// error names its field.
enum WhiteBITRead {
    /// Latest time accepted, in seconds (2262-04-11, the end of `Timestamp`).
    static let maxSeconds = ExactDecimal(mantissa: 9_223_372_036, scale: 0)!

    /// A price or amount: a decimal string or number, never negative.
    @inline(__always)
    static func decimal(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> ExactDecimal {
        let value: ExactDecimal
        do throws(ExchangeParseError) { value = try cursor.decimal() } catch { throw error.inField(field.description) }
        guard !value.isNegative else {
            throw ExchangeParseError(.invalidValue, "\"\(field)\": negative value \(value)")
        }
        return value
    }

    /// Seconds as WhiteBIT writes them: `1631451591`, `1689600180.5164471` or `"1594391747"`, exact to the
    /// nanosecond.
    @inline(__always)
    static func seconds(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Timestamp {
        let value: ExactDecimal
        do throws(ExchangeParseError) { value = try cursor.decimal() } catch { throw error.inField(field.description) }
        // Checked here: `fractionalSeconds` multiplies before it range-checks.
        guard !value.isNegative, value <= maxSeconds else {
            throw ExchangeParseError(.invalidValue, "\"\(field)\": time \(value) s out of range")
        }
        do throws(ExchangeParseError) { return try TimeUnits.fractionalSeconds(value) } catch {
            throw error.inField(field.description)
        }
    }

    /// A market name or other short text; never empty.
    @inline(__always)
    static func text(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> String {
        let value: String
        do throws(ExchangeParseError) { value = try cursor.string() } catch { throw error.inField(field.description) }
        guard !value.isEmpty else { throw ExchangeParseError(.invalidValue, "\"\(field)\": empty") }
        return value
    }

    static func int64(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Int64 {
        do throws(ExchangeParseError) { return try cursor.int64() } catch { throw error.inField(field.description) }
    }

    static func uint64(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> UInt64 {
        do throws(ExchangeParseError) { return try cursor.uint64() } catch { throw error.inField(field.description) }
    }

    static func bool(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> Bool {
        do throws(ExchangeParseError) { return try cursor.bool() } catch { throw error.inField(field.description) }
    }

    /// `buy` / `sell`: the taker's side.
    static func side(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> TradeSide {
        let raw: UnsafeRawBufferPointer
        do throws(ExchangeParseError) { raw = try cursor.rawString() } catch { throw error.inField(field.description) }
        if raw.elementsEqual("buy".utf8) { return .buy }
        if raw.elementsEqual("sell".utf8) { return .sell }
        throw ExchangeParseError(.invalidValue, "\"\(field)\": expected buy or sell")
    }

    /// `[[price, amount], …]`; amounts may be `"0"` (a removed level in an incremental update).
    static func levels(_ cursor: inout JSONCursor, _ field: StaticString) throws(ExchangeParseError) -> [BookLevel] {
        var levels: [BookLevel] = []
        try cursor.array { row throws(ExchangeParseError) in
            var price: ExactDecimal?
            var amount: ExactDecimal?
            var index = 0
            try row.array { value throws(ExchangeParseError) in
                switch index {
                case 0: price = try decimal(&value, "price")
                case 1: amount = try decimal(&value, "amount")
                default: try value.skip()
                }
                index += 1
            }
            guard let price, let amount else {
                throw ExchangeParseError(.missingField, "\"\(field)\": a level needs [price, amount]")
            }
            levels.append(BookLevel(price: price, quantity: amount))
        }
        return levels
    }

    /// Runs `body` over the elements of a positional array, with each element's index.
    @inline(__always)
    static func positional(
        _ cursor: inout JSONCursor, _ body: (Int, inout JSONCursor) throws(ExchangeParseError) -> Void
    ) throws(ExchangeParseError) -> Int {
        var index = 0
        try cursor.array { element throws(ExchangeParseError) in
            try body(index, &element)
            index += 1
        }
        return index
    }

    // MARK: - Error bodies

    /// The exchange's own error when `body` is one of WhiteBIT's error shapes, else `nil`:
    /// `{"success":false,"message":"…"|{field:[…]}}`, `{"code":N,"message":"…","errors":{…}}` and
    /// `{"response":null,"status":503,"errors":{…},…}`.
    static func errorBody(_ body: [UInt8]) -> ExchangeParseError? {
        let found = try? JSONCursor.parse(body) { cursor throws(ExchangeParseError) -> ExchangeParseError? in
            guard try cursor.peek() == .object else { return nil }
            var success: Bool?
            var code: Int64?
            var status: Int64?
            var message: String?
            var errors: String?
            try cursor.object { key, value throws(ExchangeParseError) in
                switch key {
                case "success":
                    if try value.peek() == .bool { success = try value.bool() } else { try value.skip() }
                case "code":
                    if try value.peek() == .number { code = try value.int64() } else { try value.skip() }
                case "status":
                    if try value.peek() == .number { status = try value.int64() } else { try value.skip() }
                case "message": message = try messageText(&value)
                case "errors": errors = try messageText(&value)
                default: try value.skip()
                }
            }
            let words = [message, errors].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "; ")
            if success == false { return ExchangeParseError(.exchangeError, words.isEmpty ? "success false" : words) }
            if let code, message != nil || errors != nil {
                return ExchangeParseError(.exchangeError, "code \(code): \(words)")
            }
            if let status, errors != nil { return ExchangeParseError(.exchangeError, "status \(status): \(words)") }
            return nil
        }
        return found ?? nil
    }

    /// A message that is a string, or an object of field → [messages] (`market: Market is not available`).
    static func messageText(_ cursor: inout JSONCursor) throws(ExchangeParseError) -> String? {
        switch try cursor.peek() {
        case .string: return try cursor.string()
        case .object:
            var parts: [String] = []
            try cursor.object { key, value throws(ExchangeParseError) in
                let name = key.string
                var texts: [String] = []
                switch try value.peek() {
                case .string: texts.append(try value.string())
                case .array:
                    try value.array { item throws(ExchangeParseError) in
                        if try item.peek() == .string { texts.append(try item.string()) } else { try item.skip() }
                    }
                default: try value.skip()
                }
                let joined = texts.filter { !$0.isEmpty }.joined(separator: ", ")
                parts.append(joined.isEmpty ? name : "\(name): \(joined)")
            }
            return parts.isEmpty ? nil : parts.joined(separator: "; ")
        default:
            try cursor.skip()
            return nil
        }
    }

    /// Throws the exchange's error when `body` is an error body; called before a parser expects data.
    static func checkError(_ body: [UInt8]) throws(ExchangeParseError) {
        if let error = errorBody(body) { throw error }
    }
}
