import ArgumentParser
import CryptodWire

/// `cryptoctl status`.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every child process: state, pid, uptime, automatic restarts, last exit and why.",
        discussion: """
            States: starting (spawned, not yet ready), running, stopping, backoff (crashed; restarts after the \
            delay in MESSAGE), failed (crashed restart_budget times within restart_budget_window, or exited 78; \
            not restarted until `cryptoctl start NAME`), stopped (by `cryptoctl stop NAME`).

            --json prints {"server_time", "children": [{"name", "role", "state", "pid", "started_at", \
            "uptime_seconds", "restarts", "last_exit": {"kind", "code", "at"} or null, "next_restart_at", \
            "message"}]}; times are RFC 3339 UTC strings, and fields that do not apply are null.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let reply = try await options.send(.status)
        let code = CtlExitCode(reply.result)
        guard code == .ok else {
            Console.error("cryptoctl: \(reply.result): \(reply.message)")
            throw ExitCode(code.rawValue)
        }
        if options.json {
            Console.output(StatusReport.json(reply).rendered(), terminator: "")
        } else {
            Console.output(StatusReport.table(reply), terminator: "")
        }
    }
}

/// `restart`, `stop` and `start` share everything but the command.
protocol ChildCommand: AsyncParsableCommand {
    static var command: ControlCommand { get }
    var options: GlobalOptions { get }
    var child: String { get }
}

extension ChildCommand {
    func run() async throws {
        try options.report(try await options.send(Self.command, target: child))
    }

    static func help(_ abstract: String, _ details: String) -> CommandConfiguration {
        CommandConfiguration(
            commandName: command.description, abstract: abstract,
            discussion:
                "\(details)\n\nCHILD is a name from `cryptoctl status`: writer, gateway, scheduler, ingestor-<exchange>.\n\n\(CtlExitCode.helpText)"
        )
    }
}

/// `cryptoctl restart CHILD`.
struct RestartCommand: ChildCommand {
    static let command = ControlCommand.restart
    static let configuration = help(
        "Restart one child process (SIGTERM, then a fresh start).",
        "Also resets the child's crash budget and backoff, so it brings a failed child back.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The child to restart.") var child: String
}

/// `cryptoctl stop CHILD`.
struct StopCommand: ChildCommand {
    static let command = ControlCommand.stop
    static let configuration = help(
        "Stop one child process; it stays stopped until `cryptoctl start CHILD`.",
        "SIGTERM, then SIGKILL after supervisor.stop_timeout. The supervisor does not restart a stopped child.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The child to stop.") var child: String
}

/// `cryptoctl start CHILD`.
struct StartCommand: ChildCommand {
    static let command = ControlCommand.start
    static let configuration = help(
        "Start a stopped or failed child process.",
        "Resets the child's crash budget and backoff. Does nothing to a child that is already running.")

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The child to start.") var child: String
}

/// `cryptoctl reload`.
struct ReloadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reload",
        abstract: "Reload the daemon's configuration file, all or nothing (like SIGHUP, but with the answer).",
        discussion: """
            The daemon reads and validates its file again. If anything is wrong (invalid file, a change that needs \
            a restart of cryptod itself, a child refusing it), nothing changes and the daemon keeps running with \
            the previous configuration; otherwise each child applies it in place or is restarted. The reply says \
            which. Exit 78 when the file is invalid, 5 when a reload is already in progress.

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        try options.report(try await options.send(.reload))
    }
}
