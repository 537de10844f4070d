import CryptodExchanges
import CryptodModel
import Testing

@Suite("WhiteBIT subscriptions")
struct WhiteBITSubscriptionTests {
    let api = WhiteBITTest.api

    private func sub(_ symbol: String, _ channel: StreamChannel, depth: Int = 0) -> StreamSubscription {
        StreamSubscription(market: WhiteBITTest.market(symbol), channel: channel, depth: depth)
    }

    @Test func basics() {
        #expect(api.exchange == .whitebit)
        #expect(api.marketTypes == [.spot])
        #expect(api.webSocketPath(type: .spot) == "/ws")
        #expect(api.clientPing == ClientPing(message: #"{"id":0,"method":"ping","params":[]}"#, interval: .seconds(50)))
        #expect(api.maxClientMessagesPerSecond * 60 <= 200)
        #expect(api.bookRule == .streamSnapshotThenIncremental(depth: 100))
        #expect(WhiteBITAPI(bookDepth: 25).bookRule == .streamSnapshotThenIncremental(depth: 30))
    }

    @Test(arguments: [
        (1, 1), (2, 5), (5, 5), (6, 10), (11, 20), (21, 30), (31, 50), (50, 50), (51, 100), (100, 100),
        (101, 100), (5000, 100), (0, 100),
    ])
    func depthMapsToTheSmallestStreamLimitThatCoversIt(configured: Int, stream: Int) {
        #expect(api.streamBookDepth(forConfigured: configured) == stream)
    }

    @Test func tickerAndTradesSubscribeTheFullList() {
        var id: UInt64 = 0
        let btc = sub("BTC_USDT", .ticker)
        #expect(
            api.subscribeMessages([btc], all: [btc], nextID: &id)
                == [#"{"id":1,"method":"market_subscribe","params":["BTC_USDT"]}"#])
        // Adding a market re-sends the whole list: a new market_subscribe replaces the old one.
        let eth = sub("ETH_BTC", .ticker)
        #expect(
            api.subscribeMessages([eth], all: [eth, btc], nextID: &id)
                == [#"{"id":2,"method":"market_subscribe","params":["BTC_USDT","ETH_BTC"]}"#])
        let trades = [sub("ETH_BTC", .trades), sub("BTC_USDT", .trades)]
        #expect(
            api.subscribeMessages(trades, all: [btc, eth] + trades, nextID: &id)
                == [#"{"id":3,"method":"trades_subscribe","params":["BTC_USDT","ETH_BTC"]}"#])
        #expect(id == 4)
    }

    @Test func oneCallCoversEveryChannelInOrder() {
        var id: UInt64 = 10
        let all = [
            sub("BTC_USDT", .book, depth: 25), sub("BTC_USDT", .candles(.m15)), sub("BTC_USDT", .trades),
            sub("ETH_BTC", .book, depth: 100), sub("BTC_USDT", .ticker),
        ]
        #expect(
            api.subscribeMessages(all, all: all, nextID: &id) == [
                #"{"id":10,"method":"market_subscribe","params":["BTC_USDT"]}"#,
                #"{"id":11,"method":"trades_subscribe","params":["BTC_USDT"]}"#,
                #"{"id":12,"method":"candles_subscribe","params":["BTC_USDT",900]}"#,
                #"{"id":13,"method":"depth_subscribe","params":["BTC_USDT",30,"0",true]}"#,
                #"{"id":14,"method":"depth_subscribe","params":["ETH_BTC",100,"0",true]}"#,
            ])
    }

    @Test func monthCandlesAreThirtyDaysOfSeconds() {
        var id: UInt64 = 1
        let month = sub("BTC_USDT", .candles(.month1))
        #expect(
            api.subscribeMessages([month], all: [month], nextID: &id)
                == [#"{"id":1,"method":"candles_subscribe","params":["BTC_USDT",2592000]}"#])
    }

    @Test func removingOneMarketKeepsTheOthers() {
        var id: UInt64 = 20
        let remaining = [sub("ETH_BTC", .ticker), sub("XRP_USDT", .ticker), sub("ETH_BTC", .trades)]
        #expect(
            api.unsubscribeMessages([sub("BTC_USDT", .ticker)], remaining: remaining, nextID: &id)
                == [#"{"id":20,"method":"market_subscribe","params":["ETH_BTC","XRP_USDT"]}"#])
        #expect(
            api.unsubscribeMessages([sub("BTC_USDT", .trades)], remaining: remaining, nextID: &id)
                == [#"{"id":21,"method":"trades_subscribe","params":["ETH_BTC"]}"#])
        // The last one of a type: unsubscribe the type.
        #expect(
            api.unsubscribeMessages([sub("ETH_BTC", .trades)], remaining: [sub("ETH_BTC", .ticker)], nextID: &id)
                == [#"{"id":22,"method":"trades_unsubscribe","params":[]}"#])
        #expect(
            api.unsubscribeMessages([sub("ETH_BTC", .ticker)], remaining: [], nextID: &id)
                == [#"{"id":23,"method":"market_unsubscribe","params":[]}"#])
    }

    @Test func removingOneBookReAddsTheOthers() {
        var id: UInt64 = 30
        let remaining = [sub("ETH_BTC", .book, depth: 5), sub("ADA_USDT", .book, depth: 100), sub("ETH_BTC", .ticker)]
        #expect(
            api.unsubscribeMessages([sub("BTC_USDT", .book, depth: 100)], remaining: remaining, nextID: &id) == [
                #"{"id":30,"method":"depth_unsubscribe","params":[]}"#,
                #"{"id":31,"method":"depth_subscribe","params":["ADA_USDT",100,"0",true]}"#,
                #"{"id":32,"method":"depth_subscribe","params":["ETH_BTC",5,"0",true]}"#,
            ])
        #expect(
            api.unsubscribeMessages([sub("ETH_BTC", .book, depth: 5)], remaining: [], nextID: &id)
                == [#"{"id":33,"method":"depth_unsubscribe","params":[]}"#])
    }

    @Test func candleConnectionRule() {
        let candles = sub("BTC_USDT", .candles(.m1))
        let existing = [candles, sub("BTC_USDT", .ticker)]
        #expect(!api.canShareConnection(sub("BTC_USDT", .candles(.h1)), with: existing))
        #expect(!api.canShareConnection(sub("ETH_BTC", .candles(.m1)), with: existing))
        #expect(api.canShareConnection(candles, with: existing))
        #expect(api.canShareConnection(sub("ETH_BTC", .candles(.m1)), with: [sub("BTC_USDT", .ticker)]))
        #expect(api.canShareConnection(sub("ETH_BTC", .book, depth: 100), with: existing))
        let full = (0..<api.maxSubscriptionsPerConnection).map { sub("C\($0)_USDT", .trades) }
        #expect(!api.canShareConnection(sub("BTC_USDT", .trades), with: full))
        var id: UInt64 = 40
        #expect(
            api.unsubscribeMessages([candles], remaining: [sub("BTC_USDT", .ticker)], nextID: &id)
                == [#"{"id":40,"method":"candles_unsubscribe","params":[]}"#])
    }
}
