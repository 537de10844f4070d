import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The writer with every sink on, against exchsim, through a writer `kill -9` and PostgreSQL, RabbitMQ and
/// Redis outages: afterwards PostgreSQL holds every closed candle exactly once with the exchange's decimal
/// strings, no Binance trade is missing or doubled, and every candle and trade reached a RabbitMQ consumer
/// (duplicates only with the same event id).
@Suite(
    "Writer sinks end to end", .serialized,
    .enabled(if: Binaries.exists("exchsim") && PrivateServices.available, "needs exchsim and the Debian servers"))
struct WriterSinksTests {
    static let queue = "cryptod.test.events"

    @Test("PostgreSQL, Redis and RabbitMQ through a writer crash and server outages")
    func sinksThroughFaults() async throws {
        try await PrivateServices.withSandbox { sandbox, services in try await run(sandbox: sandbox, services: services)
        }
    }

    func run(sandbox: Sandbox, services: PrivateServices) async throws {
        let wallMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        // The simulated clock runs at wall speed from 5 s before a minute turns, so 1m candles close during the run.
        let start = (wallMilliseconds / 60_000 + 1) * 60_000 - 5_000
        let exchsim = try await Exchsim.start(
            in: sandbox, arguments: ["--seed", "5", "--start-time", String(start), "--venue", "binance"])
        var config = TestConfig(writer: true)
        config.sinks = ["postgres", "redis", "rabbitmq"]
        config.extra = """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT", "ETHUSDT"]
            channels = ["ticker", "trades", "candles", "book"]

            """
        config.writerExtra = """
            postgres_url = "\(services.databaseURL)"
            redis_url = "\(services.redisURL)"
            rabbitmq_url = "\(services.rabbitmqURL)"
            rabbitmq_queue = "\(Self.queue)"

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])
        try await Task.sleep(for: .seconds(8))
        _ = try await daemon.killAndAwaitRestart("writer")
        try await Task.sleep(for: .seconds(4))
        try await services.stop("postgres")
        try await Task.sleep(for: .seconds(30))
        try await services.startAgain()
        try await services.stop("rabbitmq")
        try await Task.sleep(for: .seconds(30))
        try await services.startAgain()
        try await services.stop("redis")
        try await Task.sleep(for: .seconds(5))
        try await services.startAgain()
        // Long enough for every breaker to probe again (at most 10 s open) and the spools to drain.
        try await Task.sleep(for: .seconds(30))
        #expect(await daemon.terminate() == 0)

        // PostgreSQL: closed candles once each, equal to exchsim's, as the exchange's strings.
        let candles = try await services.query(
            """
            SELECT tp.symbol, (extract(epoch FROM h.open_time) * 1000)::bigint, h.open::text, h.high::text, h.low::text,
                   h.close::text, h.volume::text
            FROM historical_data h JOIN trading_pairs tp ON tp.id = h.trading_pair_id
            WHERE h.timeframe = '1m' AND h.is_closed ORDER BY 1, 2
            """)
        #expect(!candles.isEmpty, "closed candles reached PostgreSQL")
        var seen = Set<String>()
        for row in candles {
            #expect(seen.insert("\(row[0]) \(row[1])").inserted, "one row per closed candle: \(row)")
            let truth = try #require(
                (try exchsim.getJSON("binance", "/_sim/candles?symbol=\(row[0])&interval=1m&start=\(row[1])&limit=1")
                    as? [[String: Any]])?.first)
            #expect(row[2] == truth["open"] as? String, "\(row[0]) \(row[1]) open")
            #expect(row[3] == truth["high"] as? String, "\(row[0]) \(row[1]) high")
            #expect(row[4] == truth["low"] as? String, "\(row[0]) \(row[1]) low")
            #expect(row[5] == truth["close"] as? String, "\(row[0]) \(row[1]) close")
            #expect(row[6] == truth["volume"] as? String, "\(row[0]) \(row[1]) volume")
        }

        // PostgreSQL: Binance trade ids contiguous, none doubled.
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let rows = try await services.query(
                """
                SELECT t.trade_id::bigint FROM trades t JOIN trading_pairs tp ON tp.id = t.trading_pair_id
                WHERE tp.symbol = '\(symbol)' ORDER BY 1
                """)
            let ids = rows.compactMap { Int64($0[0]) }
            #expect(!ids.isEmpty, "\(symbol): trades stored")
            #expect(Set(ids).count == ids.count, "\(symbol): no trade stored twice")
            if let first = ids.first, let last = ids.last {
                #expect(
                    Int64(ids.count) == last - first + 1, "\(symbol): no trade missing between \(first) and \(last)")
            }
        }

        // RabbitMQ: every stored candle and trade was published; any duplicate carries the same event id.
        let messages = try QueueDrain.drain(url: services.rabbitmqURL, queue: Self.queue)
        #expect(!messages.isEmpty, "events reached the RabbitMQ queue")
        var idsByKey: [String: Set<String>] = [:]
        var closedKeys = Set<String>()
        var tradeIDs = Set<String>()
        for message in messages {
            let body = message.body
            let eventID = body["event_id"] as? String ?? message.messageID ?? ""
            if let open = body["open_time_ms"] as? Int, body["is_closed"] as? Bool == true,
                let symbol = body["symbol"] as? String
            {
                let key = "\(symbol) \(open)"
                closedKeys.insert(key)
                idsByKey["candle \(key)", default: []].insert(eventID)
            }
            if let trade = body["trade_id"] as? String, let symbol = body["symbol"] as? String {
                tradeIDs.insert("\(symbol) \(trade)")
                idsByKey["trade \(symbol) \(trade)", default: []].insert(eventID)
            }
        }
        for row in candles {
            #expect(closedKeys.contains("\(row[0]) \(row[1])"), "closed candle \(row[0]) \(row[1]) was published")
        }
        let storedTrades = try await services.query(
            "SELECT tp.symbol, t.trade_id FROM trades t JOIN trading_pairs tp ON tp.id = t.trading_pair_id")
        let missingTrades = storedTrades.filter { !tradeIDs.contains("\($0[0]) \($0[1])") }
        #expect(
            missingTrades.isEmpty,
            "every stored trade was published (\(missingTrades.count) missing, e.g. \(missingTrades.prefix(3)))")
        let conflicting = idsByKey.filter { $0.value.count > 1 }
        #expect(conflicting.isEmpty, "a repeated event keeps its event id: \(conflicting.prefix(3))")
    }
}
