import ArgumentParser
import Foundation
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Options of the commands that talk to the gateway's REST API instead of the control socket.
struct GatewayOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The gateway's REST address (default: gateway.rest_listen of the configuration in use).",
            valueName: "http://host:port"))
    var url: String?

    @Option(
        help: ArgumentHelp(
            "The admin token (default: $CRYPTOD_GATEWAY_ADMIN_TOKEN, else gateway.admin_token of the configuration).",
            valueName: "token"))
    var token: String?

    static let discussion = """
        These commands use the gateway's REST API at gateway.rest_listen of the configuration in use (found \
        as described in cryptoctl --help; --url overrides it), with the admin token from --token, \
        $CRYPTOD_GATEWAY_ADMIN_TOKEN or the file's gateway.admin_token (as Authorization: Bearer). A gateway \
        that cannot be reached exits 3; one that refuses the token or the request exits 1 with what to do.
        """

    /// The client for `global`'s configuration and timeout; notes on unusable sources go to stderr.
    func client(_ global: GlobalOptions) throws -> GatewayClient {
        let target: GatewayTarget
        do {
            target = try GatewayTarget.resolve(urlFlag: url, tokenFlag: token, locator: global.locator)
        } catch {
            Console.error("cryptoctl: \(error)")
            throw ExitCode(CtlExitCode.usage.rawValue)
        }
        for note in target.notes { Console.error("note: \(note)") }
        return GatewayClient(target: target, timeoutSeconds: global.timeout)
    }
}

extension GatewayClient {
    /// The body of a 2xx answer; any other outcome is explained on stderr and ends the command.
    func call(_ method: HTTPMethod, _ path: String, json body: [String: Any]? = nil) async throws -> String {
        let bytes = try body.map { Array(try JSONSerialization.data(withJSONObject: $0, options: [.sortedKeys])) }
        let response: GatewayResponse
        do {
            response = try await send(method, path, body: bytes)
        } catch {
            Console.error("cryptoctl: " + GatewayFailureMessage.unreachable("\(error)", target: target))
            throw ExitCode(CtlExitCode.unreachable.rawValue)
        }
        guard (200..<300).contains(response.status) else {
            Console.error(
                "cryptoctl: "
                    + GatewayFailureMessage.text(
                        status: response.status, body: response.text, method: method.rawValue, path: path,
                        target: target))
            throw ExitCode((response.status == 400 ? CtlExitCode.usage : CtlExitCode.failed).rawValue)
        }
        return response.text
    }
}

/// Prints a rendered answer, or the raw JSON with --json.
private func present(_ text: String, json: Bool, render: (String) throws(OpsReport.Malformed) -> String) throws {
    if json { return Console.output(text.hasSuffix("\n") ? String(text.dropLast()) : text) }
    do {
        Console.output(try render(text), terminator: "")
    } catch {
        Console.error("cryptoctl: \(error)")
        throw ExitCode(CtlExitCode.failed.rawValue)
    }
}

/// `cryptoctl health`.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health",
        abstract: "The health score, overall and per process, with the signals that cost points.",
        discussion: """
            GET /api/v1/admin/health/detailed. Exit 1 when the status is critical (after printing it), so a \
            script can alert on it. The formula is in docs/operations.md.

            \(GatewayOptions.discussion)

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var gateway: GatewayOptions

    func run() async throws {
        let text = try await gateway.client(options).call(.GET, "/api/v1/admin/health/detailed")
        try present(text, json: options.json, render: OpsReport.health)
        if OpsReport.healthIsCritical(text) { throw ExitCode(CtlExitCode.failed.rawValue) }
    }
}

/// `cryptoctl alerts`.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Alerts firing or pending, as the gateway evaluates the Prometheus rules in-process.",
        discussion: """
            GET /api/v1/admin/alerts. The same rules ship as etc/prometheus/ (installed under \
            /usr/share/cryptod/prometheus).

            \(GatewayOptions.discussion)

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var gateway: GatewayOptions

    func run() async throws {
        let text = try await gateway.client(options).call(.GET, "/api/v1/admin/alerts")
        try present(text, json: options.json, render: OpsReport.alerts)
    }
}

/// `cryptoctl throttle PERCENT | --restore | --stop | --restart`.
struct ThrottleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "throttle",
        abstract: "Shed load (PERCENT of ticker and book updates), restore it, or stop and restart ingestion.",
        discussion: """
            cryptoctl throttle 90     POST /api/v1/stream/throttle {"action":"throttle","throttle_percent":90}
            cryptoctl throttle --restore   the same with 0: nothing shed
            cryptoctl throttle --stop      POST /api/v1/admin/emergency {"action":"stop"}
            cryptoctl throttle --restart   POST /api/v1/admin/emergency {"action":"restart"}: undo a stop and a throttle

            What a percentage sheds (never closed candles or trades) is in docs/operations.md. Every action \
            is audited in the gateway's log with who asked.

            \(GatewayOptions.discussion)

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var gateway: GatewayOptions
    @Argument(help: "The share of ticker and order-book updates to shed, 0-99.") var percent: Int?
    @Flag(help: "Shed nothing (throttle 0).") var restore = false
    @Flag(help: "Emergency stop: ingestion pauses until --restart.") var stop = false
    @Flag(help: "Undo --stop and any throttle.") var restart = false

    func validate() throws {
        let chosen = [percent != nil, restore, stop, restart].filter { $0 }.count
        guard chosen == 1 else { throw ValidationError("give exactly one of PERCENT, --restore, --stop, --restart") }
        if let percent, !(0...99).contains(percent) {
            throw ValidationError("PERCENT must be 0-99 (use --stop to stop everything)")
        }
    }

    /// The route and body for the chosen action.
    var request: (path: String, body: [String: Any]) {
        if stop { return ("/api/v1/admin/emergency", ["action": "stop"]) }
        if restart { return ("/api/v1/admin/emergency", ["action": "restart"]) }
        return ("/api/v1/stream/throttle", ["action": "throttle", "throttle_percent": restore ? 0 : percent ?? 0])
    }

    func run() async throws {
        let (path, body) = request
        let text = try await gateway.client(options).call(.POST, path, json: body)
        try present(text, json: options.json, render: OpsReport.throttle)
        if ((try? OpsReport.object(text))?["ok"] as? Bool) == false { throw ExitCode(CtlExitCode.failed.rawValue) }
    }
}

/// `cryptoctl top`.
struct TopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top",
        abstract: "A live view of rates per exchange, latency percentiles, health and WebSocket clients.",
        discussion: """
            Redraws every second from GET /api/v1/stream/stats and /api/v1/stream/health; q or Ctrl-C quits. \
            When the gateway stops answering, the last frame stays with the error above the tables and top \
            keeps trying. --once prints one frame and exits (with --json: the stats document as received). \
            Without a terminal, a frame is printed every second.

            \(GatewayOptions.discussion)

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @OptionGroup var gateway: GatewayOptions
    @Flag(help: "Print one frame and exit.") var once = false

    func run() async throws {
        let client = try gateway.client(options)
        if once {
            let stats = try await client.call(.GET, "/api/v1/stream/stats")
            if options.json { return Console.output(stats.hasSuffix("\n") ? String(stats.dropLast()) : stats) }
            let health = try? await client.send(.GET, "/api/v1/stream/health")
            do {
                let frame = OpsReport.topFrame(
                    stats: try OpsReport.object(stats), health: health.flatMap { try? OpsReport.object($0.text) },
                    url: client.target.url)
                return Console.output(frame, terminator: "")
            } catch {
                Console.error("cryptoctl: \(error)")
                throw ExitCode(CtlExitCode.failed.rawValue)
            }
        }
        let terminal = isatty(STDOUT_FILENO) != 0 && isatty(STDIN_FILENO) != 0 ? RawTerminal() : nil
        defer { terminal?.restore() }
        var lastStats: [String: Any] = [:]
        var lastHealth: [String: Any]?
        while true {
            var problem: String?
            do {
                let response = try await client.send(.GET, "/api/v1/stream/stats")
                if (200..<300).contains(response.status) {
                    lastStats = try OpsReport.object(response.text)
                } else {
                    problem = GatewayFailureMessage.text(
                        status: response.status, body: response.text, method: "GET", path: "/api/v1/stream/stats",
                        target: client.target)
                }
                let health = try? await client.send(.GET, "/api/v1/stream/health")
                lastHealth = health.flatMap { (200..<300).contains($0.status) ? try? OpsReport.object($0.text) : nil }
            } catch let error as GatewayTransportError {
                problem = GatewayFailureMessage.unreachable("\(error)", target: client.target)
            } catch {
                problem = "\(error)"
            }
            let frame = OpsReport.topFrame(
                stats: lastStats, health: lastHealth, url: client.target.url, problem: problem)
            if let terminal {
                terminal.draw(frame)
                if let key = await terminal.key(waitingMilliseconds: 1000), RawTerminal.quitKeys.contains(key) {
                    return
                }
            } else {
                // `cryptoctl top | head` closes the pipe: stop quietly instead of failing the write.
                do {
                    try FileHandle.standardOutput.write(contentsOf: Data((frame + "\n").utf8))
                } catch {
                    return
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }
}

/// The terminal of `cryptoctl top`: alternate screen, hidden cursor, keys read one at a time without echo.
/// Signals from the keyboard are off (ISIG) so Ctrl-C arrives as a key and the terminal is always restored.
final class RawTerminal: Sendable {
    static let quitKeys: Set<UInt8> = [UInt8(ascii: "q"), UInt8(ascii: "Q"), 3 /* Ctrl-C */, 4 /* Ctrl-D */]

    private let saved: termios?

    init() {
        var original = termios()
        if tcgetattr(STDIN_FILENO, &original) == 0 {
            var raw = original
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
            tcsetattr(STDIN_FILENO, TCSANOW, &raw)
            saved = original
        } else {
            saved = nil
        }
        Self.write("\u{1B}[?1049h\u{1B}[?25l")
    }

    func restore() {
        Self.write("\u{1B}[?25h\u{1B}[?1049l")
        if var saved { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    }

    /// Home, each line cleared to its end, then the rest of the screen cleared: no flicker, no leftovers.
    func draw(_ frame: String) {
        let lines = frame.split(separator: "\n", omittingEmptySubsequences: false)
        Self.write("\u{1B}[H" + lines.joined(separator: "\u{1B}[K\n") + "\u{1B}[J")
    }

    /// The next key pressed within `milliseconds`, or nil. poll(2) blocks, so it runs on NIO's thread pool,
    /// never on the cooperative pool.
    func key(waitingMilliseconds milliseconds: Int32) async -> UInt8? {
        try? await NIOThreadPool.singleton.runIfActive {
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, milliseconds) > 0 else { return nil }
            var byte: UInt8 = 0
            return read(STDIN_FILENO, &byte, 1) == 1 ? byte : nil
        }
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
