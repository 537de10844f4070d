import CryptodModel
import Logging
import Synchronization
import Testing

@testable import CryptodSinks

/// A fresh database per test on the server named by `CRYPTOD_TEST_DATABASE_URL` (`scripts/services up`
/// prints one). Tests that need it are `.enabled(if: PostgresTestDatabase.isConfigured)`, so without the
/// variable they are reported as skipped by name, never silently passed.
final class PostgresTestDatabase: Sendable {
    static let serverURL: String? = {
        guard let value = getenv("CRYPTOD_TEST_DATABASE_URL") else { return nil }
        let url = String(cString: value)
        return url.isEmpty ? nil : url
    }()

    static var isConfigured: Bool { serverURL != nil }

    /// `CRYPTOD_TEST_POSTGRES_MEASURE=1` turns on the (slow) measurement test.
    static var measurementRequested: Bool {
        getenv("CRYPTOD_TEST_POSTGRES_MEASURE").map { String(cString: $0) == "1" } ?? false
    }

    static let logger: Logger = {
        var logger = Logger(label: "cryptod.tests.postgres")
        logger.logLevel = .warning
        return logger
    }()

    let name: String
    let url: String
    /// A connection of the test's own to the test database, for setting up and checking.
    let admin: PostgresConnection
    private let server: PostgresConnection

    private init(name: String, url: String, server: PostgresConnection) throws {
        self.name = name
        self.url = url
        self.server = server
        self.admin = try PostgresConnection(url: url, applicationName: "cryptod-tests", logger: Self.logger)
    }

    /// Creates `cryptod_test_<random>`, runs `body`, drops the database (also when `body` throws).
    static func with<T>(_ body: (PostgresTestDatabase) async throws -> T) async throws -> T {
        let serverURL = try #require(serverURL, "CRYPTOD_TEST_DATABASE_URL is not set")
        let name = "cryptod_test_\(UInt64.random(in: 0...UInt64.max))"
        let server = try PostgresConnection(url: serverURL, applicationName: "cryptod-tests-admin", logger: logger)
        _ = try await server.run { try $0.execute("CREATE DATABASE \(name)") }
        let database = try PostgresTestDatabase(name: name, url: url(serverURL, database: name), server: server)
        do {
            let result = try await body(database)
            await database.drop()
            return result
        } catch {
            await database.drop()
            throw error
        }
    }

    private func drop() async {
        await admin.close()
        _ = try? await server.run { try $0.execute("DROP DATABASE IF EXISTS \(self.name) WITH (FORCE)") }
        await server.close()
    }

    /// `postgres://user@host:port/old?x=y` with the database replaced.
    static func url(_ url: String, database: String) -> String {
        let parts = url.split(separator: "://", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { return url + " dbname=\(database)" }
        let rest = parts[1]
        let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        return parts[0] + "://" + authority + "/" + database + query
    }

    // MARK: - Queries

    /// Rows of `sql` as text.
    func query(_ sql: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        try await admin.run { session in try session.execute(sql, parameters).values }
    }

    /// The single value of `sql`.
    func value(_ sql: String, _ parameters: [String?] = []) async throws -> String? {
        try await query(sql, parameters).first?.first ?? nil
    }

    func count(_ table: String) async throws -> Int {
        Int(try await value("SELECT count(*) FROM \(table)") ?? "") ?? -1
    }

    /// A migrated sink on this database.
    func startedSink(applicationName: String = "cryptod-writer") async throws -> PostgresSink {
        let sink = try PostgresSink(url: url, applicationName: applicationName, logger: Self.logger)
        try await sink.start()
        return sink
    }

    /// The backend pid of the connection with `applicationName`, waiting up to 5 s for it to appear.
    func backendPID(of applicationName: String, waitingOn waitEventType: String? = nil) async throws -> String {
        for _ in 0..<500 {
            var sql = "SELECT pid::text FROM pg_stat_activity WHERE datname = $1 AND application_name = $2"
            if let waitEventType { sql += " AND wait_event_type = '\(waitEventType)'" }
            if let pid = try await value(sql, [name, applicationName]) { return pid }
            try await Task.sleep(for: .milliseconds(10))
        }
        Issue.record("no backend \(applicationName) (waiting on \(waitEventType ?? "-")) appeared")
        throw CancellationError()
    }
}

// MARK: - Market data for tests

enum TestData {
    static let btc = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
    static let eth = MarketKey(exchange: .bybit, type: .linear, symbol: "ETHUSDT")
    static let start = Timestamp(milliseconds: 1_767_225_600_000)  // 2026-01-01T00:00:00Z

    static func trade(
        _ id: String, price: ExactDecimal = "42000.10", quantity: ExactDecimal = "0.00010000",
        market: MarketKey = btc, at offset: Int64 = 0
    ) -> Trade {
        Trade(
            market: market, id: id, price: price, quantity: quantity, side: .buy,
            time: start.advanced(byNanoseconds: offset * 1_000_000), receivedAt: start)
    }

    static func candle(
        minute: Int64, close: ExactDecimal = "100.5", closed: Bool = true, market: MarketKey = btc
    ) -> Candle {
        Candle(
            market: market, interval: .m1, openTime: Timestamp(seconds: start.seconds + minute * 60),
            open: "100.0", high: "101.00", low: "99.5", close: close, volume: "12.34500000",
            quoteVolume: "1234.5", tradeCount: 42, isClosed: closed, receivedAt: start)
    }

    static func ticker(last: ExactDecimal = "42000.10", market: MarketKey = btc) -> Ticker {
        var ticker = Ticker(market: market, time: start, receivedAt: start)
        ticker.last = last
        ticker.bid = "42000.00"
        ticker.ask = "42000.20"
        ticker.volume = "1234.00000000"
        return ticker
    }

    /// A batch whose items are numbered from `first`.
    static func batch(
        _ events: [MarketEvent], first: UInt64 = 1, stream: String = "ingestor-binance>writer", epoch: UInt64 = 7
    ) -> SinkBatch {
        SinkBatch(
            stream: stream, epoch: epoch,
            items: events.enumerated().map { SinkItem(sequence: first + UInt64($0.offset), event: $0.element) })
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
