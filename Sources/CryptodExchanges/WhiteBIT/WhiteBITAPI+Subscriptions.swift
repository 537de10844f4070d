import CryptodModel

/// Subscription messages. WhiteBIT's `X_subscribe` **replaces** the connection's previous subscription of
/// that type, so each message carries the full list the connection keeps (§4.2 of whitebit.md):
///
/// | channel | subscribe | drop the last one |
/// |---|---|---|
/// | ticker | `market_subscribe [every ticker market]` (24 h stats) | `market_unsubscribe []` |
/// | trades | `trades_subscribe [every trades market]` (never `[]`: that means all markets) | `trades_unsubscribe []` |
/// | candles | `candles_subscribe [market, seconds]`, one per connection | `candles_unsubscribe []` |
/// | book | `depth_subscribe [market, limit, "0", true]` per market (`true` adds it) | `depth_unsubscribe []` |
///
/// `depth_unsubscribe` drops every depth subscription, so removing one book re-adds the others; each
/// re-added market starts again with a full reload, which replaces its book.
extension WhiteBITAPI {
    /// One candle subscription per connection; any number of the other kinds up to the cap.
    public func canShareConnection(_ subscription: StreamSubscription, with existing: [StreamSubscription]) -> Bool {
        if existing.contains(subscription) { return true }
        if case .candles = subscription.channel, existing.contains(where: { Self.isCandles($0.channel) }) {
            return false
        }
        return existing.count < maxSubscriptionsPerConnection
    }

    public func subscribeMessages(
        _ added: [StreamSubscription], all: [StreamSubscription], nextID: inout UInt64
    ) -> [String] {
        var messages: [String] = []
        if added.contains(where: { $0.channel == .ticker }) {
            messages.append(Self.request("market_subscribe", Self.markets(all, .ticker), &nextID))
        }
        if added.contains(where: { $0.channel == .trades }) {
            messages.append(Self.request("trades_subscribe", Self.markets(all, .trades), &nextID))
        }
        if let candle = added.sorted().first(where: { Self.isCandles($0.channel) }),
            let params = Self.candleParams(candle)
        {
            messages.append(Self.request("candles_subscribe", params, &nextID))
        }
        for book in added.sorted() where book.channel == .book {
            messages.append(Self.request("depth_subscribe", depthParams(book), &nextID))
        }
        return messages
    }

    public func unsubscribeMessages(
        _ removed: [StreamSubscription], remaining: [StreamSubscription], nextID: inout UInt64
    ) -> [String] {
        var messages: [String] = []
        for (channel, method) in [(StreamChannel.ticker, "market"), (.trades, "trades")]
        where removed.contains(where: { $0.channel == channel }) {
            let markets = Self.markets(remaining, channel)
            messages.append(
                markets.isEmpty
                    ? Self.request("\(method)_unsubscribe", [], &nextID)
                    : Self.request("\(method)_subscribe", markets, &nextID)
            )
        }
        if removed.contains(where: { Self.isCandles($0.channel) }) {
            if let candle = remaining.sorted().first(where: { Self.isCandles($0.channel) }),
                let params = Self.candleParams(candle)
            {
                messages.append(Self.request("candles_subscribe", params, &nextID))
            } else {
                messages.append(Self.request("candles_unsubscribe", [], &nextID))
            }
        }
        if removed.contains(where: { $0.channel == .book }) {
            messages.append(Self.request("depth_unsubscribe", [], &nextID))
            for book in remaining.sorted() where book.channel == .book {
                messages.append(Self.request("depth_subscribe", depthParams(book), &nextID))
            }
        }
        return messages
    }

    // MARK: - Building requests

    static func isCandles(_ channel: StreamChannel) -> Bool {
        if case .candles = channel { return true }
        return false
    }

    /// Already-encoded JSON parameters.
    typealias Params = [String]

    /// Sorted, distinct market names of one channel, as JSON strings.
    static func markets(_ subscriptions: [StreamSubscription], _ channel: StreamChannel) -> Params {
        var seen = Set<String>()
        return subscriptions.filter { $0.channel == channel }.map(\.market.symbol).sorted()
            .filter { seen.insert($0).inserted }.map(jsonString)
    }

    /// `[market, intervalSeconds]`; `nil` for `1s`, which WhiteBIT does not stream.
    static func candleParams(_ subscription: StreamSubscription) -> Params? {
        guard case .candles(let interval) = subscription.channel,
            let seconds = TimeframeNotation.whitebitSeconds(interval)
        else { return nil }
        return [jsonString(subscription.market.symbol), String(seconds)]
    }

    /// `[market, limit, "0", true]`: no price aggregation, added to the connection's other books.
    func depthParams(_ subscription: StreamSubscription) -> Params {
        [
            Self.jsonString(subscription.market.symbol), String(streamBookDepth(forConfigured: subscription.depth)),
            #""0""#, "true",
        ]
    }

    /// `{"id":N,"method":"…","params":[…]}`. Ids start at 1: 0 is the ping's.
    static func request(_ method: String, _ params: Params, _ nextID: inout UInt64) -> String {
        if nextID == 0 { nextID = 1 }
        let id = nextID
        nextID += 1
        return #"{"id":\#(id),"method":"\#(method)","params":[\#(params.joined(separator: ","))]}"#
    }

    /// A JSON string literal (market names are ASCII, but nothing unescaped reaches the exchange).
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                let hex = Array("0123456789abcdef")
                out += "\\u00" + String(hex[Int(scalar.value >> 4)]) + String(hex[Int(scalar.value & 0xF)])
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
