import CryptodModel

/// cryptod's validated configuration: typed sections plus the effective value of every schema key.
///
/// Obtain one from ``ConfigLoader``; it has checked every value and the rules between them. Keys, types and
/// defaults are listed on each section (``DaemonConfig``, ``SupervisorConfig``, ``DeliveryConfig``,
/// ``GatewayConfig``, ``WriterConfig``, ``SchedulerConfig``, ``ExchangeConfig``) and in ``ConfigSchema``.
package struct Configuration: Sendable, Equatable {
    /// The effective value of every key in ``ConfigSchema/keys``, by path. Reload plans compare these.
    package let values: [String: ConfigValue]
    /// `[daemon]`: directories and logging.
    package let daemon: DaemonConfig
    /// `[supervisor]`: restart and stop policy.
    package let supervisor: SupervisorConfig
    /// `[delivery]`: links between processes.
    package let delivery: DeliveryConfig
    /// `[performance]`: modes, buffers, workers, throttle.
    package let performance: PerformanceConfig
    /// `[gateway]`: the client API.
    package let gateway: GatewayConfig
    /// `[writer]`: storage.
    package let writer: WriterConfig
    /// `[scheduler]`: timed jobs.
    package let scheduler: SchedulerConfig
    /// `[alerts]`: the gateway's alert monitor and notifications.
    package let alerts: AlertsConfig
    /// Every supported exchange in ``ExchangeProfile/all`` order, enabled or not.
    package let exchanges: [ExchangeConfig]

    /// The typed view of `values`; keys missing from `values` take their schema default.
    ///
    /// Does not validate: ``ConfigLoader`` does. Values of the wrong case for their key are a programming error.
    package init(values: [String: ConfigValue]) {
        var complete = values
        for key in ConfigSchema.keys where complete[key.path] == nil { complete[key.path] = key.defaultValue }
        self.values = complete
        let reader = ValueReader(values: complete)
        daemon = DaemonConfig(reader)
        supervisor = SupervisorConfig(reader)
        delivery = DeliveryConfig(reader)
        performance = PerformanceConfig(reader)
        gateway = GatewayConfig(reader)
        writer = WriterConfig(reader, stateDirectory: daemon.stateDirectory)
        scheduler = SchedulerConfig(reader)
        alerts = AlertsConfig(reader)
        exchanges = ExchangeProfile.all.map { ExchangeConfig(reader, profile: $0) }
    }

    /// Every key at its default and no exchange enabled: what an empty file and empty environment give.
    package static let defaults: Configuration = Configuration(
        values: Dictionary(
            uniqueKeysWithValues: ExchangeProfile.all.map { ("exchanges.\($0.name).enabled", .bool(false)) }))

    // MARK: - Derived

    /// The configuration of `exchange`, if cryptod supports it.
    package func exchange(_ exchange: ExchangeID) -> ExchangeConfig? {
        exchanges.first { $0.exchange == exchange }
    }

    /// The exchanges that get an ingestor.
    package var enabledExchanges: [ExchangeConfig] { exchanges.filter(\.enabled) }

    /// The child processes this configuration runs, in start order.
    package var enabledProcesses: [ProcessName] {
        var names: [ProcessName] = []
        if writer.enabled { names.append(.writer) }
        if gateway.enabled { names.append(.gateway) }
        if scheduler.enabled { names.append(.scheduler) }
        names += enabledExchanges.map { .ingestor($0.exchange) }
        return names
    }

    /// Process names, sockets and start/stop order.
    package var topology: Topology { Topology(self) }

    /// The effective value of `path` (`gateway.rest_listen`).
    package subscript(path: String) -> ConfigValue? { values[path] }
}
