import CryptodModel
import Foundation
import NIOPosix
import Testing

@testable import CryptodSinks

@Suite(
    "RabbitMQ sink (real broker)",
    .enabled(if: RedisRabbitEnvironment.hasRabbit, "CRYPTOD_TEST_RABBITMQ_URL is not set"))
struct RabbitMQSinkTests {
    typealias F = RedisRabbitFixtures

    private func makeSink(
        url: String? = nil, exchange: String, conflation: Duration = .seconds(1)
    ) throws -> RabbitMQSink {
        RabbitMQSink(
            configuration: try RabbitMQSinkConfiguration(
                url: url ?? RedisRabbitEnvironment.rabbitURL!, exchange: exchange, conflationInterval: conflation,
                confirmTimeout: .seconds(5), connectTimeout: .seconds(2)),
            logger: RedisRabbitEnvironment.logger)
    }

    /// Blocking rabbitmq-c calls off the cooperative pool.
    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    @Test("every candle and trade is confirmed and consumed; books and tickers fold with their counts")
    func candlesTradesAndConflation() async throws {
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.test")
        let consumer = try RabbitMQTestConsumer(url: RedisRabbitEnvironment.rabbitURL!, exchange: exchange)
        let sink = try makeSink(exchange: exchange, conflation: .seconds(30))
        try await sink.start()
        var events: [MarketEvent] = [.bookSnapshot(F.snapshot())]
        for index in 0..<30 {
            events.append(.candle(F.candle(minute: Int64(index), closed: index < 29)))
            events.append(.trades([F.trade(id: 3 * index), F.trade(id: 3 * index + 1), F.trade(id: 3 * index + 2)]))
            events.append(.ticker(F.ticker(offsetMs: Int64(index), last: ExactDecimal("43000.\(10 + index)")!)))
            events.append(
                .bookDelta(F.delta(updateID: 101 + UInt64(index), bids: [F.level("99.75", "\(index + 1)")], asks: [])))
        }
        try await sink.write(F.batch(events))
        var details = await sink.statusDetails()
        #expect(details.contains { $0 == ("published", "122") })  // 30 candles, 90 trades, 1 ticker, 1 book
        #expect(details.contains { $0 == ("confirmed", "122") })
        try await sink.flushConflated()

        let deliveries = try await blocking { consumer.receive(count: 124) }
        #expect(deliveries.count == 124)
        #expect(deliveries.allSatisfy { $0.deliveryMode == 2 && $0.contentType == "application/json" })
        #expect(deliveries.allSatisfy { $0.messageID == $0.json["event_id"] as? String })
        #expect(Set(deliveries.compactMap(\.messageID)).count == 124)
        let byKey = Dictionary(grouping: deliveries, by: \.routingKey)
        #expect(byKey["crypto.kline.updated"]?.count == 30)
        #expect(byKey["crypto.trade.created"]?.count == 90)
        let trades = try #require(byKey["crypto.trade.created"])
        #expect(trades.map { $0.json["trade_id"] as? String } == (0..<90).map { String($0) })
        #expect(
            trades[0].json["price"] as? String == "43000.01" && trades[0].json["quantity"] as? String == "0.00100000")
        #expect(trades[0].headers == ["exchange": "binance", "market": "spot", "symbol": "BTCUSDT"])
        #expect(trades[4].messageID == "ingestor-binance>writer/7/7/1")
        let candles = try #require(byKey["crypto.kline.updated"])
        #expect(candles.filter { $0.json["is_closed"] as? Bool == true }.count == 29)

        let tickers = try #require(byKey["crypto.price.updated"])
        #expect(tickers.map { $0.json["conflated"] as? Int } == [1, 29])
        #expect(tickers.last?.json["last"] as? String == "43000.39")
        let books = try #require(byKey["crypto.orderbook.updated"])
        #expect(books.map { $0.json["conflated"] as? Int } == [1, 30])
        #expect(books.last?.json["update_id"] as? Int == 130)
        #expect((books.last?.json["bids"] as? [[String]])?.first == ["100.00", "1"])
        #expect((books.last?.json["bids"] as? [[String]])?[1] == ["99.75", "30"])
        details = await sink.statusDetails()
        #expect(details.contains { $0 == ("conflated", "57") })
        await sink.close()
    }

    @Test("pending books and tickers go out on the timer after the interval, candles never wait")
    func conflationTimer() async throws {
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.test")
        let consumer = try RabbitMQTestConsumer(url: RedisRabbitEnvironment.rabbitURL!, exchange: exchange)
        let sink = try makeSink(exchange: exchange, conflation: .milliseconds(300))
        try await sink.start()
        try await sink.write(F.batch([.ticker(F.ticker(last: "1.0"))], firstSequence: 1))
        try await sink.write(F.batch([.ticker(F.ticker(last: "2.0")), .candle(F.candle())], firstSequence: 2))
        try await sink.write(
            F.batch([.ticker(F.ticker(last: "3.0")), .ticker(F.ticker(F.eth, last: "9.0"))], firstSequence: 4))
        // Counted, not timed: on a loaded machine the timer's flush may already be waiting behind these three.
        let early = try await blocking { consumer.receive(count: 3, idle: .seconds(2)) }
        #expect(early.map(\.routingKey) == ["crypto.price.updated", "crypto.kline.updated", "crypto.price.updated"])
        #expect(early.map { $0.json["last"] as? String } == ["1.0", nil, "9.0"])
        let late = try await blocking { consumer.receive(count: 1, idle: .seconds(2)) }
        #expect(late.count == 1)
        #expect(late.first?.json["last"] as? String == "3.0")
        #expect(late.first?.json["conflated"] as? Int == 2)
        #expect(late.first?.messageID == "ingestor-binance>writer/7/4/0")
        await sink.close()
    }

    @Test("a replay of the same stream positions publishes the same event ids and bodies")
    func eventIDsStableAcrossReplay() async throws {
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.test")
        let consumer = try RabbitMQTestConsumer(url: RedisRabbitEnvironment.rabbitURL!, exchange: exchange)
        let batch = F.batch(
            [
                .candle(F.candle(closed: true)), .trades([F.trade(id: 1), F.trade(id: 2)]), .ticker(F.ticker()),
                .bookSnapshot(F.snapshot()),
            ],
            stream: "ingestor-bybit>writer", epoch: 3, firstSequence: 500)
        for _ in 0..<2 {
            // A fresh sink each time: the writer restarted after a crash and replays the stream.
            let sink = try makeSink(exchange: exchange, conflation: .seconds(1))
            try await sink.start()
            try await sink.write(batch)
            await sink.close()
        }
        let deliveries = try await blocking { consumer.receive(count: 10) }
        #expect(deliveries.count == 10)
        let first = Array(deliveries.prefix(5))
        let second = Array(deliveries.suffix(5))
        #expect(first.map(\.messageID) == second.map(\.messageID))
        #expect(first.map(\.body) == second.map(\.body))
        #expect(
            first.compactMap(\.messageID) == [
                "ingestor-bybit>writer/3/500/0", "ingestor-bybit>writer/3/501/0", "ingestor-bybit>writer/3/501/1",
                "ingestor-bybit>writer/3/502/0", "ingestor-bybit>writer/3/503/0",
            ])
    }

    @Test("a lost broker connection makes write throw unavailable; the next write after it returns succeeds")
    func brokerLossAndReturn() async throws {
        let url = RedisRabbitEnvironment.rabbitURL!
        let upstream = try RabbitMQSinkConfiguration(url: url)
        let proxy = try RabbitMQTestProxy(upstreamPort: upstream.port)
        defer { proxy.stop() }
        let proxied = "amqp://\(upstream.user):\(upstream.password)@127.0.0.1:\(proxy.port)/%2f"
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.test")
        let consumer = try RabbitMQTestConsumer(url: url, exchange: exchange)
        let sink = try makeSink(url: proxied, exchange: exchange)
        try await sink.start()
        try await sink.write(F.batch([.candle(F.candle(minute: 0))], firstSequence: 1))

        proxy.cut()
        await #expect {
            try await sink.write(F.batch([.candle(F.candle(minute: 1))], firstSequence: 2))
        } throws: { error in
            (error as? SinkError)?.code == .unavailable
        }
        // Still down: the reconnect attempt fails fast with the same code.
        await #expect {
            try await sink.write(F.batch([.candle(F.candle(minute: 1))], firstSequence: 2))
        } throws: { error in
            (error as? SinkError)?.code == .unavailable
        }
        #expect(!sink.isConnected)

        proxy.resume()
        try await sink.write(F.batch([.candle(F.candle(minute: 1)), .trades([F.trade(id: 9)])], firstSequence: 2))
        #expect(sink.isConnected)
        let deliveries = try await blocking { consumer.receive(count: 3) }
        #expect(
            deliveries.compactMap(\.messageID).suffix(2) == [
                "ingestor-binance>writer/7/2/0", "ingestor-binance>writer/7/3/0",
            ])
        await sink.close()
    }

    @Test(
        "backfilled closed candles are historical; gaps and source status have their keys; unroutable messages are counted, not fatal"
    )
    func historicalAndReturned() async throws {
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.test")
        let sink = try makeSink(exchange: exchange)
        try await sink.start()
        do {
            // No queue is bound yet: the broker returns the message and still confirms it.
            try await sink.write(F.batch([.candle(F.candle())], firstSequence: 1))
            let details = await sink.statusDetails()
            #expect(details.contains { $0 == ("returned", "1") })
            #expect(details.contains { $0 == ("confirmed", "1") })
        }
        let consumer = try RabbitMQTestConsumer(url: RedisRabbitEnvironment.rabbitURL!, exchange: exchange)
        try await sink.write(
            F.batch(
                [
                    .candle(F.candle(minute: 1, closed: true, origin: .backfill)),
                    .candle(F.candle(minute: 2, closed: true)),
                    .gap(
                        StreamGap(
                            market: F.btc, channel: "trades", state: .opened,
                            openedAt: Timestamp(seconds: 1_700_000_000), reason: "disconnect")),
                    .gap(
                        StreamGap(
                            market: F.btc, channel: "trades", state: .closed,
                            openedAt: Timestamp(seconds: 1_700_000_000), closedAt: Timestamp(seconds: 1_700_000_005),
                            recovered: 12)),
                    .status(
                        SourceStatus(
                            exchange: .bybit, state: .disconnected, reason: "socket closed",
                            time: Timestamp(seconds: 1_700_000_001))),
                ], firstSequence: 2))
        let deliveries = try await blocking { consumer.receive(count: 5) }
        #expect(
            deliveries.map(\.routingKey) == [
                "crypto.historical.updated", "crypto.kline.updated", "crypto.gap.opened", "crypto.gap.closed",
                "crypto.source.status",
            ])
        #expect(deliveries.first?.json["event_type"] as? String == "crypto.historical.updated")
        #expect(deliveries.first?.json["origin"] as? String == "backfill")
        #expect(
            deliveries[3].json["recovered"] as? Int == 12
                && deliveries[3].json["closed_at_ms"] as? Int == 1_700_000_005_000)
        #expect(deliveries[4].json["market"] is NSNull && deliveries[4].json["state"] as? String == "disconnected")
        #expect(deliveries[4].headers == ["exchange": "bybit"])
        await sink.close()
    }

    @Test("throughput: the sink against raw rabbitmq-c, both persistent with confirms")
    func throughput() async throws {
        let url = RedisRabbitEnvironment.rabbitURL!
        let messages = 20_000
        let batchSize = 500
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.bench")
        // A bound queue, so both publishers pay for routing and persisting (no returns).
        let consumer = try RabbitMQTestConsumer(url: url, exchange: exchange)
        let sink = try makeSink(exchange: exchange)
        try await sink.start()
        var sequence: UInt64 = 1
        let started = ContinuousClock.now
        for batchIndex in 0..<(messages / batchSize) {
            let trades = (0..<batchSize).map { F.trade(id: batchIndex * batchSize + $0) }
            // One trade per stream item, as the ingestors send them.
            try await sink.write(F.batch(trades.map { .trades([$0]) }, firstSequence: sequence))
            sequence += UInt64(batchSize)
        }
        let elapsed = ContinuousClock.now - started
        let sinkRate =
            Double(messages) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        await sink.close()
        let body = Array(
            #"{"event_id":"ingestor-binance>writer/7/1/0","event_type":"crypto.trade.created","schema_version":1,"exchange":"binance","market":"spot","symbol":"BTCUSDT","trade_id":"1","price":"43000.01","quantity":"0.00100000","side":"sell","time":"2023-11-14T22:13:20.124Z","time_ms":1700000000124,"received_at":"2023-11-14T22:13:20.129Z","received_at_ms":1700000000129}"#
                .utf8)
        let rawRate = try await blocking {
            try RabbitMQRawPublisher.run(url: url, exchange: exchange, body: body, messages: messages, batch: batchSize)
        }
        _ = consumer
        print(
            "RabbitMQ confirmed messages/s (\(buildKind) build, \(batchSize) per batch): sink \(Int(sinkRate)), raw rabbitmq-c \(Int(rawRate))"
        )
        #expect(sinkRate > 0 && rawRate > 0)
    }
}

@Suite("Sink configuration URLs")
struct RedisRabbitConfigurationTests {
    @Test("RabbitMQ URLs parse with vhost and defaults")
    func rabbitURLs() throws {
        let full = try RabbitMQSinkConfiguration(url: "amqp://app:s%3Acret@mq.local:5673/prod")
        #expect(full.host == "mq.local" && full.port == 5673 && full.virtualHost == "prod")
        #expect(full.user == "app" && full.password == "s:cret")
        let root = try RabbitMQSinkConfiguration(url: "amqp://guest:guest@127.0.0.1:5672/%2f")
        #expect(root.virtualHost == "/")
        #expect(try RabbitMQSinkConfiguration(url: "amqp://h").port == 5672)
        #expect(throws: SinkError.self) { try RabbitMQSinkConfiguration(url: "amqp://h:99999") }
    }

    @Test("the conflator folds within the interval and restores after a failure")
    func conflator() {
        var conflator = RabbitMQConflator(interval: .seconds(1))
        let start = ContinuousClock.now
        let key = RabbitMQConflator.Key(kind: .ticker, market: RedisRabbitFixtures.btc)
        func update(_ id: String) -> RabbitMQConflator.Update {
            .init(key: key, value: .book(receivedAt: .epoch, origin: .live), eventID: id, count: 1)
        }
        #expect(conflator.offer(update("a"), now: start)?.count == 1)
        #expect(conflator.offer(update("b"), now: start + .milliseconds(100)) == nil)
        #expect(conflator.offer(update("c"), now: start + .milliseconds(200)) == nil)
        #expect(conflator.due(now: start + .milliseconds(500), force: false).isEmpty)
        let due = conflator.due(now: start + .milliseconds(1000), force: false)
        #expect(due.map(\.eventID) == ["c"] && due.map(\.count) == [2])
        conflator.restore(due)
        #expect(conflator.pendingCount == 1)
        let again = conflator.offer(update("d"), now: start + .milliseconds(1100))
        #expect(again?.eventID == "d" && again?.count == 3)
    }
}
