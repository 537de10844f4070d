import CryptodExchanges
import CryptodModel
import Testing

/// Bybit REST answers (fixtures from the V5 documentation) → CryptodModel values, exactly.
@Suite("Bybit REST parsing")
struct BybitRESTTests {
    let api = BybitTest.api

    /// Every fixture in `fixtures/bybit` is read by a test in this suite or in `BybitStreamTests`.
    @Test func everyFixtureIsCovered() {
        let covered: Set<String> = [
            "err_invalid_api_key_10003.json", "err_rate_limited_10006.json", "rest_instruments_linear.json",
            "rest_instruments_spot.json", "rest_kline.json", "rest_orderbook_spot.json", "rest_query_api_key.json",
            "rest_recent_trade_spot.json", "rest_server_time.json", "rest_tickers_spot.json",
            "rest_wallet_balance.json", "ws_kline.json", "ws_orderbook_delta.json", "ws_orderbook_snapshot.json",
            "ws_pong_spot.json", "ws_public_trade.json", "ws_subscribe_ack_spot.json", "ws_subscribe_request.json",
            "ws_ticker_linear_perp.json", "ws_ticker_spot.json",
        ]
        let present = Fixtures.names("bybit")
        #expect(!present.isEmpty)
        #expect(Set(present).subtracting(covered).isEmpty, "fixtures without a test")
    }

    @Test func serverTimeIsExactToTheNanosecond() throws {
        let time = try api.parseServerTime(BybitTest.fixture("rest_server_time"))
        #expect(time == Timestamp(nanoseconds: 1_688_639_403_423_213_947))
    }

    @Test func serverTimeFallsBackToSeconds() throws {
        let body = #"{"retCode":0,"retMsg":"OK","result":{"timeSecond":"1688639403"},"retExtInfo":{},"time":1}"#
        #expect(try api.parseServerTime(Array(body.utf8)) == Timestamp(seconds: 1_688_639_403))
    }

    @Test func spotInstruments() throws {
        let page = try api.parseInstruments(BybitTest.fixture("rest_instruments_spot"), type: .spot)
        #expect(page.next == nil)
        #expect(page.instruments.count == 1)
        let btc = try #require(page.instruments.first)
        #expect(btc.market == BybitTest.market("BTCUSDT", .spot))
        #expect(btc.base == "BTC")
        #expect(btc.quote == "USDT")
        #expect(btc.status == .trading)
        #expect(btc.tickSize.description == "0.1")
        #expect(btc.lotSize.description == "0.000001")
        #expect(btc.minQuantity?.description == "0.000011")
        #expect(btc.minNotional?.description == "5")
    }

    @Test func linearInstruments() throws {
        let page = try api.parseInstruments(BybitTest.fixture("rest_instruments_linear"), type: .linear)
        #expect(page.next == nil)  // nextPageCursor ""
        let btc = try #require(page.instruments.first)
        #expect(btc.market == BybitTest.market("BTCUSDT", .linear))
        #expect(btc.status == .trading)
        #expect(btc.tickSize.description == "0.10")
        #expect(btc.lotSize.description == "0.001")
        #expect(btc.minQuantity?.description == "0.001")
        #expect(btc.minNotional?.description == "5")
    }

    @Test func linearInstrumentsFollowTheCursor() throws {
        let body = """
            {"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[{"symbol":"ETHUSDT","status":"PreLaunch",\
            "baseCoin":"ETH","quoteCoin":"USDT","priceFilter":{"tickSize":"0.01"},"lotSizeFilter":{"qtyStep":"0.01",\
            "minOrderQty":"0.01","minNotionalValue":""}}],"nextPageCursor":"first%3DETHUSDT%26last%3DETHUSDT"},"time":1}
            """
        let page = try api.parseInstruments(Array(body.utf8), type: .linear)
        let eth = try #require(page.instruments.first)
        #expect(eth.status == .preTrading)
        #expect(eth.minNotional == nil)  // "" is Bybit's "no value"
        let next = try #require(page.next)
        #expect(next.path == "/v5/market/instruments-info")
        #expect(next.query.map(\.name) == ["category", "limit", "cursor"])
        #expect(next.query.last?.value == "first%3DETHUSDT%26last%3DETHUSDT")
    }

    @Test func instrumentsOfTheWrongCategoryAreRefused() {
        let body = BybitTest.fixture("rest_instruments_spot")
        #expect(
            BybitTest.errorKind { () throws(ExchangeParseError) in try api.parseInstruments(body, type: .linear) }
                == .invalidValue)
    }

    @Test func restOrderBookForTheAudit() throws {
        let market = BybitTest.market("BTCUSDT")
        let book = try api.parseBookSnapshot(
            BybitTest.fixture("rest_orderbook_spot"), market: market, receivedAt: BybitTest.receivedAt)
        #expect(book.market == market)
        #expect(book.updateID == 230_704)
        #expect(book.sequence == 1_432_604_333)
        #expect(book.time == Timestamp(milliseconds: 1_716_863_718_905))  // cts
        #expect(book.receivedAt == BybitTest.receivedAt)
        #expect(BybitTest.text(book.bids) == ["65485.47@47.081829"])
        #expect(BybitTest.text(book.asks) == ["65557.7@16.606555"])
    }

    @Test func restOrderBookOfAnotherSymbolIsRefused() {
        let body = BybitTest.fixture("rest_orderbook_spot")
        let kind = BybitTest.errorKind { () throws(ExchangeParseError) in
            try api.parseBookSnapshot(body, market: BybitTest.market("ETHUSDT"), receivedAt: BybitTest.receivedAt)
        }
        #expect(kind == .invalidValue)
    }

    @Test func klinesComeBackOldestFirst() throws {
        let market = BybitTest.market("BTCUSD", .inverse)
        // The newest candle (opened 1670608800000) is still open 20 minutes in.
        let now = Timestamp(milliseconds: 1_670_608_800_000 + 1_200_000)
        let candles = try api.parseCandles(
            BybitTest.fixture("rest_kline"), market: market, interval: .h1, receivedAt: BybitTest.receivedAt,
            exchangeNow: now)
        #expect(candles.map(\.openTime.milliseconds) == [1_670_601_600_000, 1_670_605_200_000, 1_670_608_800_000])
        #expect(candles.map(\.isClosed) == [true, true, false])
        let first = candles[0]
        #expect(first.market == market)
        #expect(first.interval == .h1)
        #expect(first.open.description == "17086.5")
        #expect(first.high.description == "17088")
        #expect(first.low.description == "16978")
        #expect(first.close.description == "17071.5")
        #expect(first.volume.description == "6356")
        #expect(first.quoteVolume?.description == "0.37288112")
        #expect(first.tradeCount == nil)
        let last = candles[2]
        #expect(last.open.description == "17071")
        #expect(last.close.description == "17055.5")
        #expect(last.volume.description == "268611")
        #expect(last.quoteVolume?.description == "15.74462667")
    }

    @Test func aKlineClosesExactlyAtItsEnd() throws {
        let candles = try api.parseCandles(
            BybitTest.fixture("rest_kline"), market: BybitTest.market("BTCUSD", .inverse), interval: .h1,
            receivedAt: BybitTest.receivedAt, exchangeNow: Timestamp(milliseconds: 1_670_608_800_000 + 3_600_000))
        #expect(candles.allSatisfy { $0.isClosed })
        let justBefore = try api.parseCandles(
            BybitTest.fixture("rest_kline"), market: BybitTest.market("BTCUSD", .inverse), interval: .h1,
            receivedAt: BybitTest.receivedAt, exchangeNow: Timestamp(milliseconds: 1_670_608_800_000 + 3_599_999))
        #expect(justBefore.last?.isClosed == false)
    }

    @Test func recentTrades() throws {
        let market = BybitTest.market("BTCUSDT")
        let trades = try api.parseTrades(
            BybitTest.fixture("rest_recent_trade_spot"), market: market, receivedAt: BybitTest.receivedAt)
        #expect(trades.count == 1)
        let trade = try #require(trades.first)
        #expect(trade.market == market)
        #expect(trade.id == "2100000000007764263")
        #expect(trade.price.description == "16618.49")
        #expect(trade.quantity.description == "0.00012")
        #expect(trade.side == .buy)
        #expect(trade.time == Timestamp(milliseconds: 1_672_052_955_758))
        #expect(trade.receivedAt == BybitTest.receivedAt)
    }

    @Test func recentTradesComeBackOldestFirst() throws {
        let body = """
            {"retCode":0,"retMsg":"OK","result":{"category":"linear","list":[
            {"execId":"b","symbol":"BTCUSDT","price":"2.0","size":"1","side":"Sell","time":"1700000000002"},
            {"execId":"a","symbol":"BTCUSDT","price":"1.0","size":"1","side":"Buy","time":"1700000000001"}]},"time":1}
            """
        let trades = try api.parseTrades(
            Array(body.utf8), market: BybitTest.market("BTCUSDT", .linear), receivedAt: BybitTest.receivedAt)
        #expect(trades.map(\.id) == ["a", "b"])
        #expect(trades.map(\.side) == [.buy, .sell])
    }

    @Test func spotTickersWithTheChangeInPercent() throws {
        let tickers = try api.parseTickers(
            BybitTest.fixture("rest_tickers_spot"), type: .spot, receivedAt: BybitTest.receivedAt)
        let ticker = try #require(tickers.first)
        #expect(tickers.count == 1)
        #expect(ticker.market == BybitTest.market("BTCUSDT"))
        #expect(ticker.time == Timestamp(milliseconds: 1_673_859_087_947))  // the envelope's time
        #expect(ticker.last?.description == "20533.13")
        #expect(ticker.bid?.description == "20517.96")
        #expect(ticker.bidQuantity?.description == "2")
        #expect(ticker.ask?.description == "20527.77")
        #expect(ticker.askQuantity?.description == "1.862172")
        #expect(ticker.open?.description == "20393.48")
        #expect(ticker.high?.description == "21128.12")
        #expect(ticker.low?.description == "20318.89")
        #expect(ticker.volume?.description == "11801.27771")
        #expect(ticker.quoteVolume?.description == "243765620.65899866")
        #expect(ticker.changePercent?.description == "0.68")  // "0.0068" is a fraction
        #expect(ticker.lastQuantity == nil)
    }

    @Test func errorBodiesAreExchangeErrors() {
        for name in ["err_invalid_api_key_10003", "err_rate_limited_10006"] {
            let body = BybitTest.fixture(name)
            do throws(ExchangeParseError) {
                _ = try api.parseTickers(body, type: .spot, receivedAt: BybitTest.receivedAt)
                Issue.record("\(name) parsed")
            } catch {
                #expect(error.kind == .exchangeError)
                #expect(error.detail.contains(name.hasSuffix("10003") ? "10003" : "10006"))
            }
        }
        do throws(ExchangeParseError) {
            _ = try api.parseServerTime(BybitTest.fixture("err_rate_limited_10006"))
        } catch {
            #expect(error.detail == "retCode 10006: Too many visits!")
        }
    }

    @Test func paramsErrorIsAnExchangeError() {
        let body = Array(#"{"retCode":10001,"retMsg":"params error: symbol invalid","result":{},"time":1}"#.utf8)
        #expect(
            BybitTest.errorKind { () throws(ExchangeParseError) in
                try api.parseTrades(body, market: BybitTest.market("NOPE"), receivedAt: BybitTest.receivedAt)
            } == .exchangeError)
    }

    @Test func keyVerificationSuccessListsPermissions() {
        let result = api.parseKeyVerification(status: 200, body: BybitTest.fixture("rest_query_api_key"))
        #expect(result.outcome == .valid)
        #expect(result.detail == "key valid (read-only)")
        #expect(
            result.permissions == [
                "ContractTrade:Order", "ContractTrade:Position", "Spot:SpotTrade", "Wallet:AccountTransfer",
                "Wallet:SubMemberTransfer", "Derivatives:DerivativesTrade", "Exchange:ExchangeHistory", "Earn:Earn",
                "FiatP2P:FiatP2POrder", "FiatP2P:Advertising", "FiatConvertBroker:FiatConvertBrokerOrder",
                "FiatBitPay:FaitPayOrder", "BitCard:BitCard", "ByXPost:ByXPost",
            ])
    }

    @Test func keyVerificationFailures() {
        let invalid = api.parseKeyVerification(status: 200, body: BybitTest.fixture("err_invalid_api_key_10003"))
        #expect(invalid.outcome == .invalidKey)
        #expect(invalid.detail == "retCode 10003: API key is invalid. — the API key is unknown or expired")
        #expect(
            api.parseKeyVerification(status: 200, body: BybitTest.fixture("err_rate_limited_10006")).outcome
                == .rateLimited)
        func outcome(_ code: Int, _ message: String) -> KeyVerification {
            api.parseKeyVerification(
                status: 200, body: Array(#"{"retCode":\#(code),"retMsg":"\#(message)","result":{},"time":1}"#.utf8))
        }
        let sign = outcome(10004, "error sign! origin_string[1700000000000ExchsimTestApiKey5000]")
        #expect(sign.outcome == .invalidSignature)
        #expect(!sign.detail.contains("ExchsimTestApiKey"))  // the signed string holds the key
        #expect(sign.detail.contains("check the API secret"), "the detail says which part was wrong")
        #expect(outcome(10002, "invalid request, please check your server timestamp").outcome == .clockSkew)
        #expect(
            outcome(10010, "Unmatched IP, please check your API key's bound IP addresses.").outcome == .ipNotAllowed)
        #expect(outcome(10005, "Permission denied").outcome == .unknown)
        #expect(api.parseKeyVerification(status: 403, body: Array("access too frequent".utf8)).outcome == .rateLimited)
        #expect(api.parseKeyVerification(status: 502, body: []).outcome == .unknown)
    }

    /// The wallet balance is a signed endpoint cryptod does not use for market data; its body is a plain
    /// success envelope, so a key check reading it finds a valid key with no permission list.
    @Test func walletBalanceIsASuccessEnvelope() {
        let body = BybitTest.fixture("rest_wallet_balance")
        let result = api.parseKeyVerification(status: 200, body: body)
        #expect(result.outcome == .valid)
        #expect(result.permissions.isEmpty)
        #expect(BybitTest.errorKind { () throws(ExchangeParseError) in try api.parseServerTime(body) } == .missingField)
    }

    @Test func malformedRESTBodies() {
        let market = BybitTest.market("BTCUSDT")
        func kind(_ text: String) -> ExchangeParseError.Kind? {
            BybitTest.errorKind { () throws(ExchangeParseError) in
                try api.parseCandles(
                    Array(text.utf8), market: market, interval: .m1, receivedAt: BybitTest.receivedAt,
                    exchangeNow: BybitTest.receivedAt)
            }
        }
        #expect(kind(#"{"retCode":0,"result":{"list":[["1","2","3"#) == .malformedJSON)
        #expect(kind("") == .malformedJSON)
        #expect(kind(#"{"retMsg":"OK","result":{}}"#) == .missingField)
        #expect(kind(#"{"retCode":0,"retMsg":"OK"}"#) == .missingField)
        #expect(kind(#"{"retCode":0,"result":{"list":[["1700000000000","1","2","0.5","1"]]}}"#) == .missingField)
        #expect(
            kind(#"{"retCode":0,"result":{"list":[["1700000000000","1","2","-0.5","1","3","4"]]}}"#) == .invalidValue)
        #expect(
            kind(#"{"retCode":0,"result":{"list":[["1700000000000","NaN","2","0.5","1","3","4"]]}}"#) == .invalidValue)
        #expect(kind(#"{"retCode":0,"result":{"list":[["x","1","2","0.5","1","3","4"]]}}"#) == .invalidValue)
        #expect(kind(#"{"retCode":0,"result":{"symbol":"ETHUSDT","list":[]}}"#) == .invalidValue)
        #expect(kind("[1]") == .unknownMessage)
        let trade = #"{"retCode":0,"result":{"list":[{"execId":"1","price":"1","size":"1","side":"Hold","time":"1"}]}}"#
        #expect(
            BybitTest.errorKind { () throws(ExchangeParseError) in
                try api.parseTrades(Array(trade.utf8), market: market, receivedAt: BybitTest.receivedAt)
            } == .invalidValue)
        let noTick =
            #"{"retCode":0,"result":{"list":[{"symbol":"X","baseCoin":"X","quoteCoin":"Y","status":"Trading"}]}}"#
        #expect(
            BybitTest.errorKind { () throws(ExchangeParseError) in
                try api.parseInstruments(Array(noTick.utf8), type: .spot)
            } == .missingField)
    }
}
