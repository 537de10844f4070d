import Testing

@testable import CryptodOps

@Suite struct ExpositionTests {
    @Test func readsSamplesLabelsAndHistograms() {
        let text = """
            # HELP cryptod_x_total Things.
            # TYPE cryptod_x_total counter
            cryptod_x_total{process="writer",sink="postgres"} 12
            cryptod_y{process="gateway",note="a \\"quoted\\" \\\\ value, with {braces}"} 1.5e3
            # TYPE cryptod_latency_seconds histogram
            cryptod_latency_seconds_bucket{process="gateway",le="0.1"} 3
            cryptod_latency_seconds_bucket{process="gateway",le="+Inf"} 4
            cryptod_latency_seconds_sum{process="gateway"} 0.75
            cryptod_latency_seconds_count{process="gateway"} 4
            cryptod_up 1 1700000000000
            cryptod_nan NaN
            this is not a sample
            """
        let result = Exposition.parse(text)
        #expect(result.skippedLines == 1)
        #expect(result.samples.count == 8)
        #expect(result.samples[0] == Sample("cryptod_x_total", ["process": "writer", "sink": "postgres"], 12))
        #expect(result.samples[1].labels["note"] == "a \"quoted\" \\ value, with {braces}")
        #expect(result.samples[1].value == 1500)
        #expect(result.samples[3].labels["le"] == "+Inf")
        #expect(result.samples[6] == Sample("cryptod_up", [:], 1))
        #expect(result.samples[7].value.isNaN)
    }

    @Test func crlfLineEndsAreLinesToo() {
        #expect(Exposition.parse("a 1\r\nb 2\r\n").samples.map(\.name) == ["a", "b"])
    }

    @Test func historyIsBoundedByAgeAndCount() {
        var history = ScrapeHistory(retention: 60, maxScrapes: 3)
        for time in stride(from: 0.0, through: 100, by: 10) { history.append(Scrape(time: time, samples: [])) }
        #expect(history.scrapes.map(\.time) == [80, 90, 100])
        history.append(Scrape(time: 90, samples: []))
        #expect(history.scrapes.count == 3)
        #expect(history.window(from: 85, through: 100).map(\.time) == [90, 100])
        #expect(history.window(from: 80, through: 90).map(\.time) == [80, 90])
    }
}

@Suite struct PromQLTests {
    /// Scrapes every 15 s from 0 to 300 s: a counter rising 3 per scrape on two sinks, a gauge, a histogram.
    static let history: ScrapeHistory = {
        var history = ScrapeHistory()
        for step in 0...20 {
            let time = Double(step) * 15
            history.append(
                Scrape(
                    time: time,
                    samples: [
                        Sample("c_total", ["process": "writer", "sink": "postgres"], Double(step * 3)),
                        Sample("c_total", ["process": "writer", "sink": "redis"], Double(step)),
                        Sample("g", ["process": "writer", "sink": "postgres"], 10),
                        Sample("g", ["process": "gateway", "sink": "redis"], 30),
                        Sample("total", ["process": "writer", "sink": "postgres"], 40),
                        Sample("total", ["process": "gateway", "sink": "redis"], 60),
                        Sample("h_bucket", ["le": "0.1"], 50), Sample("h_bucket", ["le": "0.5"], 90),
                        Sample("h_bucket", ["le": "+Inf"], 100),
                    ]))
        }
        return history
    }()

    func values(_ text: String, at time: Double = 300) throws -> [String: Double] {
        let value = try PromQLExpression.parse(text).evaluate(at: time, in: Self.history)
        var out: [String: Double] = [:]
        for element in value.elements {
            out[element.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")] =
                element.value
        }
        return out
    }

    @Test(
        arguments: [
            ("g", ["process=writer,sink=postgres": 10, "process=gateway,sink=redis": 30]),
            ("g{sink=\"redis\"}", ["process=gateway,sink=redis": 30]),
            ("g{sink!=\"redis\"}", ["process=writer,sink=postgres": 10]),
            ("g{process=~\"gate.*\"}", ["process=gateway,sink=redis": 30]),
            ("g{process!~\"gate.*|x\"}", ["process=writer,sink=postgres": 10]),
            ("sum(g)", ["": 40]),
            ("max by (process) (g)", ["process=writer": 10, "process=gateway": 30]),
            ("min without (sink) (g)", ["process=writer": 10, "process=gateway": 30]),
            ("avg(g)", ["": 20]),
            ("count(g)", ["": 2]),
            ("g > 20", ["process=gateway,sink=redis": 30]),
            ("g / total", ["process=writer,sink=postgres": 0.25, "process=gateway,sink=redis": 0.5]),
            ("1 - g / total", ["process=writer,sink=postgres": 0.75, "process=gateway,sink=redis": 0.5]),
            ("g * 2 + 1", ["process=writer,sink=postgres": 21, "process=gateway,sink=redis": 61]),
            ("-g", ["process=writer,sink=postgres": -10, "process=gateway,sink=redis": -30]),
            ("g > 5 and g < 20", ["process=writer,sink=postgres": 10]),
            ("g > 20 or total > 50", ["process=gateway,sink=redis": 30]),
            ("g unless g > 20", ["process=writer,sink=postgres": 10]),
            ("sum(g) > 100 or max(total) > 50", ["": 60]),
            ("g / on (sink) total", ["sink=postgres": 0.25, "sink=redis": 0.5]),
            ("g / ignoring (process) total", ["sink=postgres": 0.25, "sink=redis": 0.5]),
            ("g / (total > 50)", ["process=gateway,sink=redis": 0.5]),
            // 3 per 15 s; the 60 s window holds five samples exactly on its edges, so no extrapolation.
            ("rate(c_total{sink=\"postgres\"}[1m])", ["process=writer,sink=postgres": 0.2]),
            ("increase(c_total{sink=\"postgres\"}[1m])", ["process=writer,sink=postgres": 12]),
            ("sum by (process) (increase(c_total[1m]))", ["process=writer": 16]),
            ("delta(g[5m])", ["process=writer,sink=postgres": 0, "process=gateway,sink=redis": 0]),
            ("max_over_time(c_total{sink=\"redis\"}[1m])", ["process=writer,sink=redis": 20]),
            ("histogram_quantile(0.5, h_bucket)", ["": 0.1]),
            ("histogram_quantile(0.7, h_bucket)", ["": 0.3]),
            ("histogram_quantile(0.99, h_bucket)", ["": 0.5]),
            ("clamp_max(g, 20)", ["process=writer,sink=postgres": 10, "process=gateway,sink=redis": 20]),
        ] as [(String, [String: Double])])
    func evaluates(expression: String, expected: [String: Double]) throws {
        let got = try values(expression)
        #expect(got.count == expected.count, "\(expression): \(got)")
        for (key, value) in expected {
            let actual = try #require(got[key], "\(expression) lacks \(key): \(got)")
            #expect(abs(actual - value) < 1e-9, "\(expression) \(key): \(actual)")
        }
    }

    /// Prometheus extrapolates toward the window's edges by at most half a sample interval and never below
    /// zero for counters (values as promtool computes them).
    @Test func rateExtrapolatesLikePrometheus() throws {
        // Samples at 15 s … 60 s (0 s is outside a 45 s window at 60 s): 4 samples, 45 s covered exactly.
        #expect(try values("increase(c_total{sink=\"postgres\"}[45s])", at: 60) == ["process=writer,sink=postgres": 9])
        // At 67 s the window [7, 67] holds 15…60: sampled 45 s, 7.5 s short of the end (< 1.1 × 15 s), 8 s
        // after the start (< 16.5): extrapolated to 60 s.
        let increase = try #require(try values("increase(c_total{sink=\"postgres\"}[1m])", at: 67).first?.value)
        #expect(abs(increase - 9 * (45 + 8 + 7) / 45) < 1e-9)
        // A counter reset is not a decrease: 5→8 is 3, the reset to 2 counts 2 (from 0), 2→4 is 2.
        let points: [(Double, Double)] = [(0, 5), (15, 8), (30, 2), (45, 4)]
        #expect(PromQLExpression.extrapolated(points, start: 0, end: 45, counter: true, rate: false) == 7)
        #expect(PromQLExpression.extrapolated([(0, 1)], start: 0, end: 45, counter: true, rate: false) == nil)
    }

    @Test(arguments: ["rate(g)", "sum(", "g{a=}", "g[5x]", "foo(bar)", "g >", "g{a=\"b\"", "(g"])
    func refusesBadExpressions(expression: String) {
        #expect(throws: PromQLError.self) {
            _ = try PromQLExpression.parse(expression).evaluate(at: 0, in: Self.history)
        }
    }

    @Test func aSelectorSeesOnlyTheNewestScrapeWithinLookback() throws {
        var history = ScrapeHistory()
        history.append(Scrape(time: 0, samples: [Sample("a", ["x": "1"], 1), Sample("b", [:], 2)]))
        history.append(Scrape(time: 15, samples: [Sample("a", ["x": "1"], 3)]))
        let parsed = try PromQLExpression.parse("a")
        #expect(try parsed.evaluate(at: 15, in: history).elements.map(\.value) == [3])
        #expect(try PromQLExpression.parse("b").evaluate(at: 15, in: history).elements.isEmpty)
        #expect(try parsed.evaluate(at: 400, in: history).elements.isEmpty)
    }
}
