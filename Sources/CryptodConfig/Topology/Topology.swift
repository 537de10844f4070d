import CryptodModel

/// One enabled child process: what it is, which executable runs it and where its socket is.
package struct ProcessSpec: Sendable, Equatable {
    /// `writer`, `ingestor-binance`, …
    package let name: ProcessName
    /// `<runtime_dir>/<name>.sock`.
    package let socketPath: String

    /// What the process does (sent in the wire `Hello`).
    package var role: ProcessRole { name.role }
    /// The exchange of an ingestor; nil for the other roles.
    package var exchange: ExchangeID? { name.exchange }
    /// `cryptod-writer`, `cryptod-gateway`, `cryptod-scheduler` or `cryptod-ingestor`.
    package var executableName: String { name.executableName }

    /// The executable's full path inside `binDirectory`.
    package func executablePath(in binDirectory: String) -> String {
        binDirectory.hasSuffix("/") ? binDirectory + executableName : binDirectory + "/" + executableName
    }
}

/// The processes a configuration runs and the names they share, computed the same way by every process.
///
/// ```swift
/// let topology = Topology(configuration)
/// for spec in topology.startOrder { spawn(spec.executablePath(in: topology.binDirectory ?? ownDirectory), …) }
/// ```
package struct Topology: Sendable, Equatable {
    /// `daemon.runtime_dir`.
    package let runtimeDirectory: String
    /// The supervisor's control socket for `cryptoctl`: `<runtime_dir>/control.sock`.
    package let controlSocketPath: String
    /// `<runtime_dir>/cryptod.pid`.
    package let pidFilePath: String
    /// `daemon.bin_dir`, or nil for "the directory of the running cryptod binary".
    package let binDirectory: String?
    /// Enabled processes in start order.
    package let processes: [ProcessSpec]

    package init(_ configuration: Configuration) {
        let runtime = configuration.daemon.runtimeDirectory
        runtimeDirectory = runtime
        controlSocketPath = Self.path(runtime, "control.sock")
        pidFilePath = Self.path(runtime, "cryptod.pid")
        binDirectory = configuration.daemon.binDirectory
        processes = configuration.enabledProcesses.sorted().map {
            ProcessSpec(name: $0, socketPath: Self.socketPath(for: $0, runtimeDirectory: runtime))
        }
    }

    /// Writer, gateway, scheduler, then ingestors.
    package var startOrder: [ProcessSpec] { processes }

    /// Ingestors, scheduler, writer, then gateway.
    package var stopOrder: [ProcessSpec] { processes.sorted { ProcessName.stopsBefore($0.name, $1.name) } }

    /// The spec of `name`, if that process is enabled.
    package func spec(for name: ProcessName) -> ProcessSpec? { processes.first { $0.name == name } }

    /// `<runtime_dir>/<name>.sock`, for any process whether enabled or not.
    package static func socketPath(for name: ProcessName, runtimeDirectory: String) -> String {
        path(runtimeDirectory, "\(name).sock")
    }

    /// The longest socket file name any configuration can produce; the runtime directory must leave room for it.
    package static let longestSocketName: String =
        (ProcessName.all.map { "\($0).sock" } + ["control.sock"]).max { $0.utf8.count < $1.utf8.count }!

    /// Bytes available for a Unix socket path (`sun_path` is 108 bytes on Linux, including the NUL).
    package static let maxSocketPathBytes = 107

    private static func path(_ directory: String, _ file: String) -> String {
        directory.hasSuffix("/") ? directory + file : directory + "/" + file
    }
}
