import Foundation
import Testing

@testable import CryptodCtl

/// The renderers of `cryptoctl health`, `alerts`, `throttle` and `top`, from the JSON shapes agreed for the
/// gateway's endpoints, and the messages for a gateway that is missing or refuses.
@Suite struct OpsReportTests {
    static let health = """
        {"time":"2026-12-02T05:00:00Z","score":72,"status":"degraded","components":[
          {"name":"ingestor-binance","score":100,"status":"healthy","signals":[]},
          {"name":"writer","score":72,"status":"degraded","signals":[
            {"signal":"drop_rate","value":0.07,"penalty":20,"detail":"7 % of updates dropped"},
            {"signal":"spool_growth","value":1500,"penalty":8,"detail":"spool\\ngrowing"}]}]}
        """

    @Test func healthRendersASummaryAComponentTableAndEachComponentsSignals() throws {
        #expect(
            try OpsReport.health(Self.health) == """
                status:  degraded
                score:   72
                time:    2026-12-02T05:00:00Z

                COMPONENT         SCORE  STATUS
                ingestor-binance  100    healthy
                writer            72     degraded

                writer:
                  SIGNAL        VALUE  PENALTY  DETAIL
                  drop_rate     0.07   20       7 % of updates dropped
                  spool_growth  1500   8        spool growing

                """)
    }

    @Test(arguments: [
        ("{\"status\":\"critical\",\"score\":10}", true),
        ("{\"status\":\"degraded\",\"score\":60}", false),
        ("{\"status\":\"healthy\",\"score\":100}", false),
        ("not json", false),
    ])
    func onlyACriticalStatusFailsHealth(body: String, critical: Bool) {
        #expect(OpsReport.healthIsCritical(body) == critical)
    }

    @Test func healthWithoutComponentsSaysSo() throws {
        let text = try OpsReport.health("{\"time\":\"t\",\"score\":100,\"status\":\"healthy\",\"components\":[]}")
        #expect(text.hasSuffix("\nno component reported yet\n"))
    }

    @Test func alertsCountFiringAndPendingAndListEachAlert() throws {
        let body = """
            {"time":"2026-12-02T05:00:00Z","rules":14,"alerts":[
              {"name":"CryptodQueueBacklog","severity":"warning","state":"firing","since":"2026-12-02T04:55:00Z",
               "value":6000,"summary":"queue above 5000","labels":{"process":"writer"}},
              {"name":"CryptodDropRateHigh","severity":"warning","state":"pending","since":"2026-12-02T04:59:30Z",
               "value":0.071,"summary":"drop rate 7.1 %","labels":{}}]}
            """
        #expect(
            try OpsReport.alerts(body) == """
                time:     2026-12-02T05:00:00Z
                rules:    14
                firing:   1
                pending:  1

                NAME                 SEVERITY  STATE    SINCE                 VALUE  SUMMARY
                CryptodQueueBacklog  warning   firing   2026-12-02T04:55:00Z  6000   queue above 5000
                CryptodDropRateHigh  warning   pending  2026-12-02T04:59:30Z  0.07   drop rate 7.1 %

                """)
    }

    @Test func noAlertsIsSaid() throws {
        let text = try OpsReport.alerts("{\"time\":\"t\",\"alerts\":[],\"rules\":14}")
        #expect(text == "time:     t\nrules:    14\nfiring:   0\npending:  0\n\nno alert is firing or pending\n")
    }

    @Test(arguments: [
        (
            "{\"ok\":true,\"action\":\"throttle\",\"throttle_percent\":90,\"previous_percent\":0,\"message\":\"shedding\"}",
            "action:            throttle\nthrottle_percent:  90% (was 0%)\nmessage:           shedding\n"
        ),
        (
            "{\"ok\":true,\"action\":\"stop\",\"message\":\"ingestion paused\"}",
            "action:   stop\nmessage:  ingestion paused\n"
        ),
        ("{\"ok\":true,\"action\":\"restart\"}", "action:  restart\n"),
    ])
    func throttleRepliesRenderWhatChanged(body: String, expected: String) throws {
        #expect(try OpsReport.throttle(body) == expected)
    }

    @Test func aBodyThatIsNoObjectIsAnError() {
        #expect(throws: OpsReport.Malformed.self) { try OpsReport.alerts("<html>") }
        #expect(throws: OpsReport.Malformed.self) { try OpsReport.health("[1,2]") }
    }

    static let stats = """
        {"time":"2026-12-02T05:00:00Z","window_seconds":10,"mode":"medium","mode_reason":"configured",
         "throttle_percent":0,
         "totals":{"messages_total":123456,"messages_per_second":812.5,"dropped_total":12,"drop_rate":0.0712},
         "exchanges":[{"exchange":"binance","connected":true,"messages_total":1000,"messages_per_second":300.1,
                       "reconnects_total":0,"requests_per_minute":12.0,"request_success_rate":1.0},
                      {"exchange":"bybit","connected":false,"messages_total":5,"messages_per_second":0,
                       "reconnects_total":3,"requests_per_minute":0.5,"request_success_rate":0.75}],
         "stages":[{"stage":"ingest","latency_ms":{"p50":0.4,"p90":0.9,"p99":2.1}},
                   {"stage":"gateway_fanout","latency_ms":{"p50":1.25,"p90":3,"p99":10.5}}],
         "websocket":{"clients":3,"messages_sent_total":999,"messages_per_second":40.0}}
        """

    @Test func topFrameShowsRatesLatencyHealthAndClients() throws {
        let frame = OpsReport.topFrame(
            stats: try OpsReport.object(Self.stats),
            health: try OpsReport.object("{\"status\":\"healthy\",\"score\":97,\"time\":\"t\"}"),
            url: "http://127.0.0.1:8000")
        #expect(
            frame == """
                cryptod top: http://127.0.0.1:8000, every second; q quits

                time:       2026-12-02T05:00:00Z
                health:     97 healthy
                mode:       medium (configured)
                throttle:   0%
                messages:   812.5/s, 123456 total
                dropped:    12 (7.12%)
                websocket:  3 clients, 40.0/s

                EXCHANGE  CONNECTED  MSG/S  MESSAGES  RECONNECTS  REQ/MIN  SUCCESS
                binance   yes        300.1  1000      0           12.0     100.0%
                bybit     no         0.0    5         3           0.5      75.0%

                STAGE           P50 MS  P90 MS  P99 MS
                ingest          0.40    0.90    2.10
                gateway_fanout  1.25    3.00    10.50

                """)
    }

    @Test func topFrameKeepsTheLastValuesAndShowsTheProblem() throws {
        let frame = OpsReport.topFrame(
            stats: try OpsReport.object(Self.stats), health: nil, url: "http://[::1]:8000",
            problem: "cannot reach the gateway\nat all")
        #expect(frame.contains("health:     - (no answer from /stream/health)\n"))
        #expect(frame.contains("\n! cannot reach the gateway at all\n"))
        #expect(frame.contains("binance   yes"))
    }

    @Test func topFrameOfAnEmptyAnswerIsDashesNotACrash() {
        let frame = OpsReport.topFrame(stats: [:], health: nil, url: "http://127.0.0.1:8000")
        #expect(frame.contains("messages:   -/s, - total\n"))
        #expect(frame.contains("EXCHANGE  CONNECTED  MSG/S"))
    }

    // MARK: - Layout helpers

    @Test(arguments: [
        (0 as NSNumber, "0"), (1 as NSNumber, "1"), (97 as NSNumber, "97"), (6000.0 as NSNumber, "6000"),
        (0.5 as NSNumber, "0.50"), (0.071 as NSNumber, "0.07"), (-3 as NSNumber, "-3"),
    ])
    func numbersAreWholeOrTwoPlaces(value: NSNumber, text: String) {
        #expect(OpsReport.number(value) == text)
    }

    @Test func missingValuesAreDashes() {
        #expect(OpsReport.number(nil) == "-")
        #expect(OpsReport.number("12") == "-")
        #expect(OpsReport.string(nil) == "-")
        #expect(OpsReport.string("") == "-")
        #expect(OpsReport.percent(nil, places: 1) == "-")
    }

    @Test func tableColumnsAlignAndTheLastIsNotPadded() {
        #expect(
            OpsReport.table(["A", "LONG HEADER", "Z"], [["wide cell", "x", ""], ["b", "y", "end"]])
                == "A          LONG HEADER  Z\nwide cell  x\nb          y            end\n")
    }

    // MARK: - Where the gateway is

    @Test(arguments: [
        ("http://127.0.0.1:8000", "127.0.0.1", 8000), ("http://127.0.0.1:8000/", "127.0.0.1", 8000),
        ("localhost:9000", "localhost", 9000), ("http://[::1]:8000", "::1", 8000),
    ])
    func urlsParse(text: String, host: String, port: Int) throws {
        let parsed = try GatewayTarget.parse(url: text)
        #expect(parsed.host == host)
        #expect(parsed.port == port)
    }

    @Test(arguments: ["https://127.0.0.1:8000", "http://127.0.0.1", "http://:8000", "127.0.0.1:0", "h:99999"])
    func badURLsAreRefusedWithTheExpectedForm(text: String) {
        #expect(throws: GatewayURLError.self) { try GatewayTarget.parse(url: text) }
    }

    @Test(arguments: [("0.0.0.0", "127.0.0.1"), ("::", "::1"), ("10.0.0.5", "10.0.0.5")])
    func wildcardListenAddressesAreReachedOnLoopback(listen: String, connect: String) {
        #expect(GatewayTarget.connectable(listen) == connect)
    }

    @Test func tokenAndURLComeFromTheConfigurationUnlessFlagsOrEnvironmentSayOtherwise() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("cryptod.toml").path
        try "[gateway]\nrest_listen = \"0.0.0.0:8123\"\nadmin_token = \"from-file\"\n"
            .write(toFile: file, atomically: true, encoding: .utf8)
        func locator(_ environment: [String: String]) -> DaemonLocator {
            DaemonLocator(socketFlag: nil, configFlag: file, environment: environment, currentDirectory: "/")
        }

        let fromFile = try GatewayTarget.resolve(urlFlag: nil, tokenFlag: nil, locator: locator([:]))
        #expect(fromFile.url == "http://127.0.0.1:8123")
        #expect(fromFile.token == "from-file")
        #expect(fromFile.tokenOrigin == "gateway.admin_token of \(file)")

        let fromEnvironment = try GatewayTarget.resolve(
            urlFlag: nil, tokenFlag: nil, locator: locator([GatewayTarget.tokenVariable: "from-env"]))
        #expect(fromEnvironment.token == "from-env")
        #expect(fromEnvironment.tokenOrigin == "$CRYPTOD_GATEWAY_ADMIN_TOKEN")

        let fromFlags = try GatewayTarget.resolve(
            urlFlag: "http://[::1]:9", tokenFlag: "from-flag", locator: locator([GatewayTarget.tokenVariable: "x"]))
        #expect(fromFlags.url == "http://[::1]:9")
        #expect(fromFlags.urlOrigin == "--url")
        #expect(fromFlags.token == "from-flag")
    }

    // MARK: - What to do when the gateway says no

    static let target = GatewayTarget(
        host: "127.0.0.1", port: 8000, urlOrigin: "--url", token: nil, tokenOrigin: "none given")

    @Test(arguments: [
        (401, ["refused the admin token (401)", "Token used: none given", "--token"]),
        (403, ["(403)", "set gateway.admin_token"]),
        (404, ["has no route GET /api/v1/admin/alerts (404)", "upgrade"]),
        (429, ["rate-limiting", "retry"]),
        (502, ["answered GET /api/v1/admin/alerts with 502: the message"]),
    ])
    func errorStatusesSayWhatToDo(status: Int, phrases: [String]) {
        let text = GatewayFailureMessage.text(
            status: status, body: "{\"error\":{\"code\":\"x\",\"message\":\"the message\"}}", method: "GET",
            path: "/api/v1/admin/alerts", target: Self.target)
        #expect(text.hasPrefix("the gateway at http://127.0.0.1:8000 (--url)"))
        for phrase in phrases { #expect(text.contains(phrase), "\(status): \(text)") }
    }

    @Test func anUnreachableGatewaySaysWhereItLookedAndHowToPointElsewhere() {
        let text = GatewayFailureMessage.unreachable("connection refused", target: Self.target)
        #expect(text.contains("http://127.0.0.1:8000 (--url): connection refused"))
        #expect(text.contains("gateway.enabled"))
        #expect(text.contains("--url http://HOST:PORT"))
    }

    // MARK: - throttle's requests

    @Test(arguments: [
        (["90"], "/api/v1/stream/throttle", "{\"action\":\"throttle\",\"throttle_percent\":90}"),
        (["--restore"], "/api/v1/stream/throttle", "{\"action\":\"throttle\",\"throttle_percent\":0}"),
        (["--stop"], "/api/v1/admin/emergency", "{\"action\":\"stop\"}"),
        (["--restart"], "/api/v1/admin/emergency", "{\"action\":\"restart\"}"),
    ])
    func throttleSendsTheAgreedBodies(arguments: [String], path: String, body: String) throws {
        let command = try ThrottleCommand.parse(arguments)
        let request = command.request
        #expect(request.path == path)
        let data = try JSONSerialization.data(withJSONObject: request.body, options: [.sortedKeys])
        #expect(String(decoding: data, as: UTF8.self) == body)
    }

    @Test(arguments: [[], ["100"], ["-1"], ["50", "--stop"], ["--restore", "--restart"]])
    func throttleNeedsExactlyOneValidAction(arguments: [String]) {
        #expect(throws: (any Error).self) { try ThrottleCommand.parse(arguments) }
    }
}
