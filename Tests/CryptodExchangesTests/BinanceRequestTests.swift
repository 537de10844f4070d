import CryptodExchanges
import CryptodModel
import Foundation
import Testing

@Suite("Binance requests and subscriptions")
struct BinanceRequestTests {
    typealias T = BinanceTest

    @Test("adapter facts")
    func facts() {
        #expect(T.api.exchange == .binance)
        #expect(T.api.marketTypes == [.spot])
        #expect(T.api.bookRule == .restSnapshotThenDiffs)
        #expect(T.api.supportsTradesFromID)
        #expect(T.api.maxCandlesPerRequest == 1000 && T.api.maxTradesPerRequest == 1000)
        #expect(T.api.maxSubscriptionsPerConnection == 1024 && T.api.maxClientMessagesPerSecond == 5)
        #expect(T.api.clientPing == nil)
        #expect(T.api.webSocketPath(type: .spot) == "/stream")
        #expect(T.api.streamBookDepth(forConfigured: 20) == 5000)
    }

    @Test("time, exchangeInfo")
    func simple() {
        #expect(T.api.serverTimeRequest().description == "GET /api/v3/time")
        #expect(T.api.serverTimeRequest().weight == 1)
        let info = T.api.instrumentsRequests(type: .spot)
        #expect(info.map(\.description) == ["GET /api/v3/exchangeInfo"])
        #expect(info.first?.weight == 20)
    }

    @Test("depth: limit clamped to 1…5000, weight 5/25/50/250")
    func depth() throws {
        let cases: [(Int, String, Int)] = [
            (0, "1", 5), (5, "5", 5), (100, "100", 5), (101, "101", 25), (500, "500", 25), (1000, "1000", 50),
            (1001, "1001", 250), (5000, "5000", 250), (9000, "5000", 250),
        ]
        for (depth, limit, weight) in cases {
            let request = try #require(T.api.bookSnapshotRequest(market: T.market("BTCUSDT"), depth: depth))
            #expect(request.description == "GET /api/v3/depth?symbol=BTCUSDT&limit=\(limit)")
            #expect(request.weight == weight, "depth \(depth)")
        }
    }

    @Test("klines: interval names, ms times, limit ≤ 1000, weight 2")
    func klines() {
        let request = T.api.candlesRequest(
            market: T.market("BTCUSDT"), interval: .month1, start: Timestamp(milliseconds: 1_499_040_000_000),
            end: Timestamp(milliseconds: 1_499_644_799_999), limit: 5000
        )
        #expect(
            request.description
                == "GET /api/v3/klines?symbol=BTCUSDT&interval=1M&startTime=1499040000000&endTime=1499644799999&limit=1000"
        )
        #expect(request.weight == 2)
        let plain = T.api.candlesRequest(market: T.market("ETHBTC"), interval: .m1, start: nil, end: nil, limit: 10)
        #expect(plain.description == "GET /api/v3/klines?symbol=ETHBTC&interval=1m&limit=10")
    }

    @Test("trades: recent or historicalTrades?fromId, weight 25")
    func trades() {
        let recent = T.api.tradesRequest(market: T.market("BTCUSDT"), fromID: nil, limit: 2000)
        #expect(recent.description == "GET /api/v3/trades?symbol=BTCUSDT&limit=1000")
        #expect(recent.weight == 25)
        let paged = T.api.tradesRequest(market: T.market("BTCUSDT"), fromID: "28457", limit: 500)
        #expect(paged.description == "GET /api/v3/historicalTrades?symbol=BTCUSDT&limit=500&fromId=28457")
        #expect(paged.weight == 25)
    }

    @Test("tickers: symbol= for one, symbols=[…] percent-encoded in chunks of 100, weight 2/40")
    func tickers() {
        let one = T.api.tickersRequests(markets: [T.market("BTCUSDT")])
        #expect(one.map(\.description) == ["GET /api/v3/ticker/24hr?symbol=BTCUSDT"])
        #expect(one.first?.weight == 2)
        let two = T.api.tickersRequests(markets: [T.market("BTCUSDT"), T.market("ETHUSDT"), T.market("BTCUSDT")])
        #expect(two.map(\.description) == [#"GET /api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22%2C%22ETHUSDT%22%5D"#])
        #expect(two.first?.query.first?.value == #"["BTCUSDT","ETHUSDT"]"#)
        #expect(two.first?.weight == 2)
        let many = (0..<230).map { T.market("S\($0)USDT") }
        let chunks = T.api.tickersRequests(markets: many + [MarketKey(exchange: .bybit, symbol: "X")])
        #expect(chunks.count == 3)
        #expect(chunks.map(\.weight) == [40, 40, 40])
        let last = T.api.tickersRequests(markets: Array(many.prefix(21)))
        #expect(last.map(\.weight) == [40])
        #expect(T.api.tickersRequests(markets: Array(many.prefix(20))).map(\.weight) == [2])
        #expect(T.api.tickersRequests(markets: []).isEmpty)
    }

    @Test("signing reproduces binance.md §2.6's documented vector")
    func signatureVector() {
        let payload =
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        let secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
        #expect(
            T.signer.hex(.sha256, key: secret, message: payload)
                == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71")
    }

    @Test("account request: timestamp, recvWindow, signature of that query, secret API-key header")
    func account() {
        let credentials = APICredentials(
            key: "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            secret: "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
        let request = T.api.verifyKeyRequest(
            credentials: credentials, now: Timestamp(milliseconds: 1_499_827_319_559), sign: T.signer)
        #expect(request.method == .get)
        #expect(request.path == "/api/v3/account")
        #expect(request.weight == 20)
        let expected = T.signer.hex(
            .sha256, key: credentials.secret, message: "timestamp=1499827319559&recvWindow=5000")
        #expect(request.encodedQuery == "timestamp=1499827319559&recvWindow=5000&signature=\(expected)")
        #expect(request.headers == [RESTRequest.Header("X-MBX-APIKEY", credentials.key, isSecret: true)])
        #expect(!request.description.contains(credentials.secret))
    }

    @Test("stream names and SUBSCRIBE/UNSUBSCRIBE messages")
    func subscriptions() {
        let btc = T.market("BTCUSDT")
        let subs = [
            StreamSubscription(market: btc, channel: .ticker), StreamSubscription(market: btc, channel: .trades),
            StreamSubscription(market: btc, channel: .candles(.m1)), StreamSubscription(market: btc, channel: .book),
            StreamSubscription(market: btc, channel: .candles(.month1)),
        ]
        #expect(
            subs.map(BinanceAPI.streamName) == [
                "btcusdt@ticker", "btcusdt@trade", "btcusdt@kline_1m", "btcusdt@depth@100ms", "btcusdt@kline_1M",
            ])
        var id: UInt64 = 7
        let messages = T.api.subscribeMessages(subs, all: subs, nextID: &id)
        #expect(
            messages == [
                #"{"method":"SUBSCRIBE","params":["btcusdt@ticker","btcusdt@trade","btcusdt@kline_1m","btcusdt@depth@100ms","btcusdt@kline_1M"],"id":7}"#
            ])
        #expect(id == 8)
        let gone = T.api.unsubscribeMessages([subs[1]], remaining: [subs[0]], nextID: &id)
        #expect(gone == [#"{"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":8}"#])
        #expect(id == 9)
        #expect(T.api.subscribeMessages([], all: subs, nextID: &id).isEmpty && id == 9)
    }

    @Test("a full connection's subscriptions pack into few messages under the size cap")
    func packing() {
        let subs = (0..<1024).map { StreamSubscription(market: T.market("LONGSYMBOLNAME\($0)USDT"), channel: .book) }
        var id: UInt64 = 1
        let messages = T.api.subscribeMessages(subs, all: subs, nextID: &id)
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.utf8.count <= BinanceAPI.maxControlMessageBytes })
        #expect(messages.map { $0.components(separatedBy: "@depth@100ms").count - 1 }.reduce(0, +) == 1024)
        #expect(id == 3)
        let short = (0..<1024).map { StreamSubscription(market: T.market("S\($0)USDT"), channel: .trades) }
        #expect(T.api.subscribeMessages(short, all: short, nextID: &id).count == 1)
        #expect(T.api.canShareConnection(subs[0], with: Array(subs.prefix(1023))))
        #expect(!T.api.canShareConnection(subs[0], with: subs))
    }
}
