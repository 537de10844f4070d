/// `healthy` (score ≥ 80), `degraded` (≥ 50) or `critical`.
package enum HealthStatus: String, Sendable, Hashable {
    case healthy, degraded, critical

    package init(score: Int) {
        self = score >= 80 ? .healthy : (score >= 50 ? .degraded : .critical)
    }
}

/// One measured signal of a component and what it costs the score.
package struct HealthSignal: Sendable, Hashable {
    package var signal: String
    package var value: Double
    package var penalty: Int
    package var detail: String
}

package struct ComponentHealth: Sendable, Hashable {
    /// The process name (`gateway`, `writer`, `ingestor-binance`, …).
    package var name: String
    package var score: Int
    package var status: HealthStatus
    package var signals: [HealthSignal]
}

package struct HealthReport: Sendable, Hashable {
    package var time: Double
    package var score: Int
    package var status: HealthStatus
    package var components: [ComponentHealth]
}

/// The health score, pure, from the scrape history (docs/operations.md, "Alerts and health").
///
/// Each component (process) starts at 100 and loses the penalty of each signal below; the score is
/// `max(0, 100 − Σ penalties)`. The overall score is the lowest component score (the weakest process is the
/// service's health: a stalled ingestor is a stalled service for its exchange). A signal appears only for
/// the processes that export its metrics.
///
/// | signal | value | penalty |
/// |---|---|---|
/// | `reachable` | 1 answered the scrape, 0 did not | 100 when 0 |
/// | `stream_staleness` | seconds since the ingestor's last stream message | 0 up to 10 s, then 0.8 per second, at most 40 |
/// | `drop_rate` | frames or WebSocket messages dropped / sent, last minute | 600 × rate, at most 30 (5 % → 30) |
/// | `error_rate` | sink, REST and parse errors per minute | 2 per error/min, at most 20 |
/// | `sink_breaker` | breakers not closed | 25 per open, 15 per half-open, at most 50 |
/// | `spool_growth` | spool bytes added in 5 minutes | 10 when growing, 30 when a spool is full |
/// | `rate_limit_headroom` | 1 − used/budget of the request weight | 15 below 0.10, 5 below 0.25; +10 after a 429 in 5 min, +40 after a 418 in 10 min |
/// | `book_sync` | book levels diverging from the REST audit | 10 when > 0, +5 when a book resynced in 5 min |
package enum HealthScore {
    /// - Parameters:
    ///   - expected: Process names that should answer (the topology); one missing from the latest scrape
    ///     scores 0.
    package static func report(at time: Double, history: ScrapeHistory, expected: [String]) -> HealthReport {
        var names = expected
        if let latest = history.latest {
            var seen = Set<String>()
            for samples in latest.series.values {
                for sample in samples { if let process = sample.labels["process"] { seen.insert(process) } }
            }
            for name in seen.sorted() where !names.contains(name) { names.append(name) }
            let present = seen
            var components: [ComponentHealth] = []
            let measured = measure(at: time, history: history)
            for name in names {
                var signals: [HealthSignal] = []
                if !present.contains(name) {
                    signals.append(
                        HealthSignal(
                            signal: "reachable", value: 0, penalty: 100,
                            detail: "the process did not answer the last metrics scrape"))
                } else {
                    signals = measured[name] ?? []
                }
                let score = max(0, 100 - signals.map(\.penalty).reduce(0, +))
                components.append(
                    ComponentHealth(name: name, score: score, status: HealthStatus(score: score), signals: signals))
            }
            let overall = components.map(\.score).min() ?? 100
            return HealthReport(
                time: time, score: overall, status: HealthStatus(score: overall), components: components)
        }
        let components = names.map {
            ComponentHealth(
                name: $0, score: 0, status: .critical,
                signals: [HealthSignal(signal: "reachable", value: 0, penalty: 100, detail: "no scrape yet")])
        }
        let overall = components.isEmpty ? 100 : 0
        return HealthReport(time: time, score: overall, status: HealthStatus(score: overall), components: components)
    }

    /// `sum by (process) (…)` of `expression`, as process → value (empty when it cannot be evaluated).
    package static func byProcess(_ expression: String, at time: Double, in history: ScrapeHistory) -> [String: Double]
    {
        guard let parsed = try? PromQLExpression.parse(expression),
            let value = try? parsed.evaluate(at: time, in: history)
        else { return [:] }
        var out: [String: Double] = [:]
        for element in value.elements {
            guard let process = element.labels["process"] else { continue }
            out[process, default: 0] += element.value
        }
        return out
    }

    static func clamp(_ value: Double, _ upper: Int) -> Int {
        guard value.isFinite, value > 0 else { return 0 }
        return min(upper, Int(value.rounded()))
    }

    static func percent(_ value: Double) -> String {
        let scaled = (value * 1000).rounded() / 10
        return "\(AlertCatalog.formatValue(scaled)) %"
    }

    /// Seconds since `name`'s per-process sum last increased, looking back over the whole history; nil for
    /// processes that never exported it.
    static func staleness(_ name: String, at time: Double, in history: ScrapeHistory) -> [String: Double] {
        var last: [String: Double] = [:]
        var changed: [String: Double] = [:]
        var first: [String: Double] = [:]
        for scrape in history.window(from: -.infinity, through: time) {
            var sums: [String: Double] = [:]
            for sample in scrape.samples(named: name) {
                guard let process = sample.labels["process"] else { continue }
                sums[process, default: 0] += sample.value
            }
            for (process, sum) in sums {
                if first[process] == nil { first[process] = scrape.time }
                if let previous = last[process], sum > previous { changed[process] = scrape.time }
                last[process] = sum
            }
        }
        var out: [String: Double] = [:]
        for (process, start) in first { out[process] = time - (changed[process] ?? start) }
        return out
    }

    /// Every signal of every process that exports its metrics.
    static func measure(at time: Double, history: ScrapeHistory) -> [String: [HealthSignal]] {
        var signals: [String: [HealthSignal]] = [:]
        func add(_ process: String, _ signal: HealthSignal) { signals[process, default: []].append(signal) }
        func query(_ expression: String) -> [String: Double] { byProcess(expression, at: time, in: history) }

        for (process, seconds) in staleness("cryptod_ingestor_messages_total", at: time, in: history) {
            let penalty = clamp((seconds - 10) * 0.8, 40)
            add(
                process,
                HealthSignal(
                    signal: "stream_staleness", value: seconds, penalty: penalty,
                    detail: "last stream message \(AlertCatalog.formatValue(seconds.rounded())) s ago"))
        }

        let sent = query(
            "sum by (process) (rate(cryptod_ipc_frames_sent_total[1m])) "
                + "or sum by (process) (rate(cryptod_gateway_ws_messages_sent_total[1m]))")
        let dropped = query(
            "sum by (process) (rate(cryptod_ipc_frames_dropped_total[1m])) "
                + "or sum by (process) (rate(cryptod_gateway_ws_dropped_messages_total[1m]))")
        for (process, sentRate) in sent {
            let drop = dropped[process] ?? 0
            let rate = sentRate + drop > 0 ? drop / (sentRate + drop) : 0
            add(
                process,
                HealthSignal(
                    signal: "drop_rate", value: rate, penalty: clamp(rate * 600, 30),
                    detail: "\(percent(rate)) of messages dropped in the last minute"))
        }

        let errorNames = [
            "cryptod_writer_postgres_errors_total", "cryptod_writer_redis_errors_total",
            "cryptod_writer_rabbitmq_errors_total", "cryptod_ingestor_rest_errors_total",
            "cryptod_ingestor_parse_errors_total",
        ]
        var errors: [String: Double] = [:]
        var exported = Set<String>()
        for name in errorNames {
            for (process, value) in query("sum by (process) (increase(\(name)[1m]))") {
                errors[process, default: 0] += value
            }
            for (process, _) in query("sum by (process) (\(name))") { exported.insert(process) }
        }
        for (process, value) in query(
            "sum by (process) (increase(cryptod_gateway_history_queries_total{result=\"error\"}[1m]))")
        {
            errors[process, default: 0] += value
        }
        for (process, _) in query("sum by (process) (cryptod_gateway_history_queries_total)") {
            exported.insert(process)
        }
        for process in exported.sorted() {
            let value = errors[process] ?? 0
            add(
                process,
                HealthSignal(
                    signal: "error_rate", value: value, penalty: clamp(value * 2, 20),
                    detail: "\(AlertCatalog.formatValue((value * 10).rounded() / 10)) errors in the last minute"))
        }

        let open = query("count by (process) (cryptod_writer_sink_breaker_state == 1)")
        let halfOpen = query("count by (process) (cryptod_writer_sink_breaker_state == 2)")
        for (process, _) in query("count by (process) (cryptod_writer_sink_breaker_state)") {
            let opened = open[process] ?? 0
            let probing = halfOpen[process] ?? 0
            add(
                process,
                HealthSignal(
                    signal: "sink_breaker", value: opened + probing, penalty: clamp(opened * 25 + probing * 15, 50),
                    detail: "\(Int(opened)) open, \(Int(probing)) half-open"))
        }

        let growth = query("sum by (process) (delta(cryptod_writer_spool_bytes[5m]))")
        let full = query("max by (process) (cryptod_writer_spool_full)")
        for (process, _) in query("sum by (process) (cryptod_writer_spool_bytes)") {
            let grew = max(0, growth[process] ?? 0)
            let isFull = (full[process] ?? 0) >= 1
            add(
                process,
                HealthSignal(
                    signal: "spool_growth", value: grew, penalty: isFull ? 30 : (grew > 0 ? 10 : 0),
                    detail: isFull
                        ? "a spool is full" : "\(AlertCatalog.formatValue(grew.rounded())) bytes spooled in 5 minutes"))
        }

        let used = query(
            "max by (process) (cryptod_ingestor_rate_limit_used / (cryptod_ingestor_rate_limit_budget > 0))")
        let limited = query("sum by (process) (increase(cryptod_ingestor_rate_limit_responses_total[5m]))")
        let banned = query("sum by (process) (increase(cryptod_ingestor_rest_bans_total[10m]))")
        for (process, ratio) in used {
            let headroom = max(0, 1 - ratio)
            var penalty = headroom < 0.10 ? 15 : (headroom < 0.25 ? 5 : 0)
            var detail = "\(percent(headroom)) of the request budget left"
            if (limited[process] ?? 0) > 0 {
                penalty += 10
                detail += "; rate-limited in the last 5 minutes"
            }
            if (banned[process] ?? 0) > 0 {
                penalty += 40
                detail += "; banned (418) in the last 10 minutes"
            }
            add(
                process,
                HealthSignal(signal: "rate_limit_headroom", value: headroom, penalty: penalty, detail: detail))
        }

        let divergence = query("max by (process) (cryptod_ingestor_book_divergence_levels)")
        let resyncs = query("sum by (process) (increase(cryptod_ingestor_book_resyncs_total[5m]))")
        let synced = query("sum by (process) (cryptod_ingestor_books_synced)")
        for (process, levels) in divergence {
            let resynced = resyncs[process] ?? 0
            add(
                process,
                HealthSignal(
                    signal: "book_sync", value: levels, penalty: (levels > 0 ? 10 : 0) + (resynced > 0 ? 5 : 0),
                    detail: "\(Int(synced[process] ?? 0)) books in sync, \(AlertCatalog.formatValue(levels)) levels "
                        + "diverging, \(AlertCatalog.formatValue(resynced.rounded())) resyncs in 5 minutes"))
        }
        return signals.mapValues { $0.sorted { $0.signal < $1.signal } }
    }
}
