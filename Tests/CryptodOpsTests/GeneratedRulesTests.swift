import Foundation
import Testing

@testable import CryptodOps

/// `etc/prometheus/cryptod-alerts.yml` must equal what ``AlertCatalog`` generates. After changing the catalog:
/// `CRYPTOD_REGENERATE_ALERT_RULES=1 swift test --filter CryptodOpsTests.GeneratedRulesTests`.
@Suite struct GeneratedRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let rulesFile = root.appendingPathComponent("etc/prometheus/cryptod-alerts.yml")

    @Test func ruleFileMatchesCatalog() throws {
        let generated = AlertCatalog.prometheusRules()
        if ProcessInfo.processInfo.environment["CRYPTOD_REGENERATE_ALERT_RULES"] == "1" {
            try generated.write(to: Self.rulesFile, atomically: true, encoding: .utf8)
        }
        let committed = try String(contentsOf: Self.rulesFile, encoding: .utf8)
        let a = committed.split(separator: "\n", omittingEmptySubsequences: false)
        let b = generated.split(separator: "\n", omittingEmptySubsequences: false)
        let line = (0..<max(a.count, b.count)).first { $0 >= a.count || $0 >= b.count || a[$0] != b[$0] }
        #expect(
            line == nil,
            """
            etc/prometheus/cryptod-alerts.yml differs from AlertCatalog at line \((line ?? 0) + 1); regenerate with \
            CRYPTOD_REGENERATE_ALERT_RULES=1 swift test --filter CryptodOpsTests.GeneratedRulesTests
            """)
    }

    @Test func everyRuleParsesAndIsNamedOnce() throws {
        #expect(Set(AlertCatalog.rules.map(\.name)).count == AlertCatalog.rules.count)
        for rule in AlertCatalog.rules {
            #expect(throws: Never.self, "\(rule.name)") { _ = try PromQLExpression.parse(rule.expr) }
            #expect(rule.name.hasPrefix("Cryptod"))
        }
    }

    /// Every metric a rule reads is one some process exports (docs/metrics.md lists them all).
    @Test func rulesReadDocumentedMetrics() throws {
        let docs = try String(contentsOf: Self.root.appendingPathComponent("docs/metrics.md"), encoding: .utf8)
        for rule in AlertCatalog.rules {
            for word in rule.expr.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") })
            where word.hasPrefix("cryptod_") {
                #expect(docs.contains("`\(word)`"), "\(rule.name) reads \(word), which docs/metrics.md does not list")
            }
        }
    }

    @Test(arguments: [
        (0, "0s"), (60, "1m"), (90, "90s"), (300, "5m"), (3600, "1h"), (5400, "90m"),
    ])
    func durations(seconds: Int, text: String) {
        #expect(AlertCatalog.durationText(seconds) == text)
    }
}
