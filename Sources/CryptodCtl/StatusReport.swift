import CryptodModel
import CryptodWire

/// `cryptoctl status` output: a table for people, a JSON document for scripts, both from one reply.
package enum StatusReport {
    package static let columns = ["NAME", "STATE", "PID", "UPTIME", "RESTARTS", "LAST EXIT", "MESSAGE"]

    // MARK: - Table

    /// One row per child, columns aligned; the message column is last and never padded.
    package static func table(_ reply: ControlReply) -> String {
        let rows = [columns] + reply.children.map { row($0, serverTime: reply.serverTime) }
        var widths = Array(repeating: 0, count: columns.count)
        for row in rows {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        let lines = rows.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count)
            }
            .joined(separator: "  ")
            .trimmingTrailingSpaces()
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func row(_ child: ChildStatus, serverTime: Timestamp) -> [String] {
        [
            child.name,
            child.state.description,
            child.pid > 0 ? String(child.pid) : "-",
            uptimeSeconds(child, serverTime: serverTime).map { humanise(seconds: $0) } ?? "-",
            String(child.restarts),
            child.lastExit.map(exitText) ?? "-",
            // A table row is one line; the JSON output keeps the message as sent.
            child.message.split(whereSeparator: \.isNewline).joined(separator: " "),
        ]
    }

    /// `exit 1`, `signal 9 (SIGKILL)`.
    package static func exitText(_ exit: ChildStatus.Exit) -> String {
        switch exit.kind {
        case .exited: "exit \(exit.code)"
        case .signaled: "signal \(exit.code)" + (signalNames[exit.code].map { " (\($0))" } ?? "")
        }
    }

    static let signalNames: [Int32: String] = [
        1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
        9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
    ]

    /// Seconds the current process has run by the supervisor's clock; nil when there is no process.
    package static func uptimeSeconds(_ child: ChildStatus, serverTime: Timestamp) -> Int64? {
        guard let startedAt = child.startedAt else { return nil }
        return wholeSeconds(fromNanoseconds: startedAt.nanoseconds, to: serverTime.nanoseconds)
    }

    // MARK: - JSON

    /// The stable document for scripts:
    /// `{"server_time", "children": [{"name", "role", "state", "pid", "started_at", "uptime_seconds",
    /// "restarts", "last_exit": {"kind", "code", "at"} | null, "next_restart_at", "message"}]}`.
    /// Times are RFC 3339 UTC strings with milliseconds; `pid`, `started_at`, `uptime_seconds` and
    /// `next_restart_at` are null when they do not apply.
    package static func json(_ reply: ControlReply) -> JSONValue {
        .object([
            ("server_time", .string(time(reply.serverTime))),
            ("children", .array(reply.children.map { child(json: $0, serverTime: reply.serverTime) })),
        ])
    }

    static func child(json child: ChildStatus, serverTime: Timestamp) -> JSONValue {
        let lastExit: JSONValue =
            child.lastExit.map { exit in
                .object([
                    ("kind", .string(exit.kind == .exited ? "exited" : "signaled")),
                    ("code", .integer(Int64(exit.code))),
                    ("at", .string(time(exit.at))),
                ])
            } ?? .null
        return .object([
            ("name", .string(child.name)),
            ("role", .string(child.role.description)),
            ("state", .string(child.state.description)),
            ("pid", child.pid > 0 ? .integer(Int64(child.pid)) : .null),
            ("started_at", .string(child.startedAt.map(time))),
            ("uptime_seconds", uptimeSeconds(child, serverTime: serverTime).map { .integer($0) } ?? .null),
            ("restarts", .integer(Int64(child.restarts))),
            ("last_exit", lastExit),
            ("next_restart_at", .string(child.nextRestartAt.map(time))),
            ("message", .string(child.message)),
        ])
    }

    static func time(_ timestamp: Timestamp) -> String { timestamp.iso8601(fractionDigits: 3) }

    /// The answer to any other command as JSON: `{"result": "ok", "exit_code": 0, "message": "…"}`.
    package static func result(json reply: ControlReply) -> JSONValue {
        .object([
            ("result", .string(reply.result.description)),
            ("exit_code", .integer(Int64(CtlExitCode(reply.result).rawValue))),
            ("message", .string(reply.message)),
        ])
    }
}

// MARK: - Uptime

/// Short human durations: `45s`, `3m12s`, `2h05m`, `4d07h`. Two units at most: an operator reading the table
/// wants the order of magnitude, and the JSON output has the exact seconds.
extension StatusReport {
    /// Formats whole seconds; negative values (clock skew) print as `0s`.
    package static func humanise(seconds: Int64) -> String {
        let seconds = max(seconds, 0)
        let minute: Int64 = 60
        let hour = 60 * minute
        let day = 24 * hour
        switch seconds {
        case ..<minute:
            return "\(seconds)s"
        case ..<hour:
            return "\(seconds / minute)m" + pad(seconds % minute) + "s"
        case ..<day:
            return "\(seconds / hour)h" + pad(seconds % hour / minute) + "m"
        default:
            return "\(seconds / day)d" + pad(seconds % day / hour) + "h"
        }
    }

    /// Formats the time from `start` to `end`, both in nanoseconds, rounding down to whole seconds.
    package static func humanise(fromNanoseconds start: Int64, to end: Int64) -> String {
        humanise(seconds: wholeSeconds(fromNanoseconds: start, to: end))
    }

    /// Whole seconds from `start` to `end` (nanoseconds), never negative.
    package static func wholeSeconds(fromNanoseconds start: Int64, to end: Int64) -> Int64 {
        max(end - start, 0) / 1_000_000_000
    }

    private static func pad(_ value: Int64) -> String {
        value < 10 ? "0\(value)" : "\(value)"
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
