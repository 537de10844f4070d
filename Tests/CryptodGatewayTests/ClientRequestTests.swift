import CryptodModel
import Testing

@testable import CryptodGateway

@Suite("WebSocket client requests")
struct ClientRequestTests {
    @Test("well-formed requests parse, with their ids")
    func valid() throws {
        let subscribe = try ClientRequest(text: #"{"op":"subscribe","topics":["trades.binance.BTCUSDT"],"id":7}"#)
        #expect(subscribe.operation == .subscribe)
        #expect(subscribe.topics == ["trades.binance.BTCUSDT"])
        #expect(subscribe.id == .integer(7))
        let ping = try ClientRequest(text: #"{"op":"ping","id":"abc","extra":true}"#)
        #expect(ping.operation == .ping)
        #expect(ping.id == .text("abc"))
        let list = try ClientRequest(text: #"{"op":"list"}"#)
        #expect(list.operation == .list)
        #expect(list.id == nil)
    }

    @Test(
        "malformed requests get a code and a message that says what to send",
        arguments: [
            ("not json", ClientError.Code.badJSON, "not a JSON object"),
            ("[1,2]", .badJSON, "not a JSON object"),
            (#"{"topics":[]}"#, .badRequest, "missing \"op\""),
            (#"{"op":42}"#, .badRequest, "\"op\" must be a string"),
            (#"{"op":"subscribe"}"#, .badRequest, "needs \"topics\""),
            (#"{"op":"subscribe","topics":[]}"#, .badRequest, "needs \"topics\""),
            (#"{"op":"subscribe","topics":"trades.binance.BTCUSDT"}"#, .badRequest, "must be an array of strings"),
            (#"{"op":"ping","id":1.5}"#, .badRequest, "\"id\" must be an integer or a string"),
            (#"{"op":"watch","id":3}"#, .unknownOp, "unknown op \"watch\""),
        ])
    func invalid(text: String, code: ClientError.Code, fragment: String) {
        do {
            _ = try ClientRequest(text: text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.code == code)
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }

    @Test("an unknown op still echoes the id, so the client can match the error")
    func unknownOpKeepsID() {
        do {
            _ = try ClientRequest(text: #"{"op":"watch","id":3}"#)
        } catch {
            #expect(error.id == .integer(3))
            #expect(error.op == "watch")
        }
    }

    @Test("one request may not name more topics than the limit")
    func tooMany() {
        let topics = (0...ClientRequest.maxTopicsPerRequest).map { "\"trades.binance.S\($0)\"" }.joined(separator: ",")
        do {
            _ = try ClientRequest(text: #"{"op":"subscribe","topics":[\#(topics)]}"#)
            Issue.record("accepted")
        } catch {
            #expect(error.code == .tooManyTopics)
        }
    }
}

@Suite("WebSocket seed-format requests")
struct SeedRequestTests {
    static func parse(_ text: String) throws(ClientError) -> SeedRequest {
        try SeedRequest(try RequestBody(text: text))
    }

    @Test(
        "each stream name, plural and unified forms are read into one target",
        arguments: [
            (
                #"{"type":"subscribe","stream":"ticker","exchange":"binance","symbol":"BTCUSDT"}"#,
                SeedRequest.Stream.ticker, "BTCUSDT", MarketType.spot, nil as CandleInterval?
            ),
            (
                #"{"type":"subscribe","stream":"trades","exchange":"bybit","symbol":"BTC/USDT","market":"linear"}"#,
                .trade, "BTC/USDT", .linear, nil
            ),
            (
                #"{"type":"subscribe","stream":"orderbooks","exchange":"whitebit","symbol":"BTC_USDT"}"#, .orderbook,
                "BTC_USDT", .spot, nil
            ),
            (
                #"{"type":"subscribe","stream":"kline","exchange":"binance","symbol":"ethusdt"}"#, .kline, "ethusdt",
                .spot, .m1
            ),
            (
                #"{"type":"unsubscribe","stream":"klines","exchange":"Binance","symbol":"X","timeframe":"5m"}"#, .kline,
                "X", .spot, .m5
            ),
            (
                #"{"type":"subscribe","stream":"kline","exchange":"bybit","symbol":"X","interval":"1h","market":"spot"}"#,
                .kline, "X", .spot, .h1
            ),
        ] as [(String, SeedRequest.Stream, String, MarketType, CandleInterval?)])
    func targets(
        text: String, stream: SeedRequest.Stream, symbol: String, market: MarketType, interval: CandleInterval?
    )
        throws
    {
        let request = try Self.parse(text)
        let target = try #require(request.target)
        #expect(target.stream == stream)
        #expect(target.symbol == symbol)
        #expect(target.market == market)
        #expect(target.interval == interval)
        #expect(request.resume == nil)
    }

    @Test("a resume needs both the seq and the epoch")
    func resume() throws {
        let request = try Self.parse(
            #"{"type":"subscribe","stream":"trade","exchange":"binance","symbol":"BTCUSDT","resume_from":12,"epoch":"ab","id":3}"#
        )
        #expect(request.resume == SeedRequest.Resume(epoch: "ab", seq: 12))
        #expect(request.id == .integer(3))
    }

    @Test(
        "malformed seed requests get a code and a message that says what is accepted",
        arguments: [
            ("[]", ClientError.Code.badJSON, "not a JSON object"),
            (#"{"type":"watch"}"#, .unknownType, "unknown type \"watch\""),
            (#"{"type":5}"#, .badRequest, "\"type\" must be a string, not an integer"),
            (#"{"type":"subscribe","exchange":"binance","symbol":"BTCUSDT"}"#, .badRequest, "needs \"stream\""),
            (
                #"{"type":"subscribe","stream":"quotes","exchange":"binance","symbol":"BTCUSDT"}"#, .badStream,
                "ticker, kline, orderbook, trade"
            ),
            (#"{"type":"subscribe","stream":"ticker","symbol":"BTCUSDT"}"#, .badRequest, "needs \"exchange\""),
            (
                #"{"type":"subscribe","stream":"ticker","exchange":"bin ance","symbol":"BTCUSDT"}"#, .badExchange,
                "bin ance"
            ),
            (#"{"type":"subscribe","stream":"ticker","exchange":"binance"}"#, .badRequest, "needs \"symbol\""),
            (
                #"{"type":"subscribe","stream":"ticker","exchange":"binance","symbol":["BTCUSDT"]}"#, .badRequest,
                "\"symbol\" must be a string, not an array or an object"
            ),
            (
                #"{"type":"subscribe","stream":"ticker","exchange":"bybit","symbol":"BTCUSDT","market":"futures"}"#,
                .badMarket, "spot, linear, inverse"
            ),
            (
                #"{"type":"subscribe","stream":"kline","exchange":"binance","symbol":"BTCUSDT","interval":"2m"}"#,
                .badInterval, "unknown interval \"2m\""
            ),
            (
                #"{"type":"subscribe","stream":"ticker","exchange":"binance","symbol":"BTCUSDT","interval":"1m"}"#,
                .badInterval, "only the kline stream"
            ),
            (
                #"{"type":"subscribe","stream":"trade","exchange":"binance","symbol":"BTCUSDT","resume_from":4}"#,
                .badResume, "needs \"epoch\""
            ),
            (
                #"{"type":"subscribe","stream":"trade","exchange":"binance","symbol":"BTCUSDT","epoch":"x"}"#,
                .badResume, "needs \"resume_from\""
            ),
            (
                #"{"type":"subscribe","stream":"trade","exchange":"binance","symbol":"BTCUSDT","resume_from":-1,"epoch":"x"}"#,
                .badResume, "not a negative integer"
            ),
            (
                #"{"type":"unsubscribe","stream":"trade","exchange":"binance","symbol":"BTCUSDT","resume_from":1,"epoch":"x"}"#,
                .badResume, "only subscribe"
            ),
        ])
    func invalid(text: String, code: ClientError.Code, fragment: String) {
        do {
            _ = try Self.parse(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.code == code, "\(text)")
            #expect(error.message.contains(fragment), "\(error.message)")
        }
    }
}
