// Small closed sets of words the configuration accepts. Each enum's raw values are exactly the words
// written in the file, so the schema, the docs and the parser share one list.

/// `daemon.log_level`: the names swift-log uses for `Logger.Level`.
package enum LogLevel: String, Sendable, Equatable, CaseIterable {
    case trace, debug, info, notice, warning, error, critical
}

/// `daemon.log_format`: one JSON object per line, or human-readable text.
package enum LogFormat: String, Sendable, Equatable, CaseIterable {
    case json, text
}

/// A destination the writer can store market data in (`writer.sinks`).
///
/// To add a sink (postgres, redis, rabbitmq), add a case here: the schema's allowed list, the docs and the
/// validation all derive from `allCases`.
package enum SinkKind: String, Sendable, Equatable, CaseIterable {
    /// JSON lines files under `writer.jsonl_dir`.
    case jsonl
    /// PostgreSQL at `writer.postgres_url`: rows with their positions, in one transaction per batch.
    case postgres
    /// Redis at `writer.redis_url`: latest values with a TTL; a cache, it never holds back acknowledgements.
    case redis
    /// RabbitMQ at `writer.rabbitmq_url`: persistent messages with publisher confirms.
    case rabbitmq
}

/// A market-data stream an ingestor subscribes to (`exchanges.<name>.channels`).
package enum MarketChannel: String, Sendable, Equatable, CaseIterable {
    case ticker, trades, candles, book
}

/// Helpers shared by the enums above.
extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// Every accepted word, in declaration order.
    package static var names: [String] { allCases.map(\.rawValue) }
}
