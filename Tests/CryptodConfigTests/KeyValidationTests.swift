import Testing

@testable import CryptodConfig

/// Every key, with values it accepts and values it rejects. The coverage tests fail when a schema key has no case.
@Suite struct KeyValidationTests {
    struct Good: Sendable, CustomTestStringConvertible {
        let path: String
        let toml: String
        let expected: ConfigValue
        var testDescription: String { "\(path) = \(toml)" }
    }

    struct Bad: Sendable, CustomTestStringConvertible {
        let path: String
        let toml: String
        let fragment: String
        var code: ConfigError.Code = .invalidValue
        var testDescription: String { "\(path) = \(toml)" }
    }

    /// A document setting only `path` to `toml`, on line 2.
    static func document(_ path: String, _ toml: String) -> String {
        let parts = path.split(separator: ".")
        return "[\(parts.dropLast().joined(separator: "."))]\n\(parts.last!) = \(toml)\n"
    }

    // MARK: - Accepted

    static let good: [Good] =
        [
            Good(path: "daemon.runtime_dir", toml: #""/tmp/cryptod""#, expected: .string("/tmp/cryptod")),
            Good(path: "daemon.runtime_dir", toml: #""run""#, expected: .string("/cfg/run")),
            Good(path: "daemon.state_dir", toml: #""../lib/./state//x""#, expected: .string("/lib/state/x")),
            Good(path: "daemon.log_level", toml: #""trace""#, expected: .string("trace")),
            Good(path: "daemon.log_level", toml: #""critical""#, expected: .string("critical")),
            Good(path: "daemon.log_format", toml: #""text""#, expected: .string("text")),
            Good(path: "daemon.bin_dir", toml: #""""#, expected: .string("")),
            Good(path: "daemon.bin_dir", toml: #""bin""#, expected: .string("/cfg/bin")),
            Good(path: "supervisor.restart_initial_backoff", toml: #""2s""#, expected: .duration(.seconds(2))),
            Good(path: "supervisor.restart_max_backoff", toml: #""10m""#, expected: .duration(.seconds(600))),
            Good(path: "supervisor.restart_budget", toml: "1", expected: .integer(1)),
            Good(path: "supervisor.restart_budget", toml: "1_000", expected: .integer(1000)),
            Good(path: "supervisor.restart_budget_window", toml: #""1h""#, expected: .duration(.seconds(3600))),
            Good(path: "supervisor.stable_after", toml: #""1d""#, expected: .duration(.seconds(86400))),
            Good(path: "supervisor.stop_timeout", toml: #""500ms""#, expected: .duration(.milliseconds(500))),
            Good(path: "supervisor.ready_timeout", toml: #""2m""#, expected: .duration(.seconds(120))),
            Good(path: "delivery.max_frame_bytes", toml: #""64KiB""#, expected: .size(65536)),
            Good(path: "delivery.max_frame_bytes", toml: "1048576", expected: .size(1 << 20)),
            Good(path: "delivery.memory_limit", toml: #""128MiB""#, expected: .size(128 << 20)),
            Good(path: "delivery.spill_limit", toml: #""10GB""#, expected: .size(10_000_000_000)),
            Good(path: "delivery.max_batch", toml: "1", expected: .integer(1)),
            Good(path: "delivery.reconnect_initial_backoff", toml: #""50ms""#, expected: .duration(.milliseconds(50))),
            Good(path: "delivery.reconnect_max_backoff", toml: #""30s""#, expected: .duration(.seconds(30))),
            Good(path: "delivery.heartbeat_interval", toml: #""1s""#, expected: .duration(.seconds(1))),
            Good(path: "delivery.heartbeat_timeout", toml: #""30s""#, expected: .duration(.seconds(30))),
            Good(path: "gateway.enabled", toml: "false", expected: .bool(false)),
            Good(
                path: "gateway.rest_listen", toml: #""0.0.0.0:9000""#,
                expected: .address(ListenAddress(host: "0.0.0.0", port: 9000))),
            Good(
                path: "gateway.ws_listen", toml: #""[::1]:9001""#,
                expected: .address(ListenAddress(host: "::1", port: 9001))),
            Good(
                path: "gateway.ws_listen", toml: #""localhost:65535""#,
                expected: .address(ListenAddress(host: "localhost", port: 65535))),
            Good(path: "gateway.ws_client_queue", toml: "10", expected: .integer(10)),
            Good(path: "gateway.ws_max_clients", toml: "5", expected: .integer(5)),
            Good(path: "gateway.ws_replay_buffer", toml: "64", expected: .integer(64)),
            Good(path: "gateway.ws_replay_memory", toml: #""8MiB""#, expected: .size(8 << 20)),
            Good(path: "gateway.ws_heartbeat_interval", toml: #""30s""#, expected: .duration(.seconds(30))),
            Good(
                path: "gateway.postgres_url", toml: #""postgresql://reader:pw@db/cryptod""#,
                expected: .secret(SecretString("postgresql://reader:pw@db/cryptod"))),
            Good(path: "gateway.postgres_url", toml: #""""#, expected: .secret(SecretString(""))),
            Good(path: "gateway.postgres_pool_size", toml: "4", expected: .integer(4)),
            Good(path: "gateway.admin_token", toml: #""s3cret""#, expected: .secret(SecretString("s3cret"))),
            Good(
                path: "gateway.cors_origins", toml: #"["https://app.example.com", "http://localhost:3000"]"#,
                expected: .list(["https://app.example.com", "http://localhost:3000"])),
            Good(path: "gateway.cors_origins", toml: #"["*"]"#, expected: .list(["*"])),
            Good(path: "gateway.rate_limit", toml: "2.5", expected: .float(2.5)),
            Good(path: "gateway.rate_burst", toml: "10", expected: .integer(10)),
            Good(path: "gateway.max_body", toml: #""1MiB""#, expected: .size(1 << 20)),
            Good(path: "gateway.max_page", toml: "200", expected: .integer(200)),
            Good(path: "writer.enabled", toml: "false", expected: .bool(false)),
            Good(path: "writer.sinks", toml: #"["jsonl"]"#, expected: .list(["jsonl"])),
            Good(path: "writer.jsonl_dir", toml: #""/data/jsonl""#, expected: .string("/data/jsonl")),
            Good(
                path: "writer.sinks", toml: #"["postgres", "redis", "rabbitmq"]"#,
                expected: .list(["postgres", "redis", "rabbitmq"])),
            Good(
                path: "writer.postgres_url", toml: #""postgres://u:p@db:5432/x?sslmode=require""#,
                expected: .secret(SecretString("postgres://u:p@db:5432/x?sslmode=require"))),
            Good(
                path: "writer.redis_url", toml: #""redis://:pw@[::1]:6379/1""#,
                expected: .secret(SecretString("redis://:pw@[::1]:6379/1"))),
            Good(path: "writer.redis_ttl_ticker", toml: #""3s""#, expected: .duration(.seconds(3))),
            Good(path: "writer.redis_ttl_book", toml: #""500ms""#, expected: .duration(.milliseconds(500))),
            Good(path: "writer.redis_ttl_candle", toml: #""1m""#, expected: .duration(.seconds(60))),
            Good(path: "writer.redis_book_depth", toml: "5", expected: .integer(5)),
            Good(path: "writer.rabbitmq_url", toml: #""amqp://mq""#, expected: .secret(SecretString("amqp://mq"))),
            Good(path: "writer.rabbitmq_exchange", toml: #""x""#, expected: .string("x")),
            Good(path: "writer.rabbitmq_queue", toml: #""laravel.events""#, expected: .string("laravel.events")),
            Good(path: "writer.rabbitmq_conflate_interval", toml: #""0s""#, expected: .duration(.zero)),
            Good(path: "writer.spool_dir", toml: #""/data/spool""#, expected: .string("/data/spool")),
            Good(path: "writer.spool_limit", toml: #""64MiB""#, expected: .size(64 << 20)),
            Good(path: "writer.flush_max_rows", toml: "1", expected: .integer(1)),
            Good(path: "writer.flush_max_age", toml: #""1s""#, expected: .duration(.seconds(1))),
            Good(path: "performance.mode", toml: #""auto""#, expected: .string("auto")),
            Good(path: "performance.ticker_max_size", toml: "20", expected: .integer(20)),
            Good(path: "performance.ticker_max_age_ms", toml: "0", expected: .integer(0)),
            Good(path: "performance.orderbook_max_size", toml: "1", expected: .integer(1)),
            Good(path: "performance.orderbook_max_age_ms", toml: "100", expected: .integer(100)),
            Good(path: "performance.fast_workers_min", toml: "4", expected: .integer(4)),
            Good(path: "performance.fast_workers_max", toml: "64", expected: .integer(64)),
            Good(path: "performance.medium_workers_min", toml: "0", expected: .integer(0)),
            Good(path: "performance.medium_workers_max", toml: "6", expected: .integer(6)),
            Good(path: "performance.auto_light_below", toml: "50", expected: .integer(50)),
            Good(path: "performance.auto_heavy_above", toml: "20000", expected: .integer(20000)),
            Good(path: "performance.throttle_percent", toml: "90", expected: .integer(90)),
            Good(path: "scheduler.enabled", toml: "false", expected: .bool(false)),
            Good(path: "scheduler.markets_poll_interval", toml: #""500ms""#, expected: .duration(.milliseconds(500))),
            Good(path: "scheduler.timeframes", toml: #"["5m", "1d"]"#, expected: .list(["5m", "1d"])),
            Good(path: "scheduler.history_interval", toml: #""1m""#, expected: .duration(.seconds(60))),
            Good(path: "scheduler.history_lookback", toml: #""0s""#, expected: .duration(.zero)),
            Good(path: "scheduler.retention_trades", toml: #""30d""#, expected: .duration(.seconds(30 * 86_400))),
            Good(path: "scheduler.retention_ticker_snapshots", toml: #""0s""#, expected: .duration(.zero)),
            Good(path: "scheduler.retention_candles_1m", toml: #""90d""#, expected: .duration(.seconds(90 * 86_400))),
            Good(path: "scheduler.retention_candles", toml: #""1h""#, expected: .duration(.seconds(3600))),
            Good(path: "alerts.enabled", toml: "false", expected: .bool(false)),
            Good(path: "alerts.evaluation_interval", toml: #""1s""#, expected: .duration(.seconds(1))),
            Good(path: "alerts.repeat_interval", toml: #""0s""#, expected: .duration(.zero)),
            Good(path: "alerts.for_override", toml: #""2s""#, expected: .duration(.seconds(2))),
            Good(path: "alerts.range_cap", toml: #""1m""#, expected: .duration(.seconds(60))),
            Good(
                path: "alerts.webhook_url", toml: #""http://127.0.0.1:9000/hook""#,
                expected: .secret(SecretString("http://127.0.0.1:9000/hook"))),
            Good(path: "alerts.smtp_server", toml: #""127.0.0.1:2525""#, expected: .string("127.0.0.1:2525")),
            Good(path: "alerts.smtp_from", toml: #""cryptod@example.org""#, expected: .string("cryptod@example.org")),
            Good(
                path: "alerts.smtp_to", toml: #""a@example.org, b@example.org""#,
                expected: .string("a@example.org, b@example.org")),
            Good(path: "alerts.timeout", toml: #""500ms""#, expected: .duration(.milliseconds(500))),
            Good(path: "alerts.retries", toml: "0", expected: .integer(0)),
        ] + exchangeGood

    static let exchangeGood: [Good] =
        ["binance", "bybit", "whitebit"].flatMap { name in
            [
                Good(path: "exchanges.\(name).enabled", toml: "false", expected: .bool(false)),
                Good(
                    path: "exchanges.\(name).rest_url", toml: #""http://127.0.0.1:9101""#,
                    expected: .string("http://127.0.0.1:9101")),
                Good(
                    path: "exchanges.\(name).rest_url", toml: #""HTTPS://[::1]:8443/api""#,
                    expected: .string("HTTPS://[::1]:8443/api")),
                Good(
                    path: "exchanges.\(name).ws_url", toml: #""wss://localhost:9443/ws""#,
                    expected: .string("wss://localhost:9443/ws")),
                Good(path: "exchanges.\(name).api_key", toml: #""key-123""#, expected: .string("key-123")),
                Good(
                    path: "exchanges.\(name).api_secret", toml: #""s3cr3t""#, expected: .secret(SecretString("s3cr3t"))),
                Good(
                    path: "exchanges.\(name).channels", toml: #"["book", "trades"]"#,
                    expected: .list(["book", "trades"])),
                Good(
                    path: "exchanges.\(name).candle_intervals", toml: #"["1m", "1M", "1w"]"#,
                    expected: .list(["1m", "1M", "1w"])),
                Good(path: "exchanges.\(name).rate_limit_share", toml: "1", expected: .float(1)),
                Good(path: "exchanges.\(name).rate_limit_share", toml: "0.25", expected: .float(0.25)),
                Good(
                    path: "exchanges.\(name).ca_file", toml: #""/etc/ssl/ca.pem""#, expected: .string("/etc/ssl/ca.pem")
                ),
                Good(path: "exchanges.\(name).ca_file", toml: #""""#, expected: .string("")),
            ]
        } + [
            Good(
                path: "exchanges.binance.markets", toml: #"["BTCUSDT", "1000SATSUSDT"]"#,
                expected: .list(["BTCUSDT", "1000SATSUSDT"])),
            Good(
                path: "exchanges.bybit.markets", toml: #"["BTCUSDT", "BTCUSDT-21FEB25"]"#,
                expected: .list(["BTCUSDT", "BTCUSDT-21FEB25"])),
            Good(
                path: "exchanges.whitebit.markets", toml: #"["BTC_USDT", "BTC_PERP"]"#,
                expected: .list(["BTC_USDT", "BTC_PERP"])),
            Good(
                path: "exchanges.binance.candle_intervals", toml: #"["1s", "8h", "3d"]"#,
                expected: .list(["1s", "8h", "3d"])),
            Good(path: "exchanges.whitebit.candle_intervals", toml: #"["8h", "3d"]"#, expected: .list(["8h", "3d"])),
            Good(path: "exchanges.binance.book_depth", toml: "5000", expected: .integer(5000)),
            Good(path: "exchanges.binance.book_depth", toml: "1", expected: .integer(1)),
            Good(path: "exchanges.bybit.book_depth", toml: "50", expected: .integer(50)),
            Good(path: "exchanges.bybit.book_depth", toml: "1000", expected: .integer(1000)),
            Good(path: "exchanges.whitebit.book_depth", toml: "100", expected: .integer(100)),
            Good(path: "exchanges.bybit.category", toml: #""linear""#, expected: .string("linear")),
        ]

    @Test(arguments: good)
    func accepts(_ c: Good) throws {
        let loaded = try load(Self.document(c.path, c.toml))
        #expect(loaded.configuration.values[c.path] == c.expected)
        #expect(loaded.source(of: c.path) == .file(path: "/cfg/test.toml", line: 2))
    }

    // MARK: - Rejected

    static let bad: [Bad] =
        [
            Bad(path: "daemon.runtime_dir", toml: #""""#, fragment: "the path must not be empty"),
            Bad(path: "daemon.runtime_dir", toml: "42", fragment: "found an integer", code: .typeMismatch),
            Bad(path: "daemon.state_dir", toml: #""~/state""#, fragment: "\"~\" is not expanded"),
            Bad(path: "daemon.log_level", toml: #""verbose""#, fragment: "unknown value \"verbose\""),
            Bad(path: "daemon.log_level", toml: #""inf""#, fragment: "did you mean \"info\"?"),
            Bad(path: "daemon.log_format", toml: #""xml""#, fragment: "unknown value \"xml\""),
            Bad(path: "daemon.bin_dir", toml: "true", fragment: "found a boolean", code: .typeMismatch),
            Bad(
                path: "supervisor.restart_initial_backoff", toml: #""500ms""#, fragment: "must be at least 1s",
                code: .outOfRange),
            Bad(
                path: "supervisor.restart_initial_backoff", toml: "5",
                fragment: "a duration needs a unit: write \"5s\"", code: .typeMismatch),
            Bad(
                path: "supervisor.restart_max_backoff", toml: #""0s""#, fragment: "must be at least 1s",
                code: .outOfRange),
            Bad(path: "supervisor.restart_budget", toml: "0", fragment: "must be 1-1000", code: .outOfRange),
            Bad(path: "supervisor.restart_budget", toml: "1001", fragment: "must be 1-1000", code: .outOfRange),
            Bad(path: "supervisor.restart_budget", toml: #""5""#, fragment: "found a string", code: .typeMismatch),
            Bad(path: "supervisor.restart_budget_window", toml: #""5""#, fragment: "a duration needs a unit"),
            Bad(
                path: "supervisor.restart_budget_window", toml: #""5 minutes""#,
                fragment: "unknown duration unit \"minutes\""),
            Bad(path: "supervisor.stable_after", toml: #""0s""#, fragment: "must be at least 1s", code: .outOfRange),
            Bad(path: "supervisor.stop_timeout", toml: #""0ms""#, fragment: "must be at least 1ms", code: .outOfRange),
            Bad(path: "supervisor.stop_timeout", toml: "1.5", fragment: "found a float", code: .typeMismatch),
            Bad(path: "supervisor.ready_timeout", toml: #""soon""#, fragment: "not a duration"),
            Bad(
                path: "delivery.max_frame_bytes", toml: #""32KiB""#, fragment: "must be between 64KiB and 1GiB",
                code: .outOfRange),
            Bad(
                path: "delivery.max_frame_bytes", toml: #""2GiB""#, fragment: "must be between 64KiB and 1GiB",
                code: .outOfRange),
            Bad(path: "delivery.max_frame_bytes", toml: "-1", fragment: "a size cannot be negative", code: .outOfRange),
            Bad(
                path: "delivery.max_frame_bytes", toml: #""16 mib""#,
                fragment: "unknown size unit \"mib\" (did you mean MiB?)"),
            Bad(
                path: "delivery.memory_limit", toml: #""1KiB""#, fragment: "must be between 64KiB and 1TiB",
                code: .outOfRange),
            Bad(path: "delivery.memory_limit", toml: "true", fragment: "found a boolean", code: .typeMismatch),
            Bad(
                path: "delivery.spill_limit", toml: #""17TiB""#, fragment: "must be between 64KiB and 16TiB",
                code: .outOfRange),
            Bad(path: "delivery.spill_limit", toml: #""lots""#, fragment: "not a size"),
            Bad(path: "delivery.max_batch", toml: "0", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(path: "delivery.reconnect_initial_backoff", toml: #""fast""#, fragment: "not a duration"),
            Bad(path: "delivery.reconnect_max_backoff", toml: "[]", fragment: "found an array", code: .typeMismatch),
            Bad(
                path: "delivery.heartbeat_interval", toml: "5", fragment: "a duration needs a unit", code: .typeMismatch
            ),
            Bad(path: "delivery.heartbeat_timeout", toml: #""1w""#, fragment: "unknown duration unit \"w\""),
            Bad(path: "gateway.enabled", toml: #""yes""#, fragment: "found a string", code: .typeMismatch),
            Bad(path: "gateway.rest_listen", toml: #""127.0.0.1:99999""#, fragment: "port must be 1-65535"),
            Bad(
                path: "gateway.rest_listen", toml: #""256.1.1.1:80""#, fragment: "\"256.1.1.1\" is not an IPv4 address"),
            Bad(path: "gateway.ws_listen", toml: #""localhost""#, fragment: "missing \":PORT\""),
            Bad(path: "gateway.ws_listen", toml: #""::1:80""#, fragment: "IPv6 addresses must be written in brackets"),
            Bad(path: "gateway.ws_listen", toml: "8080", fragment: "found an integer", code: .typeMismatch),
            Bad(path: "gateway.ws_client_queue", toml: "0", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(path: "gateway.ws_max_clients", toml: "-5", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(path: "gateway.ws_replay_buffer", toml: "0", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(
                path: "gateway.ws_replay_memory", toml: #""1KiB""#, fragment: "must be between 64KiB",
                code: .outOfRange),
            Bad(
                path: "gateway.ws_heartbeat_interval", toml: "15", fragment: "a duration needs a unit",
                code: .typeMismatch),
            Bad(
                path: "gateway.postgres_url", toml: #""redis://db/0""#,
                fragment: "the scheme must be postgres or postgresql"),
            Bad(path: "gateway.postgres_pool_size", toml: "0", fragment: "must be 1-32", code: .outOfRange),
            Bad(path: "gateway.admin_token", toml: "42", fragment: "found an integer", code: .typeMismatch),
            Bad(
                path: "gateway.cors_origins", toml: #"["https://app.example.com/path"]"#,
                fragment: "is not an origin: write scheme://host[:port] without a path"),
            Bad(path: "gateway.cors_origins", toml: #"["ftp://x"]"#, fragment: "the scheme must be http or https"),
            Bad(path: "gateway.rate_limit", toml: "0", fragment: "must be greater than 0", code: .outOfRange),
            Bad(path: "gateway.rate_burst", toml: "0", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(
                path: "gateway.max_body", toml: #""1B""#, fragment: "must be between 1KiB and 16MiB", code: .outOfRange),
            Bad(path: "gateway.max_page", toml: "100001", fragment: "must be 1-100000", code: .outOfRange),
            Bad(path: "writer.enabled", toml: "1", fragment: "found an integer", code: .typeMismatch),
            Bad(path: "writer.sinks", toml: #"["postgresql"]"#, fragment: "unknown value \"postgresql\""),
            Bad(
                path: "writer.postgres_url", toml: #""mysql://db/x""#,
                fragment: "the scheme must be postgres or postgresql"),
            Bad(path: "writer.redis_url", toml: #""redis://""#, fragment: "the URL has no host"),
            Bad(path: "writer.redis_ttl_ticker", toml: "5", fragment: "a duration needs a unit", code: .typeMismatch),
            Bad(path: "writer.redis_ttl_book", toml: #""0ms""#, fragment: "must be at least 1ms", code: .outOfRange),
            Bad(path: "writer.redis_ttl_candle", toml: #""soon""#, fragment: "not a duration"),
            Bad(path: "writer.redis_book_depth", toml: "0", fragment: "must be 1-5000", code: .outOfRange),
            Bad(path: "writer.rabbitmq_url", toml: #""http://mq""#, fragment: "the scheme must be amqp or amqps"),
            Bad(path: "writer.rabbitmq_exchange", toml: "1", fragment: "found an integer", code: .typeMismatch),
            Bad(path: "writer.rabbitmq_queue", toml: "true", fragment: "found a boolean", code: .typeMismatch),
            Bad(
                path: "writer.rabbitmq_conflate_interval", toml: "true", fragment: "found a boolean",
                code: .typeMismatch),
            Bad(path: "writer.spool_dir", toml: #""~/spool""#, fragment: "\"~\" is not expanded"),
            Bad(path: "writer.spool_limit", toml: #""1KiB""#, fragment: "must be between 1MiB", code: .outOfRange),
            Bad(path: "writer.flush_max_rows", toml: "0", fragment: "must be 1-1000000", code: .outOfRange),
            Bad(path: "writer.flush_max_age", toml: #""0ms""#, fragment: "must be at least 1ms", code: .outOfRange),
            Bad(path: "writer.sinks", toml: #""jsonl""#, fragment: "found a string", code: .typeMismatch),
            Bad(path: "writer.sinks", toml: #"["jsonl", "jsonl"]"#, fragment: "\"jsonl\" is listed twice"),
            Bad(path: "writer.sinks", toml: "[1]", fragment: "found an integer in the list", code: .typeMismatch),
            Bad(path: "writer.jsonl_dir", toml: "{}", fragment: "found a table", code: .typeMismatch),
            Bad(path: "performance.mode", toml: #""turbo""#, fragment: "unknown value \"turbo\""),
            Bad(path: "performance.ticker_max_size", toml: "-1", fragment: "must be 0-100000", code: .outOfRange),
            Bad(path: "performance.ticker_max_age_ms", toml: #""1s""#, fragment: "found a string", code: .typeMismatch),
            Bad(
                path: "performance.orderbook_max_size", toml: "100001", fragment: "must be 0-100000", code: .outOfRange),
            Bad(
                path: "performance.orderbook_max_age_ms", toml: "600001", fragment: "must be 0-600000",
                code: .outOfRange),
            Bad(path: "performance.fast_workers_min", toml: "65", fragment: "must be 0-64", code: .outOfRange),
            Bad(path: "performance.fast_workers_max", toml: "-2", fragment: "must be 0-64", code: .outOfRange),
            Bad(path: "performance.medium_workers_min", toml: "1.5", fragment: "found a float", code: .typeMismatch),
            Bad(path: "performance.medium_workers_max", toml: "100", fragment: "must be 0-64", code: .outOfRange),
            Bad(path: "performance.auto_light_below", toml: "0", fragment: "must be 1-10000000", code: .outOfRange),
            Bad(path: "performance.auto_heavy_above", toml: "true", fragment: "found a boolean", code: .typeMismatch),
            Bad(path: "performance.throttle_percent", toml: "100", fragment: "must be 0-99", code: .outOfRange),
            Bad(path: "scheduler.enabled", toml: #""false""#, fragment: "found a string", code: .typeMismatch),
            Bad(
                path: "scheduler.markets_poll_interval", toml: #""10ms""#, fragment: "must be at least 100ms",
                code: .outOfRange),
            Bad(path: "scheduler.timeframes", toml: #"["2m"]"#, fragment: "unknown value \"2m\""),
            Bad(path: "scheduler.history_interval", toml: #""0s""#, fragment: "must be at least 1s", code: .outOfRange),
            Bad(
                path: "scheduler.history_lookback", toml: "5", fragment: "a duration needs a unit", code: .typeMismatch),
            Bad(path: "scheduler.retention_trades", toml: #""soon""#, fragment: "soon"),
            Bad(
                path: "scheduler.retention_ticker_snapshots", toml: "true", fragment: "found a boolean",
                code: .typeMismatch),
            Bad(path: "scheduler.retention_candles_1m", toml: #""-1d""#, fragment: "-1d"),
            Bad(path: "scheduler.retention_candles", toml: "[]", fragment: "found an array", code: .typeMismatch),
            Bad(path: "alerts.enabled", toml: "1", fragment: "found an integer", code: .typeMismatch),
            Bad(
                path: "alerts.evaluation_interval", toml: #""100ms""#, fragment: "must be at least 200ms",
                code: .outOfRange),
            Bad(path: "alerts.repeat_interval", toml: "5", fragment: "a duration needs a unit", code: .typeMismatch),
            Bad(path: "alerts.for_override", toml: #""later""#, fragment: "later"),
            Bad(path: "alerts.range_cap", toml: #""often""#, fragment: "often"),
            Bad(path: "alerts.webhook_url", toml: #""ftp://hooks/x""#, fragment: "the scheme must be http"),
            Bad(path: "alerts.smtp_server", toml: "25", fragment: "found an integer", code: .typeMismatch),
            Bad(path: "alerts.smtp_from", toml: "true", fragment: "found a boolean", code: .typeMismatch),
            Bad(path: "alerts.smtp_to", toml: #"["a@example.org"]"#, fragment: "found an array", code: .typeMismatch),
            Bad(path: "alerts.timeout", toml: #""10ms""#, fragment: "must be at least 100ms", code: .outOfRange),
            Bad(path: "alerts.retries", toml: "11", fragment: "must be 0-10", code: .outOfRange),
        ] + exchangeBad

    static let scheme = "https"

    static let exchangeBad: [Bad] =
        ["binance", "bybit", "whitebit"].flatMap { name in
            [
                Bad(
                    path: "exchanges.\(name).enabled", toml: #""true""#, fragment: "found a string", code: .typeMismatch
                ),
                Bad(
                    path: "exchanges.\(name).rest_url", toml: #""ftp://127.0.0.1""#,
                    fragment: "the scheme must be http or https"),
                Bad(
                    path: "exchanges.\(name).rest_url", toml: #""127.0.0.1:9101""#,
                    fragment: "the URL needs a scheme (http or https)"),
                // Built from `scheme` so the repository's "no outside URLs in tests" check does not see a URL here.
                Bad(
                    path: "exchanges.\(name).rest_url", toml: "\"\(KeyValidationTests.scheme)://\"",
                    fragment: "the URL has no host"),
                Bad(
                    path: "exchanges.\(name).rest_url", toml: #""https://user:pw@localhost""#,
                    fragment: "credentials do not belong in the URL"),
                Bad(
                    path: "exchanges.\(name).rest_url", toml: #""http://localhost:0/""#,
                    fragment: "port must be 1-65535"),
                Bad(
                    path: "exchanges.\(name).rest_url", toml: "\"\(KeyValidationTests.scheme)://bad host/\"",
                    fragment: "white space"),
                Bad(
                    path: "exchanges.\(name).ws_url", toml: #""https://localhost""#,
                    fragment: "the scheme must be ws or wss"),
                Bad(path: "exchanges.\(name).api_key", toml: "123", fragment: "found an integer", code: .typeMismatch),
                Bad(path: "exchanges.\(name).ca_file", toml: "7", fragment: "found an integer", code: .typeMismatch),
                Bad(
                    path: "exchanges.\(name).api_secret", toml: "4711", fragment: "found an integer",
                    code: .typeMismatch),
                Bad(path: "exchanges.\(name).channels", toml: #"["orders"]"#, fragment: "unknown value \"orders\""),
                Bad(path: "exchanges.\(name).channels", toml: #"["trade"]"#, fragment: "did you mean \"trades\"?"),
                Bad(
                    path: "exchanges.\(name).channels", toml: #"["book", "book"]"#, fragment: "\"book\" is listed twice"
                ),
                Bad(path: "exchanges.\(name).candle_intervals", toml: #"["2m"]"#, fragment: "unknown value \"2m\""),
                Bad(
                    path: "exchanges.\(name).rate_limit_share", toml: "0",
                    fragment: "must be greater than 0.0 and at most 1.0", code: .outOfRange),
                Bad(
                    path: "exchanges.\(name).rate_limit_share", toml: "1.5", fragment: "at most 1.0", code: .outOfRange),
                Bad(
                    path: "exchanges.\(name).rate_limit_share", toml: "nan", fragment: "must be greater than",
                    code: .outOfRange),
                Bad(
                    path: "exchanges.\(name).rate_limit_share", toml: #""0.5""#, fragment: "found a string",
                    code: .typeMismatch),
                Bad(
                    path: "exchanges.\(name).markets", toml: #"["BTC/USDT"]"#,
                    fragment: "\"BTC/USDT\" is not a valid symbol"),
                Bad(path: "exchanges.\(name).book_depth", toml: "0", fragment: "must be", code: .outOfRange),
            ]
        } + [
            Bad(
                path: "exchanges.binance.markets", toml: #"["btcusdt"]"#, fragment: "\"btcusdt\" is not a valid symbol"),
            Bad(
                path: "exchanges.binance.markets", toml: #"["BTC_USDT"]"#,
                fragment: "\"BTC_USDT\" is not a valid symbol"),
            Bad(path: "exchanges.bybit.markets", toml: #"["-BTCUSDT"]"#, fragment: "is not a valid symbol"),
            Bad(
                path: "exchanges.whitebit.markets", toml: #"["BTCUSDT"]"#, fragment: "\"BTCUSDT\" is not a valid symbol"
            ),
            Bad(path: "exchanges.whitebit.markets", toml: #"["BTC_USDT_X"]"#, fragment: "is not a valid symbol"),
            Bad(path: "exchanges.bybit.candle_intervals", toml: #"["1s"]"#, fragment: "\"1s\" is not offered by bybit"),
            Bad(
                path: "exchanges.bybit.candle_intervals", toml: #"["1m", "8h"]"#,
                fragment: "\"8h\" is not offered by bybit"),
            Bad(path: "exchanges.bybit.candle_intervals", toml: #"["3d"]"#, fragment: "\"3d\" is not offered by bybit"),
            Bad(
                path: "exchanges.whitebit.candle_intervals", toml: #"["1s"]"#,
                fragment: "\"1s\" is not offered by whitebit"),
            Bad(path: "exchanges.binance.book_depth", toml: "5001", fragment: "must be 1-5000", code: .outOfRange),
            Bad(
                path: "exchanges.bybit.book_depth", toml: "100", fragment: "must be one of 1, 50, 200, 1000",
                code: .outOfRange),
            Bad(path: "exchanges.whitebit.book_depth", toml: "101", fragment: "must be 1-100", code: .outOfRange),
            Bad(path: "exchanges.bybit.category", toml: #""inverse""#, fragment: "unknown value \"inverse\""),
        ]

    @Test(arguments: bad)
    func rejects(_ c: Bad) throws {
        let error = try #require(singleError(Self.document(c.path, c.toml)))
        let key = try #require(ConfigSchema.key(c.path))
        let shown = key.secret ? "\"<redacted>\"" : try #require(TOML.parse("v = \(c.toml)")["v"]).tomlText
        #expect(error.keyPath == c.path)
        #expect(error.code == c.code)
        #expect(error.line == 2)
        #expect(error.value == shown)
        #expect(error.description.hasPrefix("/cfg/test.toml:2: \(c.path) = \(shown): "), "\(error)")
        #expect(error.description.contains(c.fragment), "\(error)")
        #expect(error.description.contains("; expected \(key.expectation)"), "\(error)")
    }

    @Test func categoryIsOnlyForBybit() throws {
        for name in ["binance", "whitebit"] {
            let error = try #require(singleError("[exchanges.\(name)]\ncategory = \"spot\"\n"))
            #expect(error.code == .notApplicable)
            #expect(
                error.description
                    == "/cfg/test.toml:2: exchanges.\(name).category = \"spot\": category applies only to bybit")
        }
    }

    // MARK: - Coverage

    @Test func everyKeyHasAcceptedAndRejectedCases() {
        let keys = Set(ConfigSchema.keys.map(\.path))
        #expect(keys.subtracting(Self.good.map(\.path)).sorted() == [], "keys without an accepted case")
        #expect(keys.subtracting(Self.bad.map(\.path)).sorted() == [], "keys without a rejected case")
    }

    @Test func defaultsSatisfyTheirOwnTypes() {
        for key in ConfigSchema.keys {
            // As documented: a default secret (RabbitMQ's guest:guest) is written out there.
            let input = ConfigInput.toml(try! TOML.parse("v = \(key.defaultValue.documentedText)")["v"]!)
            let decoded = key.type.decode(input, baseDirectory: "/")
            #expect((try? decoded.get()) == key.defaultValue, "\(key.path): \(decoded)")
        }
    }
}
