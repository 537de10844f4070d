/// Settings of the Redis cache sink.
///
/// Keys (`[sinks.redis]` in the configuration; see docs/redis.md):
/// - `url` (string, `redis://127.0.0.1:6379/0`): `redis://[[user]:password@]host[:port][/db]`
/// - `key_prefix` (string, `cryptod`): first component of every key
/// - `book_depth` (integer, 20): levels per side written for each book
/// - `ticker_ttl` / `book_ttl` / `candle_ttl` (durations, 5 s / 1 s / 10 s): expiry of each value; 0 = none
/// - `connect_timeout` / `command_timeout` (1 s each), `reconnect_interval` (500 ms)
package struct RedisSinkConfiguration: Sendable, Hashable {
    package var host: String
    package var port: Int
    package var database: Int
    package var username: String?
    package var password: String?
    package var keyPrefix: String
    package var bookDepth: Int
    package var tickerTTL: Duration
    package var bookTTL: Duration
    package var candleTTL: Duration
    package var connectTimeout: Duration
    /// Bounds every read and write on the socket, so a hung server cannot hold the sink's thread for long.
    package var commandTimeout: Duration
    package var reconnectInterval: Duration

    package init(
        url: String = "redis://127.0.0.1:6379/0", keyPrefix: String = "cryptod", bookDepth: Int = 20,
        tickerTTL: Duration = .seconds(5), bookTTL: Duration = .seconds(1), candleTTL: Duration = .seconds(10),
        connectTimeout: Duration = .seconds(1), commandTimeout: Duration = .seconds(1),
        reconnectInterval: Duration = .milliseconds(500)
    ) throws(SinkError) {
        let parsed = try SinkServerURL(url, sink: "redis", schemes: ["redis"])
        host = parsed.host
        port = parsed.port ?? 6379
        username = parsed.user
        password = parsed.password
        if let path = parsed.path {
            guard let number = Int(path), number >= 0 else {
                throw SinkError(
                    .configuration, sink: "redis", "bad URL: the path must be a database number, not \(path)")
            }
            database = number
        } else {
            database = 0
        }
        guard bookDepth > 0 else { throw SinkError(.configuration, sink: "redis", "book_depth must be at least 1") }
        guard !keyPrefix.isEmpty else { throw SinkError(.configuration, sink: "redis", "key_prefix must not be empty") }
        self.keyPrefix = keyPrefix
        self.bookDepth = bookDepth
        self.tickerTTL = tickerTTL
        self.bookTTL = bookTTL
        self.candleTTL = candleTTL
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.reconnectInterval = reconnectInterval
    }
}

extension Duration {
    /// Whole milliseconds, rounded up so a positive TTL never becomes 0 (which Redis rejects).
    var roundedUpMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let millis = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 > 0 ? millis + 1 : millis
    }
}
