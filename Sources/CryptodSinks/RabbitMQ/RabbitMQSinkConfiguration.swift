/// Settings of the RabbitMQ sink.
///
/// Keys (`[sinks.rabbitmq]`; contract in docs/events.md):
/// - `url` (string, `amqp://guest:guest@127.0.0.1:5672/%2f`): `amqp://user:password@host[:port][/vhost]`
/// - `exchange` (string, `crypto.events`): the durable topic exchange, declared at connect
/// - `conflation_interval` (duration, 1 s): books and tickers at most once per market per interval; 0 = off
/// - `book_depth` (integer, 20): levels per side in `crypto.orderbook.updated`
/// - `confirm_timeout` (10 s), `connect_timeout` (3 s), `heartbeat` (seconds, 0 = off)
/// - `queue` / `queue_binding` (strings, none / `crypto.#`): a durable queue to declare and bind at connect,
///   so events are kept before the first consumer starts
package struct RabbitMQSinkConfiguration: Sendable, Hashable {
    package var host: String
    package var port: Int
    package var virtualHost: String
    package var user: String
    package var password: String
    package var exchange: String
    package var conflationInterval: Duration
    package var bookDepth: Int
    package var confirmTimeout: Duration
    package var connectTimeout: Duration
    package var heartbeatSeconds: Int
    package var queue: String?
    package var queueBinding: String

    package init(
        url: String = "amqp://guest:guest@127.0.0.1:5672/%2f", exchange: String = "crypto.events",
        conflationInterval: Duration = .seconds(1), bookDepth: Int = 20,
        confirmTimeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(3), heartbeatSeconds: Int = 0,
        queue: String? = nil, queueBinding: String = "crypto.#"
    ) throws(SinkError) {
        let parsed = try SinkServerURL(url, sink: "rabbitmq", schemes: ["amqp"])
        host = parsed.host
        port = parsed.port ?? 5672
        virtualHost = parsed.path ?? "/"
        user = parsed.user ?? "guest"
        password = parsed.password ?? "guest"
        guard !exchange.isEmpty else { throw SinkError(.configuration, sink: "rabbitmq", "exchange must not be empty") }
        guard bookDepth > 0 else { throw SinkError(.configuration, sink: "rabbitmq", "book_depth must be at least 1") }
        guard conflationInterval >= .zero, confirmTimeout > .zero, connectTimeout > .zero else {
            throw SinkError(.configuration, sink: "rabbitmq", "durations must be positive")
        }
        self.exchange = exchange
        self.conflationInterval = conflationInterval
        self.bookDepth = bookDepth
        self.confirmTimeout = confirmTimeout
        self.connectTimeout = connectTimeout
        self.heartbeatSeconds = heartbeatSeconds
        self.queue = queue
        self.queueBinding = queueBinding
    }
}
