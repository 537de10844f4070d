import CSystemShims
import CryptodModel
import CryptodRuntime
import CryptodWire
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A running child process started by ``Spawner``: its pid, the supervisor's end of its link, its exit.
///
/// Each child has a thread of its own that spawns it, then waits for its exit with a blocking `waitid` and
/// reaps it. A thread, because `waitid` blocks and the Swift concurrency pool has only as many threads as
/// cores (two here): a blocked pool thread per child would stall the supervisor. The thread sleeps in the
/// kernel and costs only its stack.
///
/// The same thread spawns the child because `PR_SET_PDEATHSIG` (which children may set through
/// `cryptod_set_parent_death_signal`) fires when the *thread* that created the process exits, not the
/// process. A concurrency-pool thread can retire while the supervisor runs; this thread lives exactly as long
/// as the child.
///
/// Signals never hit a recycled pid: the thread first waits with `WNOWAIT` (the process stays a zombie, so
/// its pid cannot be reused), and then, under the same lock ``signal(_:)`` takes, reaps it and records the
/// exit. After that, ``signal(_:)`` refuses to send anything.
package final class SpawnedChild: Sendable {
    /// The child's process id.
    package let pid: Int32
    private let monitor: ExitMonitor
    private let link: Mutex<Int32?>

    private init(pid: Int32, monitor: ExitMonitor, parentLink: Int32) {
        self.pid = pid
        self.monitor = monitor
        self.link = Mutex(parentLink)
    }

    /// Spawns `executable` from a new thread, which then reaps it; returns once the spawn has succeeded or failed.
    ///
    /// - Parameters:
    ///   - executable: Absolute path of the program.
    ///   - arguments: `argv`, including `argv[0]`.
    ///   - environment: The child's whole environment.
    ///   - childEnd: The descriptor that becomes the child's fd 3 (the caller closes its copy afterwards).
    ///   - parentEnd: The supervisor's end of the link; owned by the returned child on success only.
    /// - Returns: The running child.
    /// - Throws: ``SpawnError`` when the thread cannot be created or `posix_spawn` fails.
    static func launch(
        executable: String, arguments: [String], environment: [String: String], childEnd: Int32, parentEnd: Int32
    ) throws(SpawnError) -> SpawnedChild {
        let monitor = ExitMonitor()
        let handoff = SpawnHandoff()
        let started = ChildThread.start {
            var pid: pid_t = 0
            let status = ProcessEnvironment.withCStrings(arguments) { argv in
                ProcessEnvironment.withCEnvironment(environment) { envp in
                    cryptod_spawn(&pid, executable, argv, envp, -1, -1, -1, childEnd, 1)
                }
            }
            if status == 0 { monitor.adopt(pid: pid) }
            handoff.finish(status: status, pid: pid)
            if status == 0 { monitor.waitAndReap() }
        }
        guard started == 0 else {
            throw SpawnError(operation: .thread, executable: executable, errno: started)
        }
        // posix_spawn returns once the exec has happened or failed: a millisecond or so.
        let (status, pid) = handoff.wait()
        guard status == 0 else {
            throw SpawnError(operation: .spawn, executable: executable, errno: status)
        }
        return SpawnedChild(pid: pid, monitor: monitor, parentLink: parentEnd)
    }

    deinit {
        if let fd = link.withLock({ $0.take() }) {
            close(fd)
        }
    }

    /// The supervisor's end of the link (a connected `AF_UNIX` stream socket, close-on-exec, blocking), once.
    ///
    /// The caller owns the descriptor afterwards, typically handing it to NIO's
    /// `withConnectedSocket`. If nobody takes it, it is closed when this object is released.
    ///
    /// - Returns: The descriptor on the first call, nil afterwards.
    package func takeParentLink() -> Int32? {
        link.withLock { $0.take() }
    }

    /// Sends `signal` to the child unless it has already been reaped.
    ///
    /// - Parameter signal: SIGTERM or SIGKILL.
    /// - Returns: True when the signal was delivered to the (possibly already exited, not yet reaped) process.
    @discardableResult
    package func signal(_ signal: ChildSignal) -> Bool {
        monitor.send(signal.number)
    }

    /// Waits until the child has exited and been reaped.
    ///
    /// Any number of tasks may wait; all get the same exit.
    ///
    /// - Returns: Exit status or terminating signal, with the wall-clock time it was reaped. An exit code of
    ///   -1 means the status was lost because something else reaped the child (SIGCHLD set to SIG_IGN).
    /// - Throws: `CancellationError` when the waiting task is cancelled first; the child is unaffected.
    package func waitForExit() async throws -> ChildStatus.Exit {
        try await monitor.wait()
    }

    /// The exit once the child has been reaped, without waiting.
    package var exitIfReaped: ChildStatus.Exit? {
        monitor.exit
    }
}

// MARK: - Exit monitor

/// Shared between the child's thread and waiting tasks.
private final class ExitMonitor: Sendable {
    private struct State {
        /// Set once the spawn succeeded.
        var pid: Int32?
        var exit: ChildStatus.Exit?
        var waiters: [UInt64: CheckedContinuation<ChildStatus.Exit, any Error>] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    var exit: ChildStatus.Exit? { state.withLock { $0.exit } }

    /// Records the pid of the spawned child; before this, there is nothing to signal or reap.
    func adopt(pid: Int32) {
        state.withLock { $0.pid = pid }
    }

    func send(_ signal: Int32) -> Bool {
        state.withLock { state in
            guard let pid = state.pid, state.exit == nil else { return false }
            return kill(pid, signal) == 0
        }
    }

    func wait() async throws -> ChildStatus.Exit {
        let id = state.withLock { state in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let immediate: Result<ChildStatus.Exit, any Error>? = state.withLock { state in
                    if let exit = state.exit { return .success(exit) }
                    if Task.isCancelled { return .failure(CancellationError()) }
                    state.waiters[id] = continuation
                    return nil
                }
                if let immediate { continuation.resume(with: immediate) }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume(throwing: CancellationError())
        }
    }

    /// Blocks until the child exits, reaps it, and wakes every waiter.
    ///
    /// Runs on the child's thread, after ``adopt(pid:)``.
    func waitAndReap() {
        guard let pid = state.withLock({ $0.pid }) else { return }
        var info = siginfo_t()
        var waitFailed = false
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            if errno == EINTR { continue }
            // ECHILD: already reaped by someone else; there is no status left to read.
            waitFailed = true
            break
        }
        let (exit, waiters) = state.withLock { state in
            var exit = ChildStatus.Exit(kind: .exited, code: -1, at: Self.wallClockNow())
            if !waitFailed {
                var status: Int32 = 0
                var reaped: Int32 = -1
                repeat { reaped = waitpid(pid, &status, 0) } while reaped < 0 && errno == EINTR
                var code: Int32 = 0
                if reaped == pid {
                    switch cryptod_decode_wait_status(status, &code) {
                    case 1: exit = ChildStatus.Exit(kind: .exited, code: code, at: exit.at)
                    case 2: exit = ChildStatus.Exit(kind: .signaled, code: code, at: exit.at)
                    default: break
                    }
                }
            }
            state.exit = exit
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return (exit, waiters)
        }
        for waiter in waiters {
            waiter.resume(returning: exit)
        }
    }

    private static func wallClockNow() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(nanoseconds: Int64(spec.tv_sec) * 1_000_000_000 + Int64(spec.tv_nsec))
    }
}

// MARK: - Thread

/// Hands the spawn result from the child's thread to the caller of ``SpawnedChild/launch``.
private final class SpawnHandoff: Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let result = Mutex<(status: Int32, pid: Int32)>((0, 0))

    func finish(status: Int32, pid: Int32) {
        result.withLock { $0 = (status, pid) }
        done.signal()
    }

    func wait() -> (status: Int32, pid: Int32) {
        done.wait()
        return result.withLock { $0 }
    }
}

/// Starts detached POSIX threads running a Swift closure.
private enum ChildThread {
    private final class Body: Sendable {
        let run: @Sendable () -> Void
        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }

    /// Runs `body` on a new detached thread.
    ///
    /// - Returns: 0, or the error `pthread_create` returned.
    static func start(_ body: @escaping @Sendable () -> Void) -> Int32 {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { raw in
                // raw is the context passed below, never nil.
                Unmanaged<Body>.fromOpaque(raw!).takeRetainedValue().run()
                return nil
            }, context)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            return result
        }
        pthread_detach(thread)
        return 0
    }
}
