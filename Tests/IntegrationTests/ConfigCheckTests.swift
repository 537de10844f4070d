import Foundation
import Testing

/// `cryptod --check-config` and `cryptoctl check-config` on good and bad files: no daemon involved.
@Suite("check-config", .timeLimit(.minutes(3)))
struct ConfigCheckTests {
    /// A broken file and what its message must contain: the key with its value, and what is expected.
    struct BadCase: Sendable, CustomStringConvertible {
        let name: String
        let text: String
        let fragments: [String]
        var description: String { name }
    }

    static let badCases: [BadCase] = [
        BadCase(
            name: "integer out of range", text: "[supervisor]\nrestart_budget = 0\n",
            fragments: ["bad.toml:2", "supervisor.restart_budget = 0", "must be 1-1000", "expected an integer 1-1000"]),
        BadCase(
            name: "unknown enumeration value", text: "[daemon]\nlog_level = \"verbose\"\n",
            fragments: ["daemon.log_level = \"verbose\"", "unknown value", "expected one of trace, debug, info"]),
        BadCase(
            name: "bad port", text: "[gateway]\nrest_listen = \"127.0.0.1:99999\"\n",
            fragments: ["gateway.rest_listen = \"127.0.0.1:99999\"", "port must be 1-65535", "expected \"HOST:PORT\""]),
        BadCase(
            name: "duration without a unit", text: "[supervisor]\nstop_timeout = 5\n",
            fragments: ["supervisor.stop_timeout = 5", "needs a unit", "expected a duration"]),
        BadCase(
            name: "misspelt key", text: "[gateway]\nrest_lisen = \"127.0.0.1:8000\"\n",
            fragments: ["gateway.rest_lisen", "unknown key", "did you mean gateway.rest_listen?"]),
        BadCase(
            name: "every error at once",
            text: "[daemon]\nlog_level = \"loud\"\n[supervisor]\nrestart_budget = 5000\n[writer]\nsinks = [\"tape\"]\n",
            fragments: [
                "daemon.log_level = \"loud\"", "supervisor.restart_budget = 5000", "writer.sinks = [\"tape\"]",
                "3 errors",
            ]),
        BadCase(
            name: "TOML syntax", text: "[daemon\nlog_level = \"info\"\n", fragments: ["bad.toml:1"]),
    ]

    func good(_ sandbox: Sandbox) throws -> String {
        try sandbox.writeConfig(TestConfig(scheduler: true, exchanges: ["binance"]).render(in: sandbox))
        return sandbox.configPath
    }

    @Test("a good file: exit 0 and valid, from cryptod and from cryptoctl")
    func goodFile() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let file = try good(sandbox)
        for result in [
            try await sandbox.run("cryptod", ["--check-config", file]),
            try await sandbox.run("cryptod", ["-n", "--config", file]),
            try await sandbox.run("cryptoctl", ["check-config", file]),
            // With no FILE, cryptoctl checks the config in use: here $CRYPTOD_CONFIG.
            try await sandbox.run("cryptoctl", ["check-config"], environment: ["CRYPTOD_CONFIG": file]),
        ] {
            #expect(result.status == 0, "\(result)")
            #expect(result.output.contains("\(file): configuration is valid"), "\(result)")
        }
        let json = try await sandbox.run("cryptoctl", ["check-config", file, "--json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == true)
        #expect(object["processes"] as? [String] == ["writer", "scheduler", "ingestor-binance"])
    }

    @Test("a bad file: exit 78 naming the key, the value and what is expected", arguments: badCases)
    func badFile(_ bad: BadCase) async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let file = sandbox.root + "/bad.toml"
        try bad.text.write(toFile: file, atomically: true, encoding: .utf8)
        let fromDaemon = try await sandbox.run("cryptod", ["--check-config", file])
        let fromCtl = try await sandbox.run("cryptoctl", ["check-config", file])
        for result in [fromDaemon, fromCtl] {
            #expect(result.status == 78, "\(result)")
            for fragment in bad.fragments where fragment != "3 errors" {
                #expect(result.errorOutput.contains(fragment), "missing \(fragment) in:\n\(result)")
            }
        }
        if bad.fragments.contains("3 errors") { #expect(fromCtl.errorOutput.contains("3 errors")) }
        // A daemon refuses to start on it, with the same message.
        let start = try await sandbox.run("cryptod", ["--config", file], timeout: .seconds(30))
        #expect(start.status == 78, "\(start)")
        #expect(start.errorOutput.contains(bad.fragments[0]))
    }

    @Test("a missing file: exit 78 saying so")
    func missingFile() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let file = sandbox.root + "/absent.toml"
        for result in [
            try await sandbox.run("cryptod", ["--check-config", file]),
            try await sandbox.run("cryptoctl", ["check-config", file]),
        ] {
            #expect(result.status == 78, "\(result)")
            #expect(result.errorOutput.contains("no such file"), "\(result)")
        }
    }

    @Test("cryptoctl check-config --json lists every error with key, value and expectation")
    func jsonErrors() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let file = sandbox.root + "/bad.toml"
        try "[supervisor]\nrestart_budget = 0\nstop_timeout = \"soon\"\n".write(
            toFile: file, atomically: true, encoding: .utf8)
        let result = try await sandbox.run("cryptoctl", ["check-config", file, "--json"])
        #expect(result.status == 78)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        #expect(object["valid"] as? Bool == false)
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.compactMap { $0["key"] as? String } == ["supervisor.restart_budget", "supervisor.stop_timeout"])
        #expect(errors.first?["value"] as? String == "0")
        #expect(errors.allSatisfy { ($0["expected"] as? String)?.isEmpty == false })
    }
}
