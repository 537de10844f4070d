import CSystemShims
import CryptodRuntime
import CryptodSupervisor
import CryptodWire
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// These tests start real processes (`/bin/sh`, `/bin/sleep`).
@Suite("Spawner")
struct SpawnerTests {
    struct Timeout: Error {}

    /// The child's exit, or a recorded failure (and a killed child) after `limit`.
    private func awaitExit(
        of child: SpawnedChild, within limit: Duration = .seconds(10)
    ) async throws
        -> ChildStatus.Exit
    {
        try await withThrowingTaskGroup(of: ChildStatus.Exit?.self) { group in
            group.addTask { try await child.waitForExit() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let exit = try await group.next() ?? nil else {
                child.signal(.kill)
                throw Timeout()
            }
            return exit
        }
    }

    /// Everything the child wrote to its link until it closed it; gives up after 5 s instead of hanging.
    private func readAll(_ fd: Int32) -> String {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count > 0 {
                bytes += chunk[0..<count]
            } else if count < 0 && errno == EINTR {
                continue
            } else {
                #expect(
                    count == 0, "read failed: errno \(errno) (a leaked copy of the child's end keeps the link open)")
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// /dev/null open without close-on-exec, numbered 20 or higher (low numbers may be free in the test process).
    private func inheritableDescriptor() -> Int32 {
        let low = open("/dev/null", O_RDONLY)
        defer { close(low) }
        return fcntl(low, F_DUPFD, 20)
    }

    private func shell(
        _ script: String, environment: [String: String] = ["PATH": "/usr/bin:/bin"]
    ) throws
        -> SpawnedChild
    {
        try Spawner(parentEnvironment: environment).spawn(executable: "/bin/sh", arguments: ["-c", script])
    }

    @Test("an exit status comes back as exited(code)")
    func exitStatus() async throws {
        let child = try shell("exit 3")
        let exit = try await awaitExit(of: child)
        #expect(exit.kind == .exited)
        #expect(exit.code == 3)
        #expect(exit.at.seconds > 1_700_000_000)
        #expect(child.exitIfReaped == exit)
    }

    @Test(
        "a signal comes back as signaled(number), and a reaped child is never signalled",
        arguments: ChildSignal.allCases)
    func signaled(_ signal: ChildSignal) async throws {
        let child = try Spawner(parentEnvironment: [:]).spawn(executable: "/bin/sleep", arguments: ["30"])
        #expect(child.exitIfReaped == nil)
        #expect(child.signal(signal))
        let exit = try await awaitExit(of: child)
        #expect(exit.kind == .signaled)
        #expect(exit.code == signal.number)
        #expect(!child.signal(.kill))
    }

    @Test("the child's shell sees exactly fds 0-3, and fd 3 is a socket")
    func onlyFourDescriptorsSeenByShell() async throws {
        // A descriptor without close-on-exec in the parent must still not reach the child.
        let inheritable = inheritableDescriptor()
        #expect(inheritable >= 20)
        defer { close(inheritable) }
        // Only builtins before the final redirect: dash keeps a saved copy of fd 1 (as fd 10) while a redirect
        // is active, and `ls` or a glob would open descriptors of their own.
        let script = """
            extra=""; i=4
            while [ $i -lt 1024 ]; do if [ -e /proc/$$/fd/$i ]; then extra="$extra $i"; fi; i=$((i+1)); done
            std=""; for i in 0 1 2 3; do if [ -e /proc/$$/fd/$i ]; then std="$std $i"; fi; done
            if [ -S /proc/$$/fd/3 ]; then kind=socket; else kind=other; fi
            printf 'std:%s extra:%s fd3:%s' "$std" "$extra" "$kind" >&3
            """
        let child = try shell(script)
        let link = try #require(child.takeParentLink())
        defer { close(link) }
        #expect(child.takeParentLink() == nil)
        #expect(link > 3)
        #expect(try await awaitExit(of: child).code == 0)
        #expect(readAll(link) == "std: 0 1 2 3 extra: fd3:socket")
    }

    @Test("a spawned program has exactly fds 0-3 as listed by /proc/<pid>/fd")
    func onlyFourDescriptorsInProc() async throws {
        let inheritable = inheritableDescriptor()
        defer { close(inheritable) }
        let child = try Spawner(parentEnvironment: [:]).spawn(executable: "/bin/sleep", arguments: ["30"])
        defer { child.signal(.kill) }
        // posix_spawn returns after the exec, so the descriptors are final.
        var names: [String] = []
        let directory = try #require(opendir("/proc/\(child.pid)/fd"))
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) {
                String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(directory)
        #expect(names.sorted() == ["0", "1", "2", "3"])
        var target = [CChar](repeating: 0, count: 256)
        let length = readlink("/proc/\(child.pid)/fd/3", &target, target.count - 1)
        #expect(length > 0)
        #expect(
            String(decoding: target.prefix(max(length, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self).hasPrefix(
                "socket:"))
        child.signal(.kill)
        _ = try await awaitExit(of: child)
    }

    @Test("the link carries data both ways")
    func linkIsBidirectional() async throws {
        let child = try shell("read line <&3; echo \"got $line\" >&3")
        let link = try #require(child.takeParentLink())
        defer { close(link) }
        let message = Array("ping\n".utf8)
        #expect(message.withUnsafeBytes { write(link, $0.baseAddress, $0.count) } == message.count)
        #expect(try await awaitExit(of: child).code == 0)
        #expect(readAll(link) == "got ping\n")
    }

    @Test("children get SWIFT_BACKTRACE=enable=no and never the supervisor's systemd variables")
    func environment() async throws {
        let parent = [
            "PATH": "/usr/bin:/bin", "NOTIFY_SOCKET": "/run/systemd/notify", "WATCHDOG_USEC": "30000000",
            "WATCHDOG_PID": "1", "LISTEN_FDS": "1", "CRYPTOD_TEST": "kept",
        ]
        let child = try shell(
            "printf '%s|%s|%s|%s' \"$SWIFT_BACKTRACE\" \"${NOTIFY_SOCKET-unset}\" \"${WATCHDOG_USEC-unset}\" "
                + "\"$CRYPTOD_TEST\" >&3", environment: parent)
        let link = try #require(child.takeParentLink())
        defer { close(link) }
        _ = try await awaitExit(of: child)
        #expect(readAll(link) == "enable=no|unset|unset|kept")

        let own = Spawner.childEnvironment(from: ["SWIFT_BACKTRACE": "interactive=no"])
        #expect(own["SWIFT_BACKTRACE"] == "interactive=no")
    }

    @Test("children run in their own process group")
    func processGroup() async throws {
        let child = try Spawner(parentEnvironment: [:]).spawn(executable: "/bin/sleep", arguments: ["30"])
        #expect(getpgid(child.pid) == child.pid)
        #expect(getpgid(child.pid) != getpgrp())
        child.signal(.kill)
        _ = try await awaitExit(of: child)
    }

    @Test(
        "a child with a parent-death signal survives the exit of the thread that called spawn",
        .enabled(if: access("/usr/bin/setpriv", X_OK) == 0, "needs setpriv (util-linux)"))
    func parentDeathSignalFollowsChildThread() async throws {
        // PR_SET_PDEATHSIG fires when the creating *thread* exits. Call spawn from a thread that ends at once;
        // if that thread had created the process, the kernel would SIGKILL it right away.
        let handoff = ChildHandoff()
        let started = ChildHandoff.runOnThread {
            handoff.put(
                try? Spawner(parentEnvironment: [:]).spawn(
                    executable: "/usr/bin/setpriv", arguments: ["--pdeathsig", "KILL", "/bin/sleep", "30"]))
        }
        #expect(started == 0)
        let child = try #require(await handoff.take())
        try await Task.sleep(for: .milliseconds(300))
        #expect(
            child.exitIfReaped == nil, "killed by its parent-death signal: \(String(describing: child.exitIfReaped))")
        child.signal(.term)
        let exit = try await awaitExit(of: child)
        #expect(exit.kind == .signaled)
        #expect(exit.code == SIGTERM)
    }

    @Test("cryptod_spawn copies a link descriptor in 0-3 aside before the dup2s of 0-2 could overwrite it")
    func shimKeepsLowSources() async throws {
        // link_fd = 1 (the test's stdout) while stdout_fd redirects fd 1 to a pipe. Done in order without the
        // fix, dup2(pipe, 1) would run first and fd 3 would become the pipe as well.
        var pipeEnds: [Int32] = [-1, -1]
        #expect(pipe(&pipeEnds) == 0)
        defer { close(pipeEnds[0]) }
        let script =
            #"if [ "$(readlink /proc/$$/fd/3)" = "$(readlink /proc/$$/fd/1)" ]; then echo same; "#
            + "else echo different; fi"
        var pid: pid_t = 0
        let status = ProcessEnvironment.withCStrings(["/bin/sh", "-c", script]) { argv in
            ProcessEnvironment.withCEnvironment(["PATH": "/usr/bin:/bin"]) { envp in
                cryptod_spawn(&pid, "/bin/sh", argv, envp, -1, pipeEnds[1], -1, 1, 0)
            }
        }
        close(pipeEnds[1])
        #expect(status == 0)
        var exitStatus: Int32 = 0
        #expect(waitpid(pid, &exitStatus, 0) == pid)
        #expect(readAll(pipeEnds[0]) == "different\n")
    }

    @Test("a missing executable fails the spawn with ENOENT")
    func missingExecutable() {
        #expect {
            _ = try Spawner(parentEnvironment: [:]).spawn(executable: "/nonexistent/cryptod-writer", arguments: [])
        } throws: { error in
            guard let error = error as? SpawnError else { return false }
            return error.errno == ENOENT && error.operation == .spawn && error.description.contains("cryptod-writer")
        }
    }

    @Test("a cancelled wait throws, and a later wait still gets the exit")
    func cancelledWait() async throws {
        let child = try Spawner(parentEnvironment: [:]).spawn(executable: "/bin/sleep", arguments: ["30"])
        let waiter = Task { try await child.waitForExit() }
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        child.signal(.term)
        #expect(try await awaitExit(of: child).code == SIGTERM)
    }
}

/// Passes a spawned child from a short-lived POSIX thread to the test.
final class ChildHandoff: Sendable {
    private let slot = Mutex<SpawnedChild?>(nil)
    private let filled = Mutex(false)

    func put(_ child: SpawnedChild?) {
        slot.withLock { $0 = child }
        filled.withLock { $0 = true }
    }

    func take() async -> SpawnedChild? {
        for _ in 0..<500 where !filled.withLock({ $0 }) {
            try? await Task.sleep(for: .milliseconds(10))
        }
        return slot.withLock { $0.take() }
    }

    /// Runs `body` on a new thread that exits when `body` returns.
    static func runOnThread(_ body: @escaping @Sendable () -> Void) -> Int32 {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue().body()
                return nil
            }, context)
        if result == 0 { pthread_detach(thread) } else { Unmanaged<Box>.fromOpaque(context).release() }
        return result
    }
}
