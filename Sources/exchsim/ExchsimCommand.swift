import ArgumentParser
@preconcurrency import Dispatch
import ExchangeSimulator
import Foundation
import Logging

/// Runs the command with the process arguments (the async overload, explicitly: top-level code
/// would otherwise pick ParsableCommand's synchronous `main()`).
func runExchsim() async {
    let main: () async -> Void = ExchsimCommand.main
    await main()
}

/// Command line of `exchsim`; every flag maps onto `SimulatorOptions`.
struct ExchsimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchsim",
        abstract:
            "Simulates Binance spot, Bybit V5 (spot, linear) and WhiteBIT (REST + WebSocket) on loopback, deterministically.",
        discussion: """
            One listener per venue: Binance spot 9101, Bybit V5 spot and linear 9102, WhiteBIT 9103. REST and \
            WebSocket share each venue's port; the admin API \
            (ground truth, faults, clock, limits, load) lives under /_sim/ on every port. \
            See docs/exchsim.md. Exit codes: 0 clean stop (SIGINT/SIGTERM), 64 bad flags, 70 start-up failure.
            """)

    @Option(help: "Address to bind (loopback by default; exchsim never contacts other addresses).")
    var host = "127.0.0.1"

    @Option(
        name: .customLong("port"),
        help: "VENUE=PORT, repeatable (0 = ephemeral). Defaults: binance=9101, bybit=9102, whitebit=9103.")
    var ports: [String] = []

    @Option(
        name: .customLong("venue"), help: "Run only these venues (repeatable): binance, bybit, whitebit. Default: all.")
    var venues: [String] = []

    @Option(help: "Seed of the market (same seed + same clock = byte-identical REST answers).")
    var seed: UInt64 = 42

    @Option(help: "Synthetic markets to add to the built-in set (BTC/USDT, ETH/USDT, BNB/BTC, …).")
    var markets = 0

    @Option(help: "JSON file of markets replacing the built-in set (see docs/exchsim.md).")
    var marketsFile: String?

    @Option(help: "Simulated start time: ms since the epoch or ISO-8601 (default: now).")
    var startTime: String?

    @Option(help: "Simulated ms per real ms (60 = a minute per second; 0 pins the clock).")
    var timeScale: Double = 1

    @Option(help: "Ticks per book side.")
    var bookWindow: Int64 = 1_000

    @Option(help: "Simulated ms between background book updates per market.")
    var churnIntervalMs: Int64 = 500

    @Option(
        help: "Level changes kept per market for /_sim/book at past update ids (0 = 2,000,000 shared, ≥ 16,384 each).")
    var bookHistory = 0

    @Flag(help: "Serve https/wss (self-signed certificate unless --tls-cert/--tls-key).")
    var tls = false

    @Option(help: "PEM certificate to serve with --tls.")
    var tlsCert: String?

    @Option(help: "PEM private key to serve with --tls.")
    var tlsKey: String?

    @Option(help: "Write the generated certificate (PEM) here so clients can trust it.")
    var tlsCertOut: String?

    @Option(name: .customLong("api-key"), help: "NAME:KEY:SECRET, repeatable (the default test key stays).")
    var apiKeys: [String] = []

    @Option(
        name: .customLong("limit"),
        help:
            "NAME=VALUE rate-limit override, repeatable (e.g. binance.weight_per_minute=6000, bybit.ip_requests_per_5s=600, whitebit.v4_public_per_10s=2000)."
    )
    var limits: [String] = []

    @Option(
        name: .customLong("fault"), help: "[VENUE/]KIND[:key=value,…], repeatable (e.g. binance/skip_depth:count=1).")
    var faults: [String] = []

    @Option(
        help:
            "Target aggregate WebSocket messages per second per venue, touch-size updates (0 = off). See also --load.")
    var loadRate: Double = 0

    @Option(
        name: .customLong("load"),
        help: ArgumentHelp(
            "VENUE:KIND=RATE[,KIND=RATE…], repeatable: generated stream messages/s by kind over the venue's subscribed markets.",
            discussion:
                "Kinds: depth (Binance diffs, one per update; Bybit orderbook and WhiteBIT depth pushed every tick), ticker (Binance/WhiteBIT bookTicker, Bybit tickers). E.g. --load binance:depth=160000,ticker=40000.",
            valueName: "spec"))
    var loads: [String] = []

    @Option(help: "Broadcaster tick in real ms.")
    var tickMs: Int64 = 5

    @Option(help: "Event-loop threads.")
    var threads = 1

    @Option(help: "Write {\"binance\":PORT,\"bybit\":PORT,\"whitebit\":PORT} (the venues running) here once listening.")
    var readyFile: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    func run() async throws {
        let options: SimulatorOptions
        do {
            options = try self.makeOptions()
        } catch {
            FileHandle.standardError.write(Data("exchsim: \(error)\n".utf8))
            throw ExitCode(64)
        }
        var logger = Logger(label: "exchsim") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = Logger.Level(rawValue: self.logLevel) ?? .info
        let host: SimulatorHost
        do {
            host = try await SimulatorHost.start(options: options, logger: logger)
        } catch {
            logger.critical("start-up failed: \(error)")
            throw ExitCode(70)
        }
        if let readyFile {
            let ports = host.venues.map { "\"\($0.id)\":\($0.port)" }.joined(separator: ",")
            try? Data("{\(ports)}\n".utf8).write(to: URL(fileURLWithPath: readyFile))
        }
        let signal = await SignalWaiter.wait(for: [SIGINT, SIGTERM])
        logger.info("stopping", metadata: ["signal": "\(signal)"])
        try? await host.shutdown()
        logger.info("stopped")
    }

    private func makeOptions() throws -> SimulatorOptions {
        var options = SimulatorOptions()
        options.host = self.host
        options.seed = self.seed
        options.timeScale = self.timeScale
        options.tls = self.tls
        options.tlsCertificatePath = self.tlsCert
        options.tlsKeyPath = self.tlsKey
        options.tlsCertificateOut = self.tlsCertOut
        options.loadRate = self.loadRate
        let venueIds = VenueRegistry.all.map(\.id)
        for item in self.loads {
            switch LoadMix.parse(flag: item) {
            case .failure(let error): throw ValidationError("--load \(item): \(error.message)")
            case .success(let (venue, mix)):
                guard venueIds.contains(venue) else {
                    throw ValidationError(
                        "--load \(item): unknown venue \(venue); expected one of \(venueIds.joined(separator: ", "))")
                }
                options.loadMix[venue] = mix
            }
        }
        options.tickMs = self.tickMs
        options.threads = self.threads
        options.engine.bookWindow = self.bookWindow
        options.engine.churnIntervalMs = self.churnIntervalMs
        options.engine.bookHistory = self.bookHistory
        options.venues = self.venues.isEmpty ? nil : self.venues
        if let marketsFile {
            options.markets =
                try MarketCatalog.load(path: marketsFile)
                + (0..<max(0, self.markets)).map { MarketCatalog.synthetic(index: $0, seed: self.seed) }
        } else {
            options.markets = MarketCatalog.standard(syntheticCount: self.markets, seed: self.seed)
        }
        if let startTime { options.startTime = try Self.parseTime(startTime) }
        for item in self.ports {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let port = Int(parts[1]), (0...65_535).contains(port) else {
                throw ValidationError("--port expects VENUE=PORT, got \(item)")
            }
            options.ports[String(parts[0])] = port
        }
        for item in self.apiKeys {
            let parts = item.split(separator: ":", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { throw ValidationError("--api-key expects NAME:KEY:SECRET") }
            options.apiKeys.append(APIKeyEntry(name: parts[0], key: parts[1], secret: parts[2]))
        }
        for item in self.limits {
            let parts = item.split(separator: "=")
            guard parts.count == 2, let value = Int64(parts[1]) else {
                throw ValidationError("--limit expects NAME=VALUE")
            }
            options.limits[String(parts[0])] = value
        }
        for item in self.faults {
            var venue = "*"
            var spec = item
            if let slash = item.firstIndex(of: "/"), !item[..<slash].contains(":") {
                venue = String(item[..<slash])
                spec = String(item[item.index(after: slash)...])
            }
            switch FaultRule.parse(flag: spec) {
            case .success(let rule): options.faults[venue, default: []].append(rule)
            case .failure(let error): throw ValidationError("--fault \(item): \(error.message)")
            }
        }
        return options
    }

    private static func parseTime(_ text: String) throws -> Int64 {
        if let ms = Int64(text) { return ms }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) {
            return Int64((date.timeIntervalSince1970 * 1_000).rounded())
        }
        throw ValidationError("--start-time expects ms since the epoch or ISO-8601, got \(text)")
    }
}

/// Waits for the first of some signals (the default handlers are replaced so the process survives).
enum SignalWaiter {
    static func wait(for signals: [Int32]) async -> Int32 {
        await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
            let queue = DispatchQueue(label: "exchsim.signals")
            let once = OnceFlag()
            var sources: [any DispatchSourceSignal] = []
            for number in signals {
                Foundation.signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler {
                    if once.claim() { continuation.resume(returning: number) }
                }
                source.resume()
                sources.append(source)
            }
            SignalSources.keep(sources)
        }
    }
}
