import CryptodFormats
import CryptodModel
import Testing

@Suite("market event JSON reader")
struct MarketEventJSONReaderTests {
    static let market = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
    static let linear = MarketKey(exchange: .bybit, type: .linear, symbol: "ETHUSDT")
    static let now = Timestamp(nanoseconds: 1_782_900_000_123_456_789)

    static var ticker: Ticker {
        var ticker = Ticker(
            market: market, time: Timestamp(milliseconds: 1_782_900_000_250),
            receivedAt: Timestamp(
                nanoseconds: 1_782_900_000_251_000_001), origin: .injected)
        ticker.last = "64000.10"
        ticker.lastQuantity = "0.00010000"
        ticker.bid = "64000.00"
        ticker.bidQuantity = "1.5"
        ticker.ask = "64000.20"
        ticker.askQuantity = "0.20000000"
        ticker.open = "63000"
        ticker.high = "65000.9"
        ticker.low = "62000.01"
        ticker.volume = "1234.56789000"
        ticker.changePercent = "-1.59"
        // quoteVolume stays nil: null round-trips too.
        return ticker
    }

    static let events: [(String, MarketEvent)] = [
        ("ticker with a null figure and exact scales", .ticker(ticker)),
        ("ticker with only its time", .ticker(Ticker(market: linear, time: .epoch, receivedAt: Timestamp(seconds: 5)))),
        (
            "trades of every side and origin, microsecond and nanosecond times",
            .trades([
                Trade(
                    market: market, id: "12345", price: "0.00010000", quantity: "100", side: .buy,
                    time: Timestamp(microseconds: 1_782_900_000_000_001), receivedAt: now, origin: .live),
                Trade(
                    market: market, id: "a-b-c", price: "64000.10", quantity: "0.5", side: .sell,
                    time: Timestamp(milliseconds: 1_782_900_000_002), receivedAt: now, origin: .gapFill),
                Trade(
                    market: market, id: "x", price: "-1.0", quantity: "1", side: .unknown, time: .epoch,
                    receivedAt: .epoch, origin: .injected),
            ])
        ),
        (
            "closed candle with trade count and quote volume",
            .candle(
                Candle(
                    market: linear, interval: .h1, openTime: Timestamp(seconds: 1_782_900_000), open: "1.10",
                    high: "1.20", low: "1.00", close: "1.15", volume: "1000.000", quoteVolume: "1150.5",
                    tradeCount: 42, isClosed: true, receivedAt: now, origin: .backfill))
        ),
        (
            "forming candle without the optional figures",
            .candle(
                Candle(
                    market: market, interval: .month1, openTime: Timestamp(seconds: 1_782_864_000), open: "1",
                    high: "1", low: "1", close: "1", volume: "0", isClosed: false, receivedAt: .epoch))
        ),
    ]

    @Test("what MarketEventJSON writes reads back as the same event", arguments: events)
    func roundTrip(_ name: String, _ event: MarketEvent) throws {
        let text = String(decoding: MarketEventJSON.encode(event), as: UTF8.self)
        let read = try MarketEventJSONReader.read(text, receivedAt: Self.now)
        #expect(read == event, "\(name): \(text)")
        // Equal decimals of another scale would compare equal; the text must be identical too.
        #expect(String(decoding: MarketEventJSON.encode(read), as: UTF8.self) == text)
    }

    @Test("decimals keep their exact digits and trailing zeros")
    func exactDecimals() throws {
        let text =
            #"{"type":"trades","exchange":"binance","symbol":"BTCUSDT","trades":[{"id":"1","price":"0.00010000","#
            + #""quantity":"12.50","time":"2026-07-01T10:00:00.250Z"}]}"#
        guard case .trades(let trades) = try MarketEventJSONReader.read(text, receivedAt: Self.now) else {
            Issue.record("not trades")
            return
        }
        #expect(trades[0].price.description == "0.00010000")
        #expect(trades[0].price.scale == 8)
        #expect(trades[0].quantity.description == "12.50")
        #expect(trades[0].market == Self.market, "market defaults to spot")
        #expect(trades[0].side == .unknown)
        #expect(trades[0].origin == .live)
        #expect(trades[0].receivedAt == Self.now, "received_at defaults to the caller's time")
        #expect(trades[0].time == Timestamp(milliseconds: 1_782_900_000_250))
    }

    @Test("a JSONL line of the writer reads back, its delivery fields ignored")
    func writerLine() throws {
        var json = JSONWriter()
        MarketEventJSON.write(.ticker(Self.ticker), into: &json) { json in
            json.field("stream", "ingestor-binance>writer")
            json.field("epoch", UInt64(3))
            json.field("seq", UInt64(17))
            json.field("more", true)
        }
        #expect(try MarketEventJSONReader.read(json.string, receivedAt: .epoch) == .ticker(Self.ticker))
    }

    static let refusals: [(String, String, String)] = [
        ("not JSON", "{", "not JSON at byte"),
        ("not an object", "[1]", "an event is a JSON object"),
        ("no type", #"{"exchange":"binance","symbol":"BTCUSDT"}"#, #""type": is required"#),
        (
            "book type", #"{"type":"book_delta","exchange":"binance","symbol":"X"}"#,
            #""type": "book_delta" is not read"#
        ),
        ("unknown key", #"{"type":"ticker","exchange":"binance","symbol":"X","lst":"1"}"#, #""lst": unknown field"#),
        ("bad exchange", #"{"type":"ticker","exchange":"Bin ance","symbol":"X"}"#, #""exchange": "Bin ance" is not"#),
        (
            "bad market", #"{"type":"ticker","exchange":"binance","market":"futures","symbol":"X"}"#,
            #""market": must be"#
        ),
        ("empty symbol", #"{"type":"ticker","exchange":"binance","symbol":""}"#, #""symbol": must be"#),
        (
            "number price", #"{"type":"ticker","exchange":"binance","symbol":"X","last":0.1}"#,
            #""last": must be a string with the exact digits"#
        ),
        (
            "bad decimal", #"{"type":"ticker","exchange":"binance","symbol":"X","bid":"1e5"}"#,
            #""bid": "1e5" is not a plain decimal"#
        ),
        (
            "bad time", #"{"type":"ticker","exchange":"binance","symbol":"X","time":"2026-02-31T00:00:00Z"}"#,
            #""time": "2026-02-31T00:00:00Z" is not an RFC 3339"#
        ),
        (
            "time as number", #"{"type":"ticker","exchange":"binance","symbol":"X","time":1782900000000}"#,
            #""time": must be an RFC 3339 time in a string"#
        ),
        (
            "bad origin", #"{"type":"ticker","exchange":"binance","symbol":"X","origin":"fake"}"#,
            #""origin": must be one of"#
        ),
        (
            "no trades", #"{"type":"trades","exchange":"binance","symbol":"X","trades":[]}"#,
            #""trades": must hold at least one"#
        ),
        (
            "trade without price",
            #"{"type":"trades","exchange":"binance","symbol":"X","trades":[{"id":"1","quantity":"1"}]}"#,
            #""trades[0].price": is required"#
        ),
        (
            "trade bad side",
            #"{"type":"trades","exchange":"binance","symbol":"X","trades":[{"id":"1","price":"1","quantity":"1","side":"long"}]}"#,
            #""trades[0].side": must be buy, sell or unknown"#
        ),
        (
            "trade unknown key",
            #"{"type":"trades","exchange":"binance","symbol":"X","trades":[{"id":"1","price":"1","quantity":"1","qty":"1"}]}"#,
            #""trades[0].qty": unknown field"#
        ),
        (
            "candle bad interval", #"{"type":"candle","exchange":"binance","symbol":"X","interval":"7m"}"#,
            #""interval": "7m" is not an interval"#
        ),
        (
            "candle without closed", #"{"type":"candle","exchange":"binance","symbol":"X","interval":"1m"}"#,
            #""closed": is required"#
        ),
        (
            "candle without close",
            #"{"type":"candle","exchange":"binance","symbol":"X","interval":"1m","closed":true,"open_time":"2026-07-01T10:00:00Z","open":"1","high":"1","low":"1","volume":"1"}"#,
            #""close": is required"#
        ),
        (
            "candle negative count",
            #"{"type":"candle","exchange":"binance","symbol":"X","interval":"1m","closed":true,"open_time":"2026-07-01T10:00:00Z","open":"1","high":"1","low":"1","close":"1","volume":"1","trade_count":-1}"#,
            #""trade_count": must be a whole number"#
        ),
        ("duplicate key", #"{"type":"ticker","type":"ticker"}"#, "appears twice"),
    ]

    @Test("bad inputs are refused with a message naming the field", arguments: refusals)
    func refused(_ name: String, _ text: String, _ expected: String) {
        do {
            let event = try MarketEventJSONReader.read(text, receivedAt: .epoch)
            Issue.record("\(name): read as \(event)")
        } catch {
            #expect(error.description.contains(expected), "\(name): \(error.description)")
        }
    }

    static let times: [(String, Int64?)] = [
        ("2026-07-01T10:00:00Z", 1_782_900_000_000_000_000),
        ("2026-07-01T10:00:00.250Z", 1_782_900_000_250_000_000),
        ("2026-07-01T10:00:00.123456789Z", 1_782_900_000_123_456_789),
        ("2026-07-01t12:00:00.5+02:00", 1_782_900_000_500_000_000),
        ("2026-07-01T09:30:00-00:30", 1_782_900_000_000_000_000),
        ("1969-12-31T23:59:59.999Z", -1_000_000),
        ("2026-07-01T10:00:00", nil),
        ("2026-07-01T10:00:00.Z", nil),
        ("2026-07-01T10:00:00.1234567891Z", nil),
        ("2026-07-01 10:00:00Z", nil),
        ("2026-13-01T10:00:00Z", nil),
        ("2026-07-01T24:00:00Z", nil),
        ("9999-07-01T10:00:00Z", nil),
        ("1782900000000", nil),
    ]

    @Test("times are RFC 3339, exact to the nanosecond", arguments: times)
    func time(_ text: String, _ nanoseconds: Int64?) {
        #expect(MarketEventJSONReader.time(text)?.nanoseconds == nanoseconds, "\(text)")
    }

    static let documents: [(String, JSONReader.Value?)] = [
        (
            #" {"a":[1,-2.5e+3,true,false,null],"b":"\u00e9\ud83d\ude00\n"} "#,
            .object([
                JSONReader.Member("a", .array([.number("1"), .number("-2.5e+3"), .bool(true), .bool(false), .null])),
                JSONReader.Member("b", .string("é😀\n")),
            ])
        ),
        ("0.00010000", .number("0.00010000")),
        ("01", nil),
        ("1.", nil),
        (#""\ud800""#, nil),
        ("[1,]", nil),
        (#"{"a":1}x"#, nil),
        ("\"a\nb\"", nil),
        (String(repeating: "[", count: 65) + String(repeating: "]", count: 65), nil),
        (String(repeating: "[", count: 64) + String(repeating: "]", count: 64), nested(64)),
    ]

    /// `depth` arrays, each holding the next.
    static func nested(_ depth: Int) -> JSONReader.Value {
        (1..<depth).reduce(JSONReader.Value.array([])) { inner, _ in .array([inner]) }
    }

    @Test("the JSON reader follows RFC 8259 and keeps numbers as text", arguments: documents)
    func json(_ text: String, _ expected: JSONReader.Value?) {
        let value = try? JSONReader.parse(text)
        #expect(value == expected, "\(text.prefix(40))")
        if let value { #expect((try? JSONReader.parse(value.serialized)) == value, "serialized reads back") }
    }
}
