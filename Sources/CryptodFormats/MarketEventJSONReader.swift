import CryptodModel

/// Reads back the JSON that ``MarketEventJSON`` writes, for tickers, trades and candles: what an operator
/// injects (`POST /api/v1/stream/process`, format `normalized`) and a line of the writer's JSONL files.
///
/// Prices and quantities must be JSON strings and are read exactly, scale included (`"0.00010000"` stays
/// eight digits); a JSON number there is refused, since its digits are not reliably kept by JSON tools. Times
/// are RFC 3339 (`2026-07-01T10:00:00.250Z`, any offset, up to 9 fractional digits). An unknown key is an
/// error (a misspelt optional field would otherwise vanish), except the writer's delivery fields `stream`,
/// `epoch`, `seq` and `more`. Every error names the field (`trades[0].price`).
///
/// Defaults where the writer always writes the field: `market` `spot`; `received_at` the caller's
/// `receivedAt`; a ticker's or trade's `time` its `received_at`; `side` `unknown`; `origin` `live`; absent
/// ticker figures, `quote_volume` and `trade_count` null.
public enum MarketEventJSONReader {
    /// What was wrong, and with which field.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        /// The field's path (`event`, `price`, `trades[2].time`), or empty for the whole text.
        public var field: String
        public var message: String

        public init(field: String, _ message: String) {
            self.field = field
            self.message = message
        }

        public var description: String { field.isEmpty ? message : "\"\(field)\": \(message)" }
    }

    /// The event types read here.
    public static let readableTypes = ["ticker", "trades", "candle"]

    /// Members the writer's JSONL lines add around an event (its delivery position): accepted, ignored.
    static let deliveryKeys: Set<String> = ["stream", "epoch", "seq", "more"]

    /// Reads one event from JSON text.
    /// - Parameter receivedAt: the `received_at` of an event (or trade) that gives none.
    public static func read(_ text: String, receivedAt: Timestamp) throws(Problem) -> MarketEvent {
        let value: JSONReader.Value
        do { value = try JSONReader.parse(text) } catch { throw Problem(field: "", error.description) }
        return try read(value, receivedAt: receivedAt)
    }

    /// Reads one event from a parsed JSON value (an object).
    public static func read(_ value: JSONReader.Value, receivedAt: Timestamp) throws(Problem) -> MarketEvent {
        guard case .object(let members) = value else {
            throw Problem(field: "", "an event is a JSON object, not \(value.kind)")
        }
        let fields = Fields(members: members, path: "")
        let type = try fields.string("type")
        let known: Set<String>
        switch type {
        case "ticker":
            known = marketKeys.union([
                "time", "received_at", "last", "last_quantity", "bid", "bid_quantity", "ask", "ask_quantity", "open",
                "high", "low", "volume", "quote_volume", "change_percent", "origin",
            ])
        case "trades": known = marketKeys.union(["trades"])
        case "candle":
            known = marketKeys.union([
                "interval", "open_time", "open", "high", "low", "close", "volume", "quote_volume", "trade_count",
                "closed", "received_at", "origin",
            ])
        default:
            throw Problem(
                field: "type",
                "\"\(type.prefix(40))\" is not read here; one of \(readableTypes.joined(separator: ", "))")
        }
        try fields.refuseUnknown(known.union(deliveryKeys))
        let market = try fields.market()
        switch type {
        case "ticker":
            let received = try fields.optionalTime("received_at") ?? receivedAt
            var ticker = Ticker(
                market: market, time: try fields.optionalTime("time") ?? received, receivedAt: received,
                origin: try fields.origin())
            ticker.last = try fields.optionalDecimal("last")
            ticker.lastQuantity = try fields.optionalDecimal("last_quantity")
            ticker.bid = try fields.optionalDecimal("bid")
            ticker.bidQuantity = try fields.optionalDecimal("bid_quantity")
            ticker.ask = try fields.optionalDecimal("ask")
            ticker.askQuantity = try fields.optionalDecimal("ask_quantity")
            ticker.open = try fields.optionalDecimal("open")
            ticker.high = try fields.optionalDecimal("high")
            ticker.low = try fields.optionalDecimal("low")
            ticker.volume = try fields.optionalDecimal("volume")
            ticker.quoteVolume = try fields.optionalDecimal("quote_volume")
            ticker.changePercent = try fields.optionalDecimal("change_percent")
            return .ticker(ticker)
        case "trades":
            guard case .array(let items) = try fields.required("trades") else {
                throw Problem(field: "trades", "must be an array of trades")
            }
            guard !items.isEmpty else { throw Problem(field: "trades", "must hold at least one trade") }
            var trades: [Trade] = []
            for (index, item) in items.enumerated() {
                let path = "trades[\(index)]"
                guard case .object(let members) = item else {
                    throw Problem(field: path, "a trade is an object, not \(item.kind)")
                }
                let trade = Fields(members: members, path: path + ".")
                try trade.refuseUnknown(["id", "price", "quantity", "side", "time", "received_at", "origin"])
                let received = try trade.optionalTime("received_at") ?? receivedAt
                trades.append(
                    Trade(
                        market: market, id: try trade.tradeID(), price: try trade.decimal("price"),
                        quantity: try trade.decimal("quantity"), side: try trade.side(),
                        time: try trade.optionalTime("time") ?? received, receivedAt: received,
                        origin: try trade.origin()))
            }
            return .trades(trades)
        default:
            let name = try fields.string("interval")
            guard let interval = CandleInterval(name: name) else {
                throw Problem(
                    field: "interval",
                    "\"\(name.prefix(20))\" is not an interval; one of "
                        + CandleInterval.allCases.map(\.description).joined(separator: ", "))
            }
            guard case .bool(let closed) = try fields.required("closed") else {
                throw Problem(field: "closed", "must be true (final) or false (still forming)")
            }
            return .candle(
                Candle(
                    market: market, interval: interval, openTime: try fields.time("open_time"),
                    open: try fields.decimal("open"), high: try fields.decimal("high"), low: try fields.decimal("low"),
                    close: try fields.decimal("close"), volume: try fields.decimal("volume"),
                    quoteVolume: try fields.optionalDecimal("quote_volume"), tradeCount: try fields.tradeCount(),
                    isClosed: closed, receivedAt: try fields.optionalTime("received_at") ?? receivedAt,
                    origin: try fields.origin()))
        }
    }

    static let marketKeys: Set<String> = ["type", "exchange", "market", "symbol"]

    /// Parses RFC 3339 (`2026-07-01T10:00:00Z`, `…10:00:00.123456789+02:00`); nil when it is not one, or
    /// outside the years 1678–2261 that a ``Timestamp`` holds.
    public static func time(_ text: String) -> Timestamp? {
        let bytes = Array(text.utf8)
        func digits(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= bytes.count else { return nil }
            var value: Int64 = 0
            for byte in bytes[from..<(from + count)] {
                guard (48...57).contains(byte) else { return nil }
                value = value * 10 + Int64(byte - 48)
            }
            return value
        }
        func at(_ index: Int, _ char: UInt8) -> Bool { index < bytes.count && bytes[index] == char }
        guard let year = digits(0, 4), at(4, UInt8(ascii: "-")), let month = digits(5, 2), at(7, UInt8(ascii: "-")),
            let day = digits(8, 2), (1678...2261).contains(year), (1...12).contains(month), (1...31).contains(day),
            at(10, UInt8(ascii: "T")) || at(10, UInt8(ascii: "t")), let hour = digits(11, 2), at(13, UInt8(ascii: ":")),
            let minute = digits(14, 2), at(16, UInt8(ascii: ":")), let second = digits(17, 2), hour < 24, minute < 60,
            second < 60
        else { return nil }
        let days = Timestamp.days(year: year, month: month, day: day)
        // 2026-02-31 is refused, not rolled into March.
        guard Timestamp.civil(fromDays: days) == (year, month, day) else { return nil }
        var index = 19
        var nanos: Int64 = 0
        if at(index, UInt8(ascii: ".")) {
            index += 1
            let first = index
            var scale: Int64 = 100_000_000
            while index < bytes.count, (48...57).contains(bytes[index]) {
                guard index - first < 9 else { return nil }
                nanos += Int64(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
            guard index > first else { return nil }
        }
        var offset: Int64 = 0
        if at(index, UInt8(ascii: "Z")) || at(index, UInt8(ascii: "z")) {
            index += 1
        } else if at(index, UInt8(ascii: "+")) || at(index, UInt8(ascii: "-")) {
            guard let hours = digits(index + 1, 2), at(index + 3, UInt8(ascii: ":")),
                let minutes = digits(index + 4, 2), hours < 24, minutes < 60
            else { return nil }
            offset = (hours * 3600 + minutes * 60) * (at(index, UInt8(ascii: "-")) ? -1 : 1)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return nil }
        let (total, overflowAdding) = scaled.addingReportingOverflow(nanos)
        guard !overflowAdding else { return nil }
        return Timestamp(nanoseconds: total)
    }

    /// An object's members, read with the field path in every error.
    private struct Fields {
        let members: [JSONReader.Member]
        /// Prefix of the field names in errors (`trades[0].`).
        let path: String

        func value(_ key: String) -> JSONReader.Value? { members.first { $0.key == key }?.value }

        func problem(_ key: String, _ message: String) -> Problem { Problem(field: path + key, message) }

        func refuseUnknown(_ known: Set<String>) throws(Problem) {
            if let unknown = members.first(where: { !known.contains($0.key) }) {
                throw problem(
                    String(unknown.key.prefix(40)),
                    "unknown field; known: \(known.subtracting(deliveryKeys).sorted().joined(separator: ", "))")
            }
        }

        func required(_ key: String) throws(Problem) -> JSONReader.Value {
            guard let value = value(key), value != .null else { throw problem(key, "is required") }
            return value
        }

        func string(_ key: String) throws(Problem) -> String {
            let value = try required(key)
            guard case .string(let text) = value else { throw problem(key, "must be a string, not \(value.kind)") }
            return text
        }

        func decimal(_ key: String) throws(Problem) -> ExactDecimal {
            guard let decimal = try optionalDecimal(key) else { throw problem(key, "is required") }
            return decimal
        }

        func optionalDecimal(_ key: String) throws(Problem) -> ExactDecimal? {
            switch value(key) {
            case nil, .null?: return nil
            case .string(let text)?:
                guard let decimal = ExactDecimal(text) else {
                    throw problem(key, "\"\(text.prefix(48))\" is not a plain decimal like \"0.00010000\"")
                }
                return decimal
            case .number(let text)?:
                throw problem(
                    key,
                    "must be a string with the exact digits, e.g. \"\(text.prefix(40))\" (JSON numbers lose digits)")
            case let other?:
                throw problem(key, "must be a decimal in a string, like \"0.00010000\", not \(other.kind)")
            }
        }

        func time(_ key: String) throws(Problem) -> Timestamp {
            guard let time = try optionalTime(key) else { throw problem(key, "is required") }
            return time
        }

        func optionalTime(_ key: String) throws(Problem) -> Timestamp? {
            switch value(key) {
            case nil, .null?: return nil
            case .string(let text)?:
                guard let time = MarketEventJSONReader.time(text) else {
                    throw problem(
                        key, "\"\(text.prefix(48))\" is not an RFC 3339 time like \"2026-07-01T10:00:00.250Z\"")
                }
                return time
            case let other?:
                throw problem(
                    key, "must be an RFC 3339 time in a string, like \"2026-07-01T10:00:00.250Z\", not \(other.kind)")
            }
        }

        func market() throws(Problem) -> MarketKey {
            let name = try string("exchange")
            guard let exchange = ExchangeID(name) else {
                throw problem("exchange", "\"\(name.prefix(40))\" is not an exchange id (lower case, like binance)")
            }
            var type = MarketType.spot
            if let value = value("market"), value != .null {
                guard case .string(let text) = value, let parsed = MarketType(name: text) else {
                    throw problem(
                        "market", "must be one of \(MarketType.allCases.map(\.description).joined(separator: ", "))")
                }
                type = parsed
            }
            let symbol = try string("symbol")
            guard !symbol.isEmpty, symbol.utf8.count <= 64, !symbol.contains(where: \.isWhitespace) else {
                throw problem("symbol", "must be a market's symbol like \"BTCUSDT\" (1 to 64 characters, no spaces)")
            }
            return MarketKey(exchange: exchange, type: type, symbol: symbol)
        }

        func origin() throws(Problem) -> DataOrigin {
            guard let value = value("origin"), value != .null else { return .live }
            guard case .string(let text) = value,
                let origin = DataOrigin.allCases.first(where: { $0.description == text })
            else {
                throw problem(
                    "origin", "must be one of \(DataOrigin.allCases.map(\.description).joined(separator: ", "))")
            }
            return origin
        }

        func side() throws(Problem) -> TradeSide {
            guard let value = value("side"), value != .null else { return .unknown }
            guard case .string(let text) = value, let side = TradeSide.allCases.first(where: { $0.description == text })
            else { throw problem("side", "must be buy, sell or unknown") }
            return side
        }

        /// A string, or an integer written as one (Binance's ids are integers).
        func tradeID() throws(Problem) -> String {
            switch try required("id") {
            case .string(let text) where !text.isEmpty && text.utf8.count <= 128: return text
            case .number(let text) where text.allSatisfy(\.isNumber): return text
            default: throw problem("id", "must be the exchange's trade id: a non-empty string or an integer")
            }
        }

        func tradeCount() throws(Problem) -> Int64? {
            switch value("trade_count") {
            case nil, .null?: return nil
            case .number(let text)?:
                guard let count = Int64(text), count >= 0 else {
                    throw problem("trade_count", "must be a whole number ≥ 0, not \(text.prefix(40))")
                }
                return count
            case let other?: throw problem("trade_count", "must be a whole number ≥ 0 or null, not \(other.kind)")
            }
        }
    }
}
