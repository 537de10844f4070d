import CryptodModel
import Testing

@testable import CryptodScheduler

@Suite("Consolidation of timeframes an exchange lacks")
struct ConsolidationTests {
    static let market = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")

    static func candle(
        _ minute: Int64, _ open: ExactDecimal, _ high: ExactDecimal, _ low: ExactDecimal, _ close: ExactDecimal,
        _ volume: ExactDecimal, quote: ExactDecimal? = "1", trades: Int64? = 1, closed: Bool = true
    ) -> Candle {
        Candle(
            market: market, interval: .m1, openTime: Timestamp(seconds: minute * 60), open: open, high: high, low: low,
            close: close, volume: volume, quoteVolume: quote, tradeCount: trades, isClosed: closed,
            receivedAt: Timestamp(seconds: 0))
    }

    @Test(
        "what builds what",
        arguments: [
            (CandleInterval.h8, CandleInterval.h4, true), (.h8, .h1, true), (.d3, .d1, true), (.h8, .h6, false),
            (.m5, .m3, false), (.m1, .m1, false), (.m1, .m5, false), (.w1, .d1, true), (.w1, .h4, true),
            (.month1, .d1, false), (.d1, .s1, true),
        ])
    func canBuild(target: CandleInterval, source: CandleInterval, expected: Bool) {
        #expect(Consolidation.canBuild(target, from: source) == expected)
    }

    @Test("plans only for timeframes the exchange lacks, from the largest stored one that divides them")
    func plans() {
        let timeframes: [CandleInterval] = [.m1, .m5, .h1, .h4, .h8, .d1, .d3]
        #expect(
            Consolidation.plans(exchange: .bybit, timeframes: timeframes) == [
                .init(target: .h8, source: .h4), .init(target: .d3, source: .d1),
            ])
        #expect(Consolidation.plans(exchange: .binance, timeframes: timeframes).isEmpty, "Binance offers them all")
        #expect(Consolidation.plans(exchange: .whitebit, timeframes: [.s1, .m1]).isEmpty, "nothing builds 1s")
        #expect(Consolidation.plans(exchange: .bybit, timeframes: [.h8]).isEmpty, "no stored source")
    }

    @Test("aggregation is exact: first open, max high, min low, last close, sums")
    func aggregate() throws {
        let candles = [
            Self.candle(2, "10.5", "12", "10.1", "11.25", "0.1", quote: "1.05", trades: 3),
            Self.candle(0, "10.0", "10.9", "9.99", "10.4", "0.2", quote: "2.000001", trades: 4),
            Self.candle(1, "10.4", "13.000001", "9.5", "10.5", "0.3", quote: "3", trades: 5),
        ]
        let built = try #require(
            Consolidation.aggregate(candles, into: .m3, openTime: Timestamp(seconds: 0), expected: 3))
        #expect(built.interval == .m3 && built.openTime == Timestamp(seconds: 0))
        #expect(built.open.isIdentical(to: "10.0") && built.close.isIdentical(to: "11.25"))
        #expect(built.high.isIdentical(to: "13.000001") && built.low.isIdentical(to: "9.5"))
        #expect(built.volume == "0.6" && built.quoteVolume == "6.050001" && built.tradeCount == 12)
        #expect(built.isClosed)
    }

    @Test("a missing or forming source leaves the candle open; a missing quote volume leaves it unknown")
    func incomplete() throws {
        let two = [Self.candle(0, "1", "2", "1", "2", "1"), Self.candle(1, "2", "3", "2", "3", "1", quote: nil)]
        let built = try #require(Consolidation.aggregate(two, into: .m3, openTime: Timestamp(seconds: 0), expected: 3))
        #expect(!built.isClosed && built.quoteVolume == nil && built.tradeCount == 2)
        let forming = two + [Self.candle(2, "3", "4", "3", "4", "1", closed: false)]
        #expect(
            Consolidation.aggregate(forming, into: .m3, openTime: Timestamp(seconds: 0), expected: 3)?.isClosed == false
        )
        #expect(Consolidation.aggregate([], into: .m3, openTime: Timestamp(seconds: 0), expected: 3) == nil)
    }
}
