import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodRuntime
import CryptodWire
import Foundation
import Logging
import UnixSignals

/// The life of the `cryptod` process: configuration, logging, the control socket, signals, and the
/// ``Supervisor`` that runs the children.
package enum SupervisorHost {
    package static let defaultConfigPath = "/etc/cryptod/cryptod.toml"

    /// Validates a configuration file for `cryptod --check-config`.
    /// - Returns: the text to print and the exit code (0 valid, 78 invalid).
    package static func checkConfig(path: String, environment: [String: String]) -> (String, ExitCode) {
        do {
            let loaded = try ConfigLoader.load(path: path, environment: environment)
            var lines = ["\(path): configuration is valid"]
            lines += loaded.warnings.map(\.description)
            let processes = loaded.configuration.enabledProcesses.map(\.description).joined(separator: ", ")
            lines.append("processes: \(processes.isEmpty ? "none" : processes)")
            return (lines.joined(separator: "\n"), .success)
        } catch {
            return ("\(error)", .configuration)
        }
    }

    /// Runs the daemon until SIGTERM/SIGINT (or until its children cannot be started at all).
    package static func run(configPath: String, environment: [String: String]) async -> ExitCode {
        let text: String
        let loaded: LoadedConfiguration
        do {
            text = try String(contentsOfFile: configPath, encoding: .utf8)
            loaded = try ConfigLoader.load(text: text, path: configPath, environment: environment)
        } catch let error as ConfigErrorList {
            FileHandle.standardError.write(Data("cryptod: invalid configuration, nothing started:\n\(error)\n".utf8))
            return .configuration
        } catch {
            FileHandle.standardError.write(
                Data("cryptod: cannot read \(configPath): \(error.localizedDescription)\n".utf8))
            return .configuration
        }
        let configuration = loaded.configuration
        let format = CryptodLogging.Format(rawValue: configuration.daemon.logFormat.rawValue) ?? .json
        let levelControl = CryptodLogging.bootstrap(
            process: "cryptod", format: format, level: configuration.daemon.logLevel.swiftLogLevel)
        _ = levelControl
        let logger = Logger(label: "cryptod.supervisor")
        let metrics = CryptodMetrics.bootstrap(process: "cryptod", build: .current)
        for warning in loaded.warnings { logger.warning("\(warning.message)") }

        let topology = configuration.topology
        guard let binDirectory = topology.binDirectory ?? ownDirectory() else {
            logger.critical("cannot find the directory of the cryptod executable; set daemon.bin_dir")
            return .configuration
        }
        do {
            try FileManager.default.createDirectory(
                atPath: topology.runtimeDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
            try FileManager.default.createDirectory(
                atPath: configuration.daemon.stateDirectory, withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700])
        } catch {
            logger.critical("cannot create the runtime or state directory", metadata: ["error": "\(error)"])
            return .cannotCreate
        }
        if LinkListener.isLive(topology.controlSocketPath) {
            logger.critical(
                "another cryptod is already running with this runtime directory (its control socket answers)",
                metadata: ["socket": "\(topology.controlSocketPath)"])
            return .unavailable
        }
        _ = FileManager.default.createFile(
            atPath: topology.pidFilePath, contents: Data("\(getpid())\n".utf8), attributes: [.posixPermissions: 0o600])
        defer { try? FileManager.default.removeItem(atPath: topology.pidFilePath) }

        let notifier = SystemdNotifier(environment: environment)
        let supervisor = Supervisor(
            loaded: loaded, text: text, configPath: configPath, binDirectory: binDirectory, environment: environment,
            logger: logger, notifier: notifier)
        let startedAt = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        logger.info(
            "cryptod starting",
            metadata: [
                "config": "\(configPath)", "processes": "\(topology.startOrder.map(\.name.description))",
                "runtime": "\(topology.runtimeDirectory)",
            ])

        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup)
        let control = LinkListener(
            path: topology.controlSocketPath, identity: LinkIdentity(role: .supervisor, name: "cryptod"),
            settings: LinkSettings(), logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    try await control.run { peer in
                        LinkEndpoint(onMessage: { message, writer in
                            switch message {
                            case .controlRequest(let request):
                                logger.info(
                                    "control request",
                                    metadata: [
                                        "command": "\(request.command)", "target": "\(request.target)",
                                        "from": "\(peer.name)",
                                    ])
                                try await writer.send(.controlReply(await supervisor.handle(request)))
                            case .statusRequest:
                                try await writer.send(
                                    .statusReply(await supervisor.processStatus(startedAt: startedAt)))
                            case .metricsRequest:
                                try await writer.send(.metricsReply(MetricsReply(exposition: metrics.exposition())))
                            default:
                                throw LinkError.protocolViolation("\(message.type) is not a control request")
                            }
                        })
                    }
                } catch is CancellationError {
                } catch {
                    logger.error(
                        "control socket stopped; cryptoctl cannot reach this daemon", metadata: ["error": "\(error)"])
                }
            }
            if notifier.watchdogInterval != nil {
                group.addTask { await notifier.runWatchdog() }
            }
            group.addTask {
                for await signal in signals {
                    if signal == .sighup {
                        logger.info("SIGHUP: reloading the configuration")
                        let reply = await supervisor.handle(ControlRequest(requestID: 0, command: .reload))
                        logger.log(level: reply.result == .ok ? .info : .error, "reload: \(reply.message)")
                    } else {
                        logger.info("\(signal): stopping")
                        await supervisor.shutdown()
                        return
                    }
                }
            }
            await supervisor.run()
            group.cancelAll()
        }
        logger.info("cryptod stopped")
        return .success
    }

    /// The directory holding the running executable, where the child executables are installed beside it.
    static func ownDirectory() -> String? {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            return nil
        }
        return (path as NSString).deletingLastPathComponent
    }
}
