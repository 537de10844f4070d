import CryptodModel
import Logging
import Testing

@testable import CryptodSinks

// Real PostgreSQL: set CRYPTOD_TEST_DATABASE_URL (scripts/services up prints it). Without it these tests are
// reported as skipped. Each test works in a database of its own.
@Suite("PostgreSQL sink", .enabled(if: PostgresTestDatabase.isConfigured, "CRYPTOD_TEST_DATABASE_URL is not set"))
struct PostgresSinkTests {
    typealias T = TestData

    @Test("decimals round-trip with their exact digits and scale")
    func exactDecimals() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            let big: ExactDecimal = "12345678901234567890.123456789012345678"
            var candle = T.candle(minute: 0, close: "0.00010000")
            candle.volume = big
            var ticker = T.ticker(last: "0.00000001")
            ticker.changePercent = "-0.00"
            try await sink.write(
                T.batch([
                    .trades([T.trade("1", price: "0.00010000", quantity: "100.000")]),
                    .candle(candle), .ticker(ticker),
                ]))
            #expect(
                try await db.query("SELECT price::text, quantity::text FROM trades") == [["0.00010000", "100.000"]])
            #expect(
                try await db.query("SELECT close::text, volume::text, high::text FROM historical_data")
                    == [["0.00010000", big.description, "101.00"]])
            #expect(
                try await db.query("SELECT last::text, change_percent::text, bid_quantity FROM ticker_snapshots")
                    == [["0.00000001", "0.00", nil]])
            // The text PostgreSQL returns parses back to an identical ExactDecimal (same scale, not just equal).
            let text = try #require(try await db.value("SELECT price::text FROM trades"))
            #expect(ExactDecimal(text)?.isIdentical(to: "0.00010000") == true)
            #expect(try await db.value("SELECT traded_at::text FROM trades") == "2026-01-01 00:00:00+00")
            await sink.close()
        }
    }

    @Test("duplicate trades within a batch and across batches are stored once and never drop the rest")
    func duplicates() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            try await sink.write(
                T.batch([
                    .trades([T.trade("1"), T.trade("2"), T.trade("2")]), .trades([T.trade("3")]),
                    .candle(T.candle(minute: 0)), .candle(T.candle(minute: 0)),
                ]))
            try await sink.write(
                T.batch(
                    [
                        .trades([T.trade("3"), T.trade("4")]), .candle(T.candle(minute: 0)),
                        .candle(T.candle(minute: 1)),
                    ], first: 5))
            #expect(
                try await db.query("SELECT trade_id FROM trades ORDER BY trade_id") == [["1"], ["2"], ["3"], ["4"]])
            #expect(try await db.count("historical_data") == 2)
            #expect(try await db.value("SELECT max(revisions)::text FROM historical_data") == "0")
            #expect(try await sink.position(of: "ingestor-binance>writer") == SinkPosition(epoch: 7, sequence: 7))
            // The same market on both batches: one exchange, one trading pair.
            #expect(try await db.count("exchanges") == 1)
            #expect(try await db.count("trading_pairs") == 1)
            await sink.close()
        }
    }

    @Test("a closed candle that changes counts a revision; a forming candle never overwrites a closed one")
    func candleRevisions() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            func state() async throws -> [String?] {
                try await db.query("SELECT close::text, is_closed::text, revisions::text FROM historical_data")[0]
            }
            // Forming updates are not revisions.
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "100.1", closed: false))], first: 1))
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "100.2", closed: false))], first: 2))
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "100.3"))], first: 3))
            #expect(try await state() == ["100.3", "true", "0"])
            // The same closed candle again: unchanged, no revision, updated_at untouched.
            let updated = try await db.value("SELECT updated_at::text FROM historical_data")
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "100.30"))], first: 4))
            #expect(try await state() == ["100.3", "true", "0"])
            #expect(try await db.value("SELECT updated_at::text FROM historical_data") == updated)
            // A late forming update is ignored.
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "99", closed: false))], first: 5))
            #expect(try await state() == ["100.3", "true", "0"])
            // A corrected closed candle (REST reconciliation) is a revision.
            try await sink.write(T.batch([.candle(T.candle(minute: 0, close: "100.4"))], first: 6))
            #expect(try await state() == ["100.4", "true", "1"])
            // Two corrections within one batch count two.
            try await sink.write(
                T.batch(
                    [
                        .candle(T.candle(minute: 0, close: "100.5")), .candle(T.candle(minute: 0, close: "100.6")),
                    ], first: 7))
            #expect(try await state() == ["100.6", "true", "3"])
            let details = await sink.statusDetails()
            #expect(details.first { $0.0 == "candle_revisions" }?.1 == "3")
            await sink.close()
        }
    }

    @Test("the position is committed with the rows; a replayed batch is not stored twice")
    func positionWithRows() async throws {
        try await PostgresTestDatabase.with { db in
            let stream = "ingestor-binance>writer"
            let sink = try await db.startedSink()
            #expect(try await sink.position(of: stream) == nil)
            let batch = T.batch([.ticker(T.ticker()), .trades([T.trade("1")])], first: 10)
            try await sink.write(batch)
            #expect(try await sink.position(of: stream) == SinkPosition(epoch: 7, sequence: 11))
            await sink.close()

            // A new sink (a restarted writer) reads the same position from the database.
            let restarted = try await db.startedSink()
            #expect(try await restarted.position(of: stream) == SinkPosition(epoch: 7, sequence: 11))
            // The writer's ack was lost and the batch comes again: tickers have no key, yet nothing doubles.
            try await restarted.write(batch)
            #expect(try await db.count("ticker_snapshots") == 1)
            // A partly new batch stores only the new part.
            try await restarted.write(T.batch([.ticker(T.ticker()), .ticker(T.ticker(last: "1.5"))], first: 11))
            #expect(
                try await db.query("SELECT last::text FROM ticker_snapshots ORDER BY id") == [["42000.10"], ["1.5"]])
            // A new epoch (the sender lost its state) starts over.
            try await restarted.write(T.batch([.ticker(T.ticker(last: "2"))], first: 1, epoch: 8))
            #expect(try await restarted.position(of: stream) == SinkPosition(epoch: 8, sequence: 1))
            #expect(try await db.count("ticker_snapshots") == 3)
            await restarted.close()
        }
    }

    @Test("book events are not stored but advance the position")
    func bookEventsAdvancePosition() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            let delta = BookDelta(
                market: T.btc, firstUpdateID: 1, lastUpdateID: 2, time: nil, receivedAt: T.start,
                bids: [BookLevel(price: "1", quantity: "2")], asks: [])
            try await sink.write(T.batch([.bookDelta(delta), .bookDelta(delta)], first: 3))
            #expect(try await sink.position(of: "ingestor-binance>writer") == SinkPosition(epoch: 7, sequence: 4))
            #expect(try await db.count("trading_pairs") == 0)
            await sink.close()
        }
    }

    @Test("a batch that fails midway leaves neither rows nor position")
    func failureMidwayLeavesNothing() async throws {
        try await PostgresTestDatabase.with { db in
            let stream = "ingestor-binance>writer"
            let sink = try await db.startedSink(applicationName: "cryptod-midway")
            try await sink.write(T.batch([.trades([T.trade("1")])], first: 1))
            // Hold the position row: the sink stages and merges its rows, then blocks on the position upsert,
            // the last statement before COMMIT. Then its backend is killed.
            _ = try await db.query("BEGIN")
            _ = try await db.query("SELECT * FROM stream_positions WHERE stream = $1 FOR UPDATE", [stream])
            let batch = T.batch([.trades([T.trade("2"), T.trade("3")]), .candle(T.candle(minute: 0))], first: 2)
            let write = Task { try await sink.write(batch) }
            let pid = try await db.backendPID(of: "cryptod-midway", waitingOn: "Lock")
            _ = try await db.query("SELECT pg_terminate_backend(\(pid))")
            let error = await #expect(throws: SinkError.self) { try await write.value }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains("unacknowledged") == true)
            _ = try await db.query("ROLLBACK")
            #expect(try await db.count("trades") == 1)
            #expect(try await db.count("historical_data") == 0)
            #expect(try await sink.position(of: stream) == SinkPosition(epoch: 7, sequence: 1))
            // The writer retries: the batch lands exactly once.
            try await sink.write(batch)
            #expect(try await db.count("trades") == 3)
            #expect(try await db.count("historical_data") == 1)
            #expect(try await sink.position(of: stream) == SinkPosition(epoch: 7, sequence: 3))
            await sink.close()
        }
    }

    @Test("rows PostgreSQL refuses go to dead_letters with the reason; the rest of the batch lands")
    func deadLetters() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            // PostgreSQL text cannot hold NUL: the row is refused with SQLSTATE 22021.
            let badMarket = MarketKey(exchange: .bybit, type: .spot, symbol: "BAD\u{0}USDT")
            var events: [MarketEvent] = (0..<20).map { .trades([T.trade(String($0))]) }
            events[7] = .trades([T.trade("7"), T.trade("bad\u{0}id"), T.trade("7b")])
            events.append(.candle(T.candle(minute: 0)))
            events.append(.ticker(T.ticker(market: badMarket)))
            events.append(.ticker(T.ticker()))
            try await sink.write(T.batch(events, first: 100))
            #expect(try await db.count("trades") == 21)
            #expect(try await db.count("historical_data") == 1)
            #expect(try await db.count("ticker_snapshots") == 1)
            let dead = try await db.query(
                "SELECT sequence::text, target, payload, reason, sink, stream FROM dead_letters ORDER BY sequence")
            try #require(dead.count == 2)
            #expect(dead.map { $0[0] } == ["107", "121"])
            #expect(dead.map { $0[1] } == ["trades", "ticker_snapshots"])
            #expect(dead[0][2]?.contains("\"trade_id\":\"bad\\u0000id\"") == true)
            #expect(dead[0][2]?.contains("\"quantity\":\"0.00010000\"") == true)
            #expect(dead[0][3]?.contains("22021") == true)
            #expect(dead[1][3]?.contains("market bybit:spot:BAD") == true)
            #expect(dead[0][4] == "postgres")
            #expect(try await sink.position(of: "ingestor-binance>writer") == SinkPosition(epoch: 7, sequence: 122))
            #expect(await sink.statusDetails().first { $0.0 == "dead_letters" }?.1 == "2")
            // The good market's id was committed and cached: the next batch works as usual.
            try await sink.write(T.batch([.trades([T.trade("x")])], first: 123))
            #expect(try await db.count("trades") == 22)
            await sink.close()
        }
    }

    @Test("a cached market id that disappeared is resolved again instead of dead-lettering the batch")
    func staleMarketCache() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            try await sink.write(T.batch([.trades([T.trade("1")])], first: 1))
            _ = try await db.query("TRUNCATE exchanges, trading_pairs CASCADE")
            try await sink.write(T.batch([.trades([T.trade("2")])], first: 2))
            #expect(try await db.query("SELECT trade_id FROM trades") == [["2"]])
            #expect(try await db.count("dead_letters") == 0)
            await sink.close()
        }
    }

    @Test("the sink reconnects after its backend is terminated")
    func reconnectsAfterTermination() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink(applicationName: "cryptod-reconnect")
            try await sink.write(T.batch([.trades([T.trade("1")])], first: 1))
            let pid = try await db.backendPID(of: "cryptod-reconnect")
            _ = try await db.query("SELECT pg_terminate_backend(\(pid))")
            // Idle connection killed: the next write notices before sending anything, reconnects and succeeds.
            try await sink.write(T.batch([.trades([T.trade("2")])], first: 2))
            #expect(try await db.count("trades") == 2)
            let newPID = try await db.backendPID(of: "cryptod-reconnect")
            #expect(newPID != pid)
            let details = await sink.statusDetails()
            #expect(details.first { $0.0 == "connection" }?.1 == "connected")
            #expect(details.first { $0.0 == "server_version" }?.1.hasPrefix("1") == true)
            #expect(details.first { $0.0 == "rows_written" }?.1 == "3")  // 2 trades + 1 trading pair
            await sink.close()
        }
    }

    @Test("latest-candles and time-range queries use the unique index")
    func candleIndexes() async throws {
        try await PostgresTestDatabase.with { db in
            let sink = try await db.startedSink()
            try await sink.write(T.batch((0..<50).map { .candle(T.candle(minute: $0)) }))
            await sink.close()
            _ = try await db.query("ANALYZE historical_data")
            _ = try await db.query("SET enable_seqscan = off")
            let latest = try await db.query(
                """
                EXPLAIN SELECT * FROM historical_data WHERE trading_pair_id = 1 AND timeframe = '1m'
                ORDER BY open_time DESC LIMIT 10
                """
            )
            #expect(
                latest.contains {
                    $0[0]?.contains(
                        "Index Scan Backward using historical_data_trading_pair_id_timeframe_open_time_unique") == true
                })
            let range = try await db.query(
                """
                EXPLAIN SELECT * FROM historical_data WHERE trading_pair_id = 1 AND timeframe = '1m'
                AND open_time >= now() - interval '1 day' AND open_time < now()
                """
            )
            #expect(
                range.contains { $0[0]?.contains("historical_data_trading_pair_id_timeframe_open_time_unique") == true }
            )
        }
    }
}

/// Needs no server: runs everywhere.
@Suite("PostgreSQL sink without a server")
struct PostgresSinkOfflineTests {
    typealias T = TestData

    @Test("a server that is down is reported as unavailable, with the data unacknowledged")
    func serverDown() async throws {
        let sink = try PostgresSink(url: "postgres://postgres@127.0.0.1:1/none", logger: PostgresTestDatabase.logger)
        await #expect { try await sink.start() } throws: { ($0 as? SinkError)?.code == .unavailable }
        let error = await #expect(throws: SinkError.self) { try await sink.write(T.batch([.trades([T.trade("1")])])) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("unacknowledged") == true)
        #expect(await sink.statusDetails().first { $0.0 == "connection" }?.1 == "disconnected")
        await sink.close()
        #expect(throws: SinkError.self) {
            try PostgresSink(url: "not a connection string", logger: PostgresTestDatabase.logger)
        }
    }
}
