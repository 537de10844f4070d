import CryptodModel

extension BinanceAPI {
    /// Largest control message built: half exchsim's 64 KiB frame limit (Binance documents none), so one
    /// message carries ~1000 stream names and a full connection needs at most two.
    public static let maxControlMessageBytes = 32_768

    /// The stream name for a subscription: `btcusdt@ticker`, `@trade`, `@kline_1m`, `@depth@100ms`.
    public static func streamName(_ subscription: StreamSubscription) -> String {
        let symbol = SymbolNotation.binanceStreamSymbol(subscription.market.symbol)
        switch subscription.channel {
        case .ticker: return "\(symbol)@ticker"
        case .trades: return "\(symbol)@trade"
        case .candles(let interval): return "\(symbol)@kline_\(TimeframeNotation.binance(interval))"
        case .book: return "\(symbol)@depth@100ms"
        }
    }

    /// Any mix of streams shares a connection, up to 1024 of them.
    public func canShareConnection(_ subscription: StreamSubscription, with existing: [StreamSubscription]) -> Bool {
        subscription.market.type == .spot && existing.count < maxSubscriptionsPerConnection
    }

    /// `{"method":"SUBSCRIBE","params":[…],"id":N}`, as many names per message as fit in
    /// ``maxControlMessageBytes`` (5 client messages a second is the scarce resource).
    public func subscribeMessages(
        _ added: [StreamSubscription], all: [StreamSubscription], nextID: inout UInt64
    )
        -> [String]
    {
        Self.controlMessages("SUBSCRIBE", added, nextID: &nextID)
    }

    /// `{"method":"UNSUBSCRIBE",…}` for `removed`, packed as subscriptions are.
    public func unsubscribeMessages(
        _ removed: [StreamSubscription], remaining: [StreamSubscription], nextID: inout UInt64
    ) -> [String] {
        Self.controlMessages("UNSUBSCRIBE", removed, nextID: &nextID)
    }

    static func controlMessages(
        _ method: String, _ subscriptions: [StreamSubscription], nextID: inout UInt64
    )
        -> [String]
    {
        var seen = Set<String>()
        let names = subscriptions.map(streamName).filter { seen.insert($0).inserted }
        var messages: [String] = []
        var batch: [String] = []
        var size = 0
        // `{"method":"UNSUBSCRIBE","params":[],"id":18446744073709551615}` is 62 bytes; 64 bounds the frame.
        let overhead = 64
        func flush() {
            guard !batch.isEmpty else { return }
            let params = batch.map { "\"\($0)\"" }.joined(separator: ",")
            messages.append(#"{"method":"\#(method)","params":[\#(params)],"id":\#(nextID)}"#)
            nextID &+= 1
            batch.removeAll(keepingCapacity: true)
            size = 0
        }
        for name in names {
            let cost = name.utf8.count + 3  // quotes and comma
            if !batch.isEmpty, overhead + size + cost > maxControlMessageBytes { flush() }
            batch.append(name)
            size += cost
        }
        flush()
        return messages
    }
}
