import CryptodModel
import Testing

@testable import CryptodGateway

@Suite("Topics")
struct TopicTests {
    @Test(
        "topics parse into canonical patterns",
        arguments: [
            ("trades.binance.BTCUSDT", "trades.binance.BTCUSDT"),
            ("ticker.bybit.*", "ticker.bybit.*"),
            ("candles.whitebit.BTC_USDT.1m", "candles.whitebit.BTC_USDT.1m"),
            ("candles.whitebit.BTC_USDT", "candles.whitebit.BTC_USDT.*"),
            ("book.binance.btcusdt", "book.binance.BTCUSDT"),
            ("trades.*.*", "trades.*.*"),
            ("book.bybit:linear.btcusdt", "book.bybit:linear.BTCUSDT"),
            ("ticker.*:spot.*", "ticker.*:spot.*"),
        ])
    func canonical(topic: String, expected: String) throws {
        #expect(try TopicPattern(parsing: topic).description == expected)
    }

    @Test(
        "bad topics say which part is wrong",
        arguments: [
            ("trades.binance", "write <channel>.<exchange>[:<market>].<symbol>"),
            ("trades..BTCUSDT", "write <channel>.<exchange>[:<market>].<symbol>"),
            ("quotes.binance.BTCUSDT", "unknown channel \"quotes\""),
            ("trades.Binance.BTCUSDT", "exchange \"Binance\""),
            ("trades.binance.BTC/USDT", "symbol \"BTC/USDT\""),
            ("trades.binance.BTCUSDT.1m", "only candles topics take an interval"),
            ("candles.binance.BTCUSDT.2m", "unknown interval \"2m\""),
            ("candles.binance.BTCUSDT.1m.x", "write <channel>.<exchange>[:<market>].<symbol>"),
            ("book.bybit:perp.BTCUSDT", "market type \"perp\" must be one of spot, linear, inverse"),
        ])
    func invalid(topic: String, fragment: String) {
        #expect(throws: TopicPattern.Invalid.self) { try TopicPattern(parsing: topic) }
        do {
            _ = try TopicPattern(parsing: topic)
        } catch {
            #expect(error.description.contains(fragment), "\(error.description)")
            #expect(error.topic == topic)
        }
    }

    @Test("wildcards and intervals match the events they should, and only those")
    func matching() throws {
        let trades = try #require(EventTopic(.trades([trade(1)])))
        #expect(trades.description == "trades.binance.BTCUSDT")
        let minute = try #require(EventTopic(.candle(candle(.m1, openSeconds: 60, close: "1"))))
        #expect(minute.description == "candles.binance.BTCUSDT.1m")
        let snapshot = try #require(
            EventTopic(
                .bookSnapshot(BookSnapshot(market: btc, updateID: 1, time: nil, receivedAt: .epoch, bids: [], asks: []))
            ))
        #expect(snapshot.description == "book.binance.BTCUSDT")

        #expect(try TopicPattern(parsing: "trades.binance.BTCUSDT").matches(trades))
        #expect(try TopicPattern(parsing: "trades.*.btcusdt").matches(trades))
        #expect(try TopicPattern(parsing: "trades.*.*").matches(trades))
        #expect(try !TopicPattern(parsing: "trades.bybit.*").matches(trades))
        #expect(try !TopicPattern(parsing: "trades.binance.ETHUSDT").matches(trades))
        #expect(try !TopicPattern(parsing: "ticker.binance.BTCUSDT").matches(trades))
        #expect(try TopicPattern(parsing: "candles.binance.BTCUSDT").matches(minute))
        #expect(try TopicPattern(parsing: "candles.binance.BTCUSDT.1m").matches(minute))
        #expect(try !TopicPattern(parsing: "candles.binance.BTCUSDT.5m").matches(minute))
        #expect(try TopicPattern(parsing: "book.binance.*").matches(snapshot))
    }

    @Test("a market type after the exchange tells Bybit's spot and linear markets apart")
    func marketTypes() throws {
        let linear = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
        let linearTrades = try #require(EventTopic(.trades([trade(1, market: linear)])))
        let spotTrades = try #require(
            EventTopic(.trades([trade(1, market: MarketKey(exchange: .bybit, symbol: "BTCUSDT"))])))
        #expect(linearTrades.description == "trades.bybit:linear.BTCUSDT")
        #expect(spotTrades.description == "trades.bybit.BTCUSDT")
        #expect(try TopicPattern(parsing: "trades.bybit.BTCUSDT").matches(linearTrades))
        #expect(try TopicPattern(parsing: "trades.bybit.BTCUSDT").matches(spotTrades))
        #expect(try TopicPattern(parsing: "trades.bybit:linear.*").matches(linearTrades))
        #expect(try !TopicPattern(parsing: "trades.bybit:linear.*").matches(spotTrades))
        #expect(try !TopicPattern(parsing: "trades.*:spot.BTCUSDT").matches(linearTrades))
        #expect(TopicPattern(linearTrades).concrete == linearTrades)
        #expect(try TopicPattern(parsing: "trades.bybit.BTCUSDT").concrete == nil)
        #expect(try TopicPattern(parsing: "candles.bybit:spot.BTCUSDT").concrete == nil)
    }

    @Test("an empty trade batch has no topic")
    func emptyBatch() {
        #expect(EventTopic(.trades([])) == nil)
    }
}
