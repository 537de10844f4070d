import Testing

@testable import CryptodConfig

/// Rules between keys: each broken rule is reported once, on the key that was set.
@Suite struct CrossKeyTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let doc: String
        let path: String
        let line: Int?
        let fragment: String
        var testDescription: String { fragment }
    }

    static let cases: [Case] = [
        Case(
            doc: "[supervisor]\nrestart_initial_backoff = \"5s\"\nrestart_max_backoff = \"2s\"",
            path: "supervisor.restart_max_backoff",
            line: 3,
            fragment:
                "restart_max_backoff = \"2s\": is shorter than supervisor.restart_initial_backoff = \"5s\"; expected a duration of at least restart_initial_backoff"
        ),
        Case(
            doc: "[supervisor]\nrestart_initial_backoff = \"2m\"", path: "supervisor.restart_max_backoff", line: 2,
            fragment: "is shorter than supervisor.restart_initial_backoff = \"2m\""),
        Case(
            doc: "[delivery]\nreconnect_initial_backoff = \"10s\"", path: "delivery.reconnect_max_backoff", line: 2,
            fragment: "is shorter than delivery.reconnect_initial_backoff = \"10s\""),
        Case(
            doc: "[delivery]\nheartbeat_timeout = \"5s\"", path: "delivery.heartbeat_timeout", line: 2,
            fragment: "must be longer than delivery.heartbeat_interval = \"5s\""),
        Case(
            doc: "[delivery]\nmemory_limit = \"1MiB\"", path: "delivery.memory_limit", line: 2,
            fragment: "is smaller than delivery.max_frame_bytes = \"16MiB\", so one frame could not fit"),
        Case(
            doc: "[delivery]\nmax_frame_bytes = \"1GiB\"\nspill_limit = \"512MiB\"\nmemory_limit = \"1GiB\"",
            path: "delivery.spill_limit", line: 3,
            fragment: "is smaller than delivery.max_frame_bytes = \"1GiB\""),
        Case(
            doc: "[gateway]\nrest_listen = \"127.0.0.1:8080\"", path: "gateway.ws_listen", line: 2,
            fragment: "conflicts with gateway.rest_listen = \"127.0.0.1:8080\"; expected a different port"),
        Case(
            doc: "[gateway]\nws_listen = \"0.0.0.0:8000\"", path: "gateway.ws_listen", line: 2,
            fragment: "conflicts with gateway.rest_listen"),
        Case(
            doc: "[writer]\nsinks = []", path: "writer.sinks", line: 2, fragment: "the writer needs at least one sink"),
        Case(
            doc: "[exchanges.binance]\nmarkets = []", path: "exchanges.binance.markets", line: 2,
            fragment:
                "an enabled exchange needs at least one market; expected e.g. [\"BTCUSDT\", \"ETHUSDT\"], or enabled = false"
        ),
        Case(
            doc: "[exchanges.whitebit]\nchannels = []", path: "exchanges.whitebit.channels", line: 2,
            fragment: "an enabled exchange needs at least one channel"),
        Case(
            doc: "[exchanges.bybit]\ncandle_intervals = []", path: "exchanges.bybit.candle_intervals", line: 2,
            fragment: "channels include candles but no interval is listed"),
        Case(
            doc: "[daemon]\nruntime_dir = \"/\(String(repeating: "r", count: 90))\"", path: "daemon.runtime_dir",
            line: 2,
            fragment: "is too long for Unix socket paths"),
    ]

    @Test(arguments: cases)
    func brokenRulesAreReported(_ c: Case) throws {
        let error = try #require(singleError(c.doc))
        #expect(error.code == .conflict)
        #expect(error.keyPath == c.path)
        #expect(error.line == c.line)
        #expect(error.description.contains(c.fragment), "\(error)")
    }

    @Test(arguments: [
        "[delivery]\nheartbeat_timeout = \"6s\"",
        "[gateway]\nenabled = false\nws_listen = \"127.0.0.1:8000\"",
        "[gateway]\nrest_listen = \"127.0.0.1:8000\"\nws_listen = \"127.0.0.2:8000\"",
        "[writer]\nenabled = false\nsinks = []",
        "[exchanges.bybit]\nenabled = false\nmarkets = []\nchannels = []",
        "[exchanges.bybit]\nchannels = [\"trades\"]\ncandle_intervals = []",
        "[delivery]\nmax_frame_bytes = \"1GiB\"\nmemory_limit = \"1GiB\"\nspill_limit = \"1GiB\"",
        "[daemon]\nruntime_dir = \"/\(String(repeating: "r", count: 83))\"",
    ])
    func rulesAllowTheBoundaries(doc: String) {
        #expect(errors(doc).map(\.description) == [])
    }

    @Test func atLeastOneProcessMustRun() throws {
        let doc = "[gateway]\nenabled = false\n[writer]\nenabled = false\n[scheduler]\nenabled = false\n"
        let error = try #require(singleError(doc))
        #expect(
            error.description
                == "/cfg/test.toml: no process is enabled; enable the writer, the gateway, the scheduler or an exchange"
        )
        #expect(errors(doc + "[exchanges.bybit]\n").isEmpty)
    }

    @Test func aRejectedValueDoesNotCauseFollowOnErrors() {
        let found = errors(
            "[supervisor]\nrestart_initial_backoff = \"soon\"\nrestart_max_backoff = \"1s\"\n[exchanges.binance]\n")
        #expect(found.map(\.keyPath) == ["supervisor.restart_initial_backoff"])
    }

    @Test func environmentIsBlamedWhenItBreaksARule() throws {
        let error = try #require(
            singleError("[exchanges.binance]\n", environment: ["CRYPTOD_DELIVERY_HEARTBEAT_INTERVAL": "30s"]))
        #expect(error.keyPath == "delivery.heartbeat_timeout")
        #expect(error.environmentVariable == "CRYPTOD_DELIVERY_HEARTBEAT_INTERVAL")
    }
}
