import ArgumentParser
import CryptodRuntime
import CryptodSupervisor
import Foundation

@main
struct CryptodCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cryptod",
        abstract:
            "The cryptod supervisor: starts the ingestors, scheduler, writer and gateway, and keeps them running.",
        discussion: """
            Reads one configuration file, spawns one process per role (each with a link on fd 3), restarts a \
            crashed child with exponential backoff, gives up on a child that keeps crashing (see \
            `cryptoctl status`), and serves `cryptoctl` on <runtime_dir>/control.sock.

            Signals: SIGTERM or SIGINT stop every child in order (ingestors, scheduler, writer after it has \
            flushed, gateway) and exit 0; SIGHUP reloads the configuration, all or nothing.
            Under systemd (NOTIFY_SOCKET set) it reports READY=1 once every child is ready, WATCHDOG=1 and STOPPING=1.

            Exit codes: 0 stopped as asked or configuration valid (--check-config); 2 bad command line; \
            69 another cryptod already runs with this runtime directory; 73 cannot create the runtime or \
            state directory; 78 invalid configuration.
            """)

    @Option(name: .long, help: "The configuration file (default: $CRYPTOD_CONFIG, else /etc/cryptod/cryptod.toml).")
    var config: String?

    @Option(
        name: .customLong("check-config"),
        help: "Validate FILE and exit: 0 when valid, 78 with every problem listed when not.")
    var checkConfig: String?

    @Flag(name: .customShort("n"), help: "Validate the configuration file (--config) and exit, like --check-config.")
    var validateOnly = false

    func run() async throws {
        let environment = ProcessEnvironment.current()
        let path = config ?? environment["CRYPTOD_CONFIG"] ?? SupervisorHost.defaultConfigPath
        if let file = checkConfig ?? (validateOnly ? path : nil) {
            let (text, code) = SupervisorHost.checkConfig(path: file, environment: environment)
            if code == .success { print(text) } else { FileHandle.standardError.write(Data((text + "\n").utf8)) }
            throw code.parserExitCode
        }
        let code = await SupervisorHost.run(configPath: path, environment: environment)
        throw code.parserExitCode
    }
}
