/// The JSON bodies of the gateway's health, alert and recommendation routes (docs/api.md; shapes agreed in
/// issue 10): numbers are JSON numbers (NaN and infinities become `null`), times RFC 3339 UTC strings.
package enum AlertJSON {
    /// `GET /api/v1/stream/health`: `{"status":"healthy","score":97,"time":"…"}`.
    package static func shortHealth(_ report: HealthReport) -> String {
        "{\"status\":\(string(report.status.rawValue)),\"score\":\(report.score),\"time\":\(time(report.time))}"
    }

    /// `GET /api/v1/admin/health/detailed`.
    package static func detailedHealth(_ report: HealthReport) -> String {
        var out =
            "{\"time\":\(time(report.time)),\"score\":\(report.score),\"status\":\(string(report.status.rawValue)),"
        out += "\"components\":["
        out += report.components.map { component in
            var item = "{\"name\":\(string(component.name)),\"score\":\(component.score),"
            item += "\"status\":\(string(component.status.rawValue)),\"signals\":["
            item += component.signals.map { signal in
                "{\"signal\":\(string(signal.signal)),\"value\":\(number(signal.value)),\"penalty\":\(signal.penalty),"
                    + "\"detail\":\(string(signal.detail))}"
            }.joined(separator: ",")
            return item + "]}"
        }.joined(separator: ",")
        return out + "]}"
    }

    /// `GET /api/v1/admin/alerts`: every pending, firing and recently resolved alert, and the rule count.
    package static func alerts(_ alerts: [ActiveAlert], rules: Int, at now: Double) -> String {
        var out = "{\"time\":\(time(now)),\"alerts\":["
        out += alerts.map { alert in
            var item = "{\"name\":\(string(alert.rule)),\"severity\":\(string(alert.severity.rawValue)),"
            item += "\"state\":\(string(alert.state.rawValue)),\"since\":\(time(alert.firedAt ?? alert.activeSince)),"
            item += "\"active_since\":\(time(alert.activeSince)),"
            item += "\"resolved_at\":\(alert.resolvedAt.map(time) ?? "null"),"
            item += "\"value\":\(number(alert.value)),\"summary\":\(string(alert.summary)),"
            item += "\"description\":\(string(alert.description)),\"labels\":{"
            item += alert.labels.sorted { $0.key < $1.key }.map { "\(string($0.key)):\(string($0.value))" }
                .joined(separator: ",")
            return item + "}}"
        }.joined(separator: ",")
        return out + "],\"rules\":\(rules)}"
    }

    /// `GET /api/v1/admin/performance/recommendations`.
    package static func recommendations(_ items: [Recommendation], at now: Double) -> String {
        var out = "{\"time\":\(time(now)),\"recommendations\":["
        out += items.map { item in
            "{\"id\":\(string(item.id)),\"figure\":\(string(item.figure)),\"value\":\(number(item.value)),"
                + "\"threshold\":\(number(item.threshold)),\"setting\":\(string(item.setting)),"
                + "\"suggested\":\(string(item.suggested)),\"message\":\(string(item.message))}"
        }.joined(separator: ",")
        return out + "]}"
    }

    static func string(_ text: String) -> String { NotificationFormat.jsonString(text) }

    static func time(_ seconds: Double) -> String { string(RFC3339.format(seconds: seconds)) }

    /// A JSON number: integers without a fraction, `null` for NaN and infinities.
    package static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), Swift.abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
