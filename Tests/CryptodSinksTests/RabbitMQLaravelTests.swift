import CryptodModel
import Foundation
import NIOPosix
import Testing

@testable import CryptodSinks

/// Where the example is, and whether Debian's php-cli and php-amqplib are installed.
enum RabbitMQLaravelExample {
    static let phpReady =
        FileManager.default.isExecutableFile(atPath: "/usr/bin/php")
        && FileManager.default.fileExists(atPath: "/usr/share/php/PhpAmqpLib/autoload.php")

    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("examples/laravel").path
}

/// The Laravel example (examples/laravel) against the real sink: one event of each type published through
/// `RabbitMQSink`, consumed and validated by `consumer.php` with Debian's php-cli and php-amqplib.
@Suite(
    "Laravel consumer example (php-amqplib)",
    .enabled(if: RedisRabbitEnvironment.hasRabbit, "CRYPTOD_TEST_RABBITMQ_URL is not set"),
    .enabled(
        if: RabbitMQLaravelExample.phpReady, "php-cli or php-amqplib is missing (apt-get install php-cli php-amqplib)")
)
struct RabbitMQLaravelTests {
    typealias F = RedisRabbitFixtures

    static let exampleDirectory = RabbitMQLaravelExample.directory

    @Test("every event type published by the sink is received and decoded by the PHP consumer")
    func phpConsumerDecodesEveryType() async throws {
        let url = RedisRabbitEnvironment.rabbitURL!
        let exchange = RedisRabbitEnvironment.uniqueName("crypto.events.laravel")
        let queue = RedisRabbitEnvironment.uniqueName("laravel.test.")
        // The sink declares the consumer's durable queue, so nothing published before PHP starts is lost.
        let sink = RabbitMQSink(
            configuration: try RabbitMQSinkConfiguration(url: url, exchange: exchange, queue: queue),
            logger: RedisRabbitEnvironment.logger)
        try await sink.start()
        let opened = Timestamp(seconds: 1_700_000_000)
        try await sink.write(
            F.batch([
                .ticker(F.ticker()),
                .bookSnapshot(F.snapshot()),
                .candle(F.candle()),
                .candle(F.candle(minute: -10, closed: true, origin: .backfill)),
                .trades([F.trade(id: 77)]),
                .gap(
                    StreamGap(market: F.btc, channel: "trades", state: .opened, openedAt: opened, reason: "disconnect")),
                .gap(
                    StreamGap(
                        market: F.btc, channel: "trades", state: .closed, openedAt: opened,
                        closedAt: opened.advanced(byNanoseconds: 5_000_000_000), recovered: 3)),
                .status(
                    SourceStatus(exchange: .binance, market: F.btc, state: .resyncing, reason: "checksum", time: opened)
                ),
            ]))
        await sink.close()

        let (status, output) = try await Self.run([
            "/usr/bin/php", Self.exampleDirectory + "/consumer.php", "--url", url, "--exchange", exchange, "--queue",
            queue,
            "--expect", "8", "--timeout", "20", "--delete-queue",
        ])
        let lines = output.split(separator: "\n").map(String.init)
        #expect(status == 0, "consumer.php exited \(status): \(output)")
        let decoded = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(decoded.count == 8)
        #expect(decoded.allSatisfy { $0["ok"] as? Bool == true }, "\(output)")
        #expect(
            Set(decoded.compactMap { $0["routing_key"] as? String }) == [
                "crypto.price.updated", "crypto.orderbook.updated", "crypto.kline.updated", "crypto.historical.updated",
                "crypto.trade.created", "crypto.gap.opened", "crypto.gap.closed", "crypto.source.status",
            ])
        let trade = try #require(decoded.first { $0["routing_key"] as? String == "crypto.trade.created" })
        #expect(trade["price"] as? String == "43000.01" && trade["quantity"] as? String == "0.00100000")
        let book = try #require(decoded.first { $0["routing_key"] as? String == "crypto.orderbook.updated" })
        #expect(book["best_bid"] as? String == "100.00" && book["levels"] as? Int == 6)
    }

    @Test("the Eloquent models are valid PHP")
    func modelsLint() async throws {
        let models = try FileManager.default.contentsOfDirectory(atPath: Self.exampleDirectory + "/app/Models").filter {
            $0.hasSuffix(".php")
        }
        #expect(
            Set(models) == ["Exchange.php", "TradingPair.php", "HistoricalData.php", "Trade.php", "TickerSnapshot.php"])
        for model in models + ["../../consumer.php"] {
            let (status, output) = try await Self.run([
                "/usr/bin/php", "-l", Self.exampleDirectory + "/app/Models/" + model,
            ])
            #expect(status == 0, "\(model): \(output)")
        }
    }

    /// Runs a program to completion on a pool thread (posix_spawn + waitpid), its stdout and stderr in a file.
    static func run(_ arguments: [String]) async throws -> (Int32, String) {
        try await NIOThreadPool.singleton.runIfActive {
            let outputPath = NSTemporaryDirectory() + "cryptod-php-\(UInt32.random(in: 0...UInt32.max)).log"
            defer { unlink(outputPath) }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
            var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
            defer { for pointer in argv { free(pointer) } }
            var pid: pid_t = 0
            let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
            guard spawned == 0 else { return (Int32(-1), "posix_spawn failed: \(spawned)") }
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let exitCode = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : -1
            return (exitCode, output)
        }
    }
}
