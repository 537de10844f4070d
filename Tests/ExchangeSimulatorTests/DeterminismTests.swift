import ExchangeSimulator
import Foundation
import Testing

/// The same seed and pinned clock give byte-identical REST answers; another seed does not.
@Suite("Determinism")
struct DeterminismTests {
    static let paths = [
        "/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1000",
        "/api/v3/klines?symbol=ETHUSDT&interval=1h&limit=200",
        "/api/v3/klines?symbol=BNBBTC&interval=1d&limit=4&startTime=1782000000000",
        "/api/v3/klines?symbol=LTCBTC&interval=1w&limit=2",
        "/api/v3/klines?symbol=BTCUSDT&interval=1s&limit=100&endTime=1782863000000",
        "/api/v3/trades?symbol=BTCUSDT&limit=1000",
        "/api/v3/historicalTrades?symbol=ETHUSDT&fromId=1000000&limit=500",
        "/api/v3/aggTrades?symbol=BTCUSDT&startTime=1782860000000&endTime=1782863600000&limit=1000",
        "/api/v3/depth?symbol=BTCUSDT&limit=5000",
        "/api/v3/ticker/24hr?symbols=%5B%22BTCUSDT%22,%22ETHUSDT%22%5D",
        "/api/v3/ticker/bookTicker",
        "/api/v3/exchangeInfo",
    ]

    static func answers(seed: UInt64) async throws -> [String] {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(seed: seed)) { port, _ in
            var bodies: [String] = []
            for path in Self.paths {
                let result = try await TestHTTP.request(port: port, path: path)
                #expect(result.status == 200, "\(path): \(result.text.prefix(200))")
                bodies.append(result.text)
            }
            return bodies
        }
    }

    @Test("two servers with the same seed answer byte for byte alike")
    func sameSeedSameBytes() async throws {
        let first = try await Self.answers(seed: 7)
        let second = try await Self.answers(seed: 7)
        for (index, path) in Self.paths.enumerated() {
            #expect(first[index] == second[index], "\(path) differs")
        }
        let other = try await Self.answers(seed: 8)
        #expect(other[0] != first[0], "another seed must give another market")
        #expect(other[5] != first[5])
    }

    @Test("history does not depend on the market list or on when it is asked")
    func historyIsPure() async throws {
        let clock = SimClock(start: SimulatorHarness.start, scale: 0)
        let small = MarketHistory(specs: Array(MarketCatalog.builtIn.prefix(2)), seed: 3)
        let large = MarketHistory(specs: MarketCatalog.standard(syntheticCount: 50, seed: 3), seed: 3)
        let now = clock.now()
        let a = small.candles(market: 1, interval: .milliseconds(60_000), start: nil, end: nil, limit: 300, now: now)
        // Ask in a different order with warm caches elsewhere.
        _ = large.candles(market: 1, interval: .milliseconds(3_600_000), start: nil, end: nil, limit: 30, now: now)
        let b = large.candles(market: 1, interval: .milliseconds(60_000), start: nil, end: nil, limit: 300, now: now)
        #expect(a == b)
    }
}
