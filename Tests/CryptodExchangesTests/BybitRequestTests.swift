import CryptodExchanges
import CryptodModel
import Testing

/// What the Bybit adapter asks for: REST requests, the signed key check, stream subscriptions.
@Suite("Bybit requests")
struct BybitRequestTests {
    let api = BybitTest.api

    @Test func identity() {
        #expect(api.exchange == .bybit)
        #expect(api.marketTypes == [.spot, .linear])
        #expect(api.bookRule == .streamSnapshotThenDeltas)
        #expect(api.supportsTradesFromID == false)
        #expect(api.maxCandlesPerRequest == 1000)
        #expect(api.maxTradesPerRequest == 1000)
        #expect(api.maxTradesPerRequest(type: .spot) == 60)
        #expect(api.supports(.h1))
        #expect(!api.supports(.h8))
    }

    @Test func streamBookDepths() {
        let mapped = [0, 1, 2, 5, 20, 50, 51, 100, 200, 201, 500, 1000, 5000].map(api.streamBookDepth(forConfigured:))
        #expect(mapped == [50, 1, 50, 50, 50, 50, 200, 200, 200, 1000, 1000, 1000, 1000])
    }

    @Test func restRequests() {
        let spot = BybitTest.market("BTCUSDT", .spot)
        let linear = BybitTest.market("BTCUSDT", .linear)
        #expect(api.serverTimeRequest().description == "GET /v5/market/time")
        #expect(
            api.instrumentsRequests(type: .spot).map(\.description) == ["GET /v5/market/instruments-info?category=spot"]
        )
        #expect(
            api.instrumentsRequests(type: .linear).map(\.description)
                == ["GET /v5/market/instruments-info?category=linear&limit=1000"])
        #expect(api.bookSnapshotRequest(market: spot, depth: 200) == nil)
        #expect(
            api.auditSnapshotRequest(market: spot, depth: 200).description
                == "GET /v5/market/orderbook?category=spot&symbol=BTCUSDT&limit=200")
        #expect(
            api.auditSnapshotRequest(market: linear, depth: 5000).description
                == "GET /v5/market/orderbook?category=linear&symbol=BTCUSDT&limit=1000")
        let start = Timestamp(milliseconds: 1_700_000_000_000)
        let end = Timestamp(milliseconds: 1_700_003_600_000)
        #expect(
            api.candlesRequest(market: linear, interval: .h1, start: start, end: end, limit: 5000).description
                == "GET /v5/market/kline?category=linear&symbol=BTCUSDT&interval=60"
                + "&start=1700000000000&end=1700003600000&limit=1000"
        )
        #expect(
            api.candlesRequest(market: spot, interval: .d1, start: nil, end: nil, limit: 10).description
                == "GET /v5/market/kline?category=spot&symbol=BTCUSDT&interval=D&limit=10")
        #expect(
            api.tradesRequest(market: spot, fromID: "123", limit: 1000).description
                == "GET /v5/market/recent-trade?category=spot&symbol=BTCUSDT&limit=60")
        #expect(
            api.tradesRequest(market: linear, fromID: nil, limit: 5000).description
                == "GET /v5/market/recent-trade?category=linear&symbol=BTCUSDT&limit=1000")
    }

    @Test func oneTickersRequestPerCategory() {
        let markets = [
            BybitTest.market("ETHUSDT", .linear), BybitTest.market("BTCUSDT", .spot),
            BybitTest.market("ETHUSDT", .spot), BybitTest.market("ETHUSDT", .linear),
        ]
        #expect(
            api.tickersRequests(markets: markets).map(\.description) == [
                "GET /v5/market/tickers?category=spot", "GET /v5/market/tickers?category=linear&symbol=ETHUSDT",
            ])
        #expect(api.tickersRequests(markets: []).isEmpty)
    }

    @Test func keyCheckIsSignedOverTimestampKeyAndRecvWindow() throws {
        // A stand-in signer that returns what it was given, so the signed text can be read back.
        let signer = HMACSigner { algorithm, key, message in
            Array((algorithm == .sha256 ? "sha256|" : "other|").utf8) + key + Array("|".utf8) + message
        }
        let credentials = APICredentials(key: "KEY123", secret: "SECRET456")
        let request = api.verifyKeyRequest(
            credentials: credentials, now: Timestamp(milliseconds: 1_658_384_314_791), sign: signer)
        #expect(request.description == "GET /v5/user/query-api")
        #expect(request.method == .get)
        #expect(request.body == nil)
        let headers = Dictionary(uniqueKeysWithValues: request.headers.map { ($0.name, $0) })
        #expect(headers["X-BAPI-API-KEY"]?.value == "KEY123")
        #expect(headers["X-BAPI-API-KEY"]?.isSecret == true)
        #expect(headers["X-BAPI-TIMESTAMP"]?.value == "1658384314791")
        #expect(headers["X-BAPI-TIMESTAMP"]?.isSecret == false)
        #expect(headers["X-BAPI-RECV-WINDOW"]?.value == "5000")
        let sign = try #require(headers["X-BAPI-SIGN"])
        #expect(sign.isSecret)
        #expect(Self.unhex(sign.value) == "sha256|SECRET456|1658384314791KEY1235000")
        #expect(sign.value == sign.value.lowercased())
        // The documentation's string-to-sign shape for a GET with a query.
        #expect(
            BybitAPI.signaturePayload(
                timestamp: "1658384314791", apiKey: "XXXXXXXXXX", recvWindow: 5000,
                query: "category=option&symbol=BTC-29JUL22-25000-C")
                == "1658384314791XXXXXXXXXX5000category=option&symbol=BTC-29JUL22-25000-C")
        #expect(!String(describing: request).contains("SECRET"))
    }

    @Test func webSocketBasics() {
        #expect(api.webSocketPath(type: .spot) == "/v5/public/spot")
        #expect(api.webSocketPath(type: .linear) == "/v5/public/linear")
        #expect(api.clientPing == ClientPing(message: #"{"op":"ping"}"#, interval: .seconds(20)))
    }

    @Test func subscribeMessagesMatchTheDocumentedShape() throws {
        let subscriptions = [
            StreamSubscription(market: BybitTest.market("BTCUSDT"), channel: .book, depth: 1),
            StreamSubscription(market: BybitTest.market("BTCUSDT"), channel: .trades),
            StreamSubscription(market: BybitTest.market("ETHUSDT"), channel: .book, depth: 1),
        ]
        var nextID: UInt64 = 7
        let messages = api.subscribeMessages(subscriptions, all: subscriptions, nextID: &nextID)
        #expect(nextID == 8)
        #expect(
            messages == [
                #"{"req_id":"7","op":"subscribe","args":["orderbook.1.BTCUSDT","publicTrade.BTCUSDT","#
                    + #""orderbook.1.ETHUSDT"]}"#
            ])
        // Same members as the documentation's request, apart from the id.
        let documented = String(decoding: BybitTest.fixture("ws_subscribe_request"), as: UTF8.self)
            .filter { !$0.isWhitespace }
        #expect(documented.replacing(#""req_id":"test""#, with: #""req_id":"7""#) == messages[0])
        let removed = api.unsubscribeMessages(Array(subscriptions.prefix(1)), remaining: [], nextID: &nextID)
        #expect(removed == [#"{"req_id":"8","op":"unsubscribe","args":["orderbook.1.BTCUSDT"]}"#])
    }

    @Test func topicsForEveryChannel() {
        let market = BybitTest.market("BTCUSDT", .linear)
        let topics = [
            StreamSubscription(market: market, channel: .ticker),
            StreamSubscription(market: market, channel: .trades),
            StreamSubscription(market: market, channel: .candles(.h4)),
            StreamSubscription(market: market, channel: .candles(.month1)),
            StreamSubscription(market: market, channel: .book, depth: 200),
            StreamSubscription(market: market, channel: .book, depth: 100),
        ].map { BybitTopic($0).description }
        #expect(
            topics == [
                "tickers.BTCUSDT", "publicTrade.BTCUSDT", "kline.240.BTCUSDT", "kline.M.BTCUSDT",
                "orderbook.200.BTCUSDT", "orderbook.200.BTCUSDT",
            ])
        #expect(BybitTopic("kline.D.ETHUSDT") == .kline(interval: .d1, symbol: "ETHUSDT"))
        #expect(BybitTopic("orderbook.x.ETHUSDT") == nil)
        #expect(BybitTopic("tickers.") == nil)
    }

    @Test func spotSendsAtMostTenArgsPerRequest() throws {
        let spot = (0..<23).map {
            StreamSubscription(market: BybitTest.market("S\($0)USDT"), channel: .trades)
        }
        var nextID: UInt64 = 1
        let messages = api.subscribeMessages(spot, all: spot, nextID: &nextID)
        #expect(messages.count == 3)
        #expect(nextID == 4)
        #expect(messages.map { $0.split(separator: ",").count - 2 } == [10, 10, 3])
        #expect(messages[2].hasPrefix(#"{"req_id":"3","op":"subscribe","args":["publicTrade.S20USDT""#))
        let linear = (0..<23).map {
            StreamSubscription(market: BybitTest.market("S\($0)USDT", .linear), channel: .trades)
        }
        #expect(api.subscribeMessages(linear, all: linear, nextID: &nextID).count == 1)
    }

    @Test func connectionSharing() {
        let spotBTC = StreamSubscription(market: BybitTest.market("BTCUSDT", .spot), channel: .trades)
        let linearBTC = StreamSubscription(market: BybitTest.market("BTCUSDT", .linear), channel: .trades)
        #expect(api.canShareConnection(spotBTC, with: []))
        #expect(!api.canShareConnection(linearBTC, with: [spotBTC]))  // one category per connection
        // 21,000 characters of args per connection: 499 topics of 40 characters use 19,960.
        func trades(_ symbol: String) -> StreamSubscription {
            StreamSubscription(market: BybitTest.market(symbol, .linear), channel: .trades)
        }
        let long = (0..<525).map { trades(String(repeating: "A", count: 24) + String(1000 + $0)) }
        #expect(long.allSatisfy { BybitTopic($0).description.utf8.count == 40 })
        let existing = Array(long.prefix(499))
        // Results are bound first so a failure does not print 500 subscriptions.
        let fitsCount = api.canShareConnection(long[499], with: existing)
        let overCount = api.canShareConnection(long[500], with: Array(long.prefix(500)))  // the topic-count bound
        let prefix = "publicTrade.".utf8.count
        let fitsCharacters = api.canShareConnection(
            trades(String(repeating: "B", count: 1_040 - prefix)), with: existing)
        let overCharacters = api.canShareConnection(
            trades(String(repeating: "B", count: 1_041 - prefix)), with: existing)
        #expect(fitsCount)
        #expect(!overCount)
        #expect(fitsCharacters)  // 19,960 + 1,040 = 21,000 exactly
        #expect(!overCharacters)
    }

    @Test func percentConversionIsExact() {
        let cases: [(String, String)] = [
            ("0.0068", "0.68"), ("-0.158315", "-15.8315"), ("0.0196", "1.96"), ("0.5", "50"), ("1", "100"),
            ("-2", "-200"), ("0", "0"), ("0.00", "0"), ("0.000001", "0.0001"), ("0.10", "10"), ("12.345", "1234.5"),
        ]
        for (fraction, percent) in cases {
            #expect(ExactDecimal(fraction)?.fractionToPercent()?.description == percent, "\(fraction)")
        }
        let huge = ExactDecimal(String(repeating: "9", count: 37))
        #expect(huge != nil)
        #expect(huge?.fractionToPercent() == nil)  // 39 digits do not fit
    }

    static func unhex(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = text.utf8.makeIterator()
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : c - 87 }
        while let high = iterator.next(), let low = iterator.next() { bytes.append(nibble(high) << 4 | nibble(low)) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
