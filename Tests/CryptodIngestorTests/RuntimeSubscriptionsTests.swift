import CryptodExchanges
import CryptodModel
import Foundation
import Testing

@testable import CryptodIngestor

@Suite("runtime subscriptions")
struct RuntimeSubscriptionsTests {
    let btc = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
    let eth = MarketKey(exchange: .bybit, type: .spot, symbol: "ETHUSDT")

    func path() -> String { NSTemporaryDirectory() + "cryptod-subs-\(UUID().uuidString)/bybit.json" }

    @Test("additions and removals survive a restart and apply on top of the configuration")
    func persisted() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        let configured = [
            StreamSubscription(market: eth, channel: .trades), StreamSubscription(market: eth, channel: .ticker),
        ]
        let store = RuntimeSubscriptions(path: file)
        try store.added([
            StreamSubscription(market: btc, channel: .book, depth: 50),
            StreamSubscription(market: btc, channel: .candles(.m5)),
        ])
        try store.removed([StreamSubscription(market: eth, channel: .ticker)])
        // A new instance reads the file, as an ingestor does at start.
        let reloaded = RuntimeSubscriptions(path: file).apply(to: configured)
        #expect(
            Set(reloaded) == [
                StreamSubscription(market: eth, channel: .trades),
                StreamSubscription(market: btc, channel: .book, depth: 50),
                StreamSubscription(market: btc, channel: .candles(.m5)),
            ])
    }

    @Test("subscribing again undoes an earlier unsubscribe")
    func resubscribe() throws {
        let file = path()
        defer { try? FileManager.default.removeItem(atPath: (file as NSString).deletingLastPathComponent) }
        let trades = StreamSubscription(market: eth, channel: .trades)
        let store = RuntimeSubscriptions(path: file)
        try store.removed([trades])
        #expect(store.apply(to: [trades]).isEmpty)
        try store.added([trades])
        #expect(store.apply(to: [trades]) == [trades])
    }

    @Test(
        "channel names parse as the operator types them",
        arguments: [
            ("ticker", StreamChannel.ticker), ("trades", .trades), ("book", .book), ("candles", .candles(.m1)),
            ("candles:1h", .candles(.h1)), ("candles:1M", .candles(.month1)),
        ])
    func channelNames(text: String, channel: StreamChannel) {
        #expect(StreamChannel(name: text) == channel)
        if text.contains(":") { #expect(StreamChannel(name: channel.description) == channel) }
    }

    @Test("unknown channel names are refused", arguments: ["trade", "candles:2m", "orders", ""])
    func unknownChannels(text: String) {
        #expect(StreamChannel(name: text) == nil)
    }
}
