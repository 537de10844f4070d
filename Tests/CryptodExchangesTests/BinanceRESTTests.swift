import CryptodExchanges
import CryptodModel
import Foundation
import Testing

@Suite("Binance REST answers")
struct BinanceRESTTests {
    typealias T = BinanceTest
    static let fx = "binance"

    @Test("every Binance fixture has a test here or in BinanceStreamTests")
    func coverage() {
        let covered: Set<String> = [
            "err_invalid_api_key.json", "err_invalid_signature.json", "err_invalid_symbol.json", "rest_account.json",
            "rest_book_ticker_single.json", "rest_depth.json", "rest_exchange_info.json", "rest_klines.json",
            "rest_ticker_24hr_batch.json", "rest_ticker_24hr_single.json", "rest_time.json", "rest_trades.json",
            "ws_agg_trade.json", "ws_book_ticker.json", "ws_depth_diff.json", "ws_kline.json", "ws_mini_ticker.json",
            "ws_partial_depth.json", "ws_server_shutdown_combined.json", "ws_subscribe_response.json",
            "ws_ticker_24hr.json", "ws_trade.json",
        ]
        let present = Set(Fixtures.names(Self.fx))
        #expect(!present.isEmpty, "no fixtures under \(Fixtures.root.path)")
        #expect(present.subtracting(covered).isEmpty, "untested fixtures: \(present.subtracting(covered).sorted())")
    }

    @Test("rest_time: serverTime")
    func time() throws {
        #expect(
            try T.api.parseServerTime(Fixtures.bytes(Self.fx, "rest_time"))
                == Timestamp(milliseconds: 1_499_827_319_559))
        #expect(T.errorKind { _ = try T.api.parseServerTime(Array("{}".utf8)) } == .missingField)
        #expect(T.errorKind { _ = try T.api.parseServerTime(Array(#"{"serverTime":"soon"}"#.utf8)) } == .invalidValue)
    }

    @Test("rest_exchange_info: instruments with filters, exact grids")
    func exchangeInfo() throws {
        let page = try T.api.parseInstruments(Fixtures.bytes(Self.fx, "rest_exchange_info"), type: .spot)
        #expect(page.next == nil)
        let bnb = try #require(page.instruments.first)
        #expect(page.instruments.count == 1)
        #expect(bnb.market == T.market("BNBBTC"))
        #expect(bnb.base == "BNB" && bnb.quote == "BTC")
        #expect(bnb.status == .trading)
        #expect(bnb.tickSize.description == "0.00000100")
        #expect(bnb.lotSize.description == "0.00100000")
        #expect(bnb.minQuantity?.description == "0.00100000")
        #expect(bnb.minNotional == nil)
    }

    @Test("exchangeInfo statuses and notional filters")
    func statusesAndNotional() throws {
        func info(status: String, extraFilter: String) -> [UInt8] {
            Array(
                #"""
                {"symbols":[{"symbol":"ABCUSDT","status":"\#(status)","baseAsset":"ABC","quoteAsset":"USDT",
                "filters":[\#(extraFilter){"filterType":"LOT_SIZE","stepSize":"0.01","minQty":"0.01","maxQty":"9"},
                {"minPrice":"0.0001","filterType":"PRICE_FILTER","tickSize":"0.0001"}]}]}
                """#.utf8)
        }
        let cases: [(String, InstrumentStatus)] = [
            ("TRADING", .trading), ("HALT", .halted), ("BREAK", .halted), ("CANCEL_ONLY", .cancelOnly),
            ("PRE_TRADING", .preTrading), ("AUCTION_MATCH", .preTrading), ("END_OF_DAY", .halted),
            ("SOMETHING_NEW", .halted),
        ]
        for (status, expected) in cases {
            let instrument = try #require(
                try T.api.parseInstruments(info(status: status, extraFilter: ""), type: .spot).instruments.first)
            #expect(instrument.status == expected, "\(status)")
            #expect(instrument.tickSize.description == "0.0001")
        }
        let notional =
            #"{"filterType":"MIN_NOTIONAL","minNotional":"5.00000000"},{"filterType":"NOTIONAL","minNotional":"10.00000000","maxNotional":"9000000.00000000"},{"filterType":"MARKET_LOT_SIZE","stepSize":"0.00000000","minQty":"0.00000000"},"#
        let both = try #require(
            try T.api.parseInstruments(info(status: "TRADING", extraFilter: notional), type: .spot).instruments.first)
        #expect(both.minNotional?.description == "10.00000000")
        #expect(both.lotSize.description == "0.01")  // MARKET_LOT_SIZE does not overwrite LOT_SIZE
        let legacy = #"{"filterType":"MIN_NOTIONAL","minNotional":"5.00000000"},"#
        #expect(
            try T.api.parseInstruments(info(status: "TRADING", extraFilter: legacy), type: .spot).instruments.first?
                .minNotional?.description == "5.00000000")
        let noPrice = Array(
            #"{"symbols":[{"symbol":"A","status":"TRADING","baseAsset":"A","quoteAsset":"B","filters":[{"filterType":"LOT_SIZE","stepSize":"1"}]}]}"#
                .utf8)
        #expect(T.errorKind { _ = try T.api.parseInstruments(noPrice, type: .spot) } == .missingField)
        #expect(T.errorKind { _ = try T.api.parseInstruments(Array("{}".utf8), type: .spot) } == .missingField)
        #expect(T.api.instrumentsRequests(type: .linear).isEmpty)
    }

    @Test("rest_depth: BookSnapshot with updateID = lastUpdateId")
    func depth() throws {
        let market = T.market("LTCBTC")
        let book = try T.api.parseBookSnapshot(
            Fixtures.bytes(Self.fx, "rest_depth"), market: market, receivedAt: T.receivedAt)
        #expect(book.market == market)
        #expect(book.updateID == 1_027_024)
        #expect(book.time == nil)
        #expect(book.receivedAt == T.receivedAt)
        #expect(book.bids.map { [$0.price.description, $0.quantity.description] } == [["4.00000000", "431.00000000"]])
        #expect(book.asks.map { [$0.price.description, $0.quantity.description] } == [["4.00000200", "12.00000000"]])
        let negative = Array(#"{"lastUpdateId":1,"bids":[["-4.0","1"]],"asks":[]}"#.utf8)
        #expect(
            T.errorKind { _ = try T.api.parseBookSnapshot(negative, market: market, receivedAt: T.receivedAt) }
                == .invalidValue)
        let noID = Array(#"{"bids":[],"asks":[]}"#.utf8)
        #expect(
            T.errorKind { _ = try T.api.parseBookSnapshot(noID, market: market, receivedAt: T.receivedAt) }
                == .missingField)
    }

    @Test("rest_klines: 12-column rows, closed by the exchange's clock")
    func klines() throws {
        let market = T.market("BNBBTC")
        let body = Fixtures.bytes(Self.fx, "rest_klines")
        // The row opens 1499040000000 and closes 1499644799999: a 1w candle (7 days).
        let closeTime: Int64 = 1_499_644_799_999
        let open = try T.api.parseCandles(
            body, market: market, interval: .w1, receivedAt: T.receivedAt,
            exchangeNow: Timestamp(milliseconds: closeTime)
        )
        let candle = try #require(open.first)
        #expect(open.count == 1)
        #expect(candle.openTime == Timestamp(milliseconds: 1_499_040_000_000))
        #expect(candle.interval == .w1)
        #expect(candle.open.description == "0.01634790")
        #expect(candle.high.description == "0.80000000")
        #expect(candle.low.description == "0.01575800")
        #expect(candle.close.description == "0.01577100")
        #expect(candle.volume.description == "148976.11427815")
        #expect(candle.quoteVolume?.description == "2434.19055334")
        #expect(candle.tradeCount == 308)
        #expect(candle.isClosed == false)  // closeTime == now: still its last millisecond
        let closed = try T.api.parseCandles(
            body, market: market, interval: .w1, receivedAt: T.receivedAt,
            exchangeNow: Timestamp(milliseconds: closeTime + 1)
        )
        #expect(closed.first?.isClosed == true)
        let short = Array(#"[[1499040000000,"1","1","1","1"]]"#.utf8)
        #expect(
            T.errorKind {
                _ = try T.api.parseCandles(
                    short, market: market, interval: .m1, receivedAt: T.receivedAt, exchangeNow: T.receivedAt)
            } == .missingField)
    }

    @Test("rest_trades: Trade with id text and taker side")
    func trades() throws {
        let market = T.market("LTCBTC")
        let trades = try T.api.parseTrades(
            Fixtures.bytes(Self.fx, "rest_trades"), market: market, receivedAt: T.receivedAt)
        let trade = try #require(trades.first)
        #expect(trades.count == 1)
        #expect(trade.market == market)
        #expect(trade.id == "28457")
        #expect(trade.price.description == "4.00000100")
        #expect(trade.quantity.description == "12.00000000")
        #expect(trade.side == .sell)
        #expect(trade.time == Timestamp(milliseconds: 1_499_865_549_590))
        #expect(trade.receivedAt == T.receivedAt)
    }

    @Test("rest_ticker_24hr_single and _batch: every Ticker field")
    func tickers() throws {
        let single = try T.api.parseTickers(
            Fixtures.bytes(Self.fx, "rest_ticker_24hr_single"), type: .spot, receivedAt: T.receivedAt)
        let batch = try T.api.parseTickers(
            Fixtures.bytes(Self.fx, "rest_ticker_24hr_batch"), type: .spot, receivedAt: T.receivedAt)
        #expect(single == batch)
        let ticker = try #require(single.first)
        #expect(single.count == 1)
        #expect(ticker.market == T.market("BNBBTC"))
        #expect(ticker.time == Timestamp(milliseconds: 1_499_869_899_040))
        #expect(ticker.receivedAt == T.receivedAt)
        #expect(ticker.last?.description == "4.00000200")
        #expect(ticker.lastQuantity?.description == "200.00000000")
        #expect(ticker.bid?.description == "4.00000000")
        #expect(ticker.bidQuantity?.description == "100.00000000")
        #expect(ticker.ask?.description == "4.00000200")
        #expect(ticker.askQuantity?.description == "100.00000000")
        #expect(ticker.open?.description == "99.00000000")
        #expect(ticker.high?.description == "100.00000000")
        #expect(ticker.low?.description == "0.10000000")
        #expect(ticker.volume?.description == "8913.30000000")
        #expect(ticker.quoteVolume?.description == "15.30000000")
        #expect(ticker.changePercent?.description == "-95.960")
    }

    @Test("rest_book_ticker_single: not a 24 h ticker (no closeTime) → missingField")
    func bookTickerREST() throws {
        // cryptod asks /ticker/24hr only; a book ticker in its place lacks the window end.
        let error = T.error {
            _ = try T.api.parseTickers(
                Fixtures.bytes(Self.fx, "rest_book_ticker_single"), type: .spot, receivedAt: T.receivedAt)
        }
        #expect(error?.kind == .missingField)
        #expect(error?.detail.contains("closeTime") == true)
    }

    @Test("err_*: error bodies → exchangeError with code and message, from every reader")
    func errorBodies() throws {
        let cases: [(String, String)] = [
            ("err_invalid_symbol", "code -1121: Invalid symbol."),
            ("err_invalid_api_key", "code -2015: Invalid API-key, IP, or permissions for action."),
            ("err_invalid_signature", "code -1022: Signature for this request is not valid."),
        ]
        let market = T.market("BTCUSDT")
        for (name, detail) in cases {
            let body = Fixtures.bytes(Self.fx, name)
            let readers: [() throws -> Void] = [
                { _ = try T.api.parseServerTime(body) },
                { _ = try T.api.parseInstruments(body, type: .spot) },
                { _ = try T.api.parseBookSnapshot(body, market: market, receivedAt: T.receivedAt) },
                {
                    _ = try T.api.parseCandles(
                        body, market: market, interval: .m1, receivedAt: T.receivedAt, exchangeNow: T.receivedAt)
                },
                { _ = try T.api.parseTrades(body, market: market, receivedAt: T.receivedAt) },
                { _ = try T.api.parseTickers(body, type: .spot, receivedAt: T.receivedAt) },
            ]
            for read in readers {
                let error = T.error(read)
                #expect(error == ExchangeParseError(.exchangeError, detail), "\(name)")
            }
        }
    }

    @Test("rest_account and err_*: key verification outcomes")
    func keyVerification() throws {
        let valid = T.api.parseKeyVerification(status: 200, body: Fixtures.bytes(Self.fx, "rest_account"))
        #expect(valid.outcome == .valid)
        #expect(valid.permissions == ["SPOT", "trade", "withdraw", "deposit"])
        #expect(
            T.api.parseKeyVerification(status: 401, body: Fixtures.bytes(Self.fx, "err_invalid_api_key")).outcome
                == .invalidKey)
        #expect(
            T.api.parseKeyVerification(status: 400, body: Fixtures.bytes(Self.fx, "err_invalid_signature")).outcome
                == .invalidSignature)
        let format = Array(#"{"code":-2014,"msg":"API-key format invalid."}"#.utf8)
        #expect(T.api.parseKeyVerification(status: 401, body: format).outcome == .invalidKey)
        let skew = Array(#"{"code":-1021,"msg":"Timestamp for this request is outside of the recvWindow."}"#.utf8)
        let skewed = T.api.parseKeyVerification(status: 400, body: skew)
        #expect(skewed.outcome == .clockSkew)
        #expect(skewed.detail.contains("-1021"))
        #expect(T.api.parseKeyVerification(status: 429, body: Array("{}".utf8)).outcome == .rateLimited)
        #expect(T.api.parseKeyVerification(status: 500, body: Array("oops".utf8)).outcome == .unknown)
        #expect(T.api.parseKeyVerification(status: 200, body: Array("[]".utf8)).outcome == .unknown)
        let readOnly = Array(#"{"canTrade":false,"canWithdraw":false,"canDeposit":false,"permissions":[]}"#.utf8)
        #expect(
            T.api.parseKeyVerification(status: 200, body: readOnly)
                == KeyVerification(outcome: .valid, permissions: [], detail: "account readable ()"))
    }
}
