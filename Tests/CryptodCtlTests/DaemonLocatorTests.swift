import Foundation
import Testing

@testable import CryptodCtl

/// A temporary checkout: `<root>/etc/cryptod.local.toml` and a nested working directory.
struct Checkout: ~Copyable {
    let root: String

    init(localConfig: String? = "[daemon]\nruntime_dir = \"../var/run\"\n") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("ctl-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/Sources/deep/er", withIntermediateDirectories: true)
        if let localConfig {
            try localConfig.write(toFile: root + "/etc/cryptod.local.toml", atomically: true, encoding: .utf8)
        }
    }

    func write(_ text: String, to relative: String) throws -> String {
        let path = root + "/" + relative
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }
}

@Suite("socket discovery")
struct DaemonLocatorTests {
    func locator(
        socket: String? = nil, config: String? = nil, environment: [String: String] = [:], cwd: String
    ) -> DaemonLocator {
        DaemonLocator(socketFlag: socket, configFlag: config, environment: environment, currentDirectory: cwd)
    }

    @Test("--socket wins over everything, alone")
    func flagFirst() throws {
        let checkout = try Checkout()
        let found = locator(
            socket: "/tmp/x/control.sock", config: "/nowhere.toml",
            environment: ["CRYPTOD_CONTROL_SOCKET": "/tmp/env.sock"],
            cwd: checkout.root
        ).sockets()
        #expect(found.sockets == [ControlSocket(path: "/tmp/x/control.sock", origin: "--socket")])
    }

    @Test("a relative --socket is relative to the current directory")
    func relativeFlag() {
        let found = locator(socket: "run/../run/control.sock", cwd: "/srv/cryptod").sockets()
        #expect(found.sockets.map(\.path) == ["/srv/cryptod/run/control.sock"])
    }

    @Test("$CRYPTOD_CONTROL_SOCKET comes before any configuration")
    func environmentSocket() throws {
        let checkout = try Checkout()
        let found = locator(
            config: "/nowhere.toml", environment: ["CRYPTOD_CONTROL_SOCKET": "/tmp/env.sock"], cwd: checkout.root
        )
        .sockets()
        #expect(found.sockets == [ControlSocket(path: "/tmp/env.sock", origin: "$CRYPTOD_CONTROL_SOCKET")])
    }

    @Test("--config gives its runtime_dir, relative to the file")
    func configFlag() throws {
        let checkout = try Checkout()
        let file = try checkout.write("[daemon]\nruntime_dir = \"run-here\"\n", to: "etc/prod.toml")
        let found = locator(config: file, cwd: "/").sockets()
        #expect(found.sockets.map(\.path) == [checkout.root + "/etc/run-here/control.sock"])
        #expect(found.sockets[0].origin.contains("--config"))
    }

    @Test("$CRYPTOD_CONFIG is used when --config is absent, and environment overrides apply")
    func configVariable() throws {
        let checkout = try Checkout()
        let file = try checkout.write("[daemon]\nruntime_dir = \"/tmp/from-file\"\n", to: "etc/prod.toml")
        let plain = locator(environment: ["CRYPTOD_CONFIG": file], cwd: "/").sockets()
        #expect(plain.sockets.map(\.path) == ["/tmp/from-file/control.sock"])
        #expect(plain.sockets[0].origin.contains("$CRYPTOD_CONFIG"))
        let overridden = locator(
            environment: ["CRYPTOD_CONFIG": file, "CRYPTOD_RUNTIME_DIR": "/tmp/from-env"], cwd: "/"
        ).sockets()
        #expect(overridden.sockets.map(\.path) == ["/tmp/from-env/control.sock"])
    }

    @Test("an invalid file still names its runtime_dir")
    func invalidConfig() throws {
        let checkout = try Checkout()
        let file = try checkout.write(
            "[daemon]\nruntime_dir = \"/tmp/broken-run\"\nlog_level = \"loud\"\n", to: "etc/bad.toml")
        let found = locator(config: file, cwd: "/").sockets()
        #expect(found.sockets.map(\.path) == ["/tmp/broken-run/control.sock"])
        #expect(found.sockets[0].origin.contains("invalid"))
    }

    @Test("a missing --config file gives no socket and says why")
    func missingConfig() {
        let found = locator(config: "/nonexistent/cryptod.toml", cwd: "/").sockets()
        #expect(found.sockets.isEmpty)
        #expect(found.notes == ["/nonexistent/cryptod.toml (--config): no such file"])
    }

    @Test("inside a checkout, the local config is found from any subdirectory, then the default")
    func checkoutSearch() throws {
        let checkout = try Checkout()
        for cwd in [checkout.root, checkout.root + "/etc", checkout.root + "/Sources/deep/er"] {
            let found = locator(cwd: cwd).sockets()
            #expect(
                found.sockets.map(\.path) == [checkout.root + "/var/run/control.sock", "/run/cryptod/control.sock"])
            #expect(found.sockets[0].origin.contains(checkout.root + "/etc/cryptod.local.toml"))
            #expect(found.sockets[1].origin == "the default")
        }
    }

    @Test("outside any checkout only the default is left")
    func defaultSocket() throws {
        let checkout = try Checkout(localConfig: nil)
        let found = locator(cwd: checkout.root + "/Sources/deep").sockets()
        #expect(found.sockets == [ControlSocket(path: "/run/cryptod/control.sock", origin: "the default")])
        #expect(found.notes.isEmpty)
    }

    @Test("the config in use follows the same precedence")
    func configInUse() throws {
        let checkout = try Checkout()
        #expect(
            locator(config: "a.toml", environment: ["CRYPTOD_CONFIG": "/b.toml"], cwd: "/srv").configFile().path
                == "/srv/a.toml")
        #expect(locator(environment: ["CRYPTOD_CONFIG": "/b.toml"], cwd: checkout.root).configFile().path == "/b.toml")
        #expect(locator(cwd: checkout.root + "/Sources").configFile().path == checkout.root + "/etc/cryptod.local.toml")
        let outside = try Checkout(localConfig: nil)
        #expect(locator(cwd: outside.root).configFile().path == "/etc/cryptod/cryptod.toml")
    }

    @Test("the unreachable message lists every socket tried and how to point cryptoctl at the daemon")
    func unreachableMessage() {
        let error = Unreachable(
            attempts: [
                .init(socket: ControlSocket(path: "/a/control.sock", origin: "one"), reason: "no such socket"),
                .init(
                    socket: ControlSocket(path: "/run/cryptod/control.sock", origin: "the default"),
                    reason: "nothing is listening"),
            ],
            notes: ["/x.toml (--config): no such file"])
        let text = error.description
        #expect(text.contains("/a/control.sock (one): no such socket"))
        #expect(text.contains("/run/cryptod/control.sock (the default): nothing is listening"))
        #expect(text.contains("/x.toml (--config): no such file"))
        #expect(text.contains("--socket PATH"))
        #expect(text.contains("CRYPTOD_CONTROL_SOCKET"))
    }
}
