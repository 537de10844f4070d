import CryptodModel

extension BinanceEventReader {
    /// Builds the event the payload carried, checking required fields and `U <= u`.
    mutating func emit(receivedAt: Timestamp, into events: inout [StreamEvent]) throws(ExchangeParseError) {
        guard let kind else { throw ExchangeParseError(.unknownMessage, "payload without an event type") }
        switch kind {
        case .depthUpdate:
            let market = try market("depthUpdate")
            guard let eventTime else { throw .missing("E", in: "depthUpdate") }
            guard let first = firstUpdateID else { throw .missing("U", in: "depthUpdate") }
            guard let last = lastUpdateID else { throw .missing("u", in: "depthUpdate") }
            guard sawBids else { throw .missing("b", in: "depthUpdate") }
            guard sawAsks else { throw .missing("a", in: "depthUpdate") }
            guard first <= last else {
                throw ExchangeParseError(.invalidValue, "depthUpdate: first update id U \(first) > last u \(last)")
            }
            events.append(
                .bookDelta(
                    BookDelta(
                        market: market, firstUpdateID: first, lastUpdateID: last, time: eventTime,
                        receivedAt: receivedAt, bids: bids, asks: asks
                    )
                )
            )

        case .trade, .aggTrade:
            let name = kind == .trade ? "trade" : "aggTrade"
            let market = try market(name)
            guard let tradeID else { throw .missing(kind == .trade ? "t" : "a", in: name) }
            guard let price else { throw .missing("p", in: name) }
            guard let quantity else { throw .missing("q", in: name) }
            guard let tradeTime else { throw .missing("T", in: name) }
            guard let buyerIsMaker else { throw .missing("m", in: name) }
            // The buyer being the maker means the taker sold.
            let trade = Trade(
                market: market, id: String(tradeID), price: price, quantity: quantity,
                side: buyerIsMaker ? .sell : .buy, time: tradeTime, receivedAt: receivedAt
            )
            events.append(.trades([trade]))

        case .ticker, .miniTicker:
            let name = kind == .ticker ? "24hrTicker" : "24hrMiniTicker"
            let market = try market(name)
            guard let eventTime else { throw .missing("E", in: name) }
            guard last != nil else { throw .missing("c", in: name) }
            var ticker = Ticker(market: market, time: eventTime, receivedAt: receivedAt)
            ticker.last = last
            ticker.lastQuantity = lastQuantity
            ticker.bid = bid
            ticker.bidQuantity = bidQuantity
            ticker.ask = ask
            ticker.askQuantity = askQuantity
            ticker.open = open
            ticker.high = high
            ticker.low = low
            ticker.volume = volume
            ticker.quoteVolume = quoteVolume
            ticker.changePercent = changePercent
            events.append(.ticker(ticker))

        case .kline:
            guard let k = candle else { throw .missing("k", in: "kline") }
            if symbol == nil { symbol = k.symbol }
            let market = try market("kline")
            guard let openTime = k.openTime else { throw .missing("k.t", in: "kline") }
            guard let interval = k.interval else { throw .missing("k.i", in: "kline") }
            guard let open = k.open else { throw .missing("k.o", in: "kline") }
            guard let high = k.high else { throw .missing("k.h", in: "kline") }
            guard let low = k.low else { throw .missing("k.l", in: "kline") }
            guard let close = k.close else { throw .missing("k.c", in: "kline") }
            guard let volume = k.volume else { throw .missing("k.v", in: "kline") }
            guard let isClosed = k.isClosed else { throw .missing("k.x", in: "kline") }
            let candle = Candle(
                market: market, interval: interval, openTime: openTime, open: open, high: high, low: low,
                close: close, volume: volume, quoteVolume: k.quoteVolume, tradeCount: k.tradeCount,
                isClosed: isClosed, receivedAt: receivedAt
            )
            events.append(.candle(candle))

        case .bookTicker:
            let market = try market("bookTicker")
            guard bid != nil else { throw .missing("b", in: "bookTicker") }
            guard ask != nil else { throw .missing("a", in: "bookTicker") }
            // No event time in this stream: the receive time stands in (binance.md §7).
            var ticker = Ticker(market: market, time: receivedAt, receivedAt: receivedAt)
            ticker.bid = bid
            ticker.bidQuantity = bidQuantity
            ticker.ask = ask
            ticker.askQuantity = askQuantity
            events.append(.ticker(ticker))

        case .partialDepth:
            // The payload names no symbol: only the combined stream's name does.
            guard let hintSymbol else { throw .missing("stream", in: "partial depth") }
            let symbol = try BinanceRead.symbol(hintSymbol, field: "stream", uppercase: true)
            guard let updateID = lastUpdateID else { throw .missing("lastUpdateId", in: "partial depth") }
            guard sawBids else { throw .missing("bids", in: "partial depth") }
            guard sawAsks else { throw .missing("asks", in: "partial depth") }
            events.append(
                .bookSnapshot(
                    BookSnapshot(
                        market: MarketKey(exchange: .binance, type: .spot, symbol: symbol), updateID: updateID,
                        time: nil, receivedAt: receivedAt, bids: bids, asks: asks
                    )
                )
            )

        case .serverShutdown:
            events.append(.serverShutdown)
        }
    }

    /// The event's market from `s` (non-empty).
    @inline(__always)
    func market(_ event: String) throws(ExchangeParseError) -> MarketKey {
        guard let symbol else { throw .missing("s", in: event) }
        return MarketKey(exchange: .binance, type: .spot, symbol: try BinanceRead.symbol(symbol, field: "s"))
    }
}
