import CSystemShims
import CryptodRuntime

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts child processes with their parent link on fd 3.
///
/// For each child it creates a `socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC)`, spawns the executable with
/// `posix_spawn` (through `cryptod_spawn` in CSystemShims) so that the child has exactly fds 0–2 (inherited)
/// and 3 (its end of the pair), and keeps the other end for the IPC layer. Every other descriptor of the
/// supervisor is closed in the child, whether or not it was close-on-exec.
///
/// Children start in their own process group, so a terminal's Ctrl-C reaches only the supervisor, which then
/// stops them in order; under systemd, `KillMode=mixed` likewise signals only the supervisor.
///
/// Spawning is synchronous and takes about a millisecond (a thread, a `clone` and an `exec`), so the supervisor
/// actor calls it directly and reports ``ChildStateMachine/spawned(pid:at:)`` before handling anything else.
/// Each child gets a thread of its own that spawns and later reaps it (see ``SpawnedChild`` for why).
package struct Spawner: Sendable {
    /// Variables the supervisor's own environment may hold that belong to the supervisor alone: systemd's
    /// notification socket and watchdog (a child would otherwise report READY for the whole service) and
    /// socket-activation fds.
    package static let privateVariables: Set<String> = [
        "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
    ]

    /// The environment every child gets: ``childEnvironment(from:)`` of what was given at creation.
    package let environment: [String: String]

    /// Creates a spawner.
    ///
    /// - Parameter parentEnvironment: The environment to pass on, normally the supervisor's own.
    package init(parentEnvironment: [String: String] = ProcessEnvironment.current()) {
        environment = Self.childEnvironment(from: parentEnvironment)
    }

    /// The environment for children: the parent's without ``privateVariables``, plus `SWIFT_BACKTRACE=enable=no`
    /// unless the parent set `SWIFT_BACKTRACE` (the backtracer can hold a crashing process for seconds, which
    /// delays its restart; STACK.md §6).
    ///
    /// - Parameter parent: The supervisor's environment.
    /// - Returns: The children's environment.
    package static func childEnvironment(from parent: [String: String]) -> [String: String] {
        var environment = parent.filter { !privateVariables.contains($0.key) }
        if environment["SWIFT_BACKTRACE"] == nil {
            environment["SWIFT_BACKTRACE"] = "enable=no"
        }
        return environment
    }

    /// Spawns `executable` with `arguments`, its link on fd 3.
    ///
    /// - Parameters:
    ///   - executable: An absolute path; `PATH` is not searched.
    ///   - arguments: The arguments after `argv[0]` (which is `executable`).
    /// - Returns: The running child. A thread reaps it when it exits; take its link with
    ///   ``SpawnedChild/takeParentLink()``.
    /// - Throws: ``SpawnError`` when the socket pair cannot be made or the spawn fails (`errno` says why:
    ///   `ENOENT` for a missing executable, `EACCES` for one that is not executable, …).
    package func spawn(executable: String, arguments: [String]) throws(SpawnError) -> SpawnedChild {
        var pair: [Int32] = [-1, -1]
        let socketType = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, socketType, 0, &pair) == 0 else {
            throw SpawnError(operation: .socketPair, executable: executable, errno: errno)
        }
        // A supervisor started with some of fds 0-2 closed gets the pair on low numbers. The parent end there
        // would receive the supervisor's own stdout; the child end would be clobbered by the dup2s of 0-2.
        var parentEnd = pair[0]
        var childEnd = pair[1]
        do throws(SpawnError) {
            parentEnd = try Self.moveAboveStandardDescriptors(parentEnd, executable: executable)
            childEnd = try Self.moveAboveStandardDescriptors(childEnd, executable: executable)
        } catch {
            close(parentEnd)
            close(childEnd)
            throw error
        }

        let child: SpawnedChild
        do throws(SpawnError) {
            child = try SpawnedChild.launch(
                executable: executable, arguments: [executable] + arguments, environment: environment,
                childEnd: childEnd, parentEnd: parentEnd)
        } catch {
            close(childEnd)
            close(parentEnd)
            throw error
        }
        // The child has its own copy now; the parent must not keep the child's end, or the link would not see
        // EOF when the child dies.
        close(childEnd)
        return child
    }

    /// `fd` itself when it is above 3, otherwise a close-on-exec copy numbered 10 or higher (and `fd` closed).
    static func moveAboveStandardDescriptors(_ fd: Int32, executable: String) throws(SpawnError) -> Int32 {
        guard fd <= 3 else { return fd }
        let moved = cryptod_dup_at_least(fd, 10)
        guard moved >= 0 else { throw SpawnError(operation: .socketPair, executable: executable, errno: errno) }
        close(fd)
        return moved
    }
}

/// A child could not be started.
package struct SpawnError: Error, Hashable, CustomStringConvertible {
    /// The step that failed.
    package enum Operation: String, Sendable, Hashable {
        case socketPair = "socketpair"
        case spawn = "posix_spawn"
        case thread = "pthread_create"
    }

    package var operation: Operation
    package var executable: String
    /// The `errno` value; ``ChildStateMachine/spawnFailed(errno:at:)`` takes it.
    package var errno: Int32

    package var description: String {
        "cannot start \(executable): \(operation.rawValue): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
