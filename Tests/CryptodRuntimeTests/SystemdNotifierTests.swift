import CryptodRuntime
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A datagram socket bound for the test, standing in for systemd's `/run/systemd/notify`.
final class NotifySocket: @unchecked Sendable {  // one test uses it at a time
    let fd: Int32
    /// The value for `NOTIFY_SOCKET`: a path, or `@name` for an abstract socket.
    let address: String
    private let path: String?

    init(abstract: Bool) throws {
        let unique = "cryptod-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        try #require(fd >= 0)
        var name = abstract ? [UInt8(0)] + Array(unique.utf8) : Array("/tmp/\(unique).sock".utf8)
        address = abstract ? "@" + unique : "/tmp/\(unique).sock"
        path = abstract ? nil : address
        var socketAddress = sockaddr_un()
        socketAddress.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &socketAddress.sun_path) { $0.copyBytes(from: name) }
        let length = socklen_t(2 + name.count)
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        name.removeAll()
        try #require(bound == 0, "bind failed: errno \(errno)")
        // Generous: the whole suite runs in parallel on two cores, so the pinging task can wait long for a thread.
        var timeout = timeval(tv_sec: 60, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let path { unlink(path) }
    }

    /// The next datagram, or nil after 60 s.
    /// Waits for a datagram on a thread of its own: blocking one of the concurrency pool's few threads
    /// could starve the very task that is supposed to send it.
    func receiveOffPool() async -> String? {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: self.receive()) }.start()
        }
    }

    func receive() -> String? {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return String(decoding: buffer[0..<count], as: UTF8.self)
    }
}

@Suite("SystemdNotifier")
struct SystemdNotifierTests {
    @Test("messages arrive as one datagram each, at a path or an abstract socket", arguments: [false, true])
    func messages(abstract: Bool) throws {
        let socket = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        #expect(notifier.isEnabled)
        try notifier.ready(status: "3 children running")
        #expect(socket.receive() == "READY=1\nSTATUS=3 children running")
        try notifier.watchdog()
        #expect(socket.receive() == "WATCHDOG=1")
        try notifier.stopping()
        #expect(socket.receive() == "STOPPING=1")
        try notifier.status("line one\nline two")
        #expect(socket.receive() == "STATUS=line one line two")
        try notifier.send([.extendTimeout(.seconds(20))])
        #expect(socket.receive() == "EXTEND_TIMEOUT_USEC=20000000")
    }

    @Test("RELOADING=1 carries MONOTONIC_USEC from CLOCK_MONOTONIC")
    func reloading() throws {
        let socket = try NotifySocket(abstract: false)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address])
        var before = timespec()
        clock_gettime(CLOCK_MONOTONIC, &before)
        try notifier.reloading(status: "reloading")
        var after = timespec()
        clock_gettime(CLOCK_MONOTONIC, &after)
        let lines = try #require(socket.receive()).split(separator: "\n")
        #expect(lines.count == 3)
        #expect(lines.first == "RELOADING=1")
        #expect(lines.last == "STATUS=reloading")
        let usec = try #require(Int64(lines[1].dropFirst("MONOTONIC_USEC=".count)))
        #expect(lines[1].hasPrefix("MONOTONIC_USEC="))
        #expect(usec >= Int64(before.tv_sec) * 1_000_000 + Int64(before.tv_nsec) / 1_000)
        #expect(usec <= Int64(after.tv_sec) * 1_000_000 + Int64(after.tv_nsec) / 1_000)
    }

    @Test(
        "without NOTIFY_SOCKET, or with a relative one, every call is a no-op",
        arguments: [
            [:], ["NOTIFY_SOCKET": ""], ["NOTIFY_SOCKET": "relative/notify"],
        ])
    func disabled(_ environment: [String: String]) throws {
        let notifier = SystemdNotifier(environment: environment)
        #expect(!notifier.isEnabled)
        try notifier.ready()
        try notifier.watchdog()
    }

    @Test("a socket nobody listens on is an error")
    func unreachable() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/tmp/cryptod-no-such-socket-\(getpid())"])
        #expect(throws: SystemdNotifyError.self) { try notifier.ready() }
    }

    @Test("watchdog interval is half of WATCHDOG_USEC, and only for the process WATCHDOG_PID names")
    func watchdog() {
        let pid = getpid()
        let mine = SystemdNotifier(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid)"], pid: pid)
        #expect(mine.watchdogTimeout == .seconds(30))
        #expect(mine.watchdogInterval == .seconds(15))
        let unnamed = SystemdNotifier(environment: ["WATCHDOG_USEC": "2000000"], pid: pid)
        #expect(unnamed.watchdogInterval == .seconds(1))
        let parents = SystemdNotifier(
            environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "\(pid + 1)"], pid: pid)
        #expect(parents.watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "0"]).watchdogInterval == nil)
        #expect(SystemdNotifier(environment: ["WATCHDOG_USEC": "soon"]).watchdogInterval == nil)
    }

    @Test("runWatchdog pings every interval until cancelled")
    func runWatchdog() async throws {
        let socket = try NotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "200000"])
        let pinger = Task { await notifier.runWatchdog() }
        #expect(await socket.receiveOffPool() == "WATCHDOG=1")
        #expect(await socket.receiveOffPool() == "WATCHDOG=1")
        pinger.cancel()
        await pinger.value
    }
}
