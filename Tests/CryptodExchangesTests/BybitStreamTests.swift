import CryptodExchanges
import CryptodModel
import Testing

/// Bybit WebSocket frames (fixtures from the V5 documentation) → stream events, exactly.
@Suite("Bybit stream parsing")
struct BybitStreamTests {
    @Test func orderBookSnapshot() throws {
        let event = BybitTest.single(try BybitTest.stream(BybitTest.fixture("ws_orderbook_snapshot"), .linear))
        guard case .bookSnapshot(let book) = event else { return #expect(Bool(false), "\(String(describing: event))") }
        #expect(book.market == BybitTest.market("BTCUSDT", .linear))
        #expect(book.updateID == 18_521_288)
        #expect(book.sequence == 7_961_638_724)
        #expect(book.time == Timestamp(milliseconds: 1_672_304_484_976))  // cts
        #expect(book.receivedAt == BybitTest.receivedAt)
        #expect(BybitTest.text(book.bids) == ["16493.50@0.006", "16493.00@0.100"])
        #expect(BybitTest.text(book.asks) == ["16611.00@0.029", "16612.00@0.213"])
    }

    @Test func orderBookDelta() throws {
        let event = BybitTest.single(try BybitTest.stream(BybitTest.fixture("ws_orderbook_delta"), .linear))
        guard case .bookDelta(let delta) = event else { return #expect(Bool(false), "\(String(describing: event))") }
        #expect(delta.market == BybitTest.market("BTCUSDT", .linear))
        #expect(delta.firstUpdateID == 177_400_507)
        #expect(delta.lastUpdateID == 177_400_507)
        #expect(delta.previousUpdateID == nil)
        #expect(delta.sequence == 66_544_703_342)
        #expect(delta.time == Timestamp(milliseconds: 1_687_940_967_464))
        #expect(
            BybitTest.text(delta.bids) == [
                "30247.20@30.028", "30245.40@0.224", "30242.10@1.593", "30240.30@1.305", "30240.00@0",
            ])
        #expect(
            BybitTest.text(delta.asks) == [
                "30248.70@0", "30249.30@0.892", "30249.50@1.778", "30249.60@0", "30251.90@2.947", "30252.20@0.659",
                "30252.50@4.591",
            ])
    }

    @Test func aRestartSnapshotHasUpdateIDOne() throws {
        let frame = """
            {"topic":"orderbook.200.ETHUSDT","ts":1700000000000,"type":"snapshot","data":{"s":"ETHUSDT",\
            "b":[["2000.1","3"]],"a":[],"u":1,"seq":99},"cts":1699999999999}
            """
        guard case .bookSnapshot(let book) = BybitTest.single(try BybitTest.stream(frame)) else {
            return #expect(Bool(false))
        }
        #expect(book.updateID == 1)
        #expect(book.market == BybitTest.market("ETHUSDT", .spot))
        #expect(book.asks.isEmpty)
    }

    @Test func dataBeforeTopicStillParses() throws {
        let frame = """
            {"data":{"u":5,"b":[],"a":[["1.5","2"]],"s":"BTCUSDT"},"type":"delta","ts":1700000000000,\
            "topic":"orderbook.50.BTCUSDT"}
            """
        guard case .bookDelta(let delta) = BybitTest.single(try BybitTest.stream(frame)) else {
            return #expect(Bool(false))
        }
        #expect(delta.lastUpdateID == 5)
        #expect(delta.sequence == nil)
        #expect(delta.time == Timestamp(milliseconds: 1_700_000_000_000))  // ts when there is no cts
        #expect(BybitTest.text(delta.asks) == ["1.5@2"])
    }

    @Test func spotTicker() throws {
        guard case .ticker(let ticker) = BybitTest.single(try BybitTest.stream(BybitTest.fixture("ws_ticker_spot")))
        else { return #expect(Bool(false)) }
        #expect(ticker.market == BybitTest.market("BTCUSDT", .spot))
        #expect(ticker.time == Timestamp(milliseconds: 1_673_853_746_003))
        #expect(ticker.receivedAt == BybitTest.receivedAt)
        #expect(ticker.last?.description == "21109.77")
        #expect(ticker.high?.description == "21426.99")
        #expect(ticker.low?.description == "20575")
        #expect(ticker.open?.description == "20704.93")
        #expect(ticker.volume?.description == "6780.866843")
        #expect(ticker.quoteVolume?.description == "141946527.22907118")
        #expect(ticker.changePercent?.description == "1.96")
        #expect(ticker.bid == nil)  // the spot stream carries no bid/ask
        #expect(ticker.ask == nil)
    }

    @Test func linearTicker() throws {
        let frame = BybitTest.fixture("ws_ticker_linear_perp")
        guard case .ticker(let ticker) = BybitTest.single(try BybitTest.stream(frame, .linear)) else {
            return #expect(Bool(false))
        }
        #expect(ticker.market == BybitTest.market("BTCUSDT", .linear))
        #expect(ticker.time == Timestamp(milliseconds: 1_760_325_052_630))
        #expect(ticker.last?.description == "66666.60")
        #expect(ticker.open?.description == "79206.20")
        #expect(ticker.high?.description == "79266.30")
        #expect(ticker.low?.description == "65076.90")
        #expect(ticker.volume?.description == "73191.3870")
        #expect(ticker.quoteVolume?.description == "4936790807.6521")
        #expect(ticker.changePercent?.description == "-15.8315")
        #expect(ticker.bid?.description == "66666.60")
        #expect(ticker.bidQuantity?.description == "23789.165")
        #expect(ticker.ask?.description == "66666.70")
        #expect(ticker.askQuantity?.description == "23775.469")
    }

    @Test func linearTickerDeltasMergeIntoFullTickers() throws {
        var merger = BybitTickerMerger()
        guard
            case .ticker(let snapshot) = try BybitTest.stream(BybitTest.fixture("ws_ticker_linear_perp"), .linear).first
        else { return #expect(Bool(false)) }
        #expect(merger.merge(snapshot) == snapshot)
        let frame = """
            {"topic":"tickers.BTCUSDT","type":"delta","data":{"symbol":"BTCUSDT","lastPrice":"66670.10",\
            "bid1Price":"66670.00","price24hPcnt":"-0.158001"},"cs":9532239430,"ts":1760325052730}
            """
        guard case .ticker(let delta) = BybitTest.single(try BybitTest.stream(frame, .linear)) else {
            return #expect(Bool(false))
        }
        // The parser reports only what the delta carried…
        #expect(delta.last?.description == "66670.10")
        #expect(delta.bid?.description == "66670.00")
        #expect(delta.ask == nil)
        #expect(delta.volume == nil)
        // …and the merger keeps the rest.
        let merged = merger.merge(delta)
        #expect(merged.time == Timestamp(milliseconds: 1_760_325_052_730))
        #expect(merged.last?.description == "66670.10")
        #expect(merged.bid?.description == "66670.00")
        #expect(merged.changePercent?.description == "-15.8001")
        #expect(merged.ask?.description == "66666.70")
        #expect(merged.volume?.description == "73191.3870")
        #expect(merger.current(delta.market) == merged)
        merger.reset(delta.market)
        #expect(merger.current(delta.market) == nil)
    }

    @Test func publicTrade() throws {
        guard case .trades(let trades) = BybitTest.single(try BybitTest.stream(BybitTest.fixture("ws_public_trade")))
        else { return #expect(Bool(false)) }
        #expect(trades.count == 1)
        let trade = try #require(trades.first)
        #expect(trade.market == BybitTest.market("BTCUSDT", .spot))
        #expect(trade.id == "20f43950-d8dd-5b31-9112-a178eb6023af")
        #expect(trade.price.description == "16578.50")
        #expect(trade.quantity.description == "0.001")
        #expect(trade.side == .buy)
        #expect(trade.time == Timestamp(milliseconds: 1_672_304_486_865))
        #expect(trade.receivedAt == BybitTest.receivedAt)
    }

    @Test func kline() throws {
        guard case .candle(let candle) = BybitTest.single(try BybitTest.stream(BybitTest.fixture("ws_kline"))) else {
            return #expect(Bool(false))
        }
        #expect(candle.market == BybitTest.market("BTCUSDT", .spot))
        #expect(candle.interval == .m5)  // from the topic
        #expect(candle.openTime == Timestamp(milliseconds: 1_672_324_800_000))
        #expect(candle.open.description == "16649.5")
        #expect(candle.high.description == "16677")
        #expect(candle.low.description == "16608")
        #expect(candle.close.description == "16677")
        #expect(candle.volume.description == "2.081")
        #expect(candle.quoteVolume?.description == "34666.4005")
        #expect(candle.isClosed == false)
    }

    @Test func acksAndPongs() throws {
        #expect(try BybitTest.stream(BybitTest.fixture("ws_subscribe_ack_spot")) == [.subscribed(id: "10001")])
        #expect(try BybitTest.stream(BybitTest.fixture("ws_pong_spot")) == [.pong])
        // Linear: req_id always present ("" when none was sent), ret_msg "" on acks.
        let linearAck = #"{"success":true,"ret_msg":"","conn_id":"c","req_id":"","op":"subscribe"}"#
        #expect(try BybitTest.stream(linearAck, .linear) == [.subscribed(id: nil)])
        let linearPong = #"{"success":true,"ret_msg":"pong","conn_id":"c","req_id":"7","op":"ping"}"#
        #expect(try BybitTest.stream(linearPong, .linear) == [.pong])
        #expect(try BybitTest.stream(#"{"args":["1700000000000"],"op":"pong"}"#) == [.pong])
        let unsubscribed = #"{"success":true,"ret_msg":"unsubscribe","conn_id":"c","req_id":"9","op":"unsubscribe"}"#
        #expect(try BybitTest.stream(unsubscribed) == [.subscribed(id: "9")])
        let refused =
            #"{"success":false,"ret_msg":"error:handler not found","conn_id":"c","req_id":"12","op":"subscribe"}"#
        #expect(try BybitTest.stream(refused) == [.rejected(id: "12", message: "error:handler not found")])
        let invalid = #"{"success":false,"ret_msg":"error:invalid json","conn_id":"c","op":""}"#
        #expect(try BybitTest.stream(invalid) == [.rejected(id: nil, message: "error:invalid json")])
    }

    /// Our own subscribe request echoed back is not a server message.
    @Test func theSubscribeRequestIsNotAServerMessage() {
        #expect(
            BybitTest.streamError(String(decoding: BybitTest.fixture("ws_subscribe_request"), as: UTF8.self))
                == .unknownMessage)
    }

    @Test func spotAndLinearKeysNeverCollide() throws {
        let frame = BybitTest.fixture("ws_public_trade")
        guard case .trades(let spot) = try BybitTest.stream(frame, .spot).first,
            case .trades(let linear) = try BybitTest.stream(frame, .linear).first
        else { return #expect(Bool(false)) }
        #expect(spot[0].market.symbol == linear[0].market.symbol)
        #expect(spot[0].market != linear[0].market)
        #expect(Set([spot[0].market, linear[0].market]).count == 2)
        #expect(spot[0].market.description == "bybit:spot:BTCUSDT")
        #expect(linear[0].market.description == "bybit:linear:BTCUSDT")
    }

    @Test func malformedFramesByKind() {
        let trade = #"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[%@]}"#
        func tradeFrame(_ item: String) -> String { trade.replacing("%@", with: item) }
        let good = #"{"T":1700000000000,"s":"BTCUSDT","S":"Buy","v":"0.5","p":"100.5","i":"x"}"#
        #expect(BybitTest.streamError(tradeFrame(good)) == nil)
        #expect(BybitTest.streamError(tradeFrame(good.replacing(#""p":"100.5","#, with: ""))) == .missingField)
        #expect(BybitTest.streamError(tradeFrame(good.replacing("100.5", with: "-100.5"))) == .invalidValue)
        #expect(BybitTest.streamError(tradeFrame(good.replacing("100.5", with: "NaN"))) == .invalidValue)
        #expect(BybitTest.streamError(tradeFrame(good.replacing("\"0.5\"", with: "\"0\""))) == .invalidValue)
        #expect(BybitTest.streamError(tradeFrame(good.replacing("\"0.5\"", with: "\"1e3\""))) == .invalidValue)
        #expect(BybitTest.streamError(tradeFrame(good.replacing("Buy", with: "Hold"))) == .invalidValue)
        #expect(
            BybitTest.streamError(tradeFrame(good.replacing(#""s":"BTCUSDT""#, with: #""s":"ETHUSDT""#)))
                == .invalidValue)
        #expect(BybitTest.streamError(#"{"topic":"publicTrade.BTCUSDT","data":[{"T":1"#) == .malformedJSON)
        #expect(BybitTest.streamError(#"{"topic":"orderbook.50.BTCUSDT"} x"#) == .malformedJSON)
        #expect(BybitTest.streamError(#"{"topic":"liquidation.BTCUSDT","data":{}}"#) == .unknownMessage)
        #expect(BybitTest.streamError(#"{"topic":"kline.7.BTCUSDT","data":[]}"#) == .unknownMessage)
        #expect(BybitTest.streamError(#"{"hello":"world"}"#) == .unknownMessage)
        #expect(BybitTest.streamError("[]") == .unknownMessage)
        #expect(BybitTest.streamError(#"{"topic":"tickers.BTCUSDT","type":"snapshot","ts":1}"#) == .missingField)
        #expect(
            BybitTest.streamError(#"{"topic":"tickers.BTCUSDT","type":"snapshot","data":{"symbol":"BTCUSDT"}}"#)
                == .missingField)
        let book = #"{"topic":"orderbook.50.BTCUSDT","type":"%@","ts":1,"data":{"s":"BTCUSDT","b":%@,"a":[],"u":3}}"#
        func bookFrame(_ type: String, _ bids: String) -> String {
            book.replacing("%@", with: type, maxReplacements: 1).replacing("%@", with: bids)
        }
        #expect(BybitTest.streamError(bookFrame("delta", #"[["1","2"]]"#)) == nil)
        #expect(BybitTest.streamError(bookFrame("delta", #"[["1","-2"]]"#)) == .invalidValue)
        #expect(BybitTest.streamError(bookFrame("delta", #"[["-1","2"]]"#)) == .invalidValue)
        #expect(BybitTest.streamError(bookFrame("delta", #"[["1"]]"#)) == .missingField)
        #expect(BybitTest.streamError(bookFrame("delta", #"[["1","2","3"]]"#)) == .invalidValue)
        #expect(BybitTest.streamError(bookFrame("partial", "[]")) == .invalidValue)
        #expect(BybitTest.streamError(bookFrame("delta", "[]").replacing(#","u":3"#, with: "")) == .missingField)
        #expect(
            BybitTest.streamError(#"{"topic":"orderbook.50.BTCUSDT","ts":1,"data":{"b":[],"a":[],"u":3}}"#)
                == .missingField)  // no type
        let kline = String(decoding: BybitTest.fixture("ws_kline"), as: UTF8.self)
        #expect(
            BybitTest.streamError(kline.replacing(#""interval": "5""#, with: #""interval": "15""#))
                == .invalidValue)
        #expect(BybitTest.streamError(kline.replacing(#""confirm": false,"#, with: "")) == .missingField)
    }

    @Test func oversizeFramesAreRefusedUnread() {
        let big = "{\"topic\":\"tickers.BTCUSDT\",\"pad\":\"" + String(repeating: "x", count: 1 << 20) + "\"}"
        #expect(BybitTest.streamError(big) == .oversize)
        let justUnder = "{\"pad\":\"" + String(repeating: "x", count: (1 << 20) - 10) + "\"}"
        #expect(justUnder.utf8.count == 1 << 20)
        #expect(BybitTest.streamError(justUnder) == .unknownMessage)
    }
}
