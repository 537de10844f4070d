/// How urgent an alert is: `critical` wants someone now, `warning` during working hours.
package enum AlertSeverity: String, Sendable, Hashable, CaseIterable {
    case critical, warning
}

/// One alerting rule: the same table drives the gateway's in-process evaluation (`/api/v1/admin/alerts`,
/// notifications) and `etc/prometheus/cryptod-alerts.yml`, so both always agree on names, expressions,
/// thresholds and `for` durations.
package struct AlertRule: Sendable, Hashable {
    package var name: String
    package var severity: AlertSeverity
    /// A PromQL expression in the subset ``PromQLExpression`` evaluates; each element it yields is one alert.
    package var expr: String
    /// How long the expression must hold before the alert fires, in seconds (Prometheus's `for`).
    package var holdSeconds: Int
    /// One line; `{{ $labels.NAME }}` and `{{ $value }}` are filled in, as in Prometheus templates.
    package var summary: String
    package var description: String
    /// What to look at first.
    package var runbook: String

    /// `for` as Prometheus spells it (`5m`, `90s`).
    package var holdText: String { AlertCatalog.durationText(holdSeconds) }
}

/// Every alert cryptod ships. Thresholds are fixed here (not configurable), so that the Prometheus rules
/// and the gateway's own evaluation never drift apart; docs/operations.md ("Alerts and health") explains
/// each one and docs/metrics.md the metrics they read.
package enum AlertCatalog {
    package static let rules: [AlertRule] = [
        // The seed's critical alerts.
        AlertRule(
            name: "CryptodMemoryHigh", severity: .critical,
            expr: "max(1 - cryptod_system_memory_available_bytes / cryptod_system_memory_total_bytes) > 0.85",
            holdSeconds: 300,
            summary: "Memory use is {{ $value }} of the memory cryptod may use (over 85 %)",
            description: "MemAvailable/MemTotal from /proc/meminfo, or the working set over the limit of a cgroup "
                + "of the process (systemd's MemoryMax=, a container's limit) where that is nearer, as every "
                + "cryptod process reports it; above 85 % the kernel starts reclaiming and the OOM killer may "
                + "pick a cryptod process.",
            runbook: "Compare cryptod_process_resident_memory_bytes by process; lower gateway.ws_replay_memory or "
                + "delivery.memory_limit, or set performance.mode = \"light\"."),
        AlertRule(
            name: "CryptodDatabaseErrors", severity: .critical,
            expr: "sum by (process) (increase(cryptod_writer_postgres_errors_total[1m])) > 10",
            holdSeconds: 60,
            summary: "{{ $labels.process }}: {{ $value }} PostgreSQL errors in the last minute (over 10)",
            description: "The writer's PostgreSQL sink keeps failing; batches go to the spool while its breaker is "
                + "open, and are replayed once the database answers again.",
            runbook: "Check that PostgreSQL is up and writer.postgres_url is right; "
                + "cryptod_writer_postgres_errors_total{kind} says whether it is unreachable or refusing rows."),
        AlertRule(
            name: "CryptodSystemOverload", severity: .critical,
            expr: "max(cryptod_system_load1 / cryptod_system_cpu_cores) > 2 "
                + "or max by (process, sink) (cryptod_writer_spool_full) == 1",
            holdSeconds: 300,
            summary: "The machine is overloaded: {{ $value }} (load per core over 2, or 1 for a full spool)",
            description: "More than twice as many runnable tasks as cores for 5 minutes, or a durable sink's spool "
                + "reached writer.spool_limit, so the writer makes the ingestors wait.",
            runbook: "Set performance.mode = \"light\" or throttle (POST /api/v1/stream/throttle); for a full spool "
                + "fix the sink first (its breaker alert says which)."),
        // The seed's warnings.
        AlertRule(
            name: "CryptodCPUHigh", severity: .warning,
            expr: "sum(rate(cryptod_process_cpu_seconds_total[2m])) / max(cryptod_system_cpu_limit_cores) > 0.8",
            holdSeconds: 300,
            summary: "cryptod uses {{ $value }} of the CPU it may use (over 80 %)",
            description: "User plus system CPU time of every cryptod process, per core it may use: the machine's "
                + "online cores, or its cgroup's CPU quota (systemd's CPUQuota=, a container's limit).",
            runbook: "cryptod_process_cpu_seconds_total by process shows which one; fewer markets, a lighter "
                + "performance.mode, or throttling lower it."),
        AlertRule(
            name: "CryptodQueueBacklog", severity: .warning,
            expr: "max by (process, sink) (cryptod_writer_sink_queue_items) > 5000",
            holdSeconds: 120,
            summary: "{{ $labels.process }}: the {{ $labels.sink }} queue holds {{ $value }} items (over 5000)",
            description: "A sink does not keep up with the rows the writer gives it: more than 5000 wait in memory.",
            runbook: "Look at cryptod_writer_sink_write_seconds for the sink; raise writer.flush_max_rows so "
                + "fewer, larger batches are written, or make the sink faster."),
        AlertRule(
            name: "CryptodDropRate", severity: .warning,
            expr: "(sum by (process) (rate(cryptod_ipc_frames_dropped_total[5m])) "
                + "/ sum by (process) (rate(cryptod_ipc_frames_sent_total[5m])) > 0.05) "
                + "or (sum by (process) (rate(cryptod_gateway_ws_dropped_messages_total[5m])) "
                + "/ (sum by (process) (rate(cryptod_gateway_ws_messages_sent_total[5m])) "
                + "+ sum by (process) (rate(cryptod_gateway_ws_dropped_messages_total[5m]))) > 0.05)",
            holdSeconds: 300,
            summary: "{{ $labels.process }} drops {{ $value }} of its messages (over 5 %)",
            description: "Frames shed between processes (a full delivery buffer) or messages not sent to slow "
                + "WebSocket clients, as a share of what was sent over the last 5 minutes.",
            runbook: "Raise delivery.memory_limit or gateway.ws_client_queue, or set performance.mode = \"heavy\" "
                + "to conflate more."),
        AlertRule(
            name: "CryptodCircuitBreakerOpen", severity: .warning,
            expr: "max by (process, sink) (cryptod_writer_sink_breaker_state) >= 1",
            holdSeconds: 60,
            summary: "{{ $labels.process }}: the {{ $labels.sink }} sink's circuit breaker is open",
            description: "The sink failed repeatedly; the writer probes it with backoff (half-open) and spools "
                + "durable batches meanwhile. Value 1 = open, 2 = half-open.",
            runbook: "Check the sink's service (PostgreSQL, Redis, RabbitMQ) and the writer's log; durable "
                + "batches wait in the spool (writer.spool_limit) until it answers."),
        // Ours.
        AlertRule(
            name: "CryptodStreamStale", severity: .warning,
            expr: "sum by (process, exchange) (rate(cryptod_ingestor_messages_total[1m])) == 0",
            holdSeconds: 60,
            summary: "{{ $labels.process }}: no market data from {{ $labels.exchange }} for over a minute",
            description: "Not one stream message of any market in the last minute while the WebSocket may still "
                + "be up (a silent stall); quiet markets alone never trigger it because all streams count.",
            runbook: "cryptod_ingestor_ws_reconnects_total and the ingestor's log; the exchange's status page."),
        AlertRule(
            name: "CryptodBookDivergence", severity: .warning,
            expr: "max by (process, exchange) (cryptod_ingestor_book_divergence_levels) > 0",
            holdSeconds: 300,
            summary: "{{ $labels.process }}: the {{ $labels.exchange }} order book differs from the exchange's "
                + "snapshot at {{ $value }} levels",
            description: "The periodic REST audit of the top levels found levels the local book does not have.",
            runbook: "cryptod_ingestor_book_resyncs_total should rise as books resync; a lasting divergence is a "
                + "bug worth a report with the ingestor's log."),
        AlertRule(
            name: "CryptodSpoolGrowing", severity: .warning,
            expr: "max by (process, sink) (delta(cryptod_writer_spool_bytes[5m])) > 0 "
                + "and max by (process, sink) (cryptod_writer_spool_bytes) > 0",
            holdSeconds: 300,
            summary: "{{ $labels.process }}: the {{ $labels.sink }} spool keeps growing",
            description:
                "For 5 minutes (over a 5 minute window) more batches went to the spool than were drained from it; when it reaches "
                + "writer.spool_limit the writer stops taking data.",
            runbook: "The sink is down or too slow: see CryptodCircuitBreakerOpen and "
                + "cryptod_writer_sink_write_seconds; writer.spool_limit buys time."),
        AlertRule(
            name: "CryptodRateLimitHeadroomLow", severity: .warning,
            expr: "max by (process, exchange) (cryptod_ingestor_rate_limit_used "
                + "/ (cryptod_ingestor_rate_limit_budget > 0)) > 0.9",
            holdSeconds: 120,
            summary: "{{ $labels.process }}: {{ $value }} of the {{ $labels.exchange }} request budget is used "
                + "(over 90 %)",
            description: "The governor has less than 10 % of the weight budget left in the current window; "
                + "backfills wait and a resync storm could hit the exchange's limit.",
            runbook: "Lower exchanges.<name>.rate_limit_share only if other clients share the IP; otherwise "
                + "fewer markets or a slower backfill."),
        AlertRule(
            name: "CryptodExchangeRateLimited", severity: .warning,
            expr: "sum by (process, exchange) (increase(cryptod_ingestor_rate_limit_responses_total[5m])) > 0",
            holdSeconds: 0,
            summary: "{{ $labels.process }}: {{ $labels.exchange }} answered \"slow down\" {{ $value }} times in 5 "
                + "minutes",
            description: "429 (or Bybit 10006/403) answers: the exchange counts more weight than the governor "
                + "expected; it now waits for the window to reset.",
            runbook: "Another client on the same IP, or rate_limit_share too high for it."),
        AlertRule(
            name: "CryptodExchangeBan", severity: .critical,
            expr: "sum by (process, exchange) (increase(cryptod_ingestor_rest_bans_total[10m])) > 0",
            holdSeconds: 0,
            summary: "{{ $labels.process }}: {{ $labels.exchange }} answered HTTP 418 (IP banned)",
            description: "The exchange banned this IP for ignoring 429s; nothing can be fetched over REST until "
                + "the ban (Retry-After) ends, and Binance lengthens repeated bans.",
            runbook: "Find who else uses the IP's budget; lower exchanges.<name>.rate_limit_share."),
    ]

    package static func rule(named name: String) -> AlertRule? { rules.first { $0.name == name } }

    /// `300` → `5m`, `90` → `90s`, `3600` → `1h`, `0` → `0s`.
    package static func durationText(_ seconds: Int) -> String {
        if seconds > 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    /// The Prometheus rule file, `etc/prometheus/cryptod-alerts.yml`.
    package static func prometheusRules() -> String {
        var text = """
            # Prometheus alerting rules for cryptod. GENERATED from Sources/CryptodOps/AlertCatalog.swift; do not
            # edit. Regenerate: CRYPTOD_REGENERATE_ALERT_RULES=1 swift test --filter CryptodOpsTests.GeneratedRulesTests
            # The gateway evaluates the same rules itself (GET /api/v1/admin/alerts); docs/operations.md explains them.
            groups:
              - name: cryptod
                rules:

            """
        for rule in rules {
            text += "      - alert: \(rule.name)\n"
            text += "        expr: \(quoted(rule.expr))\n"
            if rule.holdSeconds > 0 { text += "        for: \(rule.holdText)\n" }
            text += "        labels:\n"
            text += "          severity: \(rule.severity.rawValue)\n"
            text += "        annotations:\n"
            text += "          summary: \(quoted(rule.summary))\n"
            text += "          description: \(quoted(rule.description))\n"
            text += "          runbook: \(quoted(rule.runbook))\n"
        }
        return text
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for character in text {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.append(character)
            }
        }
        return out + "\""
    }

    /// Fills `{{ $labels.NAME }}` and `{{ $value }}` as Prometheus's template would for these simple uses.
    package static func render(_ template: String, labels: Labels, value: Double) -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                out += rest[open.lowerBound...]
                return out
            }
            let inside = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: " ")
            if inside == "$value" {
                out += formatValue(value)
            } else if inside.hasPrefix("$labels.") {
                out += labels[String(inside.dropFirst("$labels.".count))] ?? ""
            }
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// A value as Prometheus's `{{ $value }}` prints it (Go's `%g`-like, e.g. `6000`, `0.07`).
    package static func formatValue(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Substring.Index>? {
        let needle = Array(needle)
        var index = startIndex
        while index < endIndex {
            var probe = index
            var matched = 0
            while matched < needle.count, probe < endIndex, self[probe] == needle[matched] {
                matched += 1
                probe = self.index(after: probe)
            }
            if matched == needle.count { return index..<probe }
            index = self.index(after: index)
        }
        return nil
    }

    fileprivate func trimmingCharacters(in set: Character) -> Substring {
        var text = self
        while text.first == set { text.removeFirst() }
        while text.last == set { text.removeLast() }
        return text
    }
}
