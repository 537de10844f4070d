import CryptodConfig
import Foundation

/// A control socket to try, and why cryptoctl chose it (shown when nothing answers).
package struct ControlSocket: Sendable, Hashable, CustomStringConvertible {
    package var path: String
    /// `--socket`, `$CRYPTOD_CONTROL_SOCKET`, `daemon.runtime_dir of /etc/cryptod/cryptod.toml (--config)`, …
    package var origin: String

    package init(path: String, origin: String) {
        self.path = path
        self.origin = origin
    }

    package var description: String { "\(path) (\(origin))" }
}

/// Finds the daemon's control socket and the configuration file in use, the same way every cryptoctl
/// command does.
///
/// Socket precedence: `--socket` > `$CRYPTOD_CONTROL_SOCKET` > the runtime directory of a configuration file
/// (`--config`, else `$CRYPTOD_CONFIG`) > the runtime directory of the nearest `etc/cryptod.local.toml` in the
/// current directory or above (how `scripts/run` starts a daemon from a checkout) > `/run/cryptod/control.sock`.
/// An explicit choice (the first four) is the only socket tried; the two guesses are tried in order, so
/// `cryptoctl status` inside a checkout whose daemon is down still finds the system's daemon.
package struct DaemonLocator: Sendable {
    package static let defaultSocketPath = "/run/cryptod/control.sock"
    package static let defaultConfigPath = "/etc/cryptod/cryptod.toml"
    package static let localConfigPath = "etc/cryptod.local.toml"
    package static let socketVariable = "CRYPTOD_CONTROL_SOCKET"
    package static let configVariable = "CRYPTOD_CONFIG"

    package var socketFlag: String?
    package var configFlag: String?
    package var environment: [String: String]
    /// Anchors relative paths and starts the search for a checkout.
    package var currentDirectory: String

    package init(socketFlag: String?, configFlag: String?, environment: [String: String], currentDirectory: String) {
        self.socketFlag = socketFlag
        self.configFlag = configFlag
        self.environment = environment
        self.currentDirectory = currentDirectory
    }

    /// The sockets to try, in order, and notes on sources that could not be used (unreadable files).
    package func sockets() -> (sockets: [ControlSocket], notes: [String]) {
        if let socketFlag, !socketFlag.isEmpty {
            return ([ControlSocket(path: absolute(socketFlag), origin: "--socket")], [])
        }
        if let variable = environment[Self.socketVariable], !variable.isEmpty {
            return ([ControlSocket(path: absolute(variable), origin: "$\(Self.socketVariable)")], [])
        }
        if let (file, origin) = explicitConfig() {
            switch controlSocket(ofConfig: file) {
            case .success(let (path, note)):
                let suffix = note.map { "; \($0)" } ?? ""
                return ([ControlSocket(path: path, origin: "daemon.runtime_dir of \(file) (\(origin))\(suffix)")], [])
            case .failure(let problem):
                return ([], ["\(file) (\(origin)): \(problem.message)"])
            }
        }
        var sockets: [ControlSocket] = []
        var notes: [String] = []
        if let local = Self.findLocalConfig(from: currentDirectory) {
            switch controlSocket(ofConfig: local) {
            case .success(let (path, note)):
                let suffix = note.map { "; \($0)" } ?? ""
                sockets.append(
                    ControlSocket(
                        path: path, origin: "daemon.runtime_dir of \(local), found from the current directory\(suffix)")
                )
            case .failure(let problem):
                notes.append("\(local) (found from the current directory): \(problem.message)")
            }
        }
        if !sockets.contains(where: { $0.path == Self.defaultSocketPath }) {
            sockets.append(ControlSocket(path: Self.defaultSocketPath, origin: "the default"))
        }
        return (sockets, notes)
    }

    /// The configuration file cryptoctl means by "the config in use": `--config` > `$CRYPTOD_CONFIG` > the
    /// nearest `etc/cryptod.local.toml` > `/etc/cryptod/cryptod.toml`.
    package func configFile() -> (path: String, origin: String) {
        if let explicit = explicitConfig() { return explicit }
        if let local = Self.findLocalConfig(from: currentDirectory) {
            return (local, "found from the current directory")
        }
        return (Self.defaultConfigPath, "the default")
    }

    private func explicitConfig() -> (path: String, origin: String)? {
        if let configFlag, !configFlag.isEmpty { return (absolute(configFlag), "--config") }
        if let variable = environment[Self.configVariable], !variable.isEmpty {
            return (absolute(variable), "$\(Self.configVariable)")
        }
        return nil
    }

    // MARK: - Configuration files

    /// The nearest `etc/cryptod.local.toml` in `directory` or one of its parents.
    package static func findLocalConfig(from directory: String) -> String? {
        var current = ConfigValueType.resolve(directory, against: "/")
        while true {
            let candidate = (current == "/" ? "" : current) + "/" + localConfigPath
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
            if current == "/" { return nil }
            current = (current as NSString).deletingLastPathComponent
        }
    }

    /// Why a configuration file gave no socket.
    package struct Problem: Error, Sendable {
        package var message: String
    }

    /// The control socket a daemon started with `file` listens on, and a note when it had to be guessed.
    ///
    /// A file that does not validate still names its runtime directory: the daemon may be running with the
    /// previous version of the file, and `cryptoctl status` must reach it while someone fixes the file.
    package func controlSocket(ofConfig file: String) -> Result<(path: String, note: String?), Problem> {
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
        else {
            let exists = FileManager.default.fileExists(atPath: file)
            return .failure(Problem(message: exists ? "cannot read the file (permission denied?)" : "no such file"))
        }
        do {
            let loaded = try ConfigLoader.load(
                text: text, path: file, environment: environment, workingDirectory: currentDirectory)
            return .success((loaded.configuration.topology.controlSocketPath, nil))
        } catch {
            let runtime = Self.runtimeDirectoryLeniently(
                text: text, file: file, environment: environment, currentDirectory: currentDirectory)
            return .success(
                (
                    runtime + "/control.sock",
                    "the file is invalid (cryptoctl check-config explains), its runtime_dir was read anyway"
                ))
        }
    }

    /// `daemon.runtime_dir` read without validating anything else: `$CRYPTOD_RUNTIME_DIR`, else the file's
    /// value (relative to the file's directory), else the default.
    static func runtimeDirectoryLeniently(
        text: String, file: String, environment: [String: String], currentDirectory: String
    ) -> String {
        if let variable = environment["CRYPTOD_RUNTIME_DIR"], !variable.isEmpty {
            return ConfigValueType.resolve(variable, against: currentDirectory)
        }
        let fileDirectory = ConfigValueType.resolve(file + "/..", against: currentDirectory)
        if let tree = try? TOML.parse(text),
            case .string(let value)? = tree.value(at: ["daemon", "runtime_dir"])?.kind, !value.isEmpty
        {
            return ConfigValueType.resolve(value, against: fileDirectory)
        }
        return (defaultSocketPath as NSString).deletingLastPathComponent
    }

    private func absolute(_ path: String) -> String {
        ConfigValueType.resolve(path, against: currentDirectory)
    }
}
