#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Talks to systemd's notification socket (`sd_notify(3)`) without linking libsystemd.
///
/// systemd passes the socket in `NOTIFY_SOCKET`: a file path, or an abstract socket written with a leading
/// `@`. Each call sends one datagram of newline-separated `KEY=value` assignments. When `NOTIFY_SOCKET` is
/// unset (not started by systemd, or spawned by the `cryptod` supervisor, which strips it), every call is a
/// no-op, so processes call it unconditionally.
///
/// A `Type=notify` unit should send, in order: ``ready(status:)`` once it can work, ``watchdog()`` every
/// ``watchdogInterval`` while healthy, ``reloading(status:)`` when a SIGHUP reload starts followed by
/// ``ready(status:)`` when it ends, and ``stopping(status:)`` when shutdown starts.
package struct SystemdNotifier: Sendable {
    /// One assignment in a notification.
    package enum Assignment: Sendable, Hashable {
        /// `READY=1`: startup finished, or a reload finished.
        case ready
        /// `RELOADING=1`: a reload started. Sent together with `MONOTONIC_USEC`, which systemd ≥ 253 requires.
        case reloading
        /// `STOPPING=1`: shutdown started.
        case stopping
        /// `WATCHDOG=1`: still alive.
        case watchdog
        /// `STATUS=…`: a one-line status for `systemctl status`. Newlines are replaced by spaces.
        case status(String)
        /// `EXTEND_TIMEOUT_USEC=…`: the current start, reload or stop needs this much more time.
        case extendTimeout(Duration)
        /// `MONOTONIC_USEC=…`: CLOCK_MONOTONIC when the message was sent.
        case monotonicNow

        /// The `KEY=value` text.
        var text: String {
            switch self {
            case .ready: "READY=1"
            case .reloading: "RELOADING=1"
            case .stopping: "STOPPING=1"
            case .watchdog: "WATCHDOG=1"
            case .status(let text):
                "STATUS=" + String(text.map { $0 == "\n" || $0 == "\r\n" || $0 == "\r" ? " " : $0 })
            case .extendTimeout(let duration): "EXTEND_TIMEOUT_USEC=\(SystemdNotifier.microseconds(duration))"
            case .monotonicNow: "MONOTONIC_USEC=\(SystemdNotifier.monotonicMicroseconds())"
            }
        }
    }

    /// The notification socket as given in `NOTIFY_SOCKET`, or nil when notifications are off.
    package let socketPath: String?
    /// The watchdog timeout systemd enforces (`WatchdogSec=`), or nil when no watchdog applies to this process.
    package let watchdogTimeout: Duration?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    ///
    /// The watchdog applies only when `WATCHDOG_USEC` is a positive number and `WATCHDOG_PID` is unset or equal
    /// to `pid` (systemd sets it so that forked children do not mistake the parent's watchdog for theirs).
    ///
    /// - Parameters:
    ///   - environment: The variables to read, normally ``ProcessEnvironment/current()``.
    ///   - pid: This process's id.
    package init(environment: [String: String], pid: Int32 = getpid()) {
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.hasPrefix("/") || path.hasPrefix("@") {
            socketPath = path
        } else {
            socketPath = nil
        }
        let watchdogPID = environment["WATCHDOG_PID"].flatMap { Int32($0) }
        if let usec = environment["WATCHDOG_USEC"].flatMap({ Int64($0) }), usec > 0,
            watchdogPID == nil || watchdogPID == pid
        {
            watchdogTimeout = .microseconds(usec)
        } else {
            watchdogTimeout = nil
        }
    }

    /// A notifier for this process, from its own environment.
    package static func fromProcessEnvironment() -> SystemdNotifier {
        SystemdNotifier(environment: ProcessEnvironment.current())
    }

    /// True when `NOTIFY_SOCKET` names a socket.
    package var isEnabled: Bool { socketPath != nil }

    /// How often to send ``watchdog()``: half of ``watchdogTimeout``, as `sd_watchdog_enabled(3)` advises.
    package var watchdogInterval: Duration? { watchdogTimeout.map { $0 / 2 } }

    // MARK: - Messages

    /// Sends `READY=1`, with an optional status line.
    ///
    /// - Parameter status: Shown by `systemctl status`.
    /// - Throws: ``SystemdNotifyError`` when the datagram cannot be sent.
    package func ready(status: String? = nil) throws(SystemdNotifyError) {
        try send([.ready] + (status.map { [.status($0)] } ?? []))
    }

    /// Sends `RELOADING=1` and `MONOTONIC_USEC`; send ``ready(status:)`` when the reload is done.
    ///
    /// - Parameter status: Shown by `systemctl status`.
    /// - Throws: ``SystemdNotifyError`` when the datagram cannot be sent.
    package func reloading(status: String? = nil) throws(SystemdNotifyError) {
        try send([.reloading, .monotonicNow] + (status.map { [.status($0)] } ?? []))
    }

    /// Sends `STOPPING=1`.
    ///
    /// - Parameter status: Shown by `systemctl status`.
    /// - Throws: ``SystemdNotifyError`` when the datagram cannot be sent.
    package func stopping(status: String? = nil) throws(SystemdNotifyError) {
        try send([.stopping] + (status.map { [.status($0)] } ?? []))
    }

    /// Sends `WATCHDOG=1`.
    ///
    /// - Throws: ``SystemdNotifyError`` when the datagram cannot be sent.
    package func watchdog() throws(SystemdNotifyError) {
        try send([.watchdog])
    }

    /// Sends `STATUS=…`.
    ///
    /// - Parameter text: One line for `systemctl status`.
    /// - Throws: ``SystemdNotifyError`` when the datagram cannot be sent.
    package func status(_ text: String) throws(SystemdNotifyError) {
        try send([.status(text)])
    }

    /// Sends `WATCHDOG=1` every ``watchdogInterval`` until the task is cancelled; returns at once without a watchdog.
    ///
    /// Run it as a child task of something that proves liveness: a ping from a hung event loop would hide the
    /// hang, so the supervisor should run it beside its own loop, not on a separate thread.
    package func runWatchdog() async {
        guard isEnabled, let interval = watchdogInterval else { return }
        while !Task.isCancelled {
            // A failed ping is not fatal: systemd will act if pings keep failing.
            try? watchdog()
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
        }
    }

    /// Sends `assignments` as one datagram; does nothing when notifications are off.
    ///
    /// - Parameter assignments: The assignments, in order.
    /// - Throws: ``SystemdNotifyError`` when the socket address is unusable or the datagram cannot be sent.
    package func send(_ assignments: [Assignment]) throws(SystemdNotifyError) {
        guard let socketPath, !assignments.isEmpty else { return }
        let payload = Array(assignments.map(\.text).joined(separator: "\n").utf8)
        try Self.sendDatagram(payload, to: socketPath)
    }

    // MARK: - Socket

    /// Sends one datagram to a Unix socket path, or an abstract name when the path starts with `@`.
    static func sendDatagram(_ payload: [UInt8], to path: String) throws(SystemdNotifyError) {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        // A file path also needs room for its terminating NUL; an abstract name does not.
        guard pathBytes.count + (pathBytes.first == 0 ? 0 : 1) <= capacity else {
            throw SystemdNotifyError(operation: "NOTIFY_SOCKET path too long", errno: ENAMETOOLONG)
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + pathBytes.count)

        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SystemdNotifyError(operation: "socket", errno: errno) }
        defer { close(fd) }
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    sendto(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        guard sent == payload.count else {
            throw SystemdNotifyError(operation: "sendto \(path)", errno: sent < 0 ? errno : EMSGSIZE)
        }
    }

    static func microseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
    }

    static func monotonicMicroseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
    }
}

/// A notification could not be sent.
package struct SystemdNotifyError: Error, Hashable, CustomStringConvertible {
    /// What failed: `socket`, `sendto /run/systemd/notify`, ….
    package var operation: String
    package var errno: Int32

    package var description: String { "sd_notify: \(operation): \(String(cString: strerror(errno)))" }
}
