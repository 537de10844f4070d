import CryptodExchanges
import CryptodModel

/// Runs one input through a fast parser and, where one exists, the reference parser, and says how they
/// disagree. Shared by the fuzz target (Fuzz/Sources/ExchangeFuzz, through a symlink) and the seeded
/// oracle tests, so both check the same properties:
///
/// 1. the fast parser never crashes (the fuzzer's sanitizers catch that; here it simply returns);
/// 2. when the reference accepts a message, the fast parser accepts it with the same values (decimal
///    strings with their scale, ids, times, sides, flags, order);
/// 3. when the fast parser accepts, the input was that message: the reference accepts it too;
/// 4. for entry points without a reference reader, whatever the fast parser accepts is at least JSON.
///
/// Documents with a repeated member name are not compared (RFC 8259 leaves their meaning open): only 1
/// and 4 apply to them.
enum ParserOracle {
    /// One parser entry point: an exchange and a message family (and the connection facts it needs).
    enum Entry: UInt8, CaseIterable, Sendable {
        case binanceStream, bybitSpotStream, bybitLinearStream, whitebitStream
        case binanceDepth, binanceTrades
        case binanceCandles, binanceTickers, binanceInstruments, binanceTime
        case bybitBook, bybitTrades, bybitCandles, bybitTickers, bybitInstruments, bybitTime
        case whitebitBook, whitebitTrades, whitebitCandles, whitebitTickers, whitebitInstruments, whitebitTime

        /// Whether a reference reader exists for this entry (else only properties 1 and 4 are checked).
        var hasReference: Bool {
            switch self {
            case .binanceStream, .bybitSpotStream, .bybitLinearStream, .whitebitStream, .binanceDepth,
                .binanceTrades, .bybitBook:
                true
            default: false
            }
        }
    }

    static let receivedAt = Timestamp(milliseconds: 1_700_000_000_123)
    static let exchangeNow = Timestamp(milliseconds: 1_700_000_000_000)

    /// The fuzz input format: the first byte picks the entry (modulo the number of entries), the rest is
    /// the message.
    static func split(_ data: [UInt8]) -> (Entry, [UInt8])? {
        guard let first = data.first else { return nil }
        let entry = Entry.allCases[Int(first) % Entry.allCases.count]
        return (entry, Array(data.dropFirst()))
    }

    /// `nil` when the parsers agree; otherwise what differed.
    static func check(_ entry: Entry, _ bytes: [UInt8]) -> String? {
        let fast = runFast(entry, bytes)
        let tree = RefJSON.parse(bytes)
        if fast != nil, tree == nil { return "\(entry): the fast parser accepted input that is not JSON" }
        guard entry.hasReference, let tree, !hasRepeatedKey(tree) else { return nil }
        let reference: Result<String, RefReject>
        do throws(RefReject) {
            reference = .success(try runReference(entry, tree))
        } catch {
            reference = .failure(error)
        }
        switch (reference, fast) {
        case (.success(let expected), let actual?):
            return expected == actual ? nil : "\(entry): values differ\n reference: \(expected)\n fast:      \(actual)"
        case (.success(let expected), nil):
            return "\(entry): the reference accepted what the fast parser refused\n reference: \(expected)"
        case (.failure(let reason), let actual?):
            return "\(entry): the fast parser accepted what the reference refused (\(reason))\n fast: \(actual)"
        case (.failure, nil):
            return nil
        }
    }

    static func hasRepeatedKey(_ value: RefJSON) -> Bool {
        switch value {
        case .object(let members):
            var seen = Set<[UInt8]>()
            for member in members {
                if !seen.insert(member.key).inserted || hasRepeatedKey(member.value) { return true }
            }
            return false
        case .array(let elements): return elements.contains(where: hasRepeatedKey)
        default: return false
        }
    }

    // MARK: - Running both sides

    static let binanceMarket = MarketKey(exchange: .binance, type: .spot, symbol: "BNBBTC")
    static let bybitMarket = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")
    static let whitebitMarket = MarketKey(exchange: .whitebit, type: .spot, symbol: "BTC_USDT")

    static func runReference(_ entry: Entry, _ tree: RefJSON) throws(RefReject) -> String {
        switch entry {
        case .binanceStream: return render(try RefBinance.stream(tree, receivedAt: receivedAt))
        case .bybitSpotStream: return render(try RefBybit.stream(tree, type: .spot, receivedAt: receivedAt))
        case .bybitLinearStream: return render(try RefBybit.stream(tree, type: .linear, receivedAt: receivedAt))
        case .whitebitStream:
            return render(
                try RefWhiteBIT.stream(
                    tree, context: StreamContext(type: .spot, candleInterval: .m1), receivedAt: receivedAt))
        case .binanceDepth:
            return render([
                .bookSnapshot(try RefBinance.depthSnapshot(tree, market: binanceMarket, receivedAt: receivedAt))
            ])
        case .binanceTrades:
            return render([.trades(try RefBinance.trades(tree, market: binanceMarket, receivedAt: receivedAt))])
        case .bybitBook:
            return render([
                .bookSnapshot(try RefBybit.bookSnapshot(tree, market: bybitMarket, receivedAt: receivedAt))
            ])
        default: throw RefReject("no reference reader for \(entry)")
        }
    }

    /// The fast parser's output, rendered; `nil` when it threw.
    static func runFast(_ entry: Entry, _ bytes: [UInt8]) -> String? {
        do throws(ExchangeParseError) {
            return try fast(entry, bytes)
        } catch {
            return nil
        }
    }

    static func fast(_ entry: Entry, _ bytes: [UInt8]) throws(ExchangeParseError) -> String {
        let binance = BinanceAPI()
        let bybit = BybitAPI()
        let whitebit = WhiteBITAPI()
        func stream(_ api: any ExchangeAPI, _ context: StreamContext) throws(ExchangeParseError) -> String {
            var events: [StreamEvent] = []
            let result: Result<Void, ExchangeParseError> = bytes.withUnsafeBytes { raw in
                do throws(ExchangeParseError) {
                    try api.parseStreamMessage(raw, context: context, receivedAt: receivedAt, into: &events)
                    return .success(())
                } catch {
                    return .failure(error)
                }
            }
            try result.get()
            return render(events)
        }
        func rest(_ api: any ExchangeAPI, _ market: MarketKey, _ kind: Entry) throws(ExchangeParseError) -> String {
            switch kind {
            case .binanceDepth, .bybitBook, .whitebitBook:
                return render([.bookSnapshot(try api.parseBookSnapshot(bytes, market: market, receivedAt: receivedAt))])
            case .binanceTrades, .bybitTrades, .whitebitTrades:
                return render([.trades(try api.parseTrades(bytes, market: market, receivedAt: receivedAt))])
            case .binanceCandles, .bybitCandles, .whitebitCandles:
                return render(
                    try api.parseCandles(
                        bytes, market: market, interval: .m1, receivedAt: receivedAt, exchangeNow: exchangeNow
                    ).map(StreamEvent.candle))
            case .binanceTickers, .bybitTickers, .whitebitTickers:
                return render(try api.parseTickers(bytes, type: .spot, receivedAt: receivedAt).map(StreamEvent.ticker))
            case .binanceInstruments, .bybitInstruments, .whitebitInstruments:
                return "\(try api.parseInstruments(bytes, type: .spot).instruments)"
            default:
                return "time \(try api.parseServerTime(bytes).nanoseconds)"
            }
        }
        switch entry {
        case .binanceStream: return try stream(binance, StreamContext(type: .spot))
        case .bybitSpotStream: return try stream(bybit, StreamContext(type: .spot))
        case .bybitLinearStream: return try stream(bybit, StreamContext(type: .linear))
        case .whitebitStream: return try stream(whitebit, StreamContext(type: .spot, candleInterval: .m1))
        case .binanceDepth, .binanceTrades, .binanceCandles, .binanceTickers, .binanceInstruments, .binanceTime:
            return try rest(binance, binanceMarket, entry)
        case .bybitBook, .bybitTrades, .bybitCandles, .bybitTickers, .bybitInstruments, .bybitTime:
            return try rest(bybit, bybitMarket, entry)
        case .whitebitBook, .whitebitTrades, .whitebitCandles, .whitebitTickers, .whitebitInstruments, .whitebitTime:
            return try rest(whitebit, whitebitMarket, entry)
        }
    }

    // MARK: - Rendering

    /// Every value the parsers produce, decimals as their exact text (scale included).
    static func render(_ events: [StreamEvent]) -> String {
        events.map(render).joined(separator: " | ")
    }

    static func render(_ event: StreamEvent) -> String {
        func d(_ value: ExactDecimal?) -> String { value?.description ?? "-" }
        func t(_ value: Timestamp?) -> String { value.map { String($0.nanoseconds) } ?? "-" }
        func m(_ market: MarketKey) -> String { "\(market.exchange)/\(market.type)/\(market.symbol)" }
        func levels(_ levels: [BookLevel]) -> String {
            levels.map { "\($0.price.description)x\($0.quantity.description)" }.joined(separator: ",")
        }
        switch event {
        case .ticker(let x):
            return "ticker \(m(x.market)) t=\(t(x.time)) last=\(d(x.last)) lq=\(d(x.lastQuantity)) "
                + "bid=\(d(x.bid))x\(d(x.bidQuantity)) ask=\(d(x.ask))x\(d(x.askQuantity)) o=\(d(x.open)) "
                + "h=\(d(x.high)) l=\(d(x.low)) v=\(d(x.volume)) qv=\(d(x.quoteVolume)) pct=\(d(x.changePercent))"
        case .trades(let trades):
            return "trades "
                + trades.map {
                    "\(m($0.market)) id=\($0.id) \(d($0.price))x\(d($0.quantity)) \($0.side) t=\(t($0.time))"
                }.joined(separator: "; ")
        case .candle(let x):
            return "candle \(m(x.market)) \(x.interval) t=\(t(x.openTime)) o=\(d(x.open)) h=\(d(x.high)) "
                + "l=\(d(x.low)) c=\(d(x.close)) v=\(d(x.volume)) qv=\(d(x.quoteVolume)) "
                + "n=\(x.tradeCount.map(String.init) ?? "-") closed=\(x.isClosed)"
        case .bookSnapshot(let x):
            return "snapshot \(m(x.market)) u=\(x.updateID) seq=\(x.sequence.map(String.init) ?? "-") "
                + "t=\(t(x.time)) b=[\(levels(x.bids))] a=[\(levels(x.asks))]"
        case .bookDelta(let x):
            return "delta \(m(x.market)) U=\(x.firstUpdateID) u=\(x.lastUpdateID) "
                + "pu=\(x.previousUpdateID.map(String.init) ?? "-") seq=\(x.sequence.map(String.init) ?? "-") "
                + "t=\(t(x.time)) b=[\(levels(x.bids))] a=[\(levels(x.asks))]"
        case .subscribed(let id): return "subscribed \(id ?? "-")"
        case .rejected(let id, let message): return "rejected \(id ?? "-") \(message.debugDescription)"
        case .pong: return "pong"
        case .serverShutdown: return "serverShutdown"
        case .serverTime(let time): return "serverTime \(t(time))"
        }
    }
}
