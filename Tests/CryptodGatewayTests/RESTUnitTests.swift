import CryptodModel
import Testing

@testable import CryptodGateway

@Suite("REST pieces: time parameters, ohlcv cursors, symbol decoding")
struct RESTUnitTests {
    @Test(
        "times: RFC 3339 with offsets and fractions, dates, milliseconds; impossible dates refused",
        arguments: [
            ("2026-07-01T10:00:00Z", Int64(1_782_900_000) * 1_000_000_000),
            ("2026-07-01T12:00:00+02:00", Int64(1_782_900_000) * 1_000_000_000),
            ("2026-07-01t10:00:00.250z", Int64(1_782_900_000) * 1_000_000_000 + 250_000_000),
            ("2026-07-01 09:30:00.000000001-00:30", Int64(1_782_900_000) * 1_000_000_000 + 1),
            ("2026-07-01", Int64(1_782_864_000) * 1_000_000_000),
            ("1782900000000", Int64(1_782_900_000) * 1_000_000_000),
        ])
    func times(text: String, nanoseconds: Int64) {
        #expect(TimeText.parse(text) == Timestamp(nanoseconds: nanoseconds))
    }

    @Test(
        "bad times are refused",
        arguments: [
            "2026-02-30", "2026-13-01", "2026-07-01T24:00:00Z", "2026-07-01T10:00:00", "2026-07-01T10:00Z",
            "yesterday", "", "2026-07-01T10:00:00.Z", "2026-07-01T10:00:00.1234567890Z", "99999999999999999999",
        ])
    func badTimes(text: String) {
        #expect(TimeText.parse(text) == nil)
    }

    @Test("a cursor decodes to the query it was made from, and only for the same market and timeframe")
    func cursor() throws {
        let market = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
        for query in [
            CandleHistory.Query(
                market: market, interval: .m5, direction: .forward, start: Timestamp(seconds: 60),
                end: Timestamp(seconds: 6000), limit: 10),
            CandleHistory.Query(
                market: market, interval: .m5, direction: .backward, start: nil, end: Timestamp(seconds: 6000),
                limit: 10),
        ] {
            let text = OHLCVCursor.encode(query)
            #expect(try OHLCVCursor.decode(text, market: market, interval: .m5, limit: 10) == query)
            let spot = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")
            #expect(throws: GatewayHTTPError.self) {
                try OHLCVCursor.decode(text, market: spot, interval: .m5, limit: 10)
            }
            #expect(throws: GatewayHTTPError.self) {
                try OHLCVCursor.decode(text, market: market, interval: .m1, limit: 10)
            }
        }
    }

    @Test(
        "percent-decoding of path segments",
        arguments: [
            ("BTC%2FUSDT", "BTC/USDT"), ("btc%2fusdt", "btc/usdt"), ("BTCUSDT", "BTCUSDT"), ("A%2", "A%2"),
            ("%ZZ", "%ZZ"),
        ])
    func percentDecoding(text: String, decoded: String) {
        #expect(RouteInputs.percentDecoded(text) == decoded)
    }

    @Test("the route table: unique ids and paths per method; trailing symbols route as catch-alls")
    func table() {
        let routes = RouteTable().routes
        #expect(Set(routes.map(\.id)).count == routes.count)
        #expect(Set(RouteID.allCases) == Set(routes.map(\.id)), "every RouteID has a route")
        #expect(Set(routes.map { "\($0.method) \($0.path)" }).count == routes.count)
        let ticker = routes.first { $0.id == .ticker }
        #expect(ticker?.routerPath == "/api/v1/exchanges/{exchange}/ticker/**")
        #expect(ticker?.matches("/api/v1/exchanges/binance/ticker/BTC/USDT") == true)
        #expect(ticker?.matches("/api/v1/exchanges/binance/ticker") == false)
    }
}
