import CryptodModel
import Testing

@testable import CryptodSinks

// A rough measurement, not a benchmark (scripts/bench does those, in release builds): a 100k-candle batch
// through the sink against a raw COPY of the same rows into the same table. Opt-in, because it takes a few
// seconds: CRYPTOD_TEST_DATABASE_URL and CRYPTOD_TEST_POSTGRES_MEASURE=1.
@Suite(
    "PostgreSQL sink measurement",
    .enabled(
        if: PostgresTestDatabase.isConfigured && PostgresTestDatabase.measurementRequested,
        "set CRYPTOD_TEST_DATABASE_URL and CRYPTOD_TEST_POSTGRES_MEASURE=1"))
struct PostgresSinkMeasurementTests {
    static let count = 100_000

    @Test("100k candles: sink batch write vs raw COPY")
    func candles() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            let candles = (0..<Int64(Self.count)).map { minute in
                TestData.candle(minute: minute, close: ExactDecimal(mantissa: 1_000_000 + Int128(minute), scale: 4)!)
            }
            let batch = TestData.batch(candles.map { .candle($0) })
            let clock = ContinuousClock()

            let write = try await clock.measure { try await sink.write(batch) }
            #expect(try await db.count("historical_data") == Self.count)
            let again = try await clock.measure {
                try await sink.write(TestData.batch(candles.map { .candle($0) }, epoch: 8))
            }

            // The raw COPY: same rows, same table (another timeframe so nothing conflicts), no staging, no merge.
            var text = PostgresCopyText(capacity: Self.count * 128)
            let encode = clock.measure {
                for candle in candles { PostgresStaging.append(candle, pair: 1, revisions: 0, to: &text) }
            }
            let bytes = text.bytes.split(separator: UInt8(ascii: "\n")).map { line -> [UInt8] in
                var fields = line.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map(Array.init)
                fields[1] = Array("5m".utf8)
                return fields.joined(separator: [UInt8(ascii: "\t")]) + [UInt8(ascii: "\n")]
            }.flatMap { $0 }
            let copy = try await clock.measure {
                _ = try await db.admin.run { session in
                    try session.copy(
                        """
                        COPY historical_data (trading_pair_id, timeframe, open_time, open, high, low, close, volume,
                            quote_volume, trade_count, is_closed, revisions) FROM STDIN
                        """, data: bytes)
                }
            }
            #expect(try await db.count("historical_data") == 2 * Self.count)
            func rate(_ duration: Duration) -> String {
                let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
                return "\(Int(Double(Self.count) / seconds)) rows/s (\(duration))"
            }
            print(
                "postgres measurement (\(buildKind) build): sink write \(rate(write)); "
                    + "same batch again (all unchanged) \(rate(again)); encoding alone \(rate(encode)); "
                    + "raw COPY \(rate(copy))"
            )
            await sink.close()
        }
    }
}

#if DEBUG
let buildKind = "debug"
#else
let buildKind = "release"
#endif
