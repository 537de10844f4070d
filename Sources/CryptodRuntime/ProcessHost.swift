import CSystemShims
import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
import Glibc
#endif

/// How a child executable was started (its command line, parsed by the executable).
package struct ProcessOptions: Sendable {
    package var name: ProcessName
    /// The configuration file; `nil` means `$CRYPTOD_CONFIG` or `/etc/cryptod/cryptod.toml`. Ignored when
    /// supervised: the supervisor sends the text it validated.
    package var configPath: String?
    /// Started by `cryptod`, with the supervisor link on fd 3.
    package var supervised: Bool
    package var logFormat: CryptodLogging.Format?
    package var logLevel: Logger.Level?

    package init(
        name: ProcessName, configPath: String?, supervised: Bool, logFormat: CryptodLogging.Format? = nil,
        logLevel: Logger.Level? = nil
    ) {
        self.name = name
        self.configPath = configPath
        self.supervised = supervised
        self.logFormat = logFormat
        self.logLevel = logLevel
    }

    package static let defaultConfigPath = "/etc/cryptod/cryptod.toml"
}

/// Runs one cryptod child process around its role: the common life of every process.
///
/// 1. Logging and metrics are bootstrapped for the process name.
/// 2. The configuration comes from the supervisor (supervised) or from the file (standalone); an invalid
///    one ends the process with exit code 78, which is never restarted.
/// 3. A `ServiceGroup` runs the process socket (`<runtime_dir>/<name>.sock`, answering status and metrics
///    and the role's own peers), the role, and the reload and watchdog helpers; SIGTERM and SIGINT shut it
///    down gracefully, SIGHUP reloads (standalone; supervised children are reloaded by the supervisor).
/// 4. Readiness goes to the supervisor (`ready`) or to systemd (`READY=1`).
package enum ProcessHost {
    /// - Returns: the exit code for `exit(3)`.
    package static func run(
        options: ProcessOptions, makeRole: @Sendable (ProcessContext) throws -> any CryptodRole
    ) async -> ExitCode {
        let environment = ProcessEnvironment.current()
        let name = options.name
        let path = options.configPath ?? environment["CRYPTOD_CONFIG"] ?? ProcessOptions.defaultConfigPath
        // Standalone processes read the file before logging starts, so its log_format applies from the first
        // line; supervised ones get --log-format from the supervisor.
        let preloaded: Result<LoadedConfiguration, ConfigErrorList>? =
            options.supervised
            ? nil : Result { () throws(ConfigErrorList) in try ConfigLoader.load(path: path, environment: environment) }
        let fileFormat = (try? preloaded?.get()).flatMap {
            CryptodLogging.Format(rawValue: $0.configuration.daemon.logFormat.rawValue)
        }
        let format =
            options.logFormat ?? environment["CRYPTOD_LOG_FORMAT"].flatMap(CryptodLogging.Format.init(rawValue:))
            ?? fileFormat ?? .json
        let levelControl = CryptodLogging.bootstrap(
            process: name.description, format: format, level: options.logLevel ?? .info)
        let logger = Logger(label: "cryptod.\(name.role)")
        let metrics = CryptodMetrics.bootstrap(process: name.description, build: .current)
        let notifier = SystemdNotifier(environment: environment)

        return await withTaskGroup(of: Void.self) { background -> ExitCode in
            defer { background.cancelAll() }
            // MARK: Configuration
            let parent: ParentLinkController?
            let loaded: LoadedConfiguration
            var generation: UInt64 = 1
            if options.supervised {
                _ = cryptod_set_parent_death_signal(SIGTERM)
                let controller = ParentLinkController(name: name.description, role: name.role, logger: logger)
                parent = controller
                background.addTask {
                    do {
                        try await ParentLink.run(
                            identity: LinkIdentity(role: name.role, name: name.description), settings: LinkSettings(),
                            logger: logger, endpoint: controller.endpoint)
                    } catch is CancellationError {
                        return  // the process is ending anyway
                    } catch {
                        logger.warning("supervisor link ended", metadata: ["error": "\(error)"])
                    }
                    await controller.linkClosed()
                }
                do {
                    let configure = try await controller.firstConfiguration()
                    generation = configure.generation
                    do {
                        loaded = try ConfigLoader.load(
                            text: configure.text, path: configure.path, environment: environment)
                        try checkEnabled(name, in: loaded.configuration)
                        await controller.answerFirstConfiguration(
                            ConfigureResult(generation: configure.generation, accepted: true, restartRequired: false))
                    } catch {
                        logger.critical("configuration rejected", metadata: ["error": "\(error)"])
                        await controller.answerFirstConfiguration(
                            ConfigureResult(
                                generation: configure.generation, accepted: false, restartRequired: false,
                                message: "\(error)"))
                        return .configuration
                    }
                } catch {
                    logger.critical("no configuration from the supervisor", metadata: ["error": "\(error)"])
                    return .unavailable
                }
            } else {
                parent = nil
                do {
                    loaded = try preloaded!.get()
                    try checkEnabled(name, in: loaded.configuration)
                } catch {
                    logger.critical(
                        "invalid configuration; fix it and start again (cryptod --check-config FILE explains every problem)",
                        metadata: ["file": "\(path)", "error": "\(error)"])
                    return .configuration
                }
            }
            for warning in loaded.warnings { logger.warning("\(warning.message)") }
            levelControl.level = options.logLevel ?? loaded.configuration.daemon.logLevel.swiftLogLevel

            // MARK: Role
            let context = ProcessContext(
                name: name, configuration: loaded.configuration, generation: generation, logger: logger,
                metrics: metrics,
                readiness: { generation in
                    parent?.sendReady(generation: generation)
                    try? notifier.ready(status: "ready")
                })
            let role: any CryptodRole
            do {
                role = try makeRole(context)
            } catch {
                logger.critical("cannot start", metadata: ["error": "\(error)"])
                return .configuration
            }
            let status: @Sendable () async -> ProcessStatus = {
                ProcessStatus(
                    name: name.description, role: name.role, pid: ProcessIdentity.pid, startedAt: context.startedAt,
                    ready: context.isReady, configGeneration: context.generation, details: await role.statusDetails())
            }
            let reload: @Sendable (LoadedConfiguration, UInt64) async -> ConfigureResult = { next, generation in
                // [performance] applies in place in every process, whatever the role does with the rest.
                if next.configuration.performance != context.configuration.performance {
                    context.stream.reload(next.configuration.performance)
                }
                switch await role.reconfigure(next.configuration) {
                case .applied:
                    context.replace(configuration: next.configuration, generation: generation)
                    levelControl.level = options.logLevel ?? next.configuration.daemon.logLevel.swiftLogLevel
                    logger.info("configuration reloaded", metadata: ["generation": "\(generation)"])
                    return ConfigureResult(generation: generation, accepted: true, restartRequired: false)
                case .restartRequired(let why):
                    logger.notice(
                        "reloaded configuration needs a restart of this process", metadata: ["reason": "\(why)"])
                    return ConfigureResult(generation: generation, accepted: true, restartRequired: true, message: why)
                case .rejected(let why):
                    logger.error("reloaded configuration rejected; keeping the old one", metadata: ["reason": "\(why)"])
                    return ConfigureResult(
                        generation: generation, accepted: false, restartRequired: false, message: why)
                }
            }

            // MARK: Services
            let socket = ProcessSocketService(
                context: context, role: role, status: status, metrics: { metrics.exposition() })
            var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                .init(service: socket, serviceName: "socket"),
                .init(
                    service: RoleService(role: role, context: context),
                    successTerminationBehavior: .gracefullyShutdownGroup,
                    serviceName: "role"),
            ]
            if !options.supervised {
                let reloader = ReloadService(logger: logger, notifier: notifier) {
                    let next = try ConfigLoader.load(path: path, environment: environment)
                    try checkEnabled(name, in: next.configuration)
                    let result = await reload(next, context.generation + 1)
                    if !result.accepted { throw ReloadRejected(message: result.message) }
                }
                services.append(.init(service: reloader, serviceName: "reload"))
            }
            if notifier.watchdogInterval != nil {
                services.append(.init(service: WatchdogService(notifier: notifier), serviceName: "watchdog"))
            }
            let group = ServiceGroup(
                configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            parent?.install(
                .init(
                    status: status, metrics: { metrics.exposition() },
                    reload: { configure in
                        do {
                            let next = try ConfigLoader.load(
                                text: configure.text, path: configure.path, environment: environment)
                            try checkEnabled(name, in: next.configuration)
                            return await reload(next, configure.generation)
                        } catch {
                            return ConfigureResult(
                                generation: configure.generation, accepted: false, restartRequired: false,
                                message: "\(error)")
                        }
                    }),
                group: group)
            do {
                try await group.run()
                try? notifier.stopping()
                logger.info("stopped")
                return .success
            } catch {
                logger.error("stopped after a failure", metadata: ["error": "\(error)"])
                return .failure
            }
        }
    }

    /// A process may run only when the configuration enables it.
    static func checkEnabled(_ name: ProcessName, in configuration: Configuration) throws {
        guard configuration.enabledProcesses.contains(name) else {
            throw NotEnabled(name: name)
        }
    }

    struct NotEnabled: Error, CustomStringConvertible {
        let name: ProcessName
        var description: String {
            switch name {
            case .ingestor(let exchange):
                "exchange \(exchange) is not enabled in the configuration (exchanges.\(exchange).enabled)"
            default: "\(name) is disabled in the configuration (\(name).enabled)"
            }
        }
    }

    struct ReloadRejected: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

extension LogLevel {
    /// swift-log's level for a configuration level.
    package var swiftLogLevel: Logger.Level {
        switch self {
        case .trace: .trace
        case .debug: .debug
        case .info: .info
        case .notice: .notice
        case .warning: .warning
        case .error: .error
        case .critical: .critical
        }
    }
}
