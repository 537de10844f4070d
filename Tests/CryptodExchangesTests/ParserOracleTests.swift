import Testing

/// The fast parsers against the reference parser (Reference/), on every fixture and on seeded mutations of
/// each: the short, deterministic variant of the ExchangeFuzz libFuzzer target (`scripts/fuzz exchanges`).
@Suite("Parser oracle: fast parsers vs the reference parser")
struct ParserOracleTests {
    static let exchanges = ["binance", "bybit", "whitebit"]

    static func allSeeds() -> [(name: String, entry: ParserOracle.Entry, bytes: [UInt8])] {
        exchanges.flatMap { exchange in
            Fixtures.names(exchange).flatMap { file in
                OracleInputs.seeds(exchange: exchange, file: file, bytes: Fixtures.bytes(exchange, file)).map {
                    (name: "\(exchange)/\(file)", entry: $0.0, bytes: $0.1)
                }
            }
        }
    }

    @Test("every fixture: the reference and the fast parser agree, and the reference accepts the stream fixtures")
    func fixturesAgree() {
        let seeds = Self.allSeeds()
        #expect(seeds.count > 50, "fixtures found: \(seeds.count) (set CRYPTOD_EXCHANGE_FIXTURES)")
        var accepted = 0
        for seed in seeds {
            if let problem = ParserOracle.check(seed.entry, seed.bytes) { Issue.record("\(seed.name): \(problem)") }
            if seed.entry.hasReference, let tree = RefJSON.parse(seed.bytes),
                (try? ParserOracle.runReference(seed.entry, tree)) != nil
            {
                accepted += 1
            }
        }
        // Most stream fixtures are messages the reference reads (not only refusals on both sides).
        #expect(accepted >= 30, "reference accepted \(accepted) fixtures")
    }

    @Test("seeded mutations of every fixture: no disagreement")
    func mutationsAgree() {
        var generator = OracleInputs.Generator(state: 0x5EED_C0DE)
        var checked = 0
        var bothAccepted = 0
        var failures: [String] = []
        for seed in Self.allSeeds() {
            for _ in 0..<100 {
                let input = OracleInputs.mutate(seed.bytes, &generator)
                checked += 1
                if let problem = ParserOracle.check(seed.entry, input) {
                    if failures.count < 10 {
                        failures.append("\(seed.name) mutated to \(String(decoding: input, as: UTF8.self)): \(problem)")
                    }
                } else if seed.entry.hasReference, ParserOracle.runFast(seed.entry, input) != nil {
                    bothAccepted += 1
                }
            }
        }
        for failure in failures { Issue.record(Comment(rawValue: failure)) }
        #expect(checked > 5_000)
        // The mutations must also produce valid messages with changed values, or the comparison is idle.
        #expect(bothAccepted > checked / 20, "both accepted \(bothAccepted) of \(checked)")
    }
}
