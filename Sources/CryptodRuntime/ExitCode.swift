#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The exit statuses every cryptod binary uses, so the supervisor, systemd and scripts read them alike.
///
/// The values above 63 are the BSD `sysexits.h` ones, which systemd and s6 also recognise.
///
/// - 0 ``success``: stopped as asked (SIGTERM, `Shutdown`, parent link closed). Not restarted; but a child
///   that exits 0 without being asked to stop counts as a crash.
/// - 1 ``failure``: a runtime failure not covered below. Restarted with backoff.
/// - 2 ``usage``: bad command line. ArgumentParser's own default is 64; executables map it to 2. Restarted,
///   but it will fail again: the supervisor built a wrong argv.
/// - 69 ``unavailable``: a required peer or service (database, writer socket) stayed unreachable.
/// - 70 ``software``: an internal error (a bug, a broken invariant).
/// - 73 ``cannotCreate``: a required file, directory or socket could not be created.
/// - 77 ``permissionDenied``: not allowed to do something required (bind a port, open a directory).
/// - 78 ``configuration``: the configuration is invalid for this process (EX_CONFIG). **Never restarted**,
///   by the supervisor or by systemd (the units set `RestartPreventExitStatus=78`).
///
/// Codes 69–77 are restarted with backoff like 1.
package struct ExitCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    package let rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// 0: stopped as asked.
    package static let success = ExitCode(rawValue: 0)
    /// 1: a runtime failure not covered by a more specific code.
    package static let failure = ExitCode(rawValue: 1)
    /// 2: bad command-line usage.
    package static let usage = ExitCode(rawValue: 2)
    /// 69 (EX_UNAVAILABLE): a required peer or service is unavailable.
    package static let unavailable = ExitCode(rawValue: 69)
    /// 70 (EX_SOFTWARE): an internal software error.
    package static let software = ExitCode(rawValue: 70)
    /// 73 (EX_CANTCREAT): a required file, directory or socket could not be created.
    package static let cannotCreate = ExitCode(rawValue: 73)
    /// 77 (EX_NOPERM): permission denied for something required.
    package static let permissionDenied = ExitCode(rawValue: 77)
    /// 78 (EX_CONFIG): the configuration is invalid. Supervisors must not restart a process that exits with it.
    package static let configuration = ExitCode(rawValue: 78)

    /// Every named code, for documentation and tests.
    package static let all: [ExitCode] = [
        .success, .failure, .usage, .unavailable, .software, .cannotCreate, .permissionDenied, .configuration,
    ]

    /// True when restarting the process cannot help until someone changes its configuration.
    package var isPermanentFailure: Bool { self == .configuration }

    /// `78 (configuration)`, or just the number for codes without a name.
    package var description: String {
        switch rawValue {
        case 0: "0 (success)"
        case 1: "1 (failure)"
        case 2: "2 (usage)"
        case 69: "69 (unavailable)"
        case 70: "70 (software)"
        case 73: "73 (cannot create)"
        case 77: "77 (permission denied)"
        case 78: "78 (configuration)"
        default: String(rawValue)
        }
    }

    /// Ends the process with this status, without returning.
    ///
    /// Call it only from `main` after the service group has returned, so that buffers were flushed.
    package func exitProcess() -> Never {
        exit(rawValue)
    }
}
