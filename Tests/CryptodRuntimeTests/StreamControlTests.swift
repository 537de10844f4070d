import CryptodConfig
import CryptodOps
import CryptodWire
import Foundation
import Logging
import Synchronization
import Testing

@testable import CryptodRuntime

@Suite struct StreamControlTests {
    static func control(_ toml: String = "") throws -> StreamControl {
        let loaded = try ConfigLoader.load(text: toml, path: "test.toml", environment: [:])
        return StreamControl(
            process: "ingestor-binance", configuration: loaded.configuration.performance,
            logger: Logger(label: "test"))
    }

    @Test func theFileSetsModeOverridesAndThrottle() throws {
        let control = try Self.control(
            "[performance]\nmode = \"light\"\nticker_max_age_ms = 700\nthrottle_percent = 20\n")
        let settings = control.settings
        #expect(settings.mode == .light)
        #expect(settings.profile.limits(.ticker) == BufferLimits(maxSize: 5, maxAgeMilliseconds: 700))
        #expect(settings.profile.limits(.orderbook) == BufferLimits(maxSize: 3, maxAgeMilliseconds: 500))
        #expect(settings.throttlePercent == 20)
        #expect(control.report().modeReason == "configured (performance.mode)")
    }

    @Test(arguments: [
        (#"{"mode":"turbo"}"#, "mode must be one of"),
        (#"{"throttle_percent":100}"#, "0-99"),
        (#"{"throttle_percent":true}"#, "0-99"),
        (#"{"action":"pause"}"#, "stop or restart"),
        (#"{"overrides":{"ticker_max_size":-1}}"#, "non-negative"),
        (#"{"overrides":{"colour":1}}"#, "unknown override colour"),
        (#"{"speed":1}"#, "unknown field speed"),
        ("[1]", "not a JSON object"),
    ])
    func badChangesAreRefusedWithTheReason(argument: String, fragment: String) throws {
        let reply = try Self.control().answer(ControlRequest(requestID: 7, command: .stream, argument: argument))
        #expect(reply.result == .invalidRequest)
        #expect(reply.message.contains(fragment), "\(reply.message)")
        #expect(reply.requestID == 7)
    }

    @Test func changesApplyAndObserversHearThem() throws {
        let control = try Self.control()
        let seen = Mutex<[StreamControl.Settings]>([])
        control.observe { settings in seen.withLock { $0.append(settings) } }
        let reply = control.answer(
            ControlRequest(
                requestID: 1, command: .stream,
                argument: #"{"mode":"heavy","throttle_percent":90,"overrides":{"fast_workers_max":6},"by":"a test"}"#))
        #expect(reply.result == .ok)
        let report = try JSONDecoder().decode(StreamReport.self, from: Data(reply.message.utf8))
        #expect(report.mode == .heavy && report.throttlePercent == 90)
        #expect(report.modeReason == "set at run time by a test")
        let last = try #require(seen.withLock { $0.last })
        #expect(last.profile.bounds(.fast) == WorkerBounds(min: 4, max: 6))
        #expect(seen.withLock { $0.count } == 2, "the observer heard the start and the one change")

        control.apply(StreamControl.Change(action: .stop))
        #expect(control.settings.stopped)
        control.apply(StreamControl.Change(action: .restart))
        #expect(!control.settings.stopped && control.settings.throttlePercent == 0)
        // Nothing changed: observers are not called again.
        let count = seen.withLock { $0.count }
        control.apply(StreamControl.Change(throttlePercent: 0))
        #expect(seen.withLock { $0.count } == count)
    }

    @Test func autoSwitchesFromTheMeasuredRateAndSaysWhy() throws {
        let control = try Self.control(
            "[performance]\nmode = \"auto\"\nauto_light_below = 100\nauto_heavy_above = 1000\n")
        #expect(control.settings.mode == .medium)
        for _ in 0..<3 { control.sample(rate: 5000) }
        #expect(control.settings.mode == .heavy)
        #expect(control.report().configuredMode == .auto)
        #expect(control.report().modeReason.contains("5000 msg/s above 1000"), "\(control.report().modeReason)")
        // A mode set by hand is not overridden by samples.
        control.apply(StreamControl.Change(mode: .light))
        for _ in 0..<3 { control.sample(rate: 5000) }
        #expect(control.settings.mode == .light)
    }

    @Test func aReloadReplacesRunTimeChanges() throws {
        let control = try Self.control()
        control.apply(StreamControl.Change(mode: .heavy, throttlePercent: 50))
        let next = try ConfigLoader.load(text: "[performance]\nmode = \"light\"\n", path: "t", environment: [:])
        control.reload(next.configuration.performance)
        #expect(control.settings.mode == .light && control.settings.throttlePercent == 0)
    }
}
