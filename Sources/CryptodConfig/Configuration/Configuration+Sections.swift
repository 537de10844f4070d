import CryptodModel
import Foundation

// The typed sections of ``Configuration``. Each reads its keys from the validated value map, so the schema
// stays the single list of keys; the property docs give key, type and default.

/// A lookup into the validated values of one configuration.
struct ValueReader {
    let values: [String: ConfigValue]

    subscript(_ path: String) -> ConfigValue {
        guard let value = values[path] else { preconditionFailure("no schema key \(path)") }
        return value
    }

    func word<T: RawRepresentable>(_ path: String, as: T.Type) -> T where T.RawValue == String {
        guard let value = T(rawValue: self[path].stringValue) else { preconditionFailure("bad \(path)") }
        return value
    }

    func words<T: RawRepresentable>(_ path: String, as: T.Type) -> [T] where T.RawValue == String {
        self[path].listValue.map { item in
            guard let value = T(rawValue: item) else { preconditionFailure("bad \(path) item \(item)") }
            return value
        }
    }
}

// MARK: - [daemon]

/// `[daemon]`: where cryptod keeps its files and how it logs.
package struct DaemonConfig: Sendable, Equatable {
    /// `runtime_dir`, path, default `"/run/cryptod"`: sockets and the pid file (mode 0700). Absolute.
    package let runtimeDirectory: String
    /// `state_dir`, path, default `"/var/lib/cryptod"`: spill files, delivery marks, file sinks (mode 0700).
    package let stateDirectory: String
    /// `log_level`, trace…critical, default `info`. Reloadable.
    package let logLevel: LogLevel
    /// `log_format`, json|text, default `json`.
    package let logFormat: LogFormat
    /// `bin_dir`, path, default `""`: nil means the directory of the running `cryptod` binary.
    package let binDirectory: String?

    init(_ v: ValueReader) {
        runtimeDirectory = v["daemon.runtime_dir"].stringValue
        stateDirectory = v["daemon.state_dir"].stringValue
        logLevel = v.word("daemon.log_level", as: LogLevel.self)
        logFormat = v.word("daemon.log_format", as: LogFormat.self)
        let bin = v["daemon.bin_dir"].stringValue
        binDirectory = bin.isEmpty ? nil : bin
    }
}

// MARK: - [supervisor]

/// `[supervisor]`: restart and stop policy for child processes. Applied by the supervisor on reload.
package struct SupervisorConfig: Sendable, Equatable {
    /// `restart_initial_backoff`, duration >= 1s, default `"1s"`.
    package let restartInitialBackoff: Duration
    /// `restart_max_backoff`, duration >= restart_initial_backoff, default `"60s"`.
    package let restartMaxBackoff: Duration
    /// `restart_budget`, integer 1-1000, default `5`: crashes within the window before giving up on a child.
    package let restartBudget: Int
    /// `restart_budget_window`, duration, default `"5m"`.
    package let restartBudgetWindow: Duration
    /// `stable_after`, duration, default `"60s"`: uptime after which a child's backoff is reset.
    package let stableAfter: Duration
    /// `stop_timeout`, duration, default `"15s"`: SIGTERM to SIGKILL, per child.
    package let stopTimeout: Duration
    /// `ready_timeout`, duration, default `"60s"`.
    package let readyTimeout: Duration

    init(_ v: ValueReader) {
        restartInitialBackoff = v["supervisor.restart_initial_backoff"].durationValue
        restartMaxBackoff = v["supervisor.restart_max_backoff"].durationValue
        restartBudget = v["supervisor.restart_budget"].intValue
        restartBudgetWindow = v["supervisor.restart_budget_window"].durationValue
        stableAfter = v["supervisor.stable_after"].durationValue
        stopTimeout = v["supervisor.stop_timeout"].durationValue
        readyTimeout = v["supervisor.ready_timeout"].durationValue
    }
}

// MARK: - [delivery]

/// `[delivery]`: reliable delivery between processes. Sizes are in bytes.
package struct DeliveryConfig: Sendable, Equatable {
    /// `max_frame_bytes`, size 64KiB-1GiB, default `"16MiB"`.
    package let maxFrameBytes: Int
    /// `memory_limit`, size, default `"64MiB"`: unacknowledged bytes in memory per outbound stream before spilling.
    package let memoryLimit: Int
    /// `spill_limit`, size, default `"2GiB"`: per outbound stream on disk; beyond it the oldest frames are dropped.
    package let spillLimit: Int
    /// `max_batch`, integer, default `4096`.
    package let maxBatch: Int
    /// `reconnect_initial_backoff`, duration, default `"100ms"`.
    package let reconnectInitialBackoff: Duration
    /// `reconnect_max_backoff`, duration, default `"5s"`.
    package let reconnectMaxBackoff: Duration
    /// `heartbeat_interval`, duration, default `"5s"`.
    package let heartbeatInterval: Duration
    /// `heartbeat_timeout`, duration > heartbeat_interval, default `"20s"`.
    package let heartbeatTimeout: Duration

    init(_ v: ValueReader) {
        maxFrameBytes = v["delivery.max_frame_bytes"].intValue
        memoryLimit = v["delivery.memory_limit"].intValue
        spillLimit = v["delivery.spill_limit"].intValue
        maxBatch = v["delivery.max_batch"].intValue
        reconnectInitialBackoff = v["delivery.reconnect_initial_backoff"].durationValue
        reconnectMaxBackoff = v["delivery.reconnect_max_backoff"].durationValue
        heartbeatInterval = v["delivery.heartbeat_interval"].durationValue
        heartbeatTimeout = v["delivery.heartbeat_timeout"].durationValue
    }
}

// MARK: - [gateway], [writer], [scheduler]

/// `[gateway]`: the client-facing REST and WebSocket API.
package struct GatewayConfig: Sendable, Equatable {
    /// `enabled`, bool, default `true`.
    package let enabled: Bool
    /// `rest_listen`, address, default `"127.0.0.1:8000"`.
    package let restListen: ListenAddress
    /// `ws_listen`, address, default `"127.0.0.1:8080"`; must differ from rest_listen.
    package let wsListen: ListenAddress
    /// `ws_client_queue`, integer, default `4096`: messages per client before a slow client is disconnected.
    package let wsClientQueue: Int
    /// `ws_max_clients`, integer, default `100`.
    package let wsMaxClients: Int
    /// `ws_replay_buffer`, integer, default `1024`: messages kept per topic for clients that resume.
    package let wsReplayBuffer: Int
    /// `ws_replay_memory`, size, default 32 MiB: bytes all topics' replay buffers hold together.
    package let wsReplayMemory: Int
    /// `ws_heartbeat_interval`, duration, default `"15s"`: how often clients get a heartbeat message.
    package let wsHeartbeatInterval: Duration
    /// `postgres_url`, postgres/postgresql URL, default `""` = `writer.postgres_url` (already resolved here).
    package let postgresURL: SecretString
    /// `postgres_pool_size`, integer 1-32, default `2`.
    package let postgresPoolSize: Int
    /// `admin_token`, secret, default `""` (nil: the admin routes are disabled).
    package let adminToken: SecretString?
    /// `cors_origins`, list of origins or `"*"`, default `[]`.
    package let corsOrigins: [String]
    /// `rate_limit`, requests per second per client IP, default `100`.
    package let rateLimit: Double
    /// `rate_burst`, integer, default `200`.
    package let rateBurst: Int
    /// `max_body`, size, default `"64KiB"`.
    package let maxBody: Int
    /// `max_page`, integer, default `1000`.
    package let maxPage: Int

    init(_ v: ValueReader) {
        enabled = v["gateway.enabled"].boolValue
        restListen = v["gateway.rest_listen"].addressValue
        wsListen = v["gateway.ws_listen"].addressValue
        wsClientQueue = v["gateway.ws_client_queue"].intValue
        wsMaxClients = v["gateway.ws_max_clients"].intValue
        wsReplayBuffer = v["gateway.ws_replay_buffer"].intValue
        wsReplayMemory = v["gateway.ws_replay_memory"].intValue
        wsHeartbeatInterval = v["gateway.ws_heartbeat_interval"].durationValue
        let url = v["gateway.postgres_url"].secretValue
        postgresURL = url.revealed.isEmpty ? v["writer.postgres_url"].secretValue : url
        postgresPoolSize = v["gateway.postgres_pool_size"].intValue
        let token = v["gateway.admin_token"].secretValue
        adminToken = token.revealed.isEmpty ? nil : token
        corsOrigins = v["gateway.cors_origins"].listValue
        rateLimit = v["gateway.rate_limit"].doubleValue
        rateBurst = v["gateway.rate_burst"].intValue
        maxBody = v["gateway.max_body"].intValue
        maxPage = v["gateway.max_page"].intValue
    }
}

/// `[writer]`: stores market data.
package struct WriterConfig: Sendable, Equatable {
    /// `enabled`, bool, default `true`.
    package let enabled: Bool
    /// `sinks`, list of jsonl|postgres|redis|rabbitmq, default `["jsonl"]`.
    package let sinks: [SinkKind]
    /// `jsonl_dir`, path, default `""` = `<state_dir>/jsonl` (already resolved here).
    package let jsonlDirectory: String
    /// `postgres_url`, postgres/postgresql URL, default `"postgresql://postgres@127.0.0.1:55432/cryptod"`;
    /// prints without its password.
    package let postgresURL: SecretString
    /// `redis_url`, redis URL, default `"redis://127.0.0.1:56379/0"`; prints without its password.
    package let redisURL: SecretString
    /// `redis_ttl_ticker`, duration, default `"5s"`.
    package let redisTTLTicker: Duration
    /// `redis_ttl_book`, duration, default `"1s"`.
    package let redisTTLBook: Duration
    /// `redis_ttl_candle`, duration, default `"10s"`.
    package let redisTTLCandle: Duration
    /// `redis_book_depth`, integer 1-5000, default `20`.
    package let redisBookDepth: Int
    /// `rabbitmq_url`, amqp/amqps URL, default `"amqp://guest:guest@127.0.0.1:55672/%2f"`; prints without
    /// its password.
    package let rabbitmqURL: SecretString
    /// `rabbitmq_exchange`, string, default `"crypto.events"`.
    package let rabbitmqExchange: String
    /// `rabbitmq_queue`, string, default `""` (nil: no queue is declared).
    package let rabbitmqQueue: String?
    /// `rabbitmq_conflate_interval`, duration >= 0, default `"1s"`; zero publishes every update.
    package let rabbitmqConflateInterval: Duration
    /// `spool_dir`, path, default `""` = `<state_dir>/spool` (already resolved here).
    package let spoolDirectory: String
    /// `spool_limit`, size 1MiB-16TiB, default `"1GiB"`: per sink.
    package let spoolLimit: Int
    /// `flush_max_rows`, integer 1-1000000, default `5000`.
    package let flushMaxRows: Int
    /// `flush_max_age`, duration >= 1ms, default `"200ms"`.
    package let flushMaxAge: Duration

    init(_ v: ValueReader, stateDirectory: String) {
        enabled = v["writer.enabled"].boolValue
        sinks = v.words("writer.sinks", as: SinkKind.self)
        let dir = v["writer.jsonl_dir"].stringValue
        jsonlDirectory = dir.isEmpty ? ConfigValueType.resolve("jsonl", against: stateDirectory) : dir
        postgresURL = v["writer.postgres_url"].secretValue
        redisURL = v["writer.redis_url"].secretValue
        redisTTLTicker = v["writer.redis_ttl_ticker"].durationValue
        redisTTLBook = v["writer.redis_ttl_book"].durationValue
        redisTTLCandle = v["writer.redis_ttl_candle"].durationValue
        redisBookDepth = v["writer.redis_book_depth"].intValue
        rabbitmqURL = v["writer.rabbitmq_url"].secretValue
        rabbitmqExchange = v["writer.rabbitmq_exchange"].stringValue
        let queue = v["writer.rabbitmq_queue"].stringValue
        rabbitmqQueue = queue.isEmpty ? nil : queue
        rabbitmqConflateInterval = v["writer.rabbitmq_conflate_interval"].durationValue
        let spool = v["writer.spool_dir"].stringValue
        spoolDirectory = spool.isEmpty ? ConfigValueType.resolve("spool", against: stateDirectory) : spool
        spoolLimit = v["writer.spool_limit"].intValue
        flushMaxRows = v["writer.flush_max_rows"].intValue
        flushMaxAge = v["writer.flush_max_age"].durationValue
    }
}

/// `[performance]`: the mode and its overrides (0 means "the mode's value"); resolved into buffer limits and
/// worker bounds by CryptodOps' `PerformanceProfile`.
package struct PerformanceConfig: Sendable, Equatable {
    /// `mode`: light, medium (default), heavy or auto.
    package let mode: String
    package let tickerMaxSize: Int
    package let tickerMaxAgeMilliseconds: Int
    package let orderbookMaxSize: Int
    package let orderbookMaxAgeMilliseconds: Int
    package let fastWorkersMin: Int
    package let fastWorkersMax: Int
    package let mediumWorkersMin: Int
    package let mediumWorkersMax: Int
    /// Messages per second.
    package let autoLightBelow: Int
    package let autoHeavyAbove: Int
    package let throttlePercent: Int

    init(_ v: ValueReader) {
        mode = v["performance.mode"].stringValue
        tickerMaxSize = v["performance.ticker_max_size"].intValue
        tickerMaxAgeMilliseconds = v["performance.ticker_max_age_ms"].intValue
        orderbookMaxSize = v["performance.orderbook_max_size"].intValue
        orderbookMaxAgeMilliseconds = v["performance.orderbook_max_age_ms"].intValue
        fastWorkersMin = v["performance.fast_workers_min"].intValue
        fastWorkersMax = v["performance.fast_workers_max"].intValue
        mediumWorkersMin = v["performance.medium_workers_min"].intValue
        mediumWorkersMax = v["performance.medium_workers_max"].intValue
        autoLightBelow = v["performance.auto_light_below"].intValue
        autoHeavyAbove = v["performance.auto_heavy_above"].intValue
        throttlePercent = v["performance.throttle_percent"].intValue
    }
}

/// `[scheduler]`: timed jobs.
package struct SchedulerConfig: Sendable, Equatable {
    /// `enabled`, bool, default `true`.
    package let enabled: Bool

    /// `markets_poll_interval`, duration, default `2s`.
    package let marketsPollInterval: Duration
    /// `timeframes`, list of intervals, default the seed's `1m 5m 15m 30m 1h 4h 1d`.
    package let timeframes: [CandleInterval]
    /// `history_interval`, duration, default `5m`.
    package let historyInterval: Duration
    /// `history_lookback`, duration, default `1d`; `0s` turns the history sync off.
    package let historyLookback: Duration
    /// `retention_trades`, duration, default `0s` (forever).
    package let retentionTrades: Duration
    /// `retention_ticker_snapshots`, duration, default `0s` (forever).
    package let retentionTickerSnapshots: Duration
    /// `retention_candles_1m`, duration, default `0s` (forever).
    package let retentionCandles1m: Duration
    /// `retention_candles`, duration, default `0s` (forever): every timeframe but 1m.
    package let retentionCandles: Duration

    init(_ v: ValueReader) {
        enabled = v["scheduler.enabled"].boolValue
        marketsPollInterval = v["scheduler.markets_poll_interval"].durationValue
        timeframes = v["scheduler.timeframes"].listValue.compactMap(CandleInterval.init(name:))
        historyInterval = v["scheduler.history_interval"].durationValue
        historyLookback = v["scheduler.history_lookback"].durationValue
        retentionTrades = v["scheduler.retention_trades"].durationValue
        retentionTickerSnapshots = v["scheduler.retention_ticker_snapshots"].durationValue
        retentionCandles1m = v["scheduler.retention_candles_1m"].durationValue
        retentionCandles = v["scheduler.retention_candles"].durationValue
    }
}

// MARK: - [exchanges.<name>]

/// `[exchanges.<name>]`: one exchange's ingestor. Defaults differ per exchange (see ``ExchangeProfile``).
package struct ExchangeConfig: Sendable, Equatable {
    /// Which exchange (`binance`, `bybit`, `whitebit`).
    package let exchange: ExchangeID
    /// `enabled`, bool, default `true` when the section exists; an absent exchange is disabled unless
    /// `CRYPTOD_EXCHANGES_<NAME>_ENABLED=true`.
    package let enabled: Bool
    /// `rest_url`, http/https URL.
    package let restURL: URL
    /// `ws_url`, ws/wss URL.
    package let webSocketURL: URL
    /// `api_key`, string, default `""`.
    package let apiKey: String
    /// `api_secret`, string, default `""`; redacted whenever printed.
    package let apiSecret: SecretString
    /// `category` (Bybit only), spot|linear, default spot; `.spot` for the other exchanges.
    package let category: MarketType
    /// `markets`, list of symbols in the exchange's spelling.
    package let markets: [String]
    /// `channels`, default all four.
    package let channels: [MarketChannel]
    /// `candle_intervals`, default `["1m"]`; only intervals the exchange offers.
    package let candleIntervals: [CandleInterval]
    /// `book_depth`, integer; only depths the exchange supports.
    package let bookDepth: Int
    /// `rate_limit_share`, float 0 < x <= 1, default `0.8`.
    package let rateLimitShare: Double
    /// `ca_file`, path, default `""` (nil: the system trust store).
    package let caFile: String?

    init(_ v: ValueReader, profile: ExchangeProfile) {
        let s = "exchanges.\(profile.name)."
        exchange = profile.id
        enabled = v[s + "enabled"].boolValue
        restURL = Self.url(v[s + "rest_url"].stringValue)
        webSocketURL = Self.url(v[s + "ws_url"].stringValue)
        apiKey = v[s + "api_key"].stringValue
        apiSecret = v[s + "api_secret"].secretValue
        category = profile.hasCategory ? (MarketType(name: v[s + "category"].stringValue) ?? .spot) : .spot
        markets = v[s + "markets"].listValue
        channels = v.words(s + "channels", as: MarketChannel.self)
        candleIntervals = v[s + "candle_intervals"].listValue.compactMap(CandleInterval.init(name:))
        bookDepth = v[s + "book_depth"].intValue
        rateLimitShare = v[s + "rate_limit_share"].doubleValue
        let ca = v[s + "ca_file"].stringValue
        caFile = ca.isEmpty ? nil : ca
    }

    /// The configured markets as model keys.
    package var marketKeys: [MarketKey] {
        markets.map { MarketKey(exchange: exchange, type: category, symbol: $0) }
    }

    private static func url(_ text: String) -> URL {
        guard let url = URL(string: text) else { preconditionFailure("unchecked URL \(text)") }
        return url
    }
}

// MARK: - [alerts]

/// `[alerts]`: the gateway's alert monitor (rules fixed in CryptodOps' AlertCatalog) and its notifications.
package struct AlertsConfig: Sendable, Equatable {
    /// `enabled`, bool, default `true`.
    package let enabled: Bool
    /// `evaluation_interval`, duration >= 200ms, default `"15s"`.
    package let evaluationInterval: Duration
    /// `repeat_interval`, duration, default `"4h"`; zero means never repeat.
    package let repeatInterval: Duration
    /// `for_override`, duration, default `"0s"`: nil keeps each rule's `for`.
    package let forOverride: Duration?
    /// `range_cap`, duration, default `"0s"`: nil keeps each rule's range windows.
    package let rangeCap: Duration?
    /// `webhook_url`, http URL, default `""` (nil: no webhook).
    package let webhookURL: SecretString?
    /// `smtp_server`, `"HOST:PORT"`, default `""` (nil: no e-mail).
    package let smtpServer: String?
    /// `smtp_from`, default `"cryptod@localhost"`.
    package let smtpFrom: String
    /// `smtp_to`, comma-separated addresses, default `""`.
    package let smtpTo: [String]
    /// `timeout`, duration >= 100ms, default `"10s"`: per delivery attempt.
    package let timeout: Duration
    /// `retries`, 0-10, default `3`.
    package let retries: Int

    init(_ v: ValueReader) {
        enabled = v["alerts.enabled"].boolValue
        evaluationInterval = v["alerts.evaluation_interval"].durationValue
        repeatInterval = v["alerts.repeat_interval"].durationValue
        let hold = v["alerts.for_override"].durationValue
        forOverride = hold == .zero ? nil : hold
        let cap = v["alerts.range_cap"].durationValue
        rangeCap = cap == .zero ? nil : cap
        let webhook = v["alerts.webhook_url"].secretValue
        webhookURL = webhook.revealed.isEmpty ? nil : webhook
        let smtp = v["alerts.smtp_server"].stringValue.trimmingCharacters(in: .whitespaces)
        smtpServer = smtp.isEmpty ? nil : smtp
        smtpFrom = v["alerts.smtp_from"].stringValue
        smtpTo = v["alerts.smtp_to"].stringValue.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        timeout = v["alerts.timeout"].durationValue
        retries = v["alerts.retries"].intValue
    }
}
