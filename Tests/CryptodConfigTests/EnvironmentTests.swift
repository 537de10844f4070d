import CryptodModel
import Testing

@testable import CryptodConfig

/// Environment variable names, overrides, precedence and provenance.
@Suite struct EnvironmentTests {
    // MARK: - Names

    @Test func namesAreUniqueAndFollowTheRule() {
        let names = ConfigSchema.keys.map(\.environmentName)
        #expect(
            Set(names).count == names.count,
            "duplicate names: \(Dictionary(grouping: names) { $0 }.filter { $1.count > 1 }.keys)")
        for key in ConfigSchema.keys {
            let path = key.section == "daemon" ? key.name : key.path
            let expected = "CRYPTOD_" + path.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
            #expect(key.environmentName == expected)
            #expect(ConfigSchema.key(environmentName: key.environmentName) == key)
        }
    }

    @Test(arguments: [
        ("gateway.rest_listen", "CRYPTOD_GATEWAY_REST_LISTEN"), ("gateway.ws_listen", "CRYPTOD_GATEWAY_WS_LISTEN"),
        ("exchanges.binance.rest_url", "CRYPTOD_EXCHANGES_BINANCE_REST_URL"),
        ("exchanges.bybit.api_secret", "CRYPTOD_EXCHANGES_BYBIT_API_SECRET"),
        ("exchanges.whitebit.api_key", "CRYPTOD_EXCHANGES_WHITEBIT_API_KEY"),
        ("daemon.runtime_dir", "CRYPTOD_RUNTIME_DIR"), ("daemon.state_dir", "CRYPTOD_STATE_DIR"),
        ("daemon.log_level", "CRYPTOD_LOG_LEVEL"), ("daemon.bin_dir", "CRYPTOD_BIN_DIR"),
        ("supervisor.restart_budget", "CRYPTOD_SUPERVISOR_RESTART_BUDGET"),
    ])
    func documentedNames(path: String, name: String) {
        #expect(ConfigSchema.key(path)?.environmentName == name)
    }

    // MARK: - Precedence

    @Test func defaultThenFileThenEnvironment() throws {
        let doc = "[daemon]\nlog_level = \"debug\"\n[gateway]\nws_client_queue = 10\n"
        let fileOnly = try load(doc)
        #expect(fileOnly.configuration.daemon.logLevel == .debug)
        #expect(fileOnly.source(of: "daemon.log_level") == .file(path: "/cfg/test.toml", line: 2))
        #expect(fileOnly.source(of: "daemon.log_format") == .defaultValue)

        let both = try load(doc, environment: ["CRYPTOD_LOG_LEVEL": "error", "CRYPTOD_GATEWAY_WS_MAX_CLIENTS": "7"])
        #expect(both.configuration.daemon.logLevel == .error)
        #expect(both.source(of: "daemon.log_level") == .environment(variable: "CRYPTOD_LOG_LEVEL"))
        #expect(both.configuration.gateway.wsClientQueue == 10)
        #expect(both.configuration.gateway.wsMaxClients == 7)
        #expect(both.source(of: "gateway.ws_max_clients").description == "env CRYPTOD_GATEWAY_WS_MAX_CLIENTS")
        #expect(both.source(of: "gateway.ws_client_queue").description == "/cfg/test.toml:4")

        let none = try load(nil)
        #expect(none.configuration == Configuration.defaults)
        #expect(Set(none.sources.values.map(\.description)).isSubset(of: ["default", "default (section absent)"]))
    }

    @Test(arguments: [
        ("CRYPTOD_DELIVERY_MAX_FRAME_BYTES", "1MiB", "delivery.max_frame_bytes", ConfigValue.size(1 << 20)),
        ("CRYPTOD_DELIVERY_SPILL_LIMIT", "67108864", "delivery.spill_limit", .size(64 << 20)),
        ("CRYPTOD_SUPERVISOR_STOP_TIMEOUT", "2s", "supervisor.stop_timeout", .duration(.seconds(2))),
        ("CRYPTOD_GATEWAY_ENABLED", "FALSE", "gateway.enabled", .bool(false)),
        (
            "CRYPTOD_GATEWAY_REST_LISTEN", "127.0.0.1:9999", "gateway.rest_listen",
            .address(ListenAddress(host: "127.0.0.1", port: 9999))
        ),
        ("CRYPTOD_WRITER_SINKS", "jsonl", "writer.sinks", .list(["jsonl"])),
        (
            "CRYPTOD_EXCHANGES_BINANCE_MARKETS", " BTCUSDT, ETHUSDT ,SOLUSDT,", "exchanges.binance.markets",
            .list(["BTCUSDT", "ETHUSDT", "SOLUSDT"])
        ),
        ("CRYPTOD_EXCHANGES_BINANCE_RATE_LIMIT_SHARE", "0.5", "exchanges.binance.rate_limit_share", .float(0.5)),
        (
            "CRYPTOD_EXCHANGES_BINANCE_REST_URL", "http://127.0.0.1:9101", "exchanges.binance.rest_url",
            .string("http://127.0.0.1:9101")
        ),
        ("CRYPTOD_RUNTIME_DIR", "rel/run", "daemon.runtime_dir", .string("/work/dir/rel/run")),
    ])
    func environmentValuesAreParsed(variable: String, text: String, path: String, expected: ConfigValue) throws {
        let loaded = try load("[exchanges.binance]\n", environment: [variable: text])
        #expect(loaded.configuration.values[path] == expected)
        #expect(loaded.source(of: path) == .environment(variable: variable))
    }

    @Test(arguments: [
        (
            "CRYPTOD_GATEWAY_ENABLED", "yes",
            "environment CRYPTOD_GATEWAY_ENABLED: gateway.enabled = \"yes\": not a boolean; expected true or false"
        ),
        (
            "CRYPTOD_GATEWAY_REST_LISTEN", "127.0.0.1:99999",
            "environment CRYPTOD_GATEWAY_REST_LISTEN: gateway.rest_listen = \"127.0.0.1:99999\": port must be 1-65535"
        ),
        (
            "CRYPTOD_SUPERVISOR_RESTART_BUDGET", "five",
            "supervisor.restart_budget = \"five\": not an integer; expected an integer 1-1000"
        ),
        ("CRYPTOD_DELIVERY_HEARTBEAT_INTERVAL", "20", "a duration needs a unit: write \"20s\" or \"20ms\""),
        ("CRYPTOD_EXCHANGES_BYBIT_CANDLE_INTERVALS", "1m,1s", "\"1s\" is not offered by bybit"),
        ("CRYPTOD_EXCHANGES_BINANCE_RATE_LIMIT_SHARE", "lots", "not a number"),
    ])
    func badEnvironmentValuesNameTheVariable(variable: String, text: String, fragment: String) throws {
        let error = try #require(singleError("[exchanges.bybit]\n", environment: [variable: text]))
        #expect(error.environmentVariable == variable)
        #expect(error.file == nil && error.line == nil)
        #expect(error.description.contains(fragment), "\(error)")
    }

    // MARK: - Exchanges

    @Test func exchangesRunWhenTheFileHasTheirSectionOrTheEnvironmentEnablesThem() throws {
        let fileOnly = try load("[exchanges.bybit]\n")
        #expect(fileOnly.configuration.enabledExchanges.map(\.exchange) == [.bybit])
        #expect(fileOnly.source(of: "exchanges.binance.enabled") == .sectionAbsent)
        #expect(fileOnly.source(of: "exchanges.bybit.enabled") == .defaultValue)

        let env = try load(
            "[exchanges.bybit]\n",
            environment: [
                "CRYPTOD_EXCHANGES_WHITEBIT_ENABLED": "true",
                "CRYPTOD_EXCHANGES_BINANCE_REST_URL": "http://127.0.0.1:1",
            ])
        #expect(env.configuration.enabledExchanges.map(\.exchange) == [.bybit, .whitebit])
        #expect(
            env.source(of: "exchanges.whitebit.enabled") == .environment(variable: "CRYPTOD_EXCHANGES_WHITEBIT_ENABLED")
        )
        #expect(env.configuration.exchange(.binance)?.enabled == false, "other variables do not enable an exchange")
        #expect(env.configuration.exchange(.binance)?.restURL.absoluteString == "http://127.0.0.1:1")

        let off = try load("[exchanges.bybit]\n", environment: ["CRYPTOD_EXCHANGES_BYBIT_ENABLED": "false"])
        #expect(off.configuration.enabledExchanges.isEmpty)
        let fileOff = try load(
            "[exchanges.bybit]\nenabled = false\n", environment: ["CRYPTOD_EXCHANGES_BYBIT_ENABLED": "true"])
        #expect(fileOff.configuration.enabledExchanges.map(\.exchange) == [.bybit])
    }

    @Test func exchangeDefaultsDifferPerExchange() throws {
        let config = try load("[exchanges.binance]\n[exchanges.bybit]\n[exchanges.whitebit]\n").configuration
        #expect(config.exchanges.map(\.bookDepth) == [1000, 200, 100])
        #expect(config.exchange(.whitebit)?.markets == ["BTC_USDT", "ETH_USDT"])
        #expect(config.exchange(.bybit)?.markets == ["BTCUSDT", "ETHUSDT"])
        #expect(config.exchange(.bybit)?.category == .spot)
        #expect(config.exchange(.binance)?.channels == MarketChannel.allCases)
        #expect(config.exchange(.binance)?.candleIntervals == [.m1])
        #expect(config.exchange(.whitebit)?.marketKeys.first == MarketKey(exchange: .whitebit, symbol: "BTC_USDT"))
        for exchange in config.exchanges {
            #expect(exchange.restURL.scheme == "https")
            #expect(exchange.webSocketURL.scheme == "wss")
            #expect(exchange.rateLimitShare == 0.8)
        }
        let linear = try load("[exchanges.bybit]\ncategory = \"linear\"\n").configuration
        #expect(linear.exchange(.bybit)?.marketKeys.map(\.type) == [.linear, .linear])
    }

    // MARK: - Warnings and show

    @Test func strayVariablesWarnButOthersAreIgnored() throws {
        let loaded = try load(
            "[exchanges.binance]\n",
            environment: [
                "CRYPTOD_GATEWAY_REST_LISTN": "x", "CRYPTOD_LOG_LEVLE": "debug", "CRYPTOD_PG_PORT": "55432",
                "CRYPTOD_TEST_POSTGRES_URL": "postgres://", "PATH": "/bin",
            ])
        let messages = loaded.warnings.filter { $0.kind == .unknownEnvironmentVariable }.map(\.message)
        #expect(
            messages == [
                "environment variable CRYPTOD_GATEWAY_REST_LISTN sets no configuration key; did you mean CRYPTOD_GATEWAY_REST_LISTEN?",
                "environment variable CRYPTOD_LOG_LEVLE sets no configuration key; did you mean CRYPTOD_LOG_LEVEL?",
            ])
    }

    @Test func noExchangeWarns() throws {
        #expect(try load("[gateway]\n").warnings.map(\.kind) == [.noExchangeEnabled])
        #expect(try load("[exchanges.binance]\n").warnings.isEmpty)
    }

    @Test func effectiveTextShowsEveryKeyWithItsSource() throws {
        let loaded = try load(
            "[gateway]\nrest_listen = \"127.0.0.1:9000\"\n[exchanges.binance]\n",
            environment: ["CRYPTOD_LOG_LEVEL": "debug"])
        let text = loaded.effectiveText()
        let lines = text.split(separator: "\n")
        #expect(lines.filter { $0.contains(" = ") }.count == ConfigSchema.keys.count)
        #expect(
            lines.contains { $0.hasPrefix("rest_listen = \"127.0.0.1:9000\"") && $0.hasSuffix("# /cfg/test.toml:2") })
        #expect(lines.contains { $0.hasPrefix("log_level = \"debug\"") && $0.hasSuffix("# env CRYPTOD_LOG_LEVEL") })
        #expect(lines.contains { $0.hasPrefix("enabled = false") && $0.hasSuffix("# default (section absent)") })
        #expect(lines.first == "[daemon]")
        // What `config show` prints is itself a loadable configuration.
        #expect(try load(text).configuration.gateway.restListen.port == 9000)
    }
}
