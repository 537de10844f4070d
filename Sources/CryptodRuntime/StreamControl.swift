import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodWire
import Foundation
import Logging
import Metrics
import Synchronization

/// One process's stream-processing settings: the performance mode (with `auto`), the overrides, the throttle
/// and the emergency stop. Every process has one (``ProcessContext/stream``); the host answers the `stream`
/// control command with it, so the gateway can read and change every process the same way.
///
/// Roles observe changes (``observe(_:)``: an ingestor re-limits its conflation buffers, the writer and the
/// gateway re-bound their worker pools) and contribute their figures to the report (``setReporter(_:)``).
/// Changes at run time last until the next reload of the file or the next start; every change is logged
/// with who asked for it.
package final class StreamControl: Sendable {
    /// What observers get.
    package struct Settings: Sendable, Equatable {
        package var mode: PerformanceMode
        package var profile: PerformanceProfile
        package var throttlePercent: Int
        package var stopped: Bool
    }

    /// What a role adds to the report.
    package struct Figures: Sendable {
        package var buffers: [BufferReport] = []
        package var pools: [PoolReport] = []
        package var messagesTotal: UInt64 = 0
        package var conflatedTotal: UInt64 = 0

        package init(
            buffers: [BufferReport] = [], pools: [PoolReport] = [], messagesTotal: UInt64 = 0,
            conflatedTotal: UInt64 = 0
        ) {
            self.buffers = buffers
            self.pools = pools
            self.messagesTotal = messagesTotal
            self.conflatedTotal = conflatedTotal
        }
    }

    private struct State {
        var configured: PerformanceMode
        var overrides: PerformanceProfile.Overrides
        var mode: PerformanceMode
        var reason: String
        var auto: AutoModeSelector
        var throttlePercent: Int
        var stopped = false
        var observers: [@Sendable (Settings) -> Void] = []
        var reporter: (@Sendable () -> Figures)?

        var settings: Settings {
            Settings(
                mode: mode, profile: PerformanceProfile.resolve(mode, overrides), throttlePercent: throttlePercent,
                stopped: stopped)
        }
    }

    package let process: String
    private let logger: Logger
    private let state: Mutex<State>
    private let modeGauge: Gauge
    private let throttleGauge: Gauge
    private let modeSwitches: Counter

    package init(process: String, configuration: PerformanceConfig, logger: Logger) {
        self.process = process
        self.logger = logger
        let configured = PerformanceMode(rawValue: configuration.mode) ?? .medium
        let auto = AutoModeSelector(
            lightBelow: Double(configuration.autoLightBelow), heavyAbove: Double(configuration.autoHeavyAbove))
        state = Mutex(
            State(
                configured: configured, overrides: Self.overrides(configuration),
                mode: configured == .auto ? auto.mode : configured,
                reason: configured == .auto ? auto.reason : "configured (performance.mode)", auto: auto,
                throttlePercent: configuration.throttlePercent))
        modeGauge = Gauge(label: "cryptod_performance_mode", dimensions: [("process", process)])
        throttleGauge = Gauge(label: "cryptod_throttle_percent", dimensions: [("process", process)])
        modeSwitches = Counter(label: "cryptod_performance_mode_switches_total", dimensions: [("process", process)])
        record(state.withLock { $0.settings })
    }

    /// The `[performance]` overrides (0 means "the mode's").
    package static func overrides(_ configuration: PerformanceConfig) -> PerformanceProfile.Overrides {
        var overrides = PerformanceProfile.Overrides()
        func set(_ value: Int, _ apply: (inout PerformanceProfile.Overrides, Int) -> Void) {
            if value > 0 { apply(&overrides, value) }
        }
        set(configuration.tickerMaxSize) { $0.maxSize[.ticker] = $1 }
        set(configuration.tickerMaxAgeMilliseconds) { $0.maxAgeMilliseconds[.ticker] = $1 }
        set(configuration.orderbookMaxSize) { $0.maxSize[.orderbook] = $1 }
        set(configuration.orderbookMaxAgeMilliseconds) { $0.maxAgeMilliseconds[.orderbook] = $1 }
        set(configuration.fastWorkersMin) { $0.workersMin[.fast] = $1 }
        set(configuration.fastWorkersMax) { $0.workersMax[.fast] = $1 }
        set(configuration.mediumWorkersMin) { $0.workersMin[.medium] = $1 }
        set(configuration.mediumWorkersMax) { $0.workersMax[.medium] = $1 }
        return overrides
    }

    package var settings: Settings { state.withLock { $0.settings } }

    /// Calls `observer` now and on every change.
    package func observe(_ observer: @escaping @Sendable (Settings) -> Void) {
        let now = state.withLock { state in
            state.observers.append(observer)
            return state.settings
        }
        observer(now)
    }

    package func setReporter(_ reporter: @escaping @Sendable () -> Figures) {
        state.withLock { $0.reporter = reporter }
    }

    // MARK: - Changes

    /// A reloaded `[performance]` section: the file wins over run-time changes (the stop stays).
    package func reload(_ configuration: PerformanceConfig) {
        mutate(by: "configuration reload") { state in
            let configured = PerformanceMode(rawValue: configuration.mode) ?? .medium
            state.configured = configured
            state.overrides = Self.overrides(configuration)
            state.auto.lightBelow = Double(configuration.autoLightBelow)
            state.auto.heavyAbove = Double(configuration.autoHeavyAbove)
            state.throttlePercent = configuration.throttlePercent
            if configured != .auto {
                state.mode = configured
                state.reason = "configured (performance.mode)"
            }
            return nil
        }
    }

    /// In auto mode: one sample of the measured message rate (per second).
    package func sample(rate: Double) {
        let switched = state.withLock { state -> (Settings, [@Sendable (Settings) -> Void], String)? in
            guard state.configured == .auto, let next = state.auto.sample(rate: rate), next != state.mode else {
                return nil
            }
            state.mode = next
            state.reason = state.auto.reason
            return (state.settings, state.observers, state.reason)
        }
        guard let (settings, observers, reason) = switched else { return }
        modeSwitches.increment()
        logger.notice(
            "performance mode switched", metadata: ["mode": "\(settings.mode)", "reason": "\(reason)"])
        record(settings)
        for observer in observers { observer(settings) }
    }

    /// A change request (the `stream` command's JSON argument, already parsed).
    package struct Change: Sendable, Equatable {
        package var mode: PerformanceMode?
        package var throttlePercent: Int?
        package enum Action: String, Sendable { case stop, restart }
        package var action: Action?
        package var overrides: [String: Int] = [:]
        package var by: String = "an operator"

        package init(
            mode: PerformanceMode? = nil, throttlePercent: Int? = nil, action: Action? = nil,
            overrides: [String: Int] = [:], by: String = "an operator"
        ) {
            self.mode = mode
            self.throttlePercent = throttlePercent
            self.action = action
            self.overrides = overrides
            self.by = by
        }

        /// The override keys a change may set: the `[performance]` keys of buffers and workers.
        package static let overrideKeys = [
            "ticker_max_size", "ticker_max_age_ms", "orderbook_max_size", "orderbook_max_age_ms", "fast_workers_min",
            "fast_workers_max", "medium_workers_min", "medium_workers_max",
        ]

        /// Parses `{"mode":…,"throttle_percent":…,"action":…,"overrides":{…},"by":…}`; the error says what is wrong.
        package static func parse(_ text: String) -> Result<Change, ChangeError> {
            guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
                return .failure(ChangeError("the argument is not a JSON object"))
            }
            var change = Change()
            for (key, value) in object {
                switch key {
                case "mode":
                    guard let text = value as? String, let mode = PerformanceMode(rawValue: text) else {
                        return .failure(ChangeError("mode must be one of light, medium, heavy, auto"))
                    }
                    change.mode = mode
                case "throttle_percent":
                    guard let number = value as? Int, !(value is Bool), (0...99).contains(number) else {
                        return .failure(ChangeError("throttle_percent must be an integer 0-99 (stop is an action)"))
                    }
                    change.throttlePercent = number
                case "action":
                    guard let text = value as? String, let action = Action(rawValue: text) else {
                        return .failure(ChangeError("action must be stop or restart"))
                    }
                    change.action = action
                case "by":
                    change.by = String(describing: value).prefix(80).description
                case "overrides":
                    guard let table = value as? [String: Any] else {
                        return .failure(ChangeError("overrides must be an object of integers"))
                    }
                    for (name, raw) in table {
                        guard overrideKeys.contains(name) else {
                            return .failure(
                                ChangeError(
                                    "unknown override \(name); known: \(overrideKeys.joined(separator: ", "))"))
                        }
                        guard let number = raw as? Int, !(raw is Bool), number >= 0,
                            number <= (name.hasSuffix("_ms") ? 600_000 : name.contains("workers") ? 64 : 100_000)
                        else {
                            return .failure(ChangeError("override \(name) must be a non-negative integer in range"))
                        }
                        change.overrides[name] = number
                    }
                default:
                    return .failure(
                        ChangeError("unknown field \(key); known: mode, throttle_percent, action, overrides, by"))
                }
            }
            return .success(change)
        }
    }

    package struct ChangeError: Error, Sendable, Equatable {
        package let message: String
        init(_ message: String) { self.message = message }
    }

    /// Applies `change`; returns a sentence saying what changed.
    @discardableResult
    package func apply(_ change: Change) -> String {
        mutate(by: change.by) { state in
            var said: [String] = []
            if let mode = change.mode {
                state.configured = mode
                if mode == .auto {
                    state.reason = "auto (set at run time by \(change.by)); " + state.auto.reason
                    state.mode = state.auto.mode
                } else {
                    state.mode = mode
                    state.reason = "set at run time by \(change.by)"
                }
                said.append("mode \(mode)")
            }
            for (name, value) in change.overrides.sorted(by: { $0.key < $1.key }) {
                let zeroMeansMode: Int? = value == 0 ? nil : value
                switch name {
                case "ticker_max_size": state.overrides.maxSize[.ticker] = zeroMeansMode
                case "ticker_max_age_ms": state.overrides.maxAgeMilliseconds[.ticker] = zeroMeansMode
                case "orderbook_max_size": state.overrides.maxSize[.orderbook] = zeroMeansMode
                case "orderbook_max_age_ms": state.overrides.maxAgeMilliseconds[.orderbook] = zeroMeansMode
                case "fast_workers_min": state.overrides.workersMin[.fast] = zeroMeansMode
                case "fast_workers_max": state.overrides.workersMax[.fast] = zeroMeansMode
                case "medium_workers_min": state.overrides.workersMin[.medium] = zeroMeansMode
                case "medium_workers_max": state.overrides.workersMax[.medium] = zeroMeansMode
                default: continue
                }
                said.append("\(name) \(value)")
            }
            if let percent = change.throttlePercent {
                said.append("throttle \(state.throttlePercent)% → \(percent)%")
                state.throttlePercent = percent
            }
            switch change.action {
            case .stop:
                state.stopped = true
                said.append("emergency stop")
            case .restart:
                // Back to normal: the stop ends and the throttle returns to none.
                state.stopped = false
                state.throttlePercent = 0
                said.append("restart (stop lifted, throttle 0%)")
            case nil: break
            }
            return said.isEmpty ? "nothing to change" : said.joined(separator: ", ")
        }
    }

    @discardableResult
    private func mutate(by who: String, _ body: (inout State) -> String?) -> String {
        let (before, after, observers, said) = state.withLock { state in
            let before = state.settings
            let said = body(&state)
            return (before, state.settings, state.observers, said)
        }
        if after != before {
            if after.mode != before.mode { modeSwitches.increment() }
            logger.notice(
                "stream settings changed",
                metadata: [
                    "by": "\(who)", "change": "\(said ?? "reload")", "mode": "\(after.mode)",
                    "throttle_percent": "\(after.throttlePercent)", "stopped": "\(after.stopped)",
                ])
            record(after)
            for observer in observers { observer(after) }
        }
        return said ?? "reloaded"
    }

    private func record(_ settings: Settings) {
        modeGauge.record(PerformanceMode.presets.firstIndex(of: settings.mode) ?? 1)
        throttleGauge.record(settings.stopped ? 100 : settings.throttlePercent)
    }

    // MARK: - Report

    package func report() -> StreamReport {
        let (snapshot, reporter) = state.withLock { ($0, $0.reporter) }
        let figures = reporter?() ?? Figures()
        return StreamReport(
            process: process, mode: snapshot.mode, configuredMode: snapshot.configured, modeReason: snapshot.reason,
            throttlePercent: snapshot.throttlePercent, stopped: snapshot.stopped, buffers: figures.buffers,
            pools: figures.pools, messagesTotal: figures.messagesTotal, conflatedTotal: figures.conflatedTotal)
    }

    /// Answers the `stream` control command: applies the argument's change (if any), then reports.
    package func answer(_ request: ControlRequest) -> ControlReply {
        func reply(_ result: ControlReply.Result, _ message: String) -> ControlReply {
            ControlReply(
                requestID: request.requestID, result: result, message: message,
                serverTime: Timestamp(nanoseconds: WallClock.nowNanoseconds()))
        }
        if !request.argument.isEmpty {
            switch Change.parse(request.argument) {
            case .failure(let error): return reply(.invalidRequest, error.message)
            case .success(let change): apply(change)
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(report()) else { return reply(.failed, "could not encode the report") }
        return reply(.ok, String(decoding: data, as: UTF8.self))
    }
}
