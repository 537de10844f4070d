import ArgumentParser
import CryptodWire
import Foundation

/// `cryptoctl`: the operator's command for a running `cryptod`.
package struct Cryptoctl: AsyncParsableCommand {
    package static let configuration = CommandConfiguration(
        commandName: "cryptoctl",
        abstract:
            "Control a running cryptod: status of its processes, restart/stop/start one, reload, check the configuration; "
            + "health, alerts, throttle and a live view (top) through the gateway.",
        discussion: """
            cryptoctl talks to the supervisor over its control socket, <runtime_dir>/control.sock, with the \
            same wire protocol as every cryptod process. It finds the socket, in this order: --socket PATH; \
            $CRYPTOD_CONTROL_SOCKET; the daemon.runtime_dir of --config FILE or $CRYPTOD_CONFIG; the \
            daemon.runtime_dir of the nearest etc/cryptod.local.toml in the current directory or above (a \
            daemon started from a checkout by scripts/run); /run/cryptod/control.sock. The socket is \
            owner-only: run cryptoctl as the user cryptod runs as (sudo -u cryptod cryptoctl status).

            \(CtlExitCode.helpText)
            """,
        subcommands: [
            StatusCommand.self, RestartCommand.self, StopCommand.self, StartCommand.self, ReloadCommand.self,
            CheckConfigCommand.self, ConfigCommand.self, SubscribeCommand.self, UnsubscribeCommand.self,
            SubscriptionsCommand.self, VerifyKeyCommand.self, MigrateCommand.self, BackfillCommand.self,
            JobsCommand.self, CapacityCommand.self, CoverageCommand.self, HealthCommand.self, AlertsCommand.self,
            ThrottleCommand.self, TopCommand.self,
        ])

    package init() {}

    /// Runs cryptoctl with `arguments` (the process's own when nil) and exits with its status.
    ///
    /// ArgumentParser exits 64 on a bad command line; cryptoctl's documented code for that is 2, the same as
    /// every other cryptod binary.
    package static func runAndExit(_ arguments: [String]? = nil) async -> Never {
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
            exit(withError: nil)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Console.error(fullMessage(for: error))
                Foundation.exit(CtlExitCode.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// Options every subcommand takes.
package struct GlobalOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The daemon's control socket (default: found as described in cryptoctl --help).", valueName: "path"))
    package var socket: String?

    @Option(
        help: ArgumentHelp(
            "The daemon's configuration file: its runtime_dir locates the socket, and check-config validates it.",
            valueName: "file"))
    package var config: String?

    @Flag(help: "Print JSON instead of text, for scripts.")
    package var json = false

    @Option(help: ArgumentHelp("Seconds to wait for the daemon's reply.", valueName: "seconds"))
    package var timeout: Double = 30

    package init() {}

    package func validate() throws {
        guard timeout > 0, timeout <= 86_400 else {
            throw ValidationError("--timeout must be between 0 and 86400 seconds")
        }
    }

    var locator: DaemonLocator {
        DaemonLocator(
            socketFlag: socket, configFlag: config, environment: ProcessInfo.processInfo.environment,
            currentDirectory: FileManager.default.currentDirectoryPath)
    }

    /// Sends one request to the daemon and returns its reply.
    /// - Throws: `ExitCode(3)` after explaining on stderr which sockets were tried.
    func send(_ command: ControlCommand, target: String = "", argument: String = "") async throws -> ControlReply {
        let (sockets, notes) = locator.sockets()
        let client = ControlClient(sockets: sockets, notes: notes, timeout: .milliseconds(Int64(timeout * 1000)))
        let request = ControlRequest(
            requestID: UInt32.random(in: 1...UInt32.max), command: command, target: target, argument: argument)
        do {
            let (reply, socket) = try await client.send(request)
            if socket != sockets.first, let first = sockets.first {
                // A guess answered after an earlier one did not: say which daemon this is.
                Console.error(
                    "note: nothing answered on \(first.path) (\(first.origin)); using \(socket.path) (\(socket.origin))"
                )
            }
            return reply
        } catch {
            Console.error("cryptoctl: \(error)")
            throw ExitCode(CtlExitCode.unreachable.rawValue)
        }
    }

    /// Prints the reply to a command other than status, and fails with its exit code.
    func report(_ reply: ControlReply) throws {
        let code = CtlExitCode(reply.result)
        if json {
            Console.output(StatusReport.result(json: reply).rendered(), terminator: "")
        } else if code == .ok {
            if !reply.message.isEmpty { Console.output(reply.message) }
        } else {
            Console.error("cryptoctl: \(reply.result): \(reply.message)")
        }
        if code != .ok { throw ExitCode(code.rawValue) }
    }
}

/// Where cryptoctl's text goes: answers to stdout, problems to stderr.
enum Console {
    static func output(_ text: String, terminator: String = "\n") {
        FileHandle.standardOutput.write(Data((text + terminator).utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
    }
}
