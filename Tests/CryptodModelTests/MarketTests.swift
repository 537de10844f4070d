import CryptodModel
import Testing

@Suite("Market identifiers")
struct MarketTests {
    @Test("exchange ids are 1...32 of [a-z0-9_-]")
    func exchangeIDs() {
        for good in ["binance", "bybit", "whitebit", "a", "okx-2", "gate_io", String(repeating: "z", count: 32)] {
            #expect(ExchangeID(good)?.rawValue == good)
        }
        for bad in ["", "Binance", "by bit", "ex.change", "é", String(repeating: "z", count: 33), "a/b"] {
            #expect(ExchangeID(bad) == nil, "\(bad)")
        }
        #expect(ExchangeID.binance == ExchangeID("binance"))
    }

    @Test("market keys print and order by exchange, type, symbol")
    func marketKeys() {
        let spot = MarketKey(exchange: .bybit, type: .spot, symbol: "BTCUSDT")
        let linear = MarketKey(exchange: .bybit, type: .linear, symbol: "BTCUSDT")
        let binance = MarketKey(exchange: .binance, type: .linear, symbol: "ZZZ")
        #expect(spot.description == "bybit:spot:BTCUSDT")
        #expect([linear, spot, binance].sorted() == [binance, spot, linear])
        #expect(spot != linear)
    }

    @Test("frozen raw values of wire-visible enums")
    func frozenRawValues() {
        #expect(MarketType.allCases.map(\.rawValue) == [1, 2, 3])
        #expect(TradeSide.allCases.map(\.rawValue) == [0, 1, 2])
        #expect(InstrumentStatus.allCases.map(\.rawValue) == [1, 2, 3, 4, 5])
        #expect(ProcessRole.allCases.map(\.rawValue) == [1, 2, 3, 4, 5, 6, 7])
        for role in ProcessRole.allCases { #expect(ProcessRole(name: role.description) == role) }
        for type in MarketType.allCases { #expect(MarketType(name: type.description) == type) }
    }
}
