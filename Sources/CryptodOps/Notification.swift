/// One message to send about one alert.
package struct AlertNotification: Sendable, Hashable {
    package enum Kind: String, Sendable { case firing, resolved }
    package var kind: Kind
    package var alert: ActiveAlert
    /// 0 for the first firing message, 1… for reminders.
    package var repeatCount: Int
}

/// When to notify, pure: a firing alert is announced once when it starts firing and then again every
/// `repeatInterval` while it keeps firing; a resolved one gets exactly one "resolved" message, and only if
/// its firing was announced. Pending alerts are never sent.
package struct NotificationPolicy: Sendable {
    package var repeatInterval: Double
    private var lastSent: [String: (time: Double, count: Int)] = [:]

    package init(repeatInterval: Double) {
        self.repeatInterval = repeatInterval
    }

    /// The messages due after an evaluation at `time`: `transitions` from ``AlertEngine/step(at:results:)``
    /// and `firing`, every alert firing now (for reminders).
    package mutating func due(
        at time: Double, transitions: [AlertTransition], firing: [ActiveAlert]
    ) -> [AlertNotification] {
        var out: [AlertNotification] = []
        var handled = Set<String>()
        for transition in transitions {
            let key = transition.alert.key
            switch transition.kind {
            case .pending:
                continue
            case .firing:
                handled.insert(key)
                lastSent[key] = (time, 0)
                out.append(AlertNotification(kind: .firing, alert: transition.alert, repeatCount: 0))
            case .resolved:
                handled.insert(key)
                if lastSent.removeValue(forKey: key) != nil {
                    out.append(AlertNotification(kind: .resolved, alert: transition.alert, repeatCount: 0))
                }
            }
        }
        for alert in firing where alert.state == .firing && !handled.contains(alert.key) {
            guard let last = lastSent[alert.key] else {
                // Firing without a firing transition we saw (policy created later): announce it now.
                lastSent[alert.key] = (time, 0)
                out.append(AlertNotification(kind: .firing, alert: alert, repeatCount: 0))
                continue
            }
            if repeatInterval > 0, time - last.time >= repeatInterval {
                lastSent[alert.key] = (time, last.count + 1)
                out.append(AlertNotification(kind: .firing, alert: alert, repeatCount: last.count + 1))
            }
        }
        return out
    }
}

/// Message bodies: Slack-compatible webhook JSON and an RFC 5322 e-mail.
package enum NotificationFormat {
    /// `[FIRING] CryptodQueueBacklog (warning): …` / `[RESOLVED] …`.
    package static func subject(_ notification: AlertNotification) -> String {
        let alert = notification.alert
        let tag =
            notification.kind == .firing ? (notification.repeatCount > 0 ? "FIRING, repeat" : "FIRING") : "RESOLVED"
        return "[\(tag)] \(alert.rule) (\(alert.severity.rawValue)): \(alert.summary)"
    }

    static func labelText(_ labels: Labels) -> String {
        labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }

    /// The plain-text body shared by both channels.
    package static func text(_ notification: AlertNotification, source: String) -> String {
        let alert = notification.alert
        var lines = [
            subject(notification),
            "",
            alert.description,
            "",
            "alert: \(alert.rule)",
            "severity: \(alert.severity.rawValue)",
            "state: \(notification.kind.rawValue)",
            "value: \(AlertCatalog.formatValue(alert.value))",
            "labels: \(labelText(alert.labels))",
            "since: \(RFC3339.format(seconds: alert.firedAt ?? alert.activeSince))",
        ]
        if let resolved = alert.resolvedAt { lines.append("resolved: \(RFC3339.format(seconds: resolved))") }
        if let rule = AlertCatalog.rule(named: alert.rule) { lines.append("runbook: \(rule.runbook)") }
        lines.append("source: \(source)")
        return lines.joined(separator: "\n")
    }

    /// Slack's incoming-webhook shape (`text` plus one attachment with colour and fields); Mattermost,
    /// Rocket.Chat and most chat webhooks read the same.
    package static func webhookJSON(_ notification: AlertNotification, source: String) -> String {
        let alert = notification.alert
        let color =
            notification.kind == .resolved ? "good" : (alert.severity == .critical ? "danger" : "warning")
        var fields: [(String, String)] = [
            ("severity", alert.severity.rawValue), ("state", notification.kind.rawValue),
            ("value", AlertCatalog.formatValue(alert.value)),
        ]
        for (name, value) in alert.labels.sorted(by: { $0.key < $1.key }) { fields.append((name, value)) }
        var json = "{\"text\":\(jsonString(subject(notification))),\"attachments\":[{"
        json += "\"color\":\(jsonString(color)),\"title\":\(jsonString(alert.rule)),"
        json += "\"text\":\(jsonString(alert.description)),\"footer\":\(jsonString(source)),"
        json += "\"ts\":\(Int64((alert.resolvedAt ?? alert.firedAt ?? alert.activeSince).rounded(.down))),"
        json += "\"fields\":["
        json += fields.map { "{\"title\":\(jsonString($0.0)),\"value\":\(jsonString($0.1)),\"short\":true}" }
            .joined(separator: ",")
        json += "]}],"
        json += "\"cryptod\":{\"alert\":\(jsonString(alert.rule)),\"state\":\(jsonString(notification.kind.rawValue)),"
        json += "\"key\":\(jsonString(alert.key)),\"repeat\":\(notification.repeatCount)}}"
        return json
    }

    /// An RFC 5322 message (CRLF line ends, UTF-8 body, encoded-word subject when not ASCII). `date` is
    /// seconds since the epoch; `messageID` the part before `@` in Message-ID.
    package static func email(
        _ notification: AlertNotification, from: String, to: [String], date: Double, messageID: String,
        host: String, source: String
    ) -> String {
        var headers = [
            "From: \(from)",
            "To: \(to.joined(separator: ", "))",
            "Subject: \(encodedWord(subject(notification)))",
            "Date: \(RFC5322Date.format(seconds: date))",
            "Message-ID: <\(messageID)@\(host)>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
            "X-Cryptod-Alert: \(notification.alert.rule)",
            "X-Cryptod-State: \(notification.kind.rawValue)",
        ]
        headers = headers.map { foldHeader($0) }
        let body = text(notification, source: source).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).joined(separator: "\r\n")
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body + "\r\n"
    }

    /// A header value with non-ASCII characters as one RFC 2047 `=?utf-8?B?…?=` word.
    static func encodedWord(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { !$0.isASCII }) else { return text }
        return "=?utf-8?B?" + base64(Array(text.utf8)) + "?="
    }

    /// Folds a header longer than 78 characters at spaces (RFC 5322 §2.2.3).
    static func foldHeader(_ line: String) -> String {
        guard line.count > 78 else { return line }
        var out = ""
        var current = ""
        for word in line.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current.count + 1 + word.count > 78 {
                out += current + "\r\n"
                current = " " + word
            } else {
                current += current.isEmpty ? String(word) : " " + word
            }
        }
        return out + current
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value =
                (UInt32(chunk[0]) << 16) | (chunk.count > 1 ? UInt32(chunk[1]) << 8 : 0)
                | (chunk.count > 2 ? UInt32(chunk[2]) : 0)
            out.append(alphabet[Int((value >> 18) & 63)])
            out.append(alphabet[Int((value >> 12) & 63)])
            out.append(chunk.count > 1 ? alphabet[Int((value >> 6) & 63)] : "=")
            out.append(chunk.count > 2 ? alphabet[Int(value & 63)] : "=")
            index += 3
        }
        return out
    }

    /// A JSON string literal.
    package static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// Civil date parts of a time in UTC (days-from-civil, Howard Hinnant's algorithm).
struct CivilTime {
    var year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, weekday: Int

    init(seconds: Double) {
        let total = Int64(seconds.rounded(.down))
        var days = total / 86400
        var rest = total % 86400
        if rest < 0 {
            rest += 86400
            days -= 1
        }
        hour = Int(rest / 3600)
        minute = Int(rest % 3600 / 60)
        second = Int(rest % 60)
        // 1970-01-01 was a Thursday (4 with Sunday = 0).
        weekday = Int(((days % 7) + 11) % 7)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400 + (month <= 2 ? 1 : 0))
    }
}

func pad(_ value: Int, _ width: Int = 2) -> String {
    let text = String(value)
    return String(repeating: "0", count: max(0, width - text.count)) + text
}

/// `2026-12-02T05:04:27Z`.
package enum RFC3339 {
    package static func format(seconds: Double) -> String {
        let t = CivilTime(seconds: seconds)
        return "\(pad(t.year, 4))-\(pad(t.month))-\(pad(t.day))T\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second))Z"
    }
}

/// `Wed, 02 Dec 2026 05:04:27 +0000` (RFC 5322 §3.3).
package enum RFC5322Date {
    package static func format(seconds: Double) -> String {
        let t = CivilTime(seconds: seconds)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return "\(days[t.weekday]), \(pad(t.day)) \(months[t.month - 1]) \(t.year) "
            + "\(pad(t.hour)):\(pad(t.minute)):\(pad(t.second)) +0000"
    }
}
