import Foundation

/// Text for people from the gateway's operations endpoints (`health`, `alerts`, `throttle`, `top`), in the
/// shapes of docs (ENDPOINTS: /api/v1/admin/health/detailed, /admin/alerts, /stream/throttle, /stream/stats).
///
/// Pure: JSON text in, text out, so table tests pin the layout. A summary is aligned `key: value` lines; a
/// list is a table with a header row, columns padded to their widest cell, the last one never padded. Fields
/// a gateway does not send render as `-`, so an older or newer gateway still gives a readable answer.
package enum OpsReport {
    package struct Malformed: Error, Sendable, CustomStringConvertible {
        package var description: String
    }

    /// The JSON object in `text`, or an error naming what came instead.
    package static func object(_ text: String) throws(Malformed) -> [String: Any] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            throw Malformed(description: "the gateway's answer is not a JSON object: \(text.prefix(200))")
        }
        return object
    }

    // MARK: - health

    /// `GET /api/v1/admin/health/detailed`.
    package static func health(_ text: String) throws(Malformed) -> String {
        let root = try object(text)
        var output = fields([
            ("status", string(root["status"])), ("score", number(root["score"])), ("time", string(root["time"])),
        ])
        let components = root["components"] as? [[String: Any]] ?? []
        guard !components.isEmpty else { return output + "\nno component reported yet\n" }
        output += "\n"
        output += table(
            ["COMPONENT", "SCORE", "STATUS"],
            components.map { [string($0["name"]), number($0["score"]), string($0["status"])] })
        // Each component's signals below the overview, so the table stays one line per component.
        for component in components {
            let signals = component["signals"] as? [[String: Any]] ?? []
            guard !signals.isEmpty else { continue }
            output += "\n\(string(component["name"])):\n"
            let rows = signals.map { signal in
                [
                    string(signal["signal"]), number(signal["value"]), number(signal["penalty"]),
                    oneLine(string(signal["detail"], empty: "")),
                ]
            }
            output +=
                table(["SIGNAL", "VALUE", "PENALTY", "DETAIL"], rows)
                .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n") + "\n"
        }
        return output
    }

    /// Exit status for `health`: 1 when the gateway calls the service critical, so scripts can alert on it.
    package static func healthIsCritical(_ text: String) -> Bool {
        ((try? object(text))?["status"] as? String) == "critical"
    }

    // MARK: - alerts

    /// `GET /api/v1/admin/alerts`.
    package static func alerts(_ text: String) throws(Malformed) -> String {
        let root = try object(text)
        let alerts = root["alerts"] as? [[String: Any]] ?? []
        let firing = alerts.filter { ($0["state"] as? String) == "firing" }.count
        var output = fields([
            ("time", string(root["time"])), ("rules", number(root["rules"])), ("firing", String(firing)),
            ("pending", String(alerts.count - firing)),
        ])
        guard !alerts.isEmpty else { return output + "\nno alert is firing or pending\n" }
        let rows = alerts.map { alert in
            [
                string(alert["name"]), string(alert["severity"]), string(alert["state"]), string(alert["since"]),
                number(alert["value"]), oneLine(string(alert["summary"], empty: "")),
            ]
        }
        output += "\n" + table(["NAME", "SEVERITY", "STATE", "SINCE", "VALUE", "SUMMARY"], rows)
        return output
    }

    // MARK: - throttle

    /// The reply of `POST /api/v1/stream/throttle` or `/api/v1/admin/emergency`.
    package static func throttle(_ text: String) throws(Malformed) -> String {
        let root = try object(text)
        var pairs = [("action", string(root["action"]))]
        if root["throttle_percent"] != nil || root["previous_percent"] != nil {
            pairs.append(
                ("throttle_percent", "\(number(root["throttle_percent"]))% (was \(number(root["previous_percent"]))%)"))
        }
        if let message = root["message"] as? String, !message.isEmpty { pairs.append(("message", oneLine(message))) }
        return fields(pairs)
    }

    // MARK: - top

    /// One frame of `cryptoctl top` from `GET /api/v1/stream/stats` and, when it answered,
    /// `GET /api/v1/stream/health`. `problem` (the last failed refresh) is shown instead of hiding the frame.
    package static func topFrame(
        stats: [String: Any], health: [String: Any]?, url: String, problem: String? = nil
    )
        -> String
    {
        let totals = stats["totals"] as? [String: Any] ?? [:]
        let websocket = stats["websocket"] as? [String: Any] ?? [:]
        let healthText =
            health.map { "\(number($0["score"])) \(string($0["status"]))" } ?? "- (no answer from /stream/health)"
        var output = "cryptod top: \(url), every second; q quits\n\n"
        output += fields([
            ("time", string(stats["time"])),
            ("health", healthText),
            ("mode", "\(string(stats["mode"])) (\(string(stats["mode_reason"])))"),
            ("throttle", number(stats["throttle_percent"]) + "%"),
            (
                "messages",
                "\(decimal(totals["messages_per_second"], places: 1))/s, \(number(totals["messages_total"])) total"
            ),
            ("dropped", "\(number(totals["dropped_total"])) (\(percent(totals["drop_rate"], places: 2)))"),
            (
                "websocket",
                "\(number(websocket["clients"])) clients, \(decimal(websocket["messages_per_second"], places: 1))/s"
            ),
        ])
        if let problem { output += "\n! \(oneLine(problem))\n" }
        let exchanges = stats["exchanges"] as? [[String: Any]] ?? []
        output += "\n"
        output += table(
            ["EXCHANGE", "CONNECTED", "MSG/S", "MESSAGES", "RECONNECTS", "REQ/MIN", "SUCCESS"],
            exchanges.map { exchange in
                [
                    string(exchange["exchange"]), (exchange["connected"] as? Bool).map { $0 ? "yes" : "no" } ?? "-",
                    decimal(exchange["messages_per_second"], places: 1), number(exchange["messages_total"]),
                    number(exchange["reconnects_total"]), decimal(exchange["requests_per_minute"], places: 1),
                    percent(exchange["request_success_rate"], places: 1),
                ]
            })
        let stages = stats["stages"] as? [[String: Any]] ?? []
        output += "\n"
        output += table(
            ["STAGE", "P50 MS", "P90 MS", "P99 MS"],
            stages.map { stage in
                let latency = stage["latency_ms"] as? [String: Any] ?? [:]
                return [
                    string(stage["stage"]), decimal(latency["p50"], places: 2), decimal(latency["p90"], places: 2),
                    decimal(latency["p99"], places: 2),
                ]
            })
        return output
    }

    // MARK: - Layout

    /// `key:  value` lines, values aligned one column after the longest key.
    package static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { key, value in
            (key + ":" + String(repeating: " ", count: width - key.count + 2) + value).trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
    }

    /// A header row and rows, columns separated by two spaces; the last column is not padded.
    package static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows
        let count = header.count
        var widths = Array(repeating: 0, count: count)
        for row in all {
            for (index, cell) in row.prefix(count).enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            row.prefix(count).enumerated().map { index, cell in
                index == count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }.joined(separator: "\n") + "\n"
    }

    // MARK: - Values

    static func string(_ value: Any?, empty: String = "-") -> String {
        switch value {
        case let text as String: text.isEmpty ? empty : text
        case let number as NSNumber: number.stringValue
        default: empty
        }
    }

    /// Whole numbers as they are (`123456`), others with two places.
    static func number(_ value: Any?) -> String {
        // No Bool check: Foundation bridges 0 and 1 to Bool too, and every field rendered here is a number.
        guard let number = value as? NSNumber else { return "-" }
        let double = number.doubleValue
        if double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) }
        return String(format: "%.2f", double)
    }

    static func decimal(_ value: Any?, places: Int) -> String {
        guard let number = value as? NSNumber else { return "-" }
        return String(format: "%.\(places)f", number.doubleValue)
    }

    /// A ratio 0-1 as a percentage: 0.071 → `7.10%`.
    static func percent(_ value: Any?, places: Int) -> String {
        guard let number = value as? NSNumber else { return "-" }
        return String(format: "%.\(places)f%%", number.doubleValue * 100)
    }

    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// What to tell the operator when the gateway answers with an error status: what happened and what to do.
package enum GatewayFailureMessage {
    /// `method path` answered `status` with `body` (the gateway's `{"error":{"code","message"}}`).
    package static func text(
        status: Int, body: String, method: String, path: String, target: GatewayTarget
    ) -> String {
        let error = ((try? OpsReport.object(body))?["error"] as? [String: Any]) ?? [:]
        let said = (error["message"] as? String).map { ": \($0)" } ?? ""
        let at = "the gateway at \(target.url) (\(target.urlOrigin))"
        switch status {
        case 401:
            return "\(at) refused the admin token (401)\(said). Token used: \(target.tokenOrigin). Give the "
                + "gateway's gateway.admin_token with --token, $\(GatewayTarget.tokenVariable), or --config FILE."
        case 403:
            return "\(at) refused \(method) \(path) (403)\(said). If its admin routes are disabled, set "
                + "gateway.admin_token (or $\(GatewayTarget.tokenVariable) in its environment) and reload it."
        case 404:
            return "\(at) has no route \(method) \(path) (404)\(said). It is older than this cryptoctl (upgrade "
                + "cryptod), or --url / gateway.rest_listen points at another server."
        case 429:
            return "\(at) is rate-limiting this client (429)\(said); wait a moment and retry."
        default:
            return "\(at) answered \(method) \(path) with \(status)\(said)"
        }
    }

    /// Nothing answered at all.
    package static func unreachable(_ reason: String, target: GatewayTarget) -> String {
        "cannot reach the gateway at \(target.url) (\(target.urlOrigin)): \(reason). Is cryptod running with "
            + "gateway.enabled = true (cryptoctl status)? Point cryptoctl at the gateway with --url http://HOST:PORT "
            + "or --config FILE (its gateway.rest_listen)."
    }
}
