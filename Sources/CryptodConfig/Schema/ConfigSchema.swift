import CryptodModel

/// The configuration schema: every key cryptod reads, in the order of the annotated config file.
///
/// Everything else derives from this table: parsing and validation, environment variable names, provenance,
/// reload plans, `etc/cryptod.toml` and the key reference in `docs/configuration.md`.
package enum ConfigSchema {
    /// Every key, `[exchanges.<name>]` keys expanded for each supported exchange.
    package static let keys: [ConfigKey] = globalKeys + ExchangeProfile.all.flatMap(exchangeKeys)

    /// Section names in order: `daemon`, …, `scheduler`, `exchanges.binance`, ….
    package static let sections: [String] = keys.reduce(into: []) {
        if !$0.contains($1.section) { $0.append($1.section) }
    }

    /// Top-level tables a file may contain.
    package static let topLevelSections: [String] =
        sections.map { String($0.split(separator: ".")[0]) }.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }

    private static let byPath: [String: ConfigKey] = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })
    private static let byEnvironmentName: [String: ConfigKey] =
        Dictionary(keys.map { ($0.environmentName, $0) }, uniquingKeysWith: { first, _ in first })

    /// The key at `path` (`gateway.rest_listen`).
    package static func key(_ path: String) -> ConfigKey? { byPath[path] }

    /// The key an environment variable sets.
    package static func key(environmentName: String) -> ConfigKey? { byEnvironmentName[environmentName] }

    /// The keys of one section, in order.
    package static func keys(inSection section: String) -> [ConfigKey] { keys.filter { $0.section == section } }

    /// `CRYPTOD_` + path in upper case with `.` → `_`; keys of `[daemon]` leave the section out
    /// (`CRYPTOD_RUNTIME_DIR`), as the daemon's own settings are the ones people set most.
    package static func environmentName(section: String, name: String) -> String {
        let path = section == "daemon" ? name : "\(section).\(name)"
        return "CRYPTOD_" + path.uppercased().replacingDots()
    }

    /// One line describing each section, for the annotated file and the docs.
    package static func summary(ofSection section: String) -> String {
        if section.hasPrefix("exchanges.") {
            return "One ingestor per exchange: where to connect and what to subscribe to."
        }
        return [
            "daemon": "Where cryptod keeps its files and how it logs.",
            "supervisor": "How the supervisor restarts and stops its child processes.",
            "performance": "Performance modes, conflation buffers, worker pools and the throttle.",
            "delivery": "Reliable delivery between processes: frame limits, buffering, acknowledgements, heartbeats.",
            "gateway": "The gateway process: REST and WebSocket API for clients.",
            "writer": "The writer process: stores market data in the configured sinks.",
            "scheduler": "The scheduler process: timed jobs such as REST snapshots and backfills.",
            "alerts": "The gateway's alert rules, health score and notifications (webhook, e-mail).",
        ][section] ?? ""
    }

    // MARK: - Shared sections

    private static let everyChild: Set<ProcessRole> = [.writer, .gateway, .scheduler, .ingestor]

    private static let globalKeys: [ConfigKey] = [
        // [daemon]
        ConfigKey(
            section: "daemon", name: "runtime_dir", type: .path(emptyMeans: nil), defaultValue: .string("/run/cryptod"),
            doc: "Directory for the Unix sockets and the pid file; created with mode 0700.",
            consumers: everyChild, supervisorUses: true, requiresDaemonRestart: true),
        ConfigKey(
            section: "daemon", name: "state_dir", type: .path(emptyMeans: nil),
            defaultValue: .string("/var/lib/cryptod"),
            doc: "Directory for spill files, delivery marks and file sinks; created with mode 0700.",
            consumers: everyChild, supervisorUses: true, requiresDaemonRestart: true),
        ConfigKey(
            section: "daemon", name: "log_level", type: .choice(LogLevel.names), defaultValue: .string("info"),
            doc: "Least severe log level written.", reloadable: true, consumers: everyChild, supervisorUses: true),
        ConfigKey(
            section: "daemon", name: "log_format", type: .choice(LogFormat.names), defaultValue: .string("json"),
            doc: "Log lines as JSON objects or as text for people.",
            consumers: everyChild, supervisorUses: true, requiresDaemonRestart: true),
        ConfigKey(
            section: "daemon", name: "bin_dir", type: .path(emptyMeans: "the directory of the running cryptod binary"),
            defaultValue: .string(""),
            doc: "Directory of the child executables; \"\" means the directory of the running cryptod binary.",
            consumers: everyChild, supervisorUses: true),
        // [supervisor]: the supervisor applies these on reload; they only shape future restarts and stops.
        supervisorKey(
            "restart_initial_backoff", .duration(atLeast: .seconds(1)), .duration(.seconds(1)),
            "Delay before the first restart of a crashed child; doubles with each crash up to restart_max_backoff."),
        supervisorKey(
            "restart_max_backoff", .duration(atLeast: .seconds(1)), .duration(.seconds(60)),
            "Longest delay between restarts; at least restart_initial_backoff."),
        supervisorKey(
            "restart_budget", .integer(.range(1...1000)), .integer(5),
            "Crashes within restart_budget_window before the supervisor gives up on a child."),
        supervisorKey(
            "restart_budget_window", .duration(atLeast: .seconds(1)), .duration(.seconds(300)),
            "Window in which restart_budget crashes are counted."),
        supervisorKey(
            "stable_after", .duration(atLeast: .seconds(1)), .duration(.seconds(60)),
            "A child up this long has its restart backoff reset."),
        supervisorKey(
            "stop_timeout", .duration(atLeast: .milliseconds(1)), .duration(.seconds(15)),
            "Time per child from SIGTERM to SIGKILL."),
        supervisorKey(
            "ready_timeout", .duration(atLeast: .milliseconds(1)), .duration(.seconds(60)),
            "Time a child has to report ready after it starts."),
        // [performance]: every process applies these on reload and at run time (docs/operations.md).
        performanceKey(
            "mode", .choice(["light", "medium", "heavy", "auto"]), .string("medium"),
            "Preset of buffer limits and worker bounds (the seed's modes); auto picks one from the message rate."),
        performanceKey(
            "ticker_max_size", .integer(.range(0...100_000)), .integer(0),
            "Ticker updates per market published at once within a window; 0 means the mode's (5/10/20)."),
        performanceKey(
            "ticker_max_age_ms", .integer(.range(0...600_000)), .integer(0),
            "Ticker window in milliseconds; 0 means the mode's (1000/500/200)."),
        performanceKey(
            "orderbook_max_size", .integer(.range(0...100_000)), .integer(0),
            "Order-book deltas per market published at once within a window; 0 means the mode's (3/5/10)."),
        performanceKey(
            "orderbook_max_age_ms", .integer(.range(0...600_000)), .integer(0),
            "Order-book window in milliseconds; 0 means the mode's (500/200/100)."),
        performanceKey(
            "fast_workers_min", .integer(.range(0...64)), .integer(0),
            "Fewest fast workers (the writer's Redis connections); 0 means the mode's (1/2/4)."),
        performanceKey(
            "fast_workers_max", .integer(.range(0...64)), .integer(0),
            "Most fast workers; 0 means the mode's (2/4/8)."),
        performanceKey(
            "medium_workers_min", .integer(.range(0...64)), .integer(0),
            "Fewest medium workers (the gateway's history connections); 0 means the mode's (1/2/3)."),
        performanceKey(
            "medium_workers_max", .integer(.range(0...64)), .integer(0),
            "Most medium workers; 0 means the mode's (2/3/6)."),
        performanceKey(
            "auto_light_below", .integer(.range(1...10_000_000)), .integer(200),
            "In auto mode, an ingestor's message rate (per second) under which light is chosen."),
        performanceKey(
            "auto_heavy_above", .integer(.range(1...10_000_000)), .integer(5000),
            "In auto mode, the message rate (per second) over which heavy is chosen."),
        performanceKey(
            "throttle_percent", .integer(.range(0...99)), .integer(0),
            "Share of ticker and order-book updates shed at start (0-99); candles and trades are never shed."),
        // [delivery]
        deliveryKey(
            "max_frame_bytes", .size((64 << 10)...(1 << 30)), .size(16 << 20),
            "Largest frame a link accepts."),
        deliveryKey(
            "memory_limit", .size((64 << 10)...(1 << 40)), .size(64 << 20),
            "Unacknowledged bytes kept in memory per outbound stream before spilling to disk."),
        deliveryKey(
            "spill_limit", .size((64 << 10)...(16 << 40)), .size(2 << 30),
            "Bytes per outbound stream on disk; beyond it the oldest frames are dropped and counted."),
        deliveryKey(
            "max_batch", .integer(.range(1...1_000_000)), .integer(4096),
            "Most frames a receiver hands to its consumer at once; it acknowledges after each batch."),
        deliveryKey(
            "reconnect_initial_backoff", .duration(atLeast: .milliseconds(1)), .duration(.milliseconds(100)),
            "Delay before the first reconnect of a broken link; doubles up to reconnect_max_backoff."),
        deliveryKey(
            "reconnect_max_backoff", .duration(atLeast: .milliseconds(1)), .duration(.seconds(5)),
            "Longest delay between reconnects; at least reconnect_initial_backoff."),
        deliveryKey(
            "heartbeat_interval", .duration(atLeast: .milliseconds(1)), .duration(.seconds(5)),
            "How often an idle link sends a heartbeat."),
        deliveryKey(
            "heartbeat_timeout", .duration(atLeast: .milliseconds(1)), .duration(.seconds(20)),
            "Silence after which a link is considered dead; more than heartbeat_interval."),
        // [gateway]
        roleKey("gateway", "enabled", .bool, .bool(true), .gateway, "Run the gateway process."),
        roleKey(
            "gateway", "rest_listen", .address, .address(ListenAddress(host: "127.0.0.1", port: 8000)), .gateway,
            "Address of the REST API."),
        roleKey(
            "gateway", "ws_listen", .address, .address(ListenAddress(host: "127.0.0.1", port: 8080)), .gateway,
            "Address of the WebSocket API."),
        roleKey(
            "gateway", "ws_client_queue", .integer(.range(1...1_000_000)), .integer(4096), .gateway,
            "Messages buffered per WebSocket client before a slow client is disconnected."),
        roleKey(
            "gateway", "ws_max_clients", .integer(.range(1...1_000_000)), .integer(100), .gateway,
            "Most WebSocket clients served at once; more are refused with close code 1013."),
        roleKey(
            "gateway", "ws_replay_buffer", .integer(.range(1...1_000_000)), .integer(1024), .gateway,
            "Messages kept per WebSocket topic so a reconnecting client can resume from its last sequence number; "
                + "a client further behind gets a resync."),
        roleKey(
            "gateway", "ws_replay_memory", .size((64 << 10)...(16 << 30)), .size(32 << 20), .gateway,
            "Bytes all WebSocket topics' replay buffers may hold together; over it, the topic being written drops "
                + "its oldest messages (its newest is always kept), so busy topics such as order-book deltas hold a "
                + "shorter history and the gateway's memory stays bounded however many markets it serves."),
        roleKey(
            "gateway", "ws_heartbeat_interval", .duration(atLeast: .milliseconds(10)), .duration(.seconds(15)),
            .gateway, "How often every WebSocket client gets a heartbeat message (besides WebSocket pings)."),
        ConfigKey(
            section: "gateway", name: "postgres_url",
            type: .credentialURL(schemes: ["postgres", "postgresql"], emptyMeans: "writer.postgres_url"),
            defaultValue: .secret(SecretString("")),
            doc: "PostgreSQL URL the gateway reads candle history from (read-only sessions); \"\" means "
                + "writer.postgres_url. The password is never printed.",
            consumers: [.gateway]),
        roleKey(
            "gateway", "postgres_pool_size", .integer(.range(1...32)), .integer(2), .gateway,
            "PostgreSQL connections (each on its own thread) serving history requests."),
        gatewayReloadable(
            "admin_token", .secret, .secret(SecretString("")),
            "Bearer token for /api/v1/admin/*, subscribe, unsubscribe and verify (Authorization: Bearer TOKEN); "
                + "\"\" disables those routes. Never printed or logged; prefer the environment variable."),
        gatewayReloadable(
            "cors_origins", .originList, .list([]),
            "Browser origins allowed to call the REST API (CORS), or [\"*\"] for any; [] sends no CORS headers."),
        gatewayReloadable(
            "rate_limit", .float(above: 0, atMost: 1_000_000), .float(100),
            "Requests per second each client IP may make on average (token bucket); beyond it 429 with Retry-After."),
        gatewayReloadable(
            "rate_burst", .integer(.range(1...1_000_000)), .integer(200),
            "Requests a client IP may make at once before rate_limit applies (the bucket's size)."),
        gatewayReloadable(
            "max_body", .size(1024...(16 << 20)), .size(64 << 10), "Largest request body accepted (413 beyond it)."),
        roleKey(
            "gateway", "max_page", .integer(.range(1...100_000)), .integer(1000), .gateway,
            "Most candles one /ohlcv page returns (the largest limit a client may ask for)."),
        // [writer]
        roleKey("writer", "enabled", .bool, .bool(true), .writer, "Run the writer process."),
        roleKey(
            "writer", "sinks", .choiceList(allowed: SinkKind.names, known: SinkKind.names, restriction: nil),
            .list(["jsonl"]), .writer, "Where the writer stores market data."),
        ConfigKey(
            section: "writer", name: "jsonl_dir", type: .path(emptyMeans: "<state_dir>/jsonl"),
            defaultValue: .string(""),
            doc: "Directory of the jsonl sink's files; \"\" means <state_dir>/jsonl.", consumers: [.writer]),
        writerKey(
            "postgres_url", .credentialURL(schemes: ["postgres", "postgresql"]),
            .secret(.url("postgresql://postgres@127.0.0.1:55432/cryptod")),
            "PostgreSQL connection URL (libpq syntax) of the postgres sink. The password is never printed; prefer "
                + "the environment variable when the URL holds one."),
        writerKey(
            "redis_url", .credentialURL(schemes: ["redis"]), .secret(.url("redis://127.0.0.1:56379/0")),
            "Redis URL of the redis sink (redis://[user:password@]host:port/db). The password is never printed."),
        writerKey(
            "redis_ttl_ticker", .duration(atLeast: .milliseconds(1)), .duration(.seconds(5)),
            "How long a ticker stays in Redis without an update."),
        writerKey(
            "redis_ttl_book", .duration(atLeast: .milliseconds(1)), .duration(.seconds(1)),
            "How long an order book stays in Redis without an update."),
        writerKey(
            "redis_ttl_candle", .duration(atLeast: .milliseconds(1)), .duration(.seconds(10)),
            "How long the latest candle stays in Redis without an update."),
        writerKey(
            "redis_book_depth", .integer(.range(1...5000)), .integer(20),
            "Order-book levels per side written to Redis."),
        writerKey(
            "rabbitmq_url", .credentialURL(schemes: ["amqp", "amqps"]),
            .secret(.url("amqp://guest:guest@127.0.0.1:55672/%2f")),
            "RabbitMQ URL of the rabbitmq sink (amqp://user:password@host:port/vhost, %2f is the vhost \"/\"). "
                + "The password is never printed; prefer the environment variable."),
        writerKey(
            "rabbitmq_exchange", .string, .string("crypto.events"),
            "Durable topic exchange the rabbitmq sink publishes to (routing keys crypto.price.updated, "
                + "crypto.kline.updated, … in docs/events.md)."),
        writerKey(
            "rabbitmq_queue", .string, .string(""),
            "A durable queue the rabbitmq sink declares and binds to crypto.# on its exchange, so events are kept "
                + "before the first consumer starts; \"\" declares none."),
        writerKey(
            "rabbitmq_conflate_interval", .duration(atLeast: .zero), .duration(.seconds(1)),
            "Tickers and books published to RabbitMQ at most once per market per interval (the latest wins); "
                + "trades and candles are never conflated. \"0s\" publishes every update."),
        ConfigKey(
            section: "writer", name: "spool_dir", type: .path(emptyMeans: "<state_dir>/spool"),
            defaultValue: .string(""),
            doc: "Directory of the sinks' disk spools (one subdirectory per sink): batches a sink could not take yet; "
                + "\"\" means <state_dir>/spool.",
            consumers: [.writer]),
        writerKey(
            "spool_limit", .size((1 << 20)...(16 << 40)), .size(1 << 30),
            "Bytes of spool per sink. A full spool is an alarm: the writer stops acknowledging (the senders keep "
                + "the frames) until the sink drains it; nothing is dropped."),
        writerKey(
            "flush_max_rows", .integer(.range(1...1_000_000)), .integer(5000),
            "Most rows in one sink write; larger batches are split, spooled ones of a stream merged up to it."),
        writerKey(
            "flush_max_age", .duration(atLeast: .milliseconds(1)), .duration(.milliseconds(200)),
            "Longest a batch waits for a slow or failing sink before it is spooled, so acknowledgements go on."),
        // [scheduler]
        roleKey("scheduler", "enabled", .bool, .bool(true), .scheduler, "Run the scheduler process."),
        roleKey(
            "scheduler", "markets_poll_interval", .duration(atLeast: .milliseconds(100)), .duration(.seconds(2)),
            .scheduler,
            "How often trading_pairs is read for markets switched on or off (with the postgres sink)."),
        roleKey(
            "scheduler", "timeframes",
            .choiceList(
                allowed: CandleInterval.allCases.map(\.description), known: CandleInterval.allCases.map(\.description),
                restriction: nil),
            .list(["1m", "5m", "15m", "30m", "1h", "4h", "1d"]), .scheduler,
            "Timeframes the history sync keeps complete for every active market (each exchange's own subset)."),
        roleKey(
            "scheduler", "history_interval", .duration(atLeast: .seconds(1)), .duration(.seconds(300)), .scheduler,
            "How often the history sync looks for missing recent candles (the first pass runs a minute after start)."),
        roleKey(
            "scheduler", "history_lookback", .duration(atLeast: .zero), .duration(.seconds(86_400)), .scheduler,
            "How far back the history sync reaches for a market with nothing stored; 0s turns the sync off."),
        roleKey(
            "scheduler", "retention_trades", .duration(atLeast: .zero), .duration(.zero), .scheduler,
            "How long trades are kept in PostgreSQL; 0s keeps them forever."),
        roleKey(
            "scheduler", "retention_ticker_snapshots", .duration(atLeast: .zero), .duration(.zero), .scheduler,
            "How long ticker snapshots are kept in PostgreSQL; 0s keeps them forever."),
        roleKey(
            "scheduler", "retention_candles_1m", .duration(atLeast: .zero), .duration(.zero), .scheduler,
            "How long 1m candles are kept in PostgreSQL; 0s keeps them forever."),
        roleKey(
            "scheduler", "retention_candles", .duration(atLeast: .zero), .duration(.zero), .scheduler,
            "How long candles of every other timeframe are kept; 0s keeps them forever."),
        // [alerts]: the gateway's alert monitor (docs/operations.md, "Alerts and health").
        alertsKey("enabled", .bool, .bool(true), "Evaluate the alert rules in the gateway and send notifications."),
        alertsKey(
            "evaluation_interval", .duration(atLeast: .milliseconds(200)), .duration(.seconds(15)),
            "How often the gateway scrapes every process and evaluates the rules, health and recommendations."),
        alertsKey(
            "repeat_interval", .duration(atLeast: .zero), .duration(.seconds(4 * 3600)),
            "How often a still-firing alert is notified again; 0s notifies only when it starts and resolves."),
        alertsKey(
            "for_override", .duration(atLeast: .zero), .duration(.zero),
            "Replaces every rule's own `for` duration (for tests); 0s keeps the rules' durations."),
        alertsKey(
            "range_cap", .duration(atLeast: .zero), .duration(.zero),
            "Shortens every rule's range window (`[5m]`, `[10m]`) that is longer than this (for tests, so that an "
                + "induced alert resolves sooner); 0s keeps the rules' windows."),
        alertsKey(
            "webhook_url", .credentialURL(schemes: ["http"], emptyMeans: "no webhook"), .secret(SecretString("")),
            "Slack-compatible incoming webhook that receives a JSON POST per notification; \"\" sends none. "
                + "Plain http (no TLS): point it at a local relay to reach an https service."),
        alertsKey(
            "smtp_server", .string, .string(""),
            "SMTP relay as \"HOST:PORT\" for e-mail notifications (plain SMTP, no authentication); \"\" sends none."),
        alertsKey("smtp_from", .string, .string("cryptod@localhost"), "Sender address of alert e-mails."),
        alertsKey(
            "smtp_to", .string, .string(""),
            "Recipients of alert e-mails, comma-separated; e-mail is sent only when this and smtp_server are set."),
        alertsKey(
            "timeout", .duration(atLeast: .milliseconds(100)), .duration(.seconds(10)),
            "Time one delivery attempt (connect, send, answer) may take."),
        alertsKey(
            "retries", .integer(.range(0...10)), .integer(3),
            "Further attempts after a failed delivery, 1 s, 2 s, 4 s … apart."),
    ]

    private static func alertsKey(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    ) -> ConfigKey {
        ConfigKey(section: "alerts", name: name, type: type, defaultValue: value, doc: doc, consumers: [.gateway])
    }

    private static func writerKey(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    )
        -> ConfigKey
    {
        ConfigKey(section: "writer", name: name, type: type, defaultValue: value, doc: doc, consumers: [.writer])
    }

    private static func gatewayReloadable(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    ) -> ConfigKey {
        ConfigKey(
            section: "gateway", name: name, type: type, defaultValue: value, doc: doc, reloadable: true,
            consumers: [.gateway])
    }

    private static func supervisorKey(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    )
        -> ConfigKey
    {
        ConfigKey(
            section: "supervisor", name: name, type: type, defaultValue: value, doc: doc, reloadable: true,
            consumers: [], supervisorUses: true)
    }

    private static func performanceKey(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    ) -> ConfigKey {
        ConfigKey(
            section: "performance", name: name, type: type, defaultValue: value, doc: doc, reloadable: true,
            consumers: everyChild)
    }

    private static func deliveryKey(
        _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String
    )
        -> ConfigKey
    {
        ConfigKey(
            section: "delivery", name: name, type: type, defaultValue: value, doc: doc, consumers: everyChild,
            supervisorUses: true)
    }

    private static func roleKey(
        _ section: String, _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ role: ProcessRole,
        _ doc: String
    ) -> ConfigKey {
        ConfigKey(section: section, name: name, type: type, defaultValue: value, doc: doc, consumers: [role])
    }

    // MARK: - Exchange sections

    /// The `[exchanges.<name>]` keys for one exchange, with its defaults and limits.
    private static func exchangeKeys(_ profile: ExchangeProfile) -> [ConfigKey] {
        let section = "exchanges.\(profile.name)"
        // Market lists shape the scheduler's jobs as well as the ingestor's subscriptions.
        let planned: Set<ProcessRole> = [.ingestor, .scheduler]
        func key(
            _ name: String, _ type: ConfigValueType, _ value: ConfigValue, _ doc: String,
            consumers: Set<ProcessRole> = [.ingestor]
        ) -> ConfigKey {
            ConfigKey(
                section: section, name: name, type: type, defaultValue: value, doc: doc, exchange: profile.id,
                consumers: consumers)
        }
        let intervals = CandleInterval.allCases.map(\.description)
        var keys = [
            key(
                "enabled", .bool, .bool(true),
                "Run an ingestor for this exchange. An exchange without a section in the file runs only when "
                    + "CRYPTOD_EXCHANGES_<NAME>_ENABLED=true.", consumers: planned),
            key(
                "rest_url", .url(schemes: ["http", "https"]), .string(profile.defaultRestURL),
                "Base URL of the REST API."),
            key(
                "ws_url", .url(schemes: ["ws", "wss"]), .string(profile.defaultWebSocketURL),
                "Base URL of the WebSocket API."),
            key("api_key", .string, .string(""), "API key; public market data needs none."),
            key(
                "api_secret", .secret, .secret(SecretString("")),
                "API secret; never printed. Prefer the environment variable; --check-config warns when the file "
                    + "holding it is readable by group or others."),
        ]
        if profile.hasCategory {
            keys.append(
                key(
                    "category", .choice(["spot", "linear"]), .string("spot"),
                    "Which Bybit market: spot or linear (USDT perpetuals)."))
        }
        keys += [
            key(
                "markets", .symbolList(profile.symbols), .list(profile.defaultMarkets),
                "Symbols to collect, spelled as the exchange does.", consumers: planned),
            key(
                "channels", .choiceList(allowed: MarketChannel.names, known: MarketChannel.names, restriction: nil),
                .list(MarketChannel.names), "Streams to subscribe to for every market.", consumers: planned),
            key(
                "candle_intervals",
                .choiceList(
                    allowed: profile.candleIntervals.map(\.description), known: intervals, restriction: profile.name),
                .list(["1m"]), "Candle intervals to collect (when channels include candles).", consumers: planned),
            key(
                "book_depth", .integer(profile.bookDepths), .integer(profile.defaultBookDepth),
                "Order-book levels per side to keep; only depths the exchange supports."),
            key(
                "rate_limit_share", .float(above: 0, atMost: 1), .float(0.8),
                "Share of the exchange's published request budget cryptod may use."),
            key(
                "ca_file", .path(emptyMeans: "the system trust store"), .string(""),
                "PEM file of certificate authorities to trust for https/wss (a private CA, or exchsim --tls); "
                    + "\"\" means the system trust store."),
        ]
        return keys
    }
}

extension String {
    fileprivate func replacingDots() -> String { String(map { $0 == "." ? "_" : $0 }) }
}
