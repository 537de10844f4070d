import Testing

@testable import CryptodOps

@Suite struct HealthTests {
    /// Two minutes of scrapes every 15 s; `extra(step)` adds samples to each.
    static func history(_ extra: (Int) -> [Sample]) -> ScrapeHistory {
        var history = ScrapeHistory()
        for step in 0...8 {
            var samples = [
                Sample("cryptod_build_info", ["process": "gateway"], 1),
                Sample("cryptod_build_info", ["process": "writer"], 1),
                Sample("cryptod_build_info", ["process": "ingestor-binance"], 1),
            ]
            samples += extra(step)
            history.append(Scrape(time: Double(step) * 15, samples: samples))
        }
        return history
    }

    static func signal(_ report: HealthReport, _ component: String, _ name: String) -> HealthSignal? {
        report.components.first { $0.name == component }?.signals.first { $0.signal == name }
    }

    @Test func aQuietHealthyClusterScores100() {
        let history = Self.history { step in
            [
                Sample(
                    "cryptod_ingestor_messages_total", ["process": "ingestor-binance", "stream": "trades"],
                    Double(step * 50)),
                Sample("cryptod_writer_sink_breaker_state", ["process": "writer", "sink": "postgres"], 0),
                Sample("cryptod_writer_postgres_errors_total", ["process": "writer", "kind": "unavailable"], 0),
            ]
        }
        let report = HealthScore.report(at: 120, history: history, expected: ["gateway", "writer", "ingestor-binance"])
        #expect(report.score == 100 && report.status == .healthy)
        #expect(Self.signal(report, "ingestor-binance", "stream_staleness")?.penalty == 0)
        #expect(Self.signal(report, "writer", "sink_breaker")?.detail == "0 open, 0 half-open")
        #expect(Self.signal(report, "writer", "error_rate")?.value == 0)
    }

    /// Each signal's penalty, as the formula in the HealthScore documentation says.
    @Test(arguments: [
        // A stream silent since 0 s: 120 s stale → capped at 40.
        ("ingestor-binance", "stream_staleness", 40, 45),
        ("writer", "sink_breaker", 25, 55),
        ("writer", "error_rate", 20, 55),
        ("ingestor-binance", "rate_limit_headroom", 15, 45),
    ])
    func penalties(component: String, signal: String, penalty: Int, score: Int) throws {
        let history = Self.history { step in
            [
                Sample("cryptod_ingestor_messages_total", ["process": "ingestor-binance", "stream": "trades"], 7),
                Sample("cryptod_writer_sink_breaker_state", ["process": "writer", "sink": "postgres"], 1),
                Sample(
                    "cryptod_writer_postgres_errors_total", ["process": "writer", "kind": "unavailable"],
                    Double(step * 5)),
                Sample(
                    "cryptod_ingestor_rate_limit_used", ["process": "ingestor-binance", "exchange": "binance"], 5800),
                Sample(
                    "cryptod_ingestor_rate_limit_budget", ["process": "ingestor-binance", "exchange": "binance"], 6000),
            ]
        }
        let report = HealthScore.report(at: 120, history: history, expected: [])
        let found = try #require(Self.signal(report, component, signal))
        #expect(found.penalty == penalty, "\(found)")
        #expect(report.components.first { $0.name == component }?.score == score)
        // The overall score is the weakest component's; the gateway has no penalty.
        #expect(report.score == 45 && report.status == .critical)
        #expect(report.components.first { $0.name == "gateway" }?.score == 100)
    }

    @Test func aMissingProcessScoresZeroAndDecidesTheOverallScore() {
        let history = Self.history { _ in [] }
        let report = HealthScore.report(at: 120, history: history, expected: ["gateway", "scheduler"])
        let scheduler = report.components.first { $0.name == "scheduler" }
        #expect(scheduler?.score == 0 && scheduler?.signals.first?.signal == "reachable")
        #expect(report.score == 0 && report.status == .critical)
        #expect(report.components.map(\.name) == ["gateway", "scheduler", "ingestor-binance", "writer"])
    }

    @Test(arguments: [(100, HealthStatus.healthy), (80, .healthy), (79, .degraded), (50, .degraded), (49, .critical)])
    func statusBands(score: Int, status: HealthStatus) {
        #expect(HealthStatus(score: score) == status)
    }
}

@Suite struct RecommendationTests {
    @Test func namesTheFigureAndTheSetting() throws {
        var history = ScrapeHistory()
        for step in 0...20 {
            history.append(
                Scrape(
                    time: Double(step) * 15,
                    samples: [
                        Sample("cryptod_writer_sink_queue_items", ["process": "writer", "sink": "postgres"], 6000),
                        Sample(
                            "cryptod_ipc_frames_sent_total", ["process": "ingestor-binance", "stream": "s"],
                            Double(step * 100)),
                        Sample(
                            "cryptod_ipc_frames_dropped_total", ["process": "ingestor-binance", "stream": "s"],
                            Double(step * 10)),
                        Sample(
                            "cryptod_ingestor_rate_limit_responses_total",
                            ["process": "ingestor-binance", "exchange": "binance"], step > 10 ? 3 : 0),
                    ]))
        }
        let found = Recommendations.derive(
            at: 300, history: history,
            settings: [
                "writer.flush_max_rows": "1000", "performance.mode": "medium",
                "exchanges.binance.rate_limit_share": "0.8",
            ])
        #expect(found.map(\.id) == ["drop_rate:ingestor-binance", "queue_depth:postgres", "rate_limited:binance"])
        let queue = try #require(found.first { $0.figure == "queue_depth" })
        #expect(queue.value == 6000 && queue.threshold == 5000 && queue.setting == "writer.flush_max_rows")
        #expect(queue.suggested == "2000")
        let drop = try #require(found.first { $0.figure == "drop_rate" })
        #expect(drop.setting == "performance.mode" && drop.suggested == "heavy")
        #expect(abs(drop.value - 0.1) < 1e-9)
        #expect(found.first { $0.figure == "rate_limit_responses" }?.suggested == "0.6")
    }

    @Test func nothingToRecommendWhenAllIsWell() {
        var history = ScrapeHistory()
        for step in 0...4 {
            history.append(
                Scrape(
                    time: Double(step) * 15,
                    samples: [Sample("cryptod_writer_sink_queue_items", ["process": "writer", "sink": "postgres"], 3)]))
        }
        #expect(Recommendations.derive(at: 60, history: history, settings: [:]).isEmpty)
    }
}
