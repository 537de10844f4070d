import CryptodModel
import Testing

@testable import CryptodScheduler

@Suite("active markets from trading_pairs")
struct ActiveMarketsTests {
    static let btc = MarketKey(exchange: .binance, symbol: "BTCUSDT")
    static let eth = MarketKey(exchange: .binance, symbol: "ETHUSDT")
    static let linear = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")

    typealias Reading = [MarketKey: Bool]

    @Test(
        "only edges act: rows turning on subscribe, rows turning off or vanishing unsubscribe",
        arguments: [
            // At start only active rows are subscribed; inactive ones are left alone.
            (nil, [btc: true, eth: false], ["+binance:spot:BTCUSDT"]),
            // Nothing changed: nothing to do.
            ([btc: true, eth: false], [btc: true, eth: false], []),
            ([btc: true, eth: false], [btc: true, eth: true], ["+binance:spot:ETHUSDT"]),
            ([btc: true, eth: true], [btc: false, eth: true], ["-binance:spot:BTCUSDT"]),
            // A new row that is active; a vanished row that was active; a vanished inactive row is nothing.
            ([btc: true, eth: false], [linear: true], ["-binance:spot:BTCUSDT", "+bybit:linear:BTCUSDT"]),
            // Spot and linear with the same symbol are different markets.
            (
                [linear: true], [linear: true, MarketKey(exchange: .bybit, symbol: "BTCUSDT"): true],
                ["+bybit:spot:BTCUSDT"]
            ),
        ] as [(Reading?, Reading, [String])])
    func changes(previous: Reading?, current: Reading, expected: [String]) {
        let changes = ActiveMarkets.changes(from: previous, to: current)
        #expect(Set(changes.map { ($0.subscribe ? "+" : "-") + $0.market.description }) == Set(expected))
        #expect(changes.count == expected.count)
    }
}
