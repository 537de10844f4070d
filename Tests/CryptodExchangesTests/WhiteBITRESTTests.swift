import CryptodExchanges
import CryptodModel
import Foundation
import Testing

@Suite("WhiteBIT REST")
struct WhiteBITRESTTests {
    let api = WhiteBITTest.api
    let btc = WhiteBITTest.market("BTC_USDT")
    let receivedAt = WhiteBITTest.receivedAt

    // MARK: - Requests

    @Test func requestsUseTheDocumentedPathsAndOneLimitGroupPerEndpoint() {
        #expect(api.serverTimeRequest().description == "GET /api/v4/public/time")
        #expect(api.serverTimeRequest().limitGroup == "v4/time")
        let markets = api.instrumentsRequests(type: .spot)
        #expect(markets.map(\.description) == ["GET /api/v4/public/markets"])
        #expect(markets.first?.limitGroup == "v4/markets")
        #expect(api.instrumentsRequests(type: .linear).isEmpty)
        #expect(api.bookSnapshotRequest(market: btc, depth: 100) == nil)
        let audit = api.auditSnapshotRequest(market: btc, depth: 20)
        #expect(audit.description == "GET /api/v4/public/orderbook/BTC_USDT?limit=20&level=0")
        #expect(audit.limitGroup == "v4/orderbook")
        #expect(api.auditSnapshotRequest(market: btc, depth: 5000).description.contains("limit=100&"))
        let trades = api.tradesRequest(market: btc, fromID: "42", limit: 1000)
        #expect(trades.description == "GET /api/v4/public/trades/BTC_USDT")
        #expect(trades.limitGroup == "v4/trades")
        #expect(!api.supportsTradesFromID)
        #expect(api.maxTradesPerRequest == 100)
        #expect(api.singleTickerRequest(market: btc).description == "GET /api/v1/public/ticker?market=BTC_USDT")
    }

    @Test func klineRequestIsInSecondsAndCappedAt1440() {
        let request = api.candlesRequest(
            market: btc, interval: .h1, start: Timestamp(milliseconds: 1_631_440_800_999),
            end: Timestamp(seconds: 1_631_444_400), limit: 5000
        )
        #expect(
            request.description
                == "GET /api/v1/public/kline?market=BTC_USDT&interval=1h&start=1631440800&end=1631444400&limit=1440")
        #expect(request.limitGroup == "v1/kline")
        #expect(api.maxCandlesPerRequest == 1440)
        let plain = api.candlesRequest(market: btc, interval: .month1, start: nil, end: nil, limit: 10)
        #expect(plain.description == "GET /api/v1/public/kline?market=BTC_USDT&interval=1M&limit=10")
    }

    @Test func tickersAreOneRequestHoweverManyMarkets() {
        let markets = (0..<250).map { WhiteBITTest.market("C\($0)_USDT") }
        let requests = api.tickersRequests(markets: markets)
        #expect(requests.map(\.description) == ["GET /api/v4/public/ticker"])
        #expect(requests.first?.limitGroup == "v4/ticker")
        #expect(api.tickersRequests(markets: []).isEmpty)
    }

    // MARK: - Fixtures

    @Test func serverTime() throws {
        let time = try api.parseServerTime(WhiteBITTest.fixture("rest_v4_time"))
        #expect(time == Timestamp(seconds: 1_631_451_591))
    }

    @Test func markets() throws {
        let page = try api.parseInstruments(WhiteBITTest.fixture("rest_v4_markets"), type: .spot)
        #expect(page.next == nil)
        let instrument = try #require(page.instruments.first)
        #expect(page.instruments.count == 1)
        #expect(instrument.market == WhiteBITTest.market("SON_USD"))
        #expect(instrument.base == "SON")
        #expect(instrument.quote == "USD")
        #expect(instrument.status == .trading)
        // 10^-moneyPrec and 10^-stockPrec, exactly.
        #expect(instrument.tickSize.description == "0.01")
        #expect(instrument.tickSize.isIdentical(to: ExactDecimal(mantissa: 1, scale: 2)!))
        #expect(instrument.lotSize.description == "0.001")
        #expect(instrument.minQuantity?.description == "0.001")
        #expect(instrument.minNotional?.description == "0.001")
    }

    @Test func marketsSkipFuturesAndMapTradesEnabled() throws {
        let body = #"""
            [{"name":"BTC_PERP","stock":"BTC","money":"PERP","stockPrec":"3","moneyPrec":"1","minAmount":"0.001",
              "minTotal":"5","tradesEnabled":true,"type":"futures"},
             {"name":"XRP_BTC","stock":"XRP","money":"BTC","stockPrec":"0","moneyPrec":"8","minAmount":"1",
              "minTotal":"0.0001","tradesEnabled":false,"type":"spot"}]
            """#
        let page = try api.parseInstruments(Array(body.utf8), type: .spot)
        #expect(page.instruments.map(\.market.symbol) == ["XRP_BTC"])
        #expect(page.instruments.first?.status == .halted)
        #expect(page.instruments.first?.lotSize.description == "1")
        #expect(page.instruments.first?.tickSize.description == "0.00000001")
    }

    @Test func orderBookForAudits() throws {
        let book = try api.parseBookSnapshot(
            WhiteBITTest.fixture("rest_v4_orderbook"), market: btc, receivedAt: receivedAt)
        #expect(book.updateID == 0)
        #expect(book.time == Timestamp(seconds: 1_594_391_413))
        #expect(book.receivedAt == receivedAt)
        #expect(book.asks.map(\.price.description) == ["9184.41"])
        #expect(book.asks.map(\.quantity.description) == ["0.773162"])
        #expect(book.bids.map(\.price.description) == ["9181.19"])
        #expect(book.bids.map(\.quantity.description) == ["0.010873"])
    }

    @Test func klineColumnsAreOpenCloseHighLow() throws {
        let body = WhiteBITTest.fixture("rest_v1_kline")
        let open = Timestamp(seconds: 1_631_440_800)
        let candles = try api.parseCandles(
            body, market: btc, interval: .h1, receivedAt: receivedAt, exchangeNow: Timestamp(seconds: 1_631_444_399)
        )
        let candle = try #require(candles.first)
        #expect(candles.count == 1)
        #expect(candle.openTime == open)
        #expect(candle.interval == .h1)
        #expect(candle.open.description == "45865.62")
        #expect(candle.close.description == "45958.14")
        #expect(candle.high.description == "45981.3")
        #expect(candle.low.description == "45750.23")
        #expect(candle.volume.description == "15.327634")
        #expect(candle.quoteVolume?.description == "703140.24230131")
        #expect(candle.tradeCount == nil)
        #expect(!candle.isClosed)
        // Closed once its end (open + 1 h) is at or before the exchange's clock.
        let closed = try api.parseCandles(
            body, market: btc, interval: .h1, receivedAt: receivedAt, exchangeNow: Timestamp(seconds: 1_631_444_400)
        )
        #expect(closed.first?.isClosed == true)
    }

    @Test func klinesStayOldestFirst() throws {
        let body =
            #"{"success":true,"message":null,"result":[[60,"1","2","3","0.5","1","2"],[120,"2","3","4","1","1","2"]]}"#
        let candles = try api.parseCandles(
            Array(body.utf8), market: btc, interval: .m1, receivedAt: receivedAt, exchangeNow: Timestamp(seconds: 150)
        )
        #expect(candles.map(\.openTime.seconds) == [60, 120])
        #expect(candles.map(\.isClosed) == [true, false])
    }

    @Test func tradesAmountIsQuoteVolumeAndOldestFirst() throws {
        let trades = try api.parseTrades(WhiteBITTest.fixture("rest_v4_trades"), market: btc, receivedAt: receivedAt)
        #expect(trades.map(\.id) == ["158056416", "158056419"])
        #expect(trades.map(\.time) == [Timestamp(seconds: 1_594_391_746), Timestamp(seconds: 1_594_391_747)])
        // The trap: `quote_volume` holds the base amount; `base_volume` (9186.13) is the quote amount.
        #expect(trades.map(\.quantity.description) == ["0.002751", "0.0021"])
        #expect(trades.map(\.price.description) == ["9186.13", "9186.13"])
        #expect(trades.map(\.side) == [.sell, .sell])
        #expect(trades.allSatisfy { $0.market == btc && $0.receivedAt == receivedAt })
    }

    @Test func tickersAllMarkets() throws {
        let tickers = try api.parseTickers(
            WhiteBITTest.fixture("rest_v4_ticker_all"), type: .spot, receivedAt: receivedAt)
        let ticker = try #require(tickers.first)
        #expect(tickers.count == 1)
        #expect(ticker.market == btc)
        #expect(ticker.time == receivedAt)
        #expect(ticker.last?.description == "9164.09")
        #expect(ticker.volume?.description == "4723.286463")
        #expect(ticker.quoteVolume?.description == "43341942.90416876")
        #expect(ticker.changePercent?.description == "0.57")
        #expect(ticker.bid == nil && ticker.ask == nil && ticker.high == nil && ticker.open == nil)
    }

    @Test func negativeChangeIsAccepted() throws {
        let body = #"{"ETH_BTC":{"last_price":"0.02","quote_volume":"1","base_volume":"50","change":"-1.25"}}"#
        let tickers = try api.parseTickers(Array(body.utf8), type: .spot, receivedAt: receivedAt)
        #expect(tickers.first?.changePercent?.description == "-1.25")
    }

    @Test func singleMarketTicker() throws {
        let ticker = try api.parseSingleTicker(
            WhiteBITTest.fixture("rest_v1_ticker_single"), market: btc, receivedAt: receivedAt)
        #expect(ticker.market == btc)
        #expect(ticker.open?.description == "9267.98")
        #expect(ticker.bid?.description == "9417.4")
        #expect(ticker.ask?.description == "9421.64")
        #expect(ticker.low?.description == "9203.13")
        #expect(ticker.high?.description == "9469.99")
        #expect(ticker.last?.description == "9419.55")
        #expect(ticker.volume?.description == "27303.824558")
        #expect(ticker.quoteVolume?.description == "254399191.68843464")
        #expect(ticker.changePercent?.description == "1.63")
    }

    // MARK: - Errors

    private func kindAndDetail(_ body: String) -> (ExchangeParseError.Kind, String)? {
        do throws(ExchangeParseError) {
            _ = try api.parseTrades(Array(body.utf8), market: btc, receivedAt: receivedAt)
            return nil
        } catch {
            return (error.kind, error.detail)
        }
    }

    @Test func errorBodiesBecomeExchangeErrors() throws {
        let unauthorized = try #require(
            kindAndDetail(String(decoding: WhiteBITTest.fixture("err_v4_private_unauthorized"), as: UTF8.self)))
        #expect(unauthorized.0 == .exchangeError)
        #expect(unauthorized.1 == "code 10: Unauthorized request.")
        let validation = try #require(
            kindAndDetail(String(decoding: WhiteBITTest.fixture("err_v4_private_validation"), as: UTF8.self)))
        #expect(validation.0 == .exchangeError)
        #expect(validation.1 == "code 30: Validation failed; ticker: Currency was not found.")
        let field = try #require(
            kindAndDetail(#"{"success":false,"message":{"market":["Market is not available"]},"result":[]}"#))
        #expect(field.0 == .exchangeError)
        #expect(field.1 == "market: Market is not available")
        let plain = try #require(kindAndDetail(#"{"success":false,"message":"ERROR MESSAGE","params":[]}"#))
        #expect(plain.0 == .exchangeError)
        #expect(plain.1 == "ERROR MESSAGE")
        let third = try #require(
            kindAndDetail(
                #"{"response":null,"status":503,"errors":{"message":[""]},"notification":null,"warning":null,"_token":null}"#
            ))
        #expect(third.0 == .exchangeError)
        #expect(third.1.hasPrefix("status 503"))
        // The same shapes are caught by every REST parser, whatever shape it expects.
        let body = Array(#"{"success":false,"message":{"market":["Market is not available"]},"result":[]}"#.utf8)
        #expect(throws: ExchangeParseError.self) { try api.parseTickers(body, type: .spot, receivedAt: receivedAt) }
        #expect(throws: ExchangeParseError.self) {
            try api.parseCandles(body, market: btc, interval: .m1, receivedAt: receivedAt, exchangeNow: receivedAt)
        }
    }

    private func restKind(
        _ body: String, _ parse: ([UInt8]) throws(ExchangeParseError) -> Void
    ) -> ExchangeParseError
        .Kind?
    {
        do throws(ExchangeParseError) {
            try parse(Array(body.utf8))
            return nil
        } catch {
            return error.kind
        }
    }

    @Test func malformedRESTBodies() {
        let trades: ([UInt8]) throws(ExchangeParseError) -> Void = { body throws(ExchangeParseError) in
            _ = try api.parseTrades(body, market: btc, receivedAt: receivedAt)
        }
        let candles: ([UInt8]) throws(ExchangeParseError) -> Void = { body throws(ExchangeParseError) in
            _ = try api.parseCandles(body, market: btc, interval: .m1, receivedAt: receivedAt, exchangeNow: receivedAt)
        }
        let markets: ([UInt8]) throws(ExchangeParseError) -> Void = { body throws(ExchangeParseError) in
            _ = try api.parseInstruments(body, type: .spot)
        }
        let trade = #"{"tradeID":1,"price":"1.5","quote_volume":"2","trade_timestamp":1594391747,"type":"buy"}"#
        #expect(restKind("[\(trade)]", trades) == nil)
        #expect(restKind("[\(trade)", trades) == .malformedJSON)
        #expect(restKind("[\(trade)] x", trades) == .malformedJSON)
        #expect(restKind(trade.replacingOccurrences(of: "\"1.5\"", with: "\"-1.5\"").wrapped, trades) == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: "\"1.5\"", with: "\"NaN\"").wrapped, trades) == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: "\"1.5\"", with: "1.5e3").wrapped, trades) == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: "\"1.5\"", with: "\"\"").wrapped, trades) == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: "\"buy\"", with: "\"hold\"").wrapped, trades) == .invalidValue)
        #expect(
            restKind(trade.replacingOccurrences(of: "1594391747", with: "99999999999999999").wrapped, trades)
                == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: "1594391747", with: "-5").wrapped, trades) == .invalidValue)
        #expect(restKind(trade.replacingOccurrences(of: #""price":"1.5","#, with: "").wrapped, trades) == .missingField)
        #expect(restKind(#"{"result":[[60,"1","2","3","0.5","1"]]}"#, candles) == .missingField)
        #expect(restKind(#"{"success":true}"#, candles) == .missingField)
        #expect(restKind(#"{"result":[[1e40,"1","2","3","0.5","1","2"]]}"#, candles) == .invalidValue)
        #expect(
            restKind(#"{"result":[["99999999999999999999999999999","1","2","3","0.5","1","2"]]}"#, candles)
                == .invalidValue)
        #expect(
            restKind(
                #"[{"name":"A_B","stock":"A","money":"B","stockPrec":"40","moneyPrec":"2","tradesEnabled":true}]"#,
                markets)
                == .invalidValue)
        #expect(
            restKind(#"[{"name":"A_B","stock":"A","money":"B","moneyPrec":"2","tradesEnabled":true}]"#, markets)
                == .missingField)
    }

    /// Every recorded WhiteBIT fixture is read by one of these tests.
    @Test func everyFixtureIsCovered() {
        let covered: Set<String> = [
            "err_v4_private_unauthorized.json", "err_v4_private_validation.json", "rest_v1_kline.json",
            "rest_v1_ticker_single.json", "rest_v4_markets.json", "rest_v4_orderbook.json", "rest_v4_ticker_all.json",
            "rest_v4_time.json", "rest_v4_trade_account_balance.json", "rest_v4_trades.json",
            "ws_book_ticker_update.json", "ws_candles_update.json", "ws_depth_update_incremental.json",
            "ws_depth_update_snapshot.json", "ws_error_invalid_argument.json", "ws_lastprice_update.json",
            "ws_market_update.json", "ws_pong.json", "ws_subscribe_ack.json", "ws_trades_update.json",
        ]
        let names = Fixtures.names("whitebit")
        #expect(!names.isEmpty)
        #expect(Set(names).subtracting(covered).isEmpty, "fixtures without a test: \(Set(names).subtracting(covered))")
    }
}

extension String {
    /// `[self]`: one trade object as a trades body.
    fileprivate var wrapped: String { "[\(self)]" }
}
