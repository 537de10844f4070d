import CryptodModel
import Foundation

/// A request in the seed's format, told apart from the `op` format by its `type` key:
///
/// ```json
/// {"type":"subscribe","stream":"ticker","exchange":"binance","symbol":"BTCUSDT"}
/// {"type":"subscribe","stream":"kline","exchange":"bybit","symbol":"BTC/USDT","market":"linear","interval":"5m"}
/// {"type":"subscribe","stream":"orderbook","exchange":"binance","symbol":"BTCUSDT","resume_from":812,"epoch":"5f3a…"}
/// {"type":"unsubscribe","stream":"trade","exchange":"whitebit","symbol":"BTC_USDT"}
/// {"type":"ping"}
/// {"type":"list"}
/// ```
///
/// Each subscription names exactly one topic. The symbol may be the exchange's (`BTCUSDT`, `BTC_USDT`, any
/// case) or unified (`BTC/USDT`); it is resolved by the hub, which knows the exchanges' instrument lists.
struct SeedRequest: Sendable, Equatable {
    enum Kind: String, Sendable, CaseIterable {
        case subscribe
        case unsubscribe
        case ping
        case list
    }

    /// The seed's stream names; plural forms and this gateway's channel names are accepted too.
    enum Stream: String, Sendable, CaseIterable {
        case ticker
        case kline
        case orderbook
        case trade

        init?(name: String) {
            switch name.lowercased() {
            case "ticker", "tickers": self = .ticker
            case "kline", "klines", "candle", "candles", "ohlcv": self = .kline
            case "orderbook", "orderbooks", "book", "books", "depth": self = .orderbook
            case "trade", "trades": self = .trade
            default: return nil
            }
        }

        var channel: MarketChannel {
            switch self {
            case .ticker: .ticker
            case .kline: .candles
            case .orderbook: .book
            case .trade: .trades
            }
        }

        static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
    }

    /// Where a resuming client stands: the epoch and the last sequence number it received.
    struct Resume: Sendable, Equatable {
        var epoch: String
        var seq: UInt64
    }

    /// What one subscribe or unsubscribe names.
    struct Target: Sendable, Equatable {
        var stream: Stream
        var exchange: ExchangeID
        /// As the client wrote it; resolved to the exchange's spelling by the hub.
        var symbol: String
        var market: MarketType
        /// Only for `kline`; `1m` when the client named none.
        var interval: CandleInterval?
    }

    var kind: Kind
    /// Present for subscribe and unsubscribe.
    var target: Target?
    var resume: Resume?
    var id: ClientRequest.ID?

    /// The interval a kline subscription without one gets.
    static let defaultInterval = CandleInterval.m1

    /// Reads a request whose `type` key is present.
    /// - Throws: ``ClientError`` saying what is wrong and what is accepted.
    init(_ body: RequestBody) throws(ClientError) {
        id = body.clientID
        let type = try body.string("type", id: id) ?? ""
        guard let kind = Kind(rawValue: type) else {
            throw ClientError(
                .unknownType,
                "unknown type \"\(type)\"; use one of \(Kind.allCases.map(\.rawValue).joined(separator: ", ")), e.g. "
                    + Self.example,
                op: type, id: id, seed: true)
        }
        self.kind = kind
        func fail(_ code: ClientError.Code, _ message: String) -> ClientError {
            ClientError(code, message, op: type, id: body.clientID, seed: true)
        }
        switch kind {
        case .ping, .list:
            target = nil
            resume = nil
            return
        case .subscribe, .unsubscribe:
            break
        }
        guard let streamName = try body.string("stream", id: id, type: type) else {
            throw fail(.badRequest, "\(type) needs \"stream\": one of \(Stream.names); e.g. \(Self.example)")
        }
        guard let stream = Stream(name: streamName) else {
            throw fail(
                .badStream,
                "unknown stream \"\(streamName)\"; use one of \(Stream.names) (plural forms are accepted too)")
        }
        guard let exchangeName = try body.string("exchange", id: id, type: type) else {
            throw fail(.badRequest, "\(type) needs \"exchange\": binance, bybit or whitebit; e.g. \(Self.example)")
        }
        guard let exchange = ExchangeID(exchangeName.lowercased()) else {
            throw fail(
                .badExchange,
                "exchange \"\(exchangeName)\" must be letters, digits, '_' or '-' (binance, bybit, whitebit)")
        }
        guard let symbol = try body.string("symbol", id: id, type: type), !symbol.isEmpty else {
            throw fail(
                .badRequest, "\(type) needs \"symbol\": the exchange's (BTCUSDT, BTC_USDT) or unified (BTC/USDT)")
        }
        var market = MarketType.spot
        if let name = try body.string("market", id: id, type: type) {
            guard let type = MarketType(name: name.lowercased()) else {
                throw fail(
                    .badMarket,
                    "unknown market \"\(name)\"; use one of "
                        + MarketType.allCases.map(\.description).joined(separator: ", ") + " (default spot)")
            }
            market = type
        }
        var intervalName = try body.string("interval", id: id, type: type)
        if intervalName == nil { intervalName = try body.string("timeframe", id: id, type: type) }
        var interval: CandleInterval?
        if stream == .kline {
            if let intervalName {
                guard let value = CandleInterval(name: intervalName) else {
                    throw fail(
                        .badInterval, "unknown interval \"\(intervalName)\"; use one of \(TopicPattern.intervalList)")
                }
                interval = value
            } else {
                interval = Self.defaultInterval
            }
        } else if intervalName != nil {
            throw fail(
                .badInterval, "only the kline stream takes an interval (or timeframe); remove it from this \(type)")
        }
        target = Target(stream: stream, exchange: exchange, symbol: symbol, market: market, interval: interval)
        let from = try body.unsigned("resume_from", id: id, type: type)
        let epoch = try body.string("epoch", id: id, type: type)
        switch (from, epoch) {
        case (nil, nil):
            resume = nil
        case (let seq?, let epoch?):
            guard kind == .subscribe else {
                throw fail(.badResume, "only subscribe takes resume_from and epoch")
            }
            resume = Resume(epoch: epoch, seq: seq)
        case (_?, nil):
            throw fail(
                .badResume,
                "resume_from needs \"epoch\" too: both come from the subscribed reply and every event's seq")
        case (nil, _?):
            throw fail(.badResume, "epoch needs \"resume_from\": the last seq received on this topic")
        }
    }

    static let example = #"{"type":"subscribe","stream":"ticker","exchange":"binance","symbol":"BTCUSDT"}"#
}

/// Every key either request format uses, each as whatever JSON it holds, so the error can say what was
/// wrong with which field.
struct RequestBody: Decodable, Sendable {
    /// One JSON value, told apart only as far as error messages need.
    enum Value: Decodable, Sendable, Equatable {
        case string(String)
        case integer(Int64)
        /// Anything else, described for a message (`a boolean`, `an array or an object`).
        case other(String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self = .string(text)
            } else if let integer = try? container.decode(Int64.self) {
                self = .integer(integer)
            } else if (try? container.decode(Bool.self)) != nil {
                self = .other("a boolean")
            } else if (try? container.decode(Double.self)) != nil {
                self = .other("a number with a fraction")
            } else {
                self = .other("an array or an object")
            }
        }

        var kind: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .other(let kind): kind
            }
        }
    }

    var op: Value?
    var type: Value?
    var id: Value?
    var stream: Value?
    var exchange: Value?
    var symbol: Value?
    var market: Value?
    var interval: Value?
    var timeframe: Value?
    var resumeFrom: Value?
    var epoch: Value?

    enum CodingKeys: String, CodingKey {
        case op, type, id, stream, exchange, symbol, market, interval, timeframe, epoch
        case resumeFrom = "resume_from"
    }

    /// Parses a text frame; only a JSON object passes.
    init(text: String) throws(ClientError) {
        do {
            self = try JSONDecoder().decode(RequestBody.self, from: Data(text.utf8))
        } catch {
            throw ClientError(
                .badJSON,
                "the message is not a JSON object; send e.g. \(SeedRequest.example) "
                    + #"or {"op":"subscribe","topics":["trades.binance.BTCUSDT"]}"#)
        }
    }

    /// The request's `id` when it is an integer or a string.
    var clientID: ClientRequest.ID? {
        switch id {
        case .integer(let value): .integer(value)
        case .string(let value): .text(value)
        default: nil
        }
    }

    private func value(_ key: String) -> Value? {
        switch key {
        case "type": type
        case "stream": stream
        case "exchange": exchange
        case "symbol": symbol
        case "market": market
        case "interval": interval
        case "timeframe": timeframe
        case "resume_from": resumeFrom
        case "epoch": epoch
        default: nil
        }
    }

    /// The string at `key`, `nil` when absent; anything else is an error naming the field.
    func string(_ key: String, id: ClientRequest.ID?, type: String? = nil) throws(ClientError) -> String? {
        switch value(key) {
        case nil: return nil
        case .string(let text): return text
        case let other?:
            throw ClientError(
                .badRequest, "\"\(key)\" must be a string, not \(other.kind)", op: type, id: id, seed: true)
        }
    }

    /// The non-negative integer at `key`, `nil` when absent.
    func unsigned(_ key: String, id: ClientRequest.ID?, type: String? = nil) throws(ClientError) -> UInt64? {
        switch value(key) {
        case nil: return nil
        case .integer(let integer) where integer >= 0: return UInt64(integer)
        case let other?:
            let found = if case .integer = other { "a negative integer" } else { other.kind }
            throw ClientError(
                .badResume, "\"\(key)\" must be a non-negative integer (a seq), not \(found)", op: type, id: id,
                seed: true)
        }
    }
}
