import CryptodExchanges
import CryptodModel
import Testing

/// Bugs the parser oracle (ParserOracleTests, `scripts/fuzz exchanges`) found in the fast parsers, one
/// test each.
@Suite("Parser oracle findings")
struct ParserOracleFindingsTests {
    static func binance(_ text: String) throws(ExchangeParseError) -> [StreamEvent] {
        var events: [StreamEvent] = []
        let bytes = Array(text.utf8)
        let result: Result<Void, ExchangeParseError> = bytes.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try BinanceAPI().parseStreamMessage(
                    raw, context: StreamContext(type: .spot), receivedAt: Timestamp(milliseconds: 1), into: &events)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return events
    }

    static let trade = #"{"e":"trade","E":1,"s":SYMBOL,"t":7,"p":"1.5","q":"2","T":1,"m":false}"#

    @Test("a Binance symbol written with an escape is unescaped, not kept with its backslash")
    func escapedSymbol() throws {
        let events = try Self.binance(Self.trade.replacingOccurrences(of: "SYMBOL", with: #""BNB\u0042TC""#))
        guard case .trades(let trades) = events.first else {
            Issue.record("expected a trade, got \(events)")
            return
        }
        #expect(trades.map(\.market.symbol) == ["BNBBTC"])
    }

    @Test("a Binance symbol that is not UTF-8 is refused as malformed JSON")
    func invalidUTF8Symbol() {
        var bytes = Array(Self.trade.replacingOccurrences(of: "SYMBOL", with: #""BNB#BTC""#).utf8)
        bytes[bytes.firstIndex(of: UInt8(ascii: "#"))!] = 0xFF
        var events: [StreamEvent] = []
        let error: ExchangeParseError? = bytes.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try BinanceAPI().parseStreamMessage(
                    raw, context: StreamContext(type: .spot), receivedAt: Timestamp(milliseconds: 1), into: &events)
                return nil
            } catch {
                return error
            }
        }
        #expect(error?.kind == .malformedJSON, "got \(String(describing: error)) and \(events)")
    }

    @Test("a partial-depth symbol from an escaped stream name is unescaped and upper-cased")
    func escapedStreamName() throws {
        let events = try Self.binance(
            #"{"stream":"bnb\u0062tc@depth5","data":{"lastUpdateId":3,"bids":[["1","2"]],"asks":[]}}"#)
        guard case .bookSnapshot(let book) = events.first else {
            Issue.record("expected a snapshot, got \(events)")
            return
        }
        #expect(book.market.symbol == "BNBBTC")
    }

    /// The last millisecond `Timestamp` holds: a candle opening then has no representable close time, which
    /// trapped in `CandleInterval.nextOpenTime(after:)`.
    static let lastMillisecond = "9223372036854"

    @Test("a Binance REST kline opening at the end of time is refused, not a trap")
    func binanceRESTKlineAtTheEndOfTime() {
        let body = Array("[[\(Self.lastMillisecond),\"1\",\"1\",\"1\",\"1\",\"1\",0,\"1\",1,\"1\",\"1\",\"0\"]]".utf8)
        let market = MarketKey(exchange: .binance, type: .spot, symbol: "BNBBTC")
        #expect(throws: ExchangeParseError.self) {
            try BinanceAPI().parseCandles(
                body, market: market, interval: .m1, receivedAt: Timestamp(milliseconds: 1),
                exchangeNow: Timestamp(milliseconds: 1))
        }
    }

    @Test("a Binance stream kline opening at the end of time or before the epoch is refused")
    func binanceStreamKlineOutOfRange() {
        for openTime in [Self.lastMillisecond, "-1"] {
            let frame =
                #"{"e":"kline","E":1,"s":"BNBBTC","k":{"t":OPEN,"s":"BNBBTC","i":"1m","o":"1","c":"1","h":"1","l":"1","v":"1","x":false}}"#
                .replacingOccurrences(of: "OPEN", with: openTime)
            #expect(throws: ExchangeParseError.self, "open time \(openTime)") { try Self.binance(frame) }
        }
    }

    @Test("a Bybit stream kline opening at the end of time is refused")
    func bybitStreamKlineAtTheEndOfTime() {
        let frame = Array(
            #"{"topic":"kline.1.BTCUSDT","type":"snapshot","ts":1,"data":[{"start":OPEN,"interval":"1","open":"1","close":"1","high":"1","low":"1","volume":"1","confirm":false}]}"#
                .replacingOccurrences(of: "OPEN", with: Self.lastMillisecond).utf8)
        var events: [StreamEvent] = []
        let refused: Bool = frame.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try BybitAPI().parseStreamMessage(
                    raw, context: StreamContext(type: .spot), receivedAt: Timestamp(milliseconds: 1), into: &events)
                return false
            } catch {
                return error.kind == .invalidValue
            }
        }
        #expect(refused, "parsed to \(events)")
    }
}
