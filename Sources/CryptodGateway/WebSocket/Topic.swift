import CryptodModel

/// The channels a WebSocket client can subscribe to.
package enum MarketChannel: String, Sendable, Hashable, CaseIterable {
    case trades
    case ticker
    case candles
    /// Order-book snapshots and deltas.
    case book

    /// The channel an event is published on; `nil` for source events (instrument lists, stream gaps, source
    /// status), which have no client channel yet.
    init?(_ event: MarketEvent) {
        switch event {
        case .trades: self = .trades
        case .ticker: self = .ticker
        case .candle: self = .candles
        case .bookSnapshot, .bookDelta: self = .book
        case .instruments, .gap, .status: return nil
        }
    }
}

/// The concrete topic of one event: `trades.binance.BTCUSDT`, `candles.whitebit.BTC_USDT.1m`.
///
/// Every event sent to a client carries it in its `topic` field, whichever pattern it matched.
package struct EventTopic: Sendable, Hashable, CustomStringConvertible {
    package let channel: MarketChannel
    package let exchange: String
    /// Upper-cased, so patterns match whatever case the client wrote.
    package let symbol: String
    package let interval: CandleInterval?

    /// The topic of `event`, or `nil` for an event without a market (an empty trade batch) or a channel.
    package init?(_ event: MarketEvent) {
        guard let market = event.market, let channel = MarketChannel(event) else { return nil }
        self.channel = channel
        exchange = market.exchange.rawValue
        symbol = market.symbol.uppercased()
        if case .candle(let candle) = event { interval = candle.interval } else { interval = nil }
    }

    package var description: String {
        let base = "\(channel.rawValue).\(exchange).\(symbol)"
        return interval.map { "\(base).\($0)" } ?? base
    }
}

/// What a client subscribed to: `<channel>.<exchange>.<symbol>[.<interval>]`, where exchange, symbol and
/// interval may be `*`.
///
/// Only `candles` topics take an interval; a candles topic without one means every interval. Symbols are
/// compared case-insensitively (`btcusdt` is `BTCUSDT`).
package struct TopicPattern: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let channel: MarketChannel
    /// `nil` is `*`.
    package let exchange: String?
    /// Upper-cased; `nil` is `*`.
    package let symbol: String?
    /// `nil` is `*` (and always `nil` outside `candles`).
    package let interval: CandleInterval?

    /// Why a topic was refused; the message says how to write it.
    package struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        package let topic: String
        package let reason: String
        package var description: String { "topic \"\(topic)\": \(reason)" }
    }

    /// Parses a topic as a client writes it.
    /// - Throws: ``Invalid`` naming the part that is wrong.
    package init(parsing text: String) throws(Invalid) {
        func invalid(_ reason: String) -> Invalid { Invalid(topic: text, reason: reason) }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (3...4).contains(parts.count), !parts.contains(where: \.isEmpty) else {
            throw invalid(
                "write <channel>.<exchange>.<symbol>[.<interval>], e.g. trades.binance.BTCUSDT or candles.bybit.*.1m")
        }
        guard let channel = MarketChannel(rawValue: parts[0]) else {
            throw invalid(
                "unknown channel \"\(parts[0])\"; use one of "
                    + MarketChannel.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        self.channel = channel
        if parts[1] == "*" {
            exchange = nil
        } else if let id = ExchangeID(parts[1]) {
            exchange = id.rawValue
        } else {
            throw invalid(
                "exchange \"\(parts[1])\" must be lowercase letters, digits, '_' or '-' "
                    + "(binance, bybit, whitebit), or *"
            )
        }
        if parts[2] == "*" {
            symbol = nil
        } else if Self.isSymbol(parts[2]) {
            symbol = parts[2].uppercased()
        } else {
            throw invalid("symbol \"\(parts[2])\" must be 1-64 letters, digits, '_' or '-' (BTCUSDT, BTC_USDT), or *")
        }
        if parts.count == 4 {
            guard channel == .candles else {
                throw invalid("only candles topics take an interval; write \(parts[0]).\(parts[1]).\(parts[2])")
            }
            if parts[3] == "*" {
                interval = nil
            } else if let value = CandleInterval(name: parts[3]) {
                interval = value
            } else {
                throw invalid(
                    "unknown interval \"\(parts[3])\"; use one of \(Self.intervalList), or *"
                )
            }
        } else {
            interval = nil
        }
    }

    /// The pattern in canonical form (`candles.binance.BTCUSDT.*` for an omitted interval).
    package var description: String {
        let base = "\(channel.rawValue).\(exchange ?? "*").\(symbol ?? "*")"
        guard channel == .candles else { return base }
        return base + "." + (interval?.description ?? "*")
    }

    /// Whether an event on `topic` goes to subscribers of this pattern.
    package func matches(_ topic: EventTopic) -> Bool {
        channel == topic.channel && (exchange == nil || exchange == topic.exchange)
            && (symbol == nil || symbol == topic.symbol) && (interval == nil || interval == topic.interval)
    }

    package static func < (lhs: TopicPattern, rhs: TopicPattern) -> Bool { lhs.description < rhs.description }

    /// Every candle interval name, for messages.
    static var intervalList: String { CandleInterval.allCases.map(\.description).joined(separator: ", ") }

    /// 1-64 ASCII letters, digits, `_` or `-`: every symbol the supported exchanges use.
    static func isSymbol(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count)
            && text.utf8.allSatisfy {
                ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 || $0 == 45
            }
    }
}
