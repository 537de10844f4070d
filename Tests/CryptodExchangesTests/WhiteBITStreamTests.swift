import CryptodExchanges
import CryptodModel
import Testing

@Suite("WhiteBIT stream")
struct WhiteBITStreamTests {
    let receivedAt = WhiteBITTest.receivedAt
    let ethBTC = WhiteBITTest.market("ETH_BTC")

    private func events(_ name: String, candleInterval: CandleInterval? = nil) throws -> [StreamEvent] {
        try WhiteBITTest.stream(WhiteBITTest.fixture(name), candleInterval: candleInterval)
    }

    // MARK: - Answers

    @Test func answers() throws {
        #expect(try events("ws_pong") == [.pong])
        #expect(try events("ws_subscribe_ack") == [.subscribed(id: "3")])
        #expect(
            try events("ws_error_invalid_argument") == [
                .rejected(id: "1656404342", message: "invalid argument (code 1)")
            ])
        #expect(
            try WhiteBITTest.stream(#"{"id":7,"result":1631451591,"error":null}"#)
                == [.serverTime(Timestamp(seconds: 1_631_451_591))])
        #expect(
            try WhiteBITTest.stream(#"{"error":{"code":4,"message":"method not found"},"result":null,"id":9}"#)
                == [.rejected(id: "9", message: "method not found (code 4)")])
    }

    // MARK: - Updates

    @Test func marketUpdateIsA24HourTicker() throws {
        let events = try events("ws_market_update")
        guard case .ticker(let ticker) = try #require(events.first), events.count == 1 else {
            Issue.record("expected one ticker, got \(events)")
            return
        }
        #expect(ticker.market == ethBTC)
        #expect(ticker.time == receivedAt)
        #expect(ticker.last?.description == "0.020964")
        #expect(ticker.open?.description == "0.020349")
        #expect(ticker.high?.description == "0.020997")
        #expect(ticker.low?.description == "0.020281")
        #expect(ticker.volume?.description == "135574.476")
        #expect(ticker.quoteVolume?.description == "2784.413999488")
        // (last - open) / open is not exact: not computed.
        #expect(ticker.changePercent == nil)
        #expect(ticker.bid == nil)
    }

    @Test func lastPriceUpdate() throws {
        let events = try events("ws_lastprice_update")
        guard case .ticker(let ticker) = try #require(events.first) else {
            Issue.record("\(events)")
            return
        }
        #expect(ticker.market == ethBTC)
        #expect(ticker.last?.description == "0.020683")
        #expect(ticker.volume == nil)
    }

    @Test func bookTickerUpdateCarriesBidAndAsk() throws {
        let events = try events("ws_book_ticker_update")
        guard case .ticker(let ticker) = try #require(events.first), events.count == 1 else {
            Issue.record("\(events)")
            return
        }
        #expect(ticker.market == WhiteBITTest.market("SHIB_PERP"))
        // Float seconds, exact to the last digit (through a Double it would be …593387008).
        #expect(ticker.time == Timestamp(nanoseconds: 1_751_958_383_593_386_900))
        #expect(ticker.bid?.description == "0.000011751")
        #expect(ticker.bidQuantity?.description == "12547000")
        #expect(ticker.ask?.description == "0.000011776")
        #expect(ticker.askQuantity?.description == "17424000")
        #expect(ticker.last == nil)
    }

    @Test func tradesUpdate() throws {
        let events = try events("ws_trades_update")
        guard case .trades(let trades) = try #require(events.first), events.count == 1 else {
            Issue.record("\(events)")
            return
        }
        let trade = try #require(trades.first)
        #expect(trades.count == 1)
        #expect(trade.market == ethBTC)
        #expect(trade.id == "41358530")
        #expect(trade.time == Timestamp(nanoseconds: 1_580_905_394_703_320_000))
        #expect(trade.price.description == "0.020857")
        #expect(trade.quantity.description == "5.511")
        #expect(trade.side == .sell)
        #expect(trade.receivedAt == receivedAt)
    }

    @Test func tradesComeOutOldestFirst() throws {
        let text = #"""
            {"id":null,"method":"trades_update","params":["BTC_USDT",[
              {"id":3,"time":1580905394.9,"price":"1","amount":"1","type":"buy"},
              {"id":2,"time":1580905394.8,"price":"1","amount":"1","type":"sell"},
              {"id":1,"time":1580905394.7,"price":"1","amount":"1","type":"buy"}]]}
            """#
        guard case .trades(let trades) = try #require(try WhiteBITTest.stream(text).first) else {
            Issue.record()
            return
        }
        #expect(trades.map(\.id) == ["1", "2", "3"])
        #expect(trades.map(\.side) == [.buy, .sell, .buy])
        #expect(try WhiteBITTest.stream(#"{"id":null,"method":"trades_update","params":["BTC_USDT",[]]}"#).isEmpty)
    }

    @Test func candlesUpdateUsesTheConnectionsInterval() throws {
        let events = try events("ws_candles_update", candleInterval: .m15)
        guard case .candle(let candle) = try #require(events.first), events.count == 1 else {
            Issue.record("\(events)")
            return
        }
        #expect(candle.market == ethBTC)
        #expect(candle.interval == .m15)
        #expect(candle.openTime == Timestamp(seconds: 1_580_895_000))
        #expect(candle.open.description == "0.020683")
        #expect(candle.close.description == "0.020683")
        #expect(candle.high.description == "0.020683")
        #expect(candle.low.description == "0.020666")
        #expect(candle.volume.description == "504.701")
        #expect(candle.quoteVolume?.description == "10.433600491")
        // Rows never say whether the candle closed: the ingestor infers it from a later row.
        #expect(!candle.isClosed)
        #expect(
            WhiteBITTest.streamErrorKind(String(decoding: WhiteBITTest.fixture("ws_candles_update"), as: UTF8.self))
                == .unknownMessage)
    }

    @Test func candleColumnOrderIsOpenCloseHighLow() throws {
        let text = #"{"id":null,"method":"candles_update","params":[[60,"1","2","3","0.5","10","20","BTC_USDT"]]}"#
        guard case .candle(let candle) = try #require(try WhiteBITTest.stream(text, candleInterval: .m1).first) else {
            Issue.record()
            return
        }
        #expect([candle.open, candle.high, candle.low, candle.close].map(\.description) == ["1", "3", "0.5", "2"])
    }

    @Test func depthFullReloadIsASnapshot() throws {
        let events = try events("ws_depth_update_snapshot")
        guard case .bookSnapshot(let book) = try #require(events.first), events.count == 1 else {
            Issue.record("\(events)")
            return
        }
        #expect(book.market == ethBTC)
        #expect(book.updateID == 214_403)
        #expect(book.time == Timestamp(nanoseconds: 1_689_600_180_516_447_100))
        #expect(book.asks.map(\.price.description) == ["0.020846", "0.020850", "0.020855"])
        #expect(book.asks.map(\.quantity.description) == ["29.369", "15.123", "8.456"])
        #expect(book.bids.map(\.price.description) == ["0.020844", "0.020840", "0.020835"])
        #expect(book.bids.map(\.quantity.description) == ["5.949", "12.345", "20.678"])
    }

    @Test func depthIncrementalIsADeltaChainedByPastUpdateID() throws {
        let events = try events("ws_depth_update_incremental")
        guard case .bookDelta(let delta) = try #require(events.first), events.count == 1 else {
            Issue.record("\(events)")
            return
        }
        #expect(delta.market == ethBTC)
        #expect(delta.firstUpdateID == 214_404)
        #expect(delta.lastUpdateID == 214_404)
        #expect(delta.previousUpdateID == 214_403)
        #expect(delta.time == Timestamp(nanoseconds: 1_689_600_180_516_447_100))
        #expect(delta.asks.map(\.price.description) == ["0.020861", "0.020900"])
        #expect(delta.asks.map(\.quantity.description) == ["0", "2.5"])
        #expect(delta.bids.map(\.price.description) == ["0.020844", "0.020800"])
        #expect(delta.bids.map(\.quantity.description) == ["5.949", "0"])
    }

    @Test func paramsBeforeMethodStillParse() throws {
        let text = #"{"params":["ETH_BTC","0.5"],"method":"lastprice_update","id":null}"#
        guard case .ticker(let ticker) = try #require(try WhiteBITTest.stream(text).first) else {
            Issue.record()
            return
        }
        #expect(ticker.last?.description == "0.5")
    }

    // MARK: - Malformed input

    @Test func malformedInputPerKind() {
        let kind = { (text: String) in WhiteBITTest.streamErrorKind(text) }
        let depth =
            #"{"id":null,"method":"depth_update","params":[false,{"update_id":2,"past_update_id":1,"asks":[["1","2"]],"bids":[],"timestamp":1.5},"BTC_USDT"]}"#
        #expect(kind(depth) == nil)
        // malformed JSON
        #expect(kind(String(depth.dropLast())) == .malformedJSON)
        #expect(kind(depth + "}") == .malformedJSON)
        #expect(kind("not json") == .malformedJSON)
        #expect(kind("") == .malformedJSON)
        // unknown
        #expect(kind(#"{"id":null,"method":"balanceSpot_update","params":[]}"#) == .unknownMessage)
        #expect(kind(#"{"id":4,"result":[1,2],"error":null}"#) == .unknownMessage)
        #expect(kind(#"{"id":4,"result":{"status":"pending"},"error":null}"#) == .unknownMessage)
        #expect(kind("{}") == .unknownMessage)
        #expect(kind("[1,2]") == .unknownMessage)
        #expect(kind(#""pong""#) == .unknownMessage)
        // missing fields
        #expect(kind(depth.replacing(#""update_id":2,"#, with: "")) == .missingField)
        #expect(kind(depth.replacing(#","BTC_USDT""#, with: "")) == .missingField)
        #expect(kind(#"{"id":null,"method":"lastprice_update"}"#) == .missingField)
        #expect(kind(#"{"id":null,"method":"market_update","params":["ETH_BTC"]}"#) == .missingField)
        #expect(
            kind(
                #"{"id":null,"method":"trades_update","params":["ETH_BTC",[{"id":1,"time":1.5,"amount":"1","type":"buy"}]]}"#
            )
                == .missingField)
        #expect(
            kind(#"{"id":null,"method":"bookTicker_update","params":[[1.5,1.5,"A_B",1,"1","1","2"]]}"#) == .missingField
        )
        #expect(
            WhiteBITTest.streamErrorKind(
                #"{"id":null,"method":"candles_update","params":[[60,"1","2","3","0.5","10","20"]]}"#,
                candleInterval: .m1) == .missingField)
        // invalid values
        #expect(kind(depth.replacing(#"["1","2"]"#, with: #"["1","-2"]"#)) == .invalidValue)
        #expect(kind(depth.replacing(#"["1","2"]"#, with: #"["NaN","2"]"#)) == .invalidValue)
        #expect(kind(depth.replacing(#"["1","2"]"#, with: #"["1.2.3","2"]"#)) == .invalidValue)
        #expect(kind(depth.replacing(#"["1","2"]"#, with: #"[1e3,"2"]"#)) == .invalidValue)
        #expect(kind(depth.replacing(#""update_id":2"#, with: #""update_id":-2"#)) == .invalidValue)
        #expect(kind(depth.replacing(#""timestamp":1.5"#, with: #""timestamp":99999999999.5"#)) == .invalidValue)
        #expect(kind(depth.replacing(#""timestamp":1.5"#, with: #""timestamp":-1.5"#)) == .invalidValue)
        #expect(kind(depth.replacing("false", with: "0")) == .invalidValue)
        #expect(
            kind(
                #"{"id":null,"method":"trades_update","params":["ETH_BTC",[{"id":1,"time":1.5,"price":"1","amount":"1","type":"hold"}]]}"#
            )
                == .invalidValue)
        #expect(kind(#"{"id":null,"method":"lastprice_update","params":["",  "1"]}"#) == .invalidValue)
        #expect(kind(#"{"id":null,"method":"lastprice_update","params":["ETH_BTC",true]}"#) == .invalidValue)
        // oversize
        let huge =
            #"{"id":null,"method":"lastprice_update","params":["ETH_BTC","1"],"pad":""#
            + String(repeating: "x", count: WhiteBITAPI.maxMessageBytes) + #""}"#
        #expect(kind(huge) == .oversize)
    }

    @Test func aFailedFrameAddsNoEvents() {
        var events: [StreamEvent] = [.pong]
        let text =
            #"{"id":null,"method":"bookTicker_update","params":[[1.5,1.5,"A_B",1,"1","1","2","3"],[1.5,1.5,"A_B",1,"-1","1","2","3"]]}"#
        var bytes = Array(text.utf8)
        let thrown: ExchangeParseError? = bytes.withUnsafeMutableBytes { raw in
            do throws(ExchangeParseError) {
                try WhiteBITTest.api.parseStreamMessage(
                    UnsafeRawBufferPointer(raw), context: StreamContext(type: .spot), receivedAt: receivedAt,
                    into: &events)
                return nil
            } catch {
                return error
            }
        }
        #expect(thrown?.kind == .invalidValue)
        #expect(events == [.pong])
    }
}
