import Foundation
import Testing

@testable import CryptodOps

/// Runs the scenarios of `etc/prometheus/tests/cryptod-alerts.test.yml` (written for `promtool test rules`)
/// through ``AlertEngine`` and the in-process PromQL evaluator: at every `eval_time` the firing alerts,
/// their labels and annotations must be exactly the ones promtool expects, so the gateway's alerts and
/// Prometheus's agree.
@Suite struct PromtoolScenarioTests {
    static let file = GeneratedRulesTests.root.appendingPathComponent("etc/prometheus/tests/cryptod-alerts.test.yml")

    struct Expected: Equatable, CustomStringConvertible {
        var labels: Labels
        var annotations: Labels
        var description: String { "\(labels.sorted { $0.key < $1.key }) \(annotations.sorted { $0.key < $1.key })" }
    }

    struct Check {
        var evalTime: Double
        var alertname: String
        var alerts: [Expected] = []
    }

    struct Scenario: CustomTestStringConvertible {
        var name: String
        var interval: Double = 60
        var series: [(name: String, labels: Labels, values: [Double])] = []
        var checks: [Check] = []
        var testDescription: String { name }
    }

    /// The layout the test file keeps to (see its header), read line by line.
    static func scenarios() throws -> [Scenario] {
        let text = try String(contentsOf: file, encoding: .utf8)
        var scenarios: [Scenario] = []
        var section = ""
        var seriesName: Substring = ""
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.drop { $0 == " " }
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { continue }
            var key = line[..<colon]
            let value = unquote(line[line.index(after: colon)...].drop { $0 == " " })
            if key.hasPrefix("- ") { key = key.dropFirst(2) }
            switch key {
            case "name": scenarios.append(Scenario(name: value))
            case "interval": scenarios[scenarios.count - 1].interval = PromQLLexer.parseDuration(value) ?? 60
            case "series": seriesName = Substring(value)
            case "values":
                let (name, labels) = try parseSeries(seriesName)
                scenarios[scenarios.count - 1].series.append((name, labels, try expand(value)))
            case "eval_time":
                scenarios[scenarios.count - 1].checks.append(
                    Check(evalTime: PromQLLexer.parseDuration(value) ?? 0, alertname: ""))
            case "alertname":
                scenarios[scenarios.count - 1].checks[scenarios[scenarios.count - 1].checks.count - 1].alertname = value
            case "exp_alerts": section = ""
            case "exp_labels":
                section = "labels"
                let s = scenarios.count - 1
                scenarios[s].checks[scenarios[s].checks.count - 1].alerts.append(
                    Expected(labels: [:], annotations: [:]))
            case "exp_annotations": section = "annotations"
            case "input_series", "alert_rule_test", "tests", "rule_files", "evaluation_interval": section = ""
            default:
                guard !section.isEmpty, !scenarios.isEmpty else { continue }
                let s = scenarios.count - 1
                let c = scenarios[s].checks.count - 1
                let a = scenarios[s].checks[c].alerts.count - 1
                if section == "labels" {
                    scenarios[s].checks[c].alerts[a].labels[String(key)] = value
                } else {
                    scenarios[s].checks[c].alerts[a].annotations[String(key)] = value
                }
            }
        }
        return scenarios
    }

    static func unquote(_ text: Substring) -> String {
        if text.hasPrefix("'"), text.hasSuffix("'"), text.count >= 2 {
            return text.dropFirst().dropLast().replacingOccurrences(of: "''", with: "'")
        }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 {
            var out = ""
            var escaped = false
            for character in text.dropFirst().dropLast() {
                if escaped {
                    out.append(character == "n" ? "\n" : character)
                    escaped = false
                } else if character == "\\" {
                    escaped = true
                } else {
                    out.append(character)
                }
            }
            return out
        }
        return String(text)
    }

    static func parseSeries(_ text: Substring) throws -> (String, Labels) {
        let sample = try #require(Exposition.parseSample(Substring(text + " 0")), "bad series \(text)")
        return (sample.name, sample.labels)
    }

    /// promtool's expanding notation: `a+bxn` (n+1 values from a, step b), `axn`, plain numbers.
    static func expand(_ text: String) throws -> [Double] {
        var values: [Double] = []
        for word in text.split(separator: " ") {
            guard let x = word.firstIndex(of: "x") else {
                values.append(try #require(Double(word), "bad value \(word)"))
                continue
            }
            let count = try #require(Int(word[word.index(after: x)...]))
            let head = word[..<x]
            var start = head
            var step = 0.0
            if let plus = head.dropFirst().firstIndex(where: { $0 == "+" || $0 == "-" }) {
                start = head[..<plus]
                step = try #require(Double(head[plus...].drop { $0 == "+" }))
            }
            let first = try #require(Double(start))
            for index in 0...count { values.append(first + Double(index) * step) }
        }
        return values
    }

    @Test(arguments: try scenarios())
    func scenario(_ scenario: Scenario) throws {
        #expect(!scenario.checks.isEmpty)
        let lastCheck = scenario.checks.map(\.evalTime).max() ?? 0
        var history = ScrapeHistory(retention: 7200, maxScrapes: 100_000)
        var engine = AlertEngine()
        var checks = scenario.checks.sorted { $0.evalTime < $1.evalTime }
        // promtool evaluates the rule group every evaluation_interval (15 s) from 0.
        var time = 0.0
        while time <= lastCheck {
            let step = Int((time / scenario.interval).rounded(.down))
            if time.truncatingRemainder(dividingBy: scenario.interval) == 0 {
                var samples: [Sample] = []
                for series in scenario.series where step < series.values.count {
                    samples.append(Sample(series.name, series.labels, series.values[step]))
                }
                history.append(Scrape(time: time, samples: samples))
            }
            let (results, errors) = AlertEngine.evaluate(AlertCatalog.rules, at: time, in: history)
            #expect(errors.isEmpty, "\(errors)")
            _ = engine.step(at: time, results: results)
            while let check = checks.first, check.evalTime <= time {
                checks.removeFirst()
                let firing = engine.sortedAlerts.filter { $0.rule == check.alertname && $0.state == .firing }
                let got = firing.map { alert -> Expected in
                    var labels = alert.labels
                    labels["severity"] = alert.severity.rawValue
                    let rule = AlertCatalog.rule(named: alert.rule)
                    return Expected(
                        labels: labels,
                        annotations: [
                            "summary": alert.summary, "description": alert.description, "runbook": rule?.runbook ?? "",
                        ])
                }
                let want = check.alerts
                #expect(got.count == want.count, "\(check.alertname) at \(check.evalTime) s: got \(got)")
                for expected in want {
                    let match = got.first { $0.labels == expected.labels }
                    #expect(match != nil, "\(check.alertname) at \(check.evalTime) s lacks \(expected); got \(got)")
                    if let match, !expected.annotations.isEmpty {
                        #expect(match.annotations == expected.annotations, "\(check.alertname) at \(check.evalTime) s")
                    }
                }
            }
            time += 15
        }
        #expect(checks.isEmpty)
    }

    @Test func expandsPromtoolNotation() throws {
        #expect(try Self.expand("0+5x3") == [0, 5, 10, 15])
        #expect(try Self.expand("7x2 1 2") == [7, 7, 7, 1, 2])
        #expect(try Self.expand("10-2x2") == [10, 8, 6])
        #expect(try Self.scenarios().count >= 13)
    }
}
