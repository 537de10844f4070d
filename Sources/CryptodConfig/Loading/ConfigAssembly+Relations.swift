import CryptodModel

// MARK: - Rules between keys

extension ConfigAssembly {
    /// Checks the rules that involve more than one key, reporting each broken rule once.
    mutating func checkRelations(of config: Configuration) {
        let supervisor = config.supervisor
        let delivery = config.delivery
        requireOrder(
            "supervisor.restart_max_backoff", atLeast: "supervisor.restart_initial_backoff",
            supervisor.restartMaxBackoff >= supervisor.restartInitialBackoff)
        requireOrder(
            "delivery.reconnect_max_backoff", atLeast: "delivery.reconnect_initial_backoff",
            delivery.reconnectMaxBackoff >= delivery.reconnectInitialBackoff)
        require(
            delivery.heartbeatTimeout > delivery.heartbeatInterval, "delivery.heartbeat_timeout",
            involving: "delivery.heartbeat_interval",
            message: "must be longer than delivery.heartbeat_interval = \(value("delivery.heartbeat_interval"))",
            expected: "a duration longer than heartbeat_interval, e.g. four times it")
        for limit in ["delivery.memory_limit", "delivery.spill_limit"] {
            require(
                values[limit]!.intValue >= delivery.maxFrameBytes, limit, involving: "delivery.max_frame_bytes",
                message:
                    "is smaller than delivery.max_frame_bytes = \(value("delivery.max_frame_bytes")), so one frame could not fit",
                expected: "a size of at least max_frame_bytes")
        }
        if config.gateway.enabled && config.gateway.restListen.conflicts(with: config.gateway.wsListen) {
            require(
                false, "gateway.ws_listen", involving: "gateway.rest_listen",
                message: "conflicts with gateway.rest_listen = \(value("gateway.rest_listen"))",
                expected: "a different port for the WebSocket API")
        }
        if config.writer.enabled && config.writer.sinks.isEmpty {
            require(false, "writer.sinks", message: "the writer needs at least one sink", expected: "e.g. [\"jsonl\"]")
        }
        for exchange in config.enabledExchanges {
            checkExchange(exchange)
        }
        checkSocketRoom(config.daemon.runtimeDirectory)
        if config.enabledProcesses.isEmpty {
            report(
                ConfigError(
                    .conflict, file: filePath,
                    message: "no process is enabled; enable the writer, the gateway, the scheduler or an exchange"))
        }
    }

    private mutating func checkExchange(_ exchange: ExchangeConfig) {
        let section = "exchanges.\(exchange.exchange.rawValue)"
        if exchange.markets.isEmpty {
            require(
                false, "\(section).markets", message: "an enabled exchange needs at least one market",
                expected: "e.g. \(ConfigSchema.key("\(section).markets")!.defaultValue.tomlText), or enabled = false")
        }
        if exchange.channels.isEmpty {
            require(
                false, "\(section).channels", message: "an enabled exchange needs at least one channel",
                expected: "some of ticker, trades, candles, book")
        }
        if exchange.channels.contains(.candles) && exchange.candleIntervals.isEmpty {
            require(
                false, "\(section).candle_intervals", involving: "\(section).channels",
                message: "channels include candles but no interval is listed", expected: "e.g. [\"1m\"]")
        }
    }

    /// Socket paths must fit in `sun_path`; say so now rather than when the first bind fails.
    private mutating func checkSocketRoom(_ runtimeDirectory: String) {
        let longest = runtimeDirectory + "/" + Topology.longestSocketName
        guard longest.utf8.count > Topology.maxSocketPathBytes else { return }
        require(
            false, "daemon.runtime_dir",
            message:
                "is too long for Unix socket paths: \(longest) has \(longest.utf8.count) bytes, the limit is \(Topology.maxSocketPathBytes)",
            expected:
                "a directory of at most \(Topology.maxSocketPathBytes - Topology.longestSocketName.utf8.count - 1) bytes"
        )
    }

    // MARK: - Helpers

    private func value(_ path: String) -> String { values[path]!.tomlText }

    private mutating func requireOrder(_ path: String, atLeast other: String, _ ok: Bool) {
        require(
            ok, path, involving: other, message: "is shorter than \(other) = \(value(other))",
            expected: "a duration of at least \(other.split(separator: ".").last!)")
    }

    /// Reports `path` unless `ok`. Skipped when a key involved was already rejected: its default stands in,
    /// and a complaint about the stand-in would mislead. Blames the file line of whichever key was set.
    private mutating func require(
        _ ok: Bool, _ path: String, involving other: String? = nil, message: String, expected: String
    ) {
        guard !ok, !rejected.contains(path), !(other.map(rejected.contains) ?? false) else { return }
        let own = sources[path] ?? .defaultValue
        let blamed = own.isExplicit ? own : other.flatMap { sources[$0] } ?? own
        var error = ConfigError(
            .conflict, keyPath: path, value: value(path), message: message, expected: expected)
        switch blamed {
        case .file(let file, let line):
            error.file = file
            error.line = line
        case .environment(let variable):
            error.environmentVariable = variable
        case .defaultValue, .sectionAbsent:
            error.file = filePath
        }
        report(error)
    }

    // MARK: - Warnings

    /// Warnings for a configuration that loaded: secrets in readable files, stray variables, no exchange.
    mutating func warn(about config: Configuration, fileMode: Int?) {
        let secretsInFile = ConfigSchema.keys.filter { key in
            guard case .secret(let s)? = values[key.path], s.hidesSomething, case .file = sources[key.path] else {
                return false
            }
            return true
        }
        if let mode = fileMode, mode & 0o077 != 0, !secretsInFile.isEmpty, let filePath {
            let keys = secretsInFile.map(\.path).joined(separator: ", ")
            let variables = secretsInFile.map(\.environmentName).joined(separator: ", ")
            warn(
                ConfigWarning(
                    .secretInReadableFile,
                    "\(filePath) sets \(keys) but is readable by group or others (mode \(String(mode & 0o777, radix: 8))); "
                        + "run chmod 600 on it, or set \(variables) in the environment instead"))
        }
        for name in environment.keys.sorted()
        where name.hasPrefix("CRYPTOD_") && ConfigSchema.key(environmentName: name) == nil {
            let known = ConfigSchema.keys.map(\.environmentName)
            let suggestion = Suggestions.closest(to: name, among: known)
            let sectionPrefixes = ConfigSchema.topLevelSections.filter { $0 != "daemon" }.map {
                "CRYPTOD_\($0.uppercased())_"
            }
            guard suggestion != nil || sectionPrefixes.contains(where: name.hasPrefix) else { continue }
            warn(
                ConfigWarning(
                    .unknownEnvironmentVariable,
                    "environment variable \(name) sets no configuration key"
                        + (suggestion.map { "; did you mean \($0)?" } ?? "")))
        }
        if config.enabledExchanges.isEmpty {
            warn(
                ConfigWarning(
                    .noExchangeEnabled,
                    "no exchange is enabled, so no market data is collected; add an [exchanges.<name>] section"))
        }
    }
}
