import Foundation
import Testing

@testable import CryptodOps

@Suite struct AlertEngineTests {
    static let rule = AlertRule(
        name: "TestQueue", severity: .warning, expr: "q > 5", holdSeconds: 60,
        summary: "{{ $labels.sink }} holds {{ $value }}", description: "d", runbook: "r")
    static let instant = AlertRule(
        name: "TestNow", severity: .critical, expr: "q > 5", holdSeconds: 0, summary: "s", description: "d",
        runbook: "r")

    static func holding(_ value: Double?) -> [VectorElement] {
        value.map { [VectorElement(labels: ["sink": "pg"], value: $0)] } ?? []
    }

    /// (time, value or nil when the expression does not hold) → expected transitions and state after.
    @Test(
        arguments: [
            // Holds from 0, fires once 60 s have passed, resolves when it stops holding.
            (
                [(0.0, 9.0), (30, 9), (60, 9), (90, 9), (120, nil)] as [(Double, Double?)],
                ["0:pending", "60:firing", "120:resolved"], AlertState.resolved
            ),
            // Stops holding while pending: forgotten without a message.
            ([(0, 9), (30, nil), (60, 9)], ["0:pending", "60:pending"], .pending),
            // Pending restarts its clock after a gap.
            ([(0, 9), (30, nil), (60, 9), (100, 9), (120, 9)], ["0:pending", "60:pending", "120:firing"], .firing),
            // Fires again after resolving: a new pending period.
            (
                [(0, 9), (60, 9), (90, nil), (120, 9), (180, 9)],
                ["0:pending", "60:firing", "90:resolved", "120:pending", "180:firing"], .firing
            ),
            // Never holds.
            ([(0, nil), (60, nil)], [], nil),
        ] as [([(Double, Double?)], [String], AlertState?)])
    func stateMachine(steps: [(Double, Double?)], transitions: [String], final: AlertState?) {
        var engine = AlertEngine(rules: [Self.rule])
        var seen: [String] = []
        for (time, value) in steps {
            for transition in engine.step(at: time, results: ["TestQueue": Self.holding(value)]) {
                seen.append("\(Int(time)):\(transition.kind.rawValue)")
            }
        }
        #expect(seen == transitions)
        #expect(engine.sortedAlerts.first?.state == final)
    }

    @Test func zeroForFiresAtOnceAndSummaryIsRendered() {
        var engine = AlertEngine(rules: [Self.instant, Self.rule])
        let transitions = engine.step(
            at: 10, results: ["TestNow": Self.holding(7), "TestQueue": Self.holding(7)])
        #expect(transitions.map(\.kind) == [.firing, .pending])
        let queue = engine.sortedAlerts.first { $0.rule == "TestQueue" }
        #expect(queue?.summary == "pg holds 7")
        #expect(engine.sortedAlerts.first?.rule == "TestNow")
    }

    @Test func aRuleThatCouldNotBeEvaluatedKeepsItsAlerts() {
        var engine = AlertEngine(rules: [Self.instant])
        _ = engine.step(at: 0, results: ["TestNow": Self.holding(7)])
        #expect(engine.step(at: 15, results: [:]).isEmpty)
        #expect(engine.sortedAlerts.first?.state == .firing)
    }

    @Test func holdOverrideShortensFor() {
        var engine = AlertEngine(rules: [Self.rule], holdOverride: 2)
        #expect(engine.step(at: 0, results: ["TestQueue": Self.holding(9)]).map(\.kind) == [.pending])
        #expect(engine.step(at: 2, results: ["TestQueue": Self.holding(9)]).map(\.kind) == [.firing])
    }

    /// One 429 at t = 60 in ten minutes of scrapes: the real `[5m]` window still holds it at t = 300 and
    /// lets it go by t = 420; capped at 1m the window lets it go by t = 180 and still sees it at t = 90.
    @Test(
        arguments: [
            (nil, 300.0, true), (nil, 420, false), (60.0, 90, true), (60, 180, false), (60, 300, false),
        ] as [(Double?, Double, Bool)])
    func rangeCapShortensWindows(cap: Double?, time: Double, holds: Bool) throws {
        let rule = try #require(AlertCatalog.rule(named: "CryptodExchangeRateLimited"))
        var history = ScrapeHistory(retention: 3600, maxScrapes: 1000)
        for step in 0...40 {
            let at = Double(step) * 15
            let labels: Labels = ["process": "ingestor-binance", "exchange": "binance"]
            history.append(
                Scrape(
                    time: at, samples: [Sample("cryptod_ingestor_rate_limit_responses_total", labels, at >= 60 ? 1 : 0)]
                ))
        }
        let (results, errors) = AlertEngine.evaluate([rule], at: time, in: history, rangeCap: cap)
        #expect(errors.isEmpty)
        #expect((results[rule.name]?.isEmpty == false) == holds)
    }

    @Test func rangeCapLeavesShorterWindowsAlone() throws {
        let short = try PromQLExpression.parse("increase(c_total[1m]) > 10")
        #expect(short.cappingRanges(at: 300) == short)
        let long = try PromQLExpression.parse("sum by (p) (delta(c[10m])) > 0 and max(c) > 0")
        #expect(
            long.cappingRanges(at: 60) == (try PromQLExpression.parse("sum by (p) (delta(c[1m])) > 0 and max(c) > 0")))
    }

    @Test func resolvedAlertsAreForgottenAfterRetention() {
        var engine = AlertEngine(rules: [Self.instant])
        engine.resolvedRetention = 100
        _ = engine.step(at: 0, results: ["TestNow": Self.holding(7)])
        _ = engine.step(at: 10, results: ["TestNow": []])
        _ = engine.step(at: 50, results: ["TestNow": []])
        #expect(engine.sortedAlerts.count == 1)
        _ = engine.step(at: 200, results: ["TestNow": []])
        #expect(engine.sortedAlerts.isEmpty)
    }
}

@Suite struct NotificationPolicyTests {
    static func alert(_ state: AlertState) -> ActiveAlert {
        ActiveAlert(
            rule: "CryptodQueueBacklog", severity: .warning, labels: ["process": "writer", "sink": "postgres"],
            state: state, activeSince: 0, firedAt: 120, resolvedAt: state == .resolved ? 400 : nil, value: 6000,
            summary: "writer: the postgres queue holds 6000 items (over 5000)", description: "A sink lags.")
    }

    /// Evaluations (time, transition or none, firing now?) → messages sent, with a 100 s repeat interval.
    @Test(
        arguments: [
            // Firing once, reminded every 100 s, one resolved message.
            (
                [
                    (120.0, "firing", true), (150, "", true), (220, "", true), (250, "", true), (320, "", true),
                    (400, "resolved", false), (500, "", false),
                ] as [(Double, String, Bool)],
                ["120:firing#0", "220:firing#1", "320:firing#2", "400:resolved#0"]
            ),
            // Pending never notifies, and a resolved without an announced firing says nothing.
            ([(0, "pending", false), (400, "resolved", false)], []),
        ] as [([(Double, String, Bool)], [String])])
    func policy(steps: [(Double, String, Bool)], expected: [String]) {
        var policy = NotificationPolicy(repeatInterval: 100)
        var sent: [String] = []
        for (time, kind, firing) in steps {
            var transitions: [AlertTransition] = []
            switch kind {
            case "firing": transitions = [AlertTransition(kind: .firing, alert: Self.alert(.firing))]
            case "pending": transitions = [AlertTransition(kind: .pending, alert: Self.alert(.pending))]
            case "resolved": transitions = [AlertTransition(kind: .resolved, alert: Self.alert(.resolved))]
            default: break
            }
            for message in policy.due(at: time, transitions: transitions, firing: firing ? [Self.alert(.firing)] : []) {
                sent.append("\(Int(time)):\(message.kind.rawValue)#\(message.repeatCount)")
            }
        }
        #expect(sent == expected)
    }

    @Test func zeroRepeatIntervalNeverReminds() {
        var policy = NotificationPolicy(repeatInterval: 0)
        let first = policy.due(
            at: 0, transitions: [AlertTransition(kind: .firing, alert: Self.alert(.firing))], firing: [])
        let later = policy.due(at: 10_000, transitions: [], firing: [Self.alert(.firing)])
        #expect(first.count == 1 && later.isEmpty)
    }

    @Test func webhookJSONIsSlackShaped() throws {
        let message = AlertNotification(kind: .firing, alert: Self.alert(.firing), repeatCount: 0)
        let json = NotificationFormat.webhookJSON(message, source: "cryptod gateway on host")
        #expect(json.hasPrefix("{\"text\":\"[FIRING] CryptodQueueBacklog (warning): writer: the postgres queue"))
        #expect(json.contains("\"color\":\"warning\""))
        #expect(json.contains("{\"title\":\"sink\",\"value\":\"postgres\",\"short\":true}"))
        #expect(json.contains("\"state\":\"firing\""))
        let resolved = NotificationFormat.webhookJSON(
            AlertNotification(kind: .resolved, alert: Self.alert(.resolved), repeatCount: 0), source: "s")
        #expect(resolved.contains("\"color\":\"good\"") && resolved.contains("[RESOLVED]"))
        #expect(NotificationFormat.jsonString("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
    }

    @Test func emailIsRFC5322() {
        let message = AlertNotification(kind: .resolved, alert: Self.alert(.resolved), repeatCount: 0)
        let mail = NotificationFormat.email(
            message, from: "cryptod@example.org", to: ["ops@example.org", "b@example.org"], date: 1_796_187_867,
            messageID: "abc", host: "example.org", source: "s")
        let lines = mail.components(separatedBy: "\r\n")
        #expect(lines.contains("From: cryptod@example.org"))
        #expect(lines.contains("To: ops@example.org, b@example.org"))
        #expect(lines.contains("Date: Wed, 02 Dec 2026 05:04:27 +0000"))
        #expect(lines.contains("Message-ID: <abc@example.org>"))
        #expect(lines.contains("Content-Type: text/plain; charset=utf-8"))
        #expect(lines.contains { $0.hasPrefix("Subject: [RESOLVED] CryptodQueueBacklog (warning)") })
        #expect(lines.allSatisfy { $0.utf8.count <= 998 })
        #expect(lines.filter { $0.hasPrefix("Subject:") || $0.hasPrefix(" ") }.allSatisfy { $0.count <= 78 })
        #expect(mail.contains("\r\n\r\n[RESOLVED]"))
        #expect(!mail.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(NotificationFormat.encodedWord("ä") == "=?utf-8?B?w6Q=?=")
    }

    @Test(arguments: [
        (0.0, "1970-01-01T00:00:00Z", "Thu, 01 Jan 1970 00:00:00 +0000"),
        (951_782_400, "2000-02-29T00:00:00Z", "Tue, 29 Feb 2000 00:00:00 +0000"),
        (1_796_187_867, "2026-12-02T05:04:27Z", "Wed, 02 Dec 2026 05:04:27 +0000"),
    ])
    func dates(seconds: Double, rfc3339: String, rfc5322: String) {
        #expect(RFC3339.format(seconds: seconds) == rfc3339)
        #expect(RFC5322Date.format(seconds: seconds) == rfc5322)
    }
}
