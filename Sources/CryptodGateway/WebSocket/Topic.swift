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

/// The concrete topic of one event: `trades.binance.BTCUSDT`, `candles.whitebit.BTC_USDT.1m`,
/// `book.bybit:linear.BTCUSDT`. The market type is written after the exchange unless it is spot, so that
/// Bybit's spot and linear BTCUSDT are two topics.
///
/// Every event sent to a client carries it in its `topic` field, whichever pattern it matched; it is also
/// the unit of sequence numbers and replay (``TopicLog``).
package struct EventTopic: Sendable, Hashable, CustomStringConvertible {
    package let channel: MarketChannel
    package let exchange: String
    package let marketType: MarketType
    /// Upper-cased, so patterns match whatever case the client wrote.
    package let symbol: String
    package let interval: CandleInterval?

    /// The topic of `event`, or `nil` for an event without a market (an empty trade batch) or a channel.
    package init?(_ event: MarketEvent) {
        guard let market = event.market, let channel = MarketChannel(event) else { return nil }
        let interval: CandleInterval? = if case .candle(let candle) = event { candle.interval } else { nil }
        self.init(channel: channel, market: market, interval: interval)
    }

    package init(channel: MarketChannel, market: MarketKey, interval: CandleInterval? = nil) {
        self.channel = channel
        exchange = market.exchange.rawValue
        marketType = market.type
        symbol = market.symbol.uppercased()
        self.interval = channel == .candles ? interval : nil
    }

    package var description: String {
        let source = marketType == .spot ? exchange : "\(exchange):\(marketType)"
        let base = "\(channel.rawValue).\(source).\(symbol)"
        return interval.map { "\(base).\($0)" } ?? base
    }
}

/// What a client subscribed to: `<channel>.<exchange>[:<market>].<symbol>[.<interval>]`, where exchange,
/// symbol and interval may be `*`.
///
/// Only `candles` topics take an interval; a candles topic without one means every interval. Without a
/// market type (`spot`, `linear`, `inverse`) a pattern matches every market type. Symbols are compared
/// case-insensitively (`btcusdt` is `BTCUSDT`).
package struct TopicPattern: Sendable, Hashable, Comparable, CustomStringConvertible {
    package let channel: MarketChannel
    /// `nil` is `*`.
    package let exchange: String?
    /// `nil` is every market type.
    package let marketType: MarketType?
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
                "write <channel>.<exchange>[:<market>].<symbol>[.<interval>], "
                    + "e.g. trades.binance.BTCUSDT, book.bybit:linear.BTCUSDT or candles.bybit.*.1m")
        }
        guard let channel = MarketChannel(rawValue: parts[0]) else {
            throw invalid(
                "unknown channel \"\(parts[0])\"; use one of "
                    + MarketChannel.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        self.channel = channel
        let source = parts[1].split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        if source.count == 2 {
            guard let type = MarketType(name: source[1]) else {
                throw invalid(
                    "market type \"\(source[1])\" must be one of "
                        + MarketType.allCases.map(\.description).joined(separator: ", ")
                        + " (write e.g. bybit:linear), or leave it out for every market type")
            }
            marketType = type
        } else {
            marketType = nil
        }
        if source[0] == "*" {
            exchange = nil
        } else if let id = ExchangeID(source[0]) {
            exchange = id.rawValue
        } else {
            throw invalid(
                "exchange \"\(source[0])\" must be lowercase letters, digits, '_' or '-' "
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

    /// Exactly one topic (what a seed-format subscription names).
    package init(_ topic: EventTopic) {
        channel = topic.channel
        exchange = topic.exchange
        marketType = topic.marketType
        symbol = topic.symbol
        interval = topic.interval
    }

    /// The one topic this pattern names, when it has no wildcard (a candles pattern needs its interval).
    package var concrete: EventTopic? {
        guard let exchange, let id = ExchangeID(exchange), let marketType, let symbol else { return nil }
        if channel == .candles && interval == nil { return nil }
        return EventTopic(
            channel: channel, market: MarketKey(exchange: id, type: marketType, symbol: symbol), interval: interval)
    }

    /// The pattern in canonical form (`candles.binance.BTCUSDT.*` for an omitted interval).
    package var description: String {
        let source = (exchange ?? "*") + (marketType.map { ":\($0)" } ?? "")
        let base = "\(channel.rawValue).\(source).\(symbol ?? "*")"
        guard channel == .candles else { return base }
        return base + "." + (interval?.description ?? "*")
    }

    /// Whether an event on `topic` goes to subscribers of this pattern.
    package func matches(_ topic: EventTopic) -> Bool {
        channel == topic.channel && (exchange == nil || exchange == topic.exchange)
            && (marketType == nil || marketType == topic.marketType)
            && (symbol == nil || symbol == topic.symbol) && (interval == nil || interval == topic.interval)
    }

    /// Whether events of `market` on any channel concern this pattern (for gap and status pass-through).
    func concerns(_ market: MarketKey) -> Bool {
        (exchange == nil || exchange == market.exchange.rawValue)
            && (marketType == nil || marketType == market.type)
            && (symbol == nil || symbol == market.symbol.uppercased())
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
