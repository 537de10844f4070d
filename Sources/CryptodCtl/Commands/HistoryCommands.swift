import ArgumentParser
import CryptodModel
import CryptodWire
import Foundation

/// Times on the command line: epoch milliseconds, a date (`2026-11-01`) or a UTC date-time
/// (`2026-11-01T12:00:00Z`).
enum CommandLineTime {
    static func milliseconds(_ text: String) -> Int64? {
        if let value = Int64(text) { return value }
        let parts = text.split(separator: "T", maxSplits: 1)
        let date = parts.first.map { $0.split(separator: "-").compactMap { Int64($0) } } ?? []
        guard date.count == 3 else { return nil }
        var seconds = Timestamp.days(year: date[0], month: date[1], day: date[2]) * 86_400
        if parts.count == 2 {
            let clock = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "Z")).split(separator: ":")
                .compactMap { Int64($0) }
            guard (2...3).contains(clock.count) else { return nil }
            seconds += clock[0] * 3600 + clock[1] * 60 + (clock.count == 3 ? clock[2] : 0)
        }
        return seconds * 1000
    }
}

/// The `from`/`to`/`market` options shared by backfill and coverage.
struct HistoryRange: ParsableArguments {
    @Option(help: "Market type where an exchange has several (Bybit: spot or linear).") var market = "spot"
    @Option(help: "Start: epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC). Default: --days before --to.")
    var from: String?
    @Option(help: "End (exclusive), as --from. Default: now.") var to: String?
    @Option(help: "Days before --to when --from is not given.") var days = 1

    func argument(exchange: String, symbol: String, timeframe: String, extra: [String: Any] = [:]) throws -> String {
        var object: [String: Any] = ["exchange": exchange, "symbol": symbol, "timeframe": timeframe, "market": market]
        let toMilliseconds: Int64?
        if let to {
            guard let parsed = CommandLineTime.milliseconds(to) else {
                throw ValidationError("--to \(to): give epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
            toMilliseconds = parsed
            object["to"] = parsed
        } else {
            toMilliseconds = nil
        }
        if let from {
            guard let parsed = CommandLineTime.milliseconds(from) else {
                throw ValidationError("--from \(from): give epoch ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")
            }
            object["from"] = parsed
        } else {
            guard days > 0 else { throw ValidationError("--days must be at least 1") }
            let end = toMilliseconds ?? Int64(Date().timeIntervalSince1970 * 1000)
            object["from"] = end - Int64(days) * 86_400_000
        }
        for (key, value) in extra { object[key] = value }
        return IngestorArgument.json(object)
    }
}

/// `cryptoctl backfill EXCHANGE SYMBOL TIMEFRAME`.
struct BackfillCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Fetch missing candles into PostgreSQL and watch the job fill (pages, candles, rate, ETA).",
        discussion: """
            The scheduler plans from what is stored: candles already in historical_data and ranges the exchange \
            answered empty are not fetched again. Ctrl-C detaches: the job goes on (`cryptoctl jobs ID`). With \
            --json, one JSON line per second describes the job. Exit 2 when the request is refused (the message \
            says what is accepted).

            \(CtlExitCode.helpText)
            """)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange: binance, bybit or whitebit.") var exchange: String
    @Argument(help: "The market's symbol (BTCUSDT, BTC_USDT or BTC/USDT).") var symbol: String
    @Argument(help: "The timeframe: 1m, 5m, 15m, 30m, 1h, 4h, 1d, …") var timeframe: String
    @OptionGroup var range: HistoryRange
    @Option(help: "newest_first or oldest_first.") var order = "newest_first"
    @Flag(help: "Start the job and return at once.") var detach = false

    func run() async throws {
        let argument = try range.argument(
            exchange: exchange, symbol: symbol, timeframe: timeframe, extra: ["order": order])
        let reply = try await options.send(.backfill, target: "scheduler", argument: argument)
        guard reply.result == .ok, let job = JobView(reply.message) else { return try options.report(reply) }
        if options.json {
            Console.output(reply.message)
        } else {
            Console.error(
                "backfill job \(job.id) started; Ctrl-C detaches and the job goes on (cryptoctl jobs \(job.id))")
        }
        if detach { return }
        var last = job
        while !last.isFinished {
            try await Task.sleep(for: .seconds(1))
            let next = try await options.send(.jobs, target: "scheduler", argument: "{\"id\":\(job.id)}")
            guard next.result == .ok, let view = JobView(next.message) else { return try options.report(next) }
            last = view
            if options.json { Console.output(next.message) } else { Console.progress(view.progressLine) }
        }
        if !options.json { Console.progress(last.progressLine, done: true) }
        if last.state != "succeeded" {
            Console.error("cryptoctl: job \(last.id) \(last.state): \(last.message)")
            throw ExitCode(CtlExitCode.failed.rawValue)
        }
    }
}

/// `cryptoctl jobs [ID]`.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "List backfill jobs (newest first), or show one.",
        discussion: CtlExitCode.helpText)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "A job id.") var id: Int64?
    @Flag(help: "Cancel the job named by ID.") var cancel = false

    func run() async throws {
        if cancel {
            guard let id else { throw ValidationError("--cancel needs a job id") }
            return try options.report(
                try await options.send(.cancelJob, target: "scheduler", argument: "{\"id\":\(id)}"))
        }
        let reply = try await options.send(
            .jobs, target: "scheduler", argument: id.map { "{\"id\":\($0)}" } ?? "")
        guard reply.result == .ok, !options.json else { return try options.report(reply) }
        if let id, let job = JobView(reply.message) {
            _ = id
            Console.output(job.detail)
            return
        }
        let list = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any]
        let jobs = (list?["jobs"] as? [[String: Any]] ?? []).compactMap(JobView.init(object:))
        if jobs.isEmpty { return Console.output("no backfill jobs yet (cryptoctl backfill starts one)") }
        for job in jobs { Console.output(job.summaryLine) }
    }
}

/// `cryptoctl capacity [EXCHANGE]`.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Each exchange's request budget as its ingestor reports it, with the scheduler's window and delay.",
        discussion: CtlExitCode.helpText)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "Only this exchange.") var exchange: String?
    @Flag(
        help: "Re-plan from the latest reports now (reset delays the exchange no longer justifies); show before/after.")
    var optimize = false

    func run() async throws {
        if optimize { return try await runOptimize() }
        let reply = try await options.send(.capacity, target: "scheduler")
        guard reply.result == .ok, !options.json else { return try options.report(reply) }
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any]
        let exchanges = (object?["exchanges"] as? [[String: Any]] ?? []).filter {
            exchange == nil || ($0["exchange"] as? String) == exchange
        }
        if exchanges.isEmpty {
            return Console.output("no capacity reported yet (ingestors report every 5 s once they run)")
        }
        for entry in exchanges {
            for budget in entry["budgets"] as? [[String: Any]] ?? [] {
                Console.output(budget["summary"] as? String ?? "")
            }
        }
    }
}

extension CapacityCommand {
    /// `--optimize`: the control command `capacity` with `{"optimize":true}` (as
    /// `POST /api/v1/historical/optimize-capacity`).
    func runOptimize() async throws {
        var request: [String: Any] = ["optimize": true]
        if let exchange { request["exchange"] = exchange }
        let argument = String(
            decoding: try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys]), as: UTF8.self)
        let reply = try await options.send(.capacity, target: "scheduler", argument: argument)
        guard reply.result == .ok, !options.json else { return try options.report(reply) }
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any]
        let entries = object?["optimized"] as? [[String: Any]] ?? []
        if entries.isEmpty {
            return Console.output("no capacity reported yet (ingestors report every 5 s once they run)")
        }
        func plan(_ value: Any?) -> String {
            let plan = value as? [String: Any] ?? [:]
            let delay = (plan["adaptive_delay_ms"] as? NSNumber)?.doubleValue ?? 0
            return "window \(plan["window"] as? String ?? "?"), delay \(delay / 1000)s, "
                + "\((plan["pages_per_minute"] as? NSNumber)?.intValue ?? 0) pages/min"
        }
        for entry in entries {
            let name = entry["exchange"] as? String ?? "?"
            if entry["changed"] as? Bool == true {
                Console.output("\(name): \(plan(entry["before"])) -> \(plan(entry["after"]))")
            } else {
                Console.output("\(name): unchanged, \(plan(entry["after"]))")
            }
        }
    }
}

/// `cryptoctl coverage EXCHANGE SYMBOL TIMEFRAME`.
struct CoverageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "coverage",
        abstract: "Which candle ranges are stored (present), known empty, or missing.",
        discussion: CtlExitCode.helpText)

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The exchange.") var exchange: String
    @Argument(help: "The market's symbol.") var symbol: String
    @Argument(help: "The timeframe.") var timeframe: String
    @OptionGroup var range: HistoryRange

    func run() async throws {
        let argument = try range.argument(exchange: exchange, symbol: symbol, timeframe: timeframe)
        let reply = try await options.send(.coverage, target: "scheduler", argument: argument)
        guard reply.result == .ok, !options.json else { return try options.report(reply) }
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.message.utf8))) as? [String: Any] ?? [:]
        Console.output("\(object["known_percent"] ?? "?")% known")
        for segment in object["segments"] as? [[String: Any]] ?? [] {
            let state = segment["state"] as? String ?? "?"
            Console.output(
                "\(state.padding(toLength: 8, withPad: " ", startingAt: 0)) \(segment["from"] ?? "") → \(segment["to"] ?? "") (\(segment["candles"] ?? 0) candles)"
            )
        }
    }
}

/// A backfill job as the scheduler's JSON describes it.
struct JobView {
    var id: Int64
    var state: String
    var exchange: String
    var symbol: String
    var timeframe: String
    var pagesTotal: Int
    var pagesDone: Int
    var candles: Int64
    var rate: Double?
    var eta: Int64?
    var message: String

    init?(_ text: String) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return nil
        }
        self.init(object: object)
    }

    init?(object: [String: Any]) {
        guard let id = (object["id"] as? NSNumber)?.int64Value, let state = object["state"] as? String else {
            return nil
        }
        self.id = id
        self.state = state
        exchange = object["exchange"] as? String ?? ""
        symbol = object["symbol"] as? String ?? ""
        timeframe = object["timeframe"] as? String ?? ""
        pagesTotal = (object["pages_total"] as? NSNumber)?.intValue ?? 0
        pagesDone = (object["pages_done"] as? NSNumber)?.intValue ?? 0
        candles = (object["candles"] as? NSNumber)?.int64Value ?? 0
        rate = (object["candles_per_second"] as? NSNumber)?.doubleValue
        eta = (object["eta_seconds"] as? NSNumber)?.int64Value
        message = object["message"] as? String ?? ""
    }

    var isFinished: Bool { ["succeeded", "failed", "cancelled"].contains(state) }

    var progressLine: String {
        let fraction = pagesTotal == 0 ? (isFinished ? 1 : 0) : Double(pagesDone) / Double(pagesTotal)
        let width = 30
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let rateText = rate.map { "\(Int($0)) candles/s" } ?? "-"
        let etaText = eta.map { "ETA \($0 / 60)m\($0 % 60)s" } ?? ""
        return
            "[\(bar)] \(Int(fraction * 100))% \(pagesDone)/\(pagesTotal) pages \(candles) candles \(rateText) \(etaText) \(state)"
    }

    var summaryLine: String {
        "\(id)\t\(state)\t\(exchange) \(symbol) \(timeframe)\t\(pagesDone)/\(pagesTotal) pages\t\(candles) candles\t\(message)"
    }

    var detail: String {
        "job \(id): \(state)\n\(exchange) \(symbol) \(timeframe)\n\(progressLine)\n\(message)"
    }
}

extension Console {
    /// Rewrites one status line on a terminal; prints it as a line elsewhere (logs, pipes).
    static func progress(_ line: String, done: Bool = false) {
        if isatty(STDERR_FILENO) != 0 {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line + (done ? "\n" : "")).utf8))
        } else {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
