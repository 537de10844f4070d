/// A change worth making, derived from a measured figure.
package struct Recommendation: Sendable, Hashable {
    /// Stable id: the rule and the subject (`drop_rate:writer`).
    package var id: String
    /// The measured figure that triggered it (`drop_rate`, `cpu_ratio`, …).
    package var figure: String
    package var value: Double
    package var threshold: Double
    /// The configuration key to change (docs/configuration.md).
    package var setting: String
    /// The suggested value, as it would be written in the file (`heavy`, `20000`).
    package var suggested: String
    package var message: String
}

/// Recommendations from measured state, pure (docs/operations.md, "Alerts and health").
package enum Recommendations {
    /// - Parameters:
    ///   - settings: The current value of each setting a recommendation may name (`writer.flush_max_rows`
    ///     → `"1000"`), so that suggestions are relative to what runs; a missing one gives a generic
    ///     suggestion.
    package static func derive(
        at time: Double, history: ScrapeHistory, settings: [String: String]
    ) -> [Recommendation] {
        var out: [Recommendation] = []
        func query(_ expression: String) -> [VectorElement] {
            guard let parsed = try? PromQLExpression.parse(expression),
                let value = try? parsed.evaluate(at: time, in: history)
            else { return [] }
            return value.elements.filter { $0.value.isFinite }
        }
        func number(_ key: String) -> Double? { settings[key].flatMap(Double.init) }
        func scaled(_ key: String, _ factor: Double, fallback: String) -> String {
            guard let current = number(key) else { return fallback }
            let value = current * factor
            return value == value.rounded() ? String(Int64(value)) : "\((value * 100).rounded() / 100)"
        }
        let mode = settings["performance.mode"] ?? ""

        for element in query(
            "sum by (process) (rate(cryptod_ipc_frames_dropped_total[5m])) / sum by (process) "
                + "(rate(cryptod_ipc_frames_sent_total[5m])) > 0.05")
        {
            let process = element.labels["process"] ?? "?"
            out.append(
                Recommendation(
                    id: "drop_rate:\(process)", figure: "drop_rate", value: element.value, threshold: 0.05,
                    setting: mode == "heavy" ? "delivery.memory_limit" : "performance.mode",
                    suggested: mode == "heavy"
                        ? scaled("delivery.memory_limit", 2, fallback: "twice the current") : "heavy",
                    message: "\(process) dropped \(HealthScore.percent(element.value)) of its frames over 5 minutes; "
                        + (mode == "heavy"
                            ? "a larger delivery buffer absorbs the bursts"
                            : "the heavy mode conflates more and runs more workers")))
        }
        for element in query(
            "sum by (process) (rate(cryptod_gateway_ws_dropped_messages_total[5m])) / (sum by (process) "
                + "(rate(cryptod_gateway_ws_messages_sent_total[5m])) + sum by (process) "
                + "(rate(cryptod_gateway_ws_dropped_messages_total[5m]))) > 0.05")
        {
            out.append(
                Recommendation(
                    id: "ws_drop_rate:\(element.labels["process"] ?? "?")", figure: "ws_drop_rate",
                    value: element.value, threshold: 0.05, setting: "gateway.ws_client_queue",
                    suggested: scaled("gateway.ws_client_queue", 2, fallback: "twice the current"),
                    message: "\(HealthScore.percent(element.value)) of WebSocket messages were not sent to slow "
                        + "clients over 5 minutes; a longer client queue rides out short stalls"))
        }
        for element in query("max by (process, sink) (cryptod_writer_sink_queue_items) > 5000") {
            let sink = element.labels["sink"] ?? "?"
            out.append(
                Recommendation(
                    id: "queue_depth:\(sink)", figure: "queue_depth", value: element.value, threshold: 5000,
                    setting: "writer.flush_max_rows",
                    suggested: scaled("writer.flush_max_rows", 2, fallback: "twice the current"),
                    message: "the \(sink) queue holds \(AlertCatalog.formatValue(element.value)) items; larger "
                        + "batches mean fewer round trips to the sink"))
        }
        for element in query(
            "max by (process, sink) (delta(cryptod_writer_spool_bytes[5m])) > 0 and max by (process, sink) "
                + "(cryptod_writer_spool_bytes) > 0")
        {
            let sink = element.labels["sink"] ?? "?"
            out.append(
                Recommendation(
                    id: "spool_growth:\(sink)", figure: "spool_growth_bytes", value: element.value, threshold: 0,
                    setting: "writer.spool_limit",
                    suggested: scaled("writer.spool_limit", 2, fallback: "twice the current"),
                    message: "the \(sink) spool grew by \(AlertCatalog.formatValue(element.value.rounded())) bytes "
                        + "in 5 minutes; fix the sink, and a larger spool buys time before the writer stops"))
        }
        for element in query(
            "sum(rate(cryptod_process_cpu_seconds_total[2m])) / max(cryptod_system_cpu_limit_cores) > 0.8")
        {
            out.append(
                Recommendation(
                    id: "cpu_ratio", figure: "cpu_ratio", value: element.value, threshold: 0.8,
                    setting: "performance.mode", suggested: "light",
                    message: "cryptod uses \(HealthScore.percent(element.value)) of the CPU; the light mode "
                        + "conflates harder and runs fewer workers"))
        }
        for element in query(
            "max(1 - cryptod_system_memory_available_bytes / cryptod_system_memory_total_bytes) > 0.85")
        {
            out.append(
                Recommendation(
                    id: "memory_ratio", figure: "memory_ratio", value: element.value, threshold: 0.85,
                    setting: "gateway.ws_replay_memory",
                    suggested: scaled("gateway.ws_replay_memory", 0.5, fallback: "half the current"),
                    message: "\(HealthScore.percent(element.value)) of the memory cryptod may use is in use; a "
                        + "smaller replay budget frees the gateway's largest allocation"))
        }
        for element in query(
            "max by (process, exchange) (cryptod_ingestor_rate_limit_used / (cryptod_ingestor_rate_limit_budget > 0)) "
                + "> 0.9")
        {
            let exchange = element.labels["exchange"] ?? "?"
            let key = "exchanges.\(exchange).rate_limit_share"
            let current = number(key)
            out.append(
                Recommendation(
                    id: "rate_limit_headroom:\(exchange)", figure: "rate_limit_used_ratio", value: element.value,
                    threshold: 0.9, setting: key,
                    suggested: current.map { "\((min(1, $0 + 0.1) * 100).rounded() / 100)" } ?? "a larger share",
                    message:
                        "\(exchange) uses \(HealthScore.percent(element.value)) of its request budget; if no other "
                        + "client shares the IP, a larger share leaves headroom for resyncs"))
        }
        for element in query(
            "sum by (process, exchange) (increase(cryptod_ingestor_rate_limit_responses_total[5m])) > 0")
        {
            let exchange = element.labels["exchange"] ?? "?"
            let key = "exchanges.\(exchange).rate_limit_share"
            out.append(
                Recommendation(
                    id: "rate_limited:\(exchange)", figure: "rate_limit_responses", value: element.value,
                    threshold: 0, setting: key, suggested: scaled(key, 0.75, fallback: "a smaller share"),
                    message: "\(exchange) answered \"slow down\" \(AlertCatalog.formatValue(element.value.rounded())) "
                        + "times in 5 minutes: something else spends the IP's budget; take a smaller share"))
        }
        return out.sorted { $0.id < $1.id }
    }
}
