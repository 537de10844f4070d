import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the built executables are: `$CRYPTOD_TEST_BIN_DIR`, else the directory of the test bundle, which
/// SwiftPM builds beside them (`.build/<triple>/debug`).
enum Binaries {
    static let names = ["cryptod", "cryptod-writer", "cryptod-scheduler", "cryptod-ingestor", "cryptoctl"]

    static let directory: String? = {
        if let variable = ProcessInfo.processInfo.environment["CRYPTOD_TEST_BIN_DIR"], !variable.isEmpty {
            return variable
        }
        var candidates: [String] = []
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            candidates.append((executable as NSString).deletingLastPathComponent)
        }
        candidates.append(Bundle.main.bundleURL.path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().path)
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0 + "/cryptod") }
    }()

    /// The full path of `name`.
    /// - Throws: when the binaries cannot be found: the integration tests then fail, never pass silently.
    static func path(_ name: String) throws -> String {
        guard let directory else {
            throw TestFailure("cannot find the built executables; build them (swift build) or set CRYPTOD_TEST_BIN_DIR")
        }
        let path = directory + "/" + name
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestFailure("\(path) is missing; build every product first (swift build --build-tests)")
        }
        return path
    }

    static func exists(_ name: String) -> Bool {
        directory.map { FileManager.default.isExecutableFile(atPath: $0 + "/" + name) } ?? false
    }
}

/// A failed expectation in the harness, with what was seen.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One process started by a test, with stdout and stderr in files (pipes could fill and block it).
final class TestProcess: Sendable {
    let name: String
    let pid: Int32
    let outputPath: String
    let errorPath: String
    private let process: Process

    init(
        name: String, executable: String, arguments: [String], directory: String, logDirectory: String,
        environment: [String: String]
    ) throws {
        self.name = name
        let stamp = UUID().uuidString.prefix(6)
        outputPath = "\(logDirectory)/\(name)-\(stamp).out"
        errorPath = "\(logDirectory)/\(name)-\(stamp).err"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errorPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle(forWritingAtPath: outputPath)
        process.standardError = FileHandle(forWritingAtPath: errorPath)
        try process.run()
        self.process = process
        pid = process.processIdentifier
    }

    /// The environment for started processes: this one's, without anything that would configure cryptod.
    static func cleanEnvironment(_ extra: [String: String] = [:]) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment.filter {
            !$0.key.hasPrefix("CRYPTOD_") && !$0.key.hasPrefix("NOTIFY_SOCKET") && !$0.key.hasPrefix("WATCHDOG_")
        }
        environment.merge(extra) { $1 }
        return environment
    }

    var isRunning: Bool { process.isRunning }

    func signal(_ signal: Int32) {
        if process.isRunning { kill(pid, signal) }
    }

    /// Waits (without blocking a thread) for the process to end.
    /// - Returns: the exit status, `128 + signal` when killed by a signal, or nil after `timeout`.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return process.terminationReason == .uncaughtSignal
            ? 128 + process.terminationStatus : process.terminationStatus
    }

    var output: String { (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? "" }
    var errorOutput: String { (try? String(contentsOfFile: errorPath, encoding: .utf8)) ?? "" }

    /// The last lines of stderr, for failure messages.
    func errorTail(lines: Int = 40) -> String {
        errorOutput.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

/// What a finished command printed and returned.
struct CommandResult: CustomStringConvertible {
    let status: Int32
    let output: String
    let errorOutput: String

    var description: String { "exit \(status)\n--- stdout\n\(output)\n--- stderr\n\(errorOutput)" }
}

/// Facts about processes from `/proc`, which see what the kernel sees (a pid that is gone, or a zombie).
enum ProcessTable {
    /// True when `pid` runs an executable whose name starts with `prefix` and is not a zombie.
    static func isAlive(_ pid: Int32, named prefix: String = "cryptod") -> Bool {
        guard pid > 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else {
            return false
        }
        guard let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { return false }
        let command = stat[stat.index(after: open)..<close]
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return command.hasPrefix(prefix) && state != "Z" && state != "X"
    }

    /// Every live descendant of `pid`, children first.
    static func descendants(of pid: Int32) -> [Int32] {
        var parents: [Int32: Int32] = [:]
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let child = Int32(entry),
                let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parents[child] = parent }
        }
        var found: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            let children = parents.filter { $0.value == next }.map(\.key)
            found += children
            frontier += children
        }
        return found
    }
}
