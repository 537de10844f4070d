import CryptodConfig
import CryptodSinks
import Logging

/// Builds the configured sinks (`writer.sinks`), in configuration order.
///
/// The one place that knows every sink type and the keys each reads:
/// - `jsonl`: `writer.jsonl_dir`.
/// - `postgres`: `writer.postgres_url`.
/// - `redis`: `writer.redis_url`, `writer.redis_ttl_ticker`, `writer.redis_ttl_book`, `writer.redis_ttl_candle`,
///   `writer.redis_book_depth`.
/// - `rabbitmq`: `writer.rabbitmq_url`, `writer.rabbitmq_exchange`, `writer.rabbitmq_queue`,
///   `writer.rabbitmq_conflate_interval`.
///
/// - Throws: ``SinkError`` `configuration` when a sink cannot be set up from its keys.
package func makeSinks(configuration: WriterConfig, logger: Logger) throws -> [any Sink] {
    try configuration.sinks.map { kind -> any Sink in
        switch kind {
        case .jsonl: try JSONLSink(directory: configuration.jsonlDirectory, logger: logger)
        case .postgres: try makePostgresSink(configuration: configuration, logger: logger)
        case .redis: try makeRedisSink(configuration: configuration, logger: logger)
        case .rabbitmq: try makeRabbitMQSink(configuration: configuration, logger: logger)
        }
    }
}

// MARK: - Server sinks

private func makePostgresSink(configuration: WriterConfig, logger: Logger) throws -> any Sink {
    try PostgresSink(url: configuration.postgresURL.revealed, logger: logger)
}

private func makeRedisSink(configuration: WriterConfig, logger: Logger) throws -> any Sink {
    let settings = try RedisSinkConfiguration(
        url: configuration.redisURL.revealed, bookDepth: configuration.redisBookDepth,
        tickerTTL: configuration.redisTTLTicker,
        bookTTL: configuration.redisTTLBook, candleTTL: configuration.redisTTLCandle)
    return RedisSink(configuration: settings, logger: logger)
}

private func makeRabbitMQSink(configuration: WriterConfig, logger: Logger) throws -> any Sink {
    let settings = try RabbitMQSinkConfiguration(
        url: configuration.rabbitmqURL.revealed, exchange: configuration.rabbitmqExchange,
        conflationInterval: configuration.rabbitmqConflateInterval, queue: configuration.rabbitmqQueue)
    return RabbitMQSink(configuration: settings, logger: logger)
}
