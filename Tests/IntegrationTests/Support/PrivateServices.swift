import CRabbitMQ
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// PostgreSQL, Redis and RabbitMQ of one test, started with `scripts/services` on free loopback ports in
/// the sandbox, so the test can stop and start them without disturbing any other test.
struct PrivateServices {
    let directory: String
    let databaseURL: String
    let redisURL: String
    let rabbitmqURL: String
    let environment: [String: String]

    static var script: String {
        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        return checkout + "/scripts/services"
    }

    /// Whether this machine has the servers (scripts/test installs them).
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/lib/postgresql/15/bin/postgres")
            && FileManager.default.isExecutableFile(atPath: "/usr/bin/redis-server")
            && FileManager.default.fileExists(atPath: "/usr/lib/rabbitmq/bin/rabbitmq-server")
    }

    static func start(in sandbox: Sandbox) async throws -> PrivateServices {
        // Not inside the sandbox: that is owner-only, and PostgreSQL runs as the postgres user when the tests
        // run as root (as CI does), which must reach its data directory.
        let directory = "/tmp/cryptod-services-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var environment: [String: String] = [:]
        for name in [
            "CRYPTOD_PG_PORT", "CRYPTOD_REDIS_PORT", "CRYPTOD_RMQ_PORT", "CRYPTOD_RMQ_DIST_PORT",
            "CRYPTOD_RMQ_EPMD_PORT",
        ] {
            environment[name] = String(try freeTCPPort())
        }
        let output = try await run([script, "up", "--dir", directory], environment: environment, timeout: 300)
        var urls: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { urls[String(pair[0])] = String(pair[1]) }
        }
        guard let database = urls["DATABASE_URL"], let redis = urls["REDIS_URL"], let rabbit = urls["RABBITMQ_URL"]
        else {
            throw TestFailure("scripts/services up printed no URLs: \(output)")
        }
        return PrivateServices(
            directory: directory, databaseURL: database, redisURL: redis, rabbitmqURL: rabbit, environment: environment)
    }

    /// A fresh sandbox with its own servers for `body`, both cleaned up afterwards whatever happens.
    static func withSandbox(_ body: (Sandbox, PrivateServices) async throws -> Void) async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let services = try await start(in: sandbox)
        do {
            try await body(sandbox, services)
        } catch {
            await services.down()
            throw error
        }
        await services.down()
    }

    func stop(_ service: String) async throws {
        _ = try await Self.run(
            [Self.script, "stop", service, "--dir", directory], environment: environment, timeout: 120)
    }

    func startAgain() async throws {
        _ = try await Self.run([Self.script, "up", "--dir", directory], environment: environment, timeout: 300)
    }

    func down() async {
        _ = try? await Self.run(
            [Self.script, "down", "--dir", directory, "--purge"], environment: environment, timeout: 120)
    }

    /// `psql -At -c SQL` against the test database; rows as lines of `|`-separated fields.
    func query(_ sql: String) async throws -> [[String]] {
        let output = try await Self.run(
            ["/usr/bin/psql", databaseURL, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], environment: [:], timeout: 60)
        return output.split(separator: "\n").map {
            $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// Runs a command to completion, through posix_spawn and waitpid. Not Foundation's `Process`: it notices
    /// an exit through a descriptor the child's own children inherit, and the servers `scripts/services`
    /// starts live on, so it would wait for them. Output goes to a file for the same reason.
    @discardableResult
    static func run(_ arguments: [String], environment: [String: String], timeout: Int) async throws -> String {
        let output = NSTemporaryDirectory() + "cryptod-run-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // stderr too: when `scripts/services up` fails, what it says there is the reason the test reports.
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let merged = ProcessInfo.processInfo.environment.merging(environment) { $1 }.map { "\($0.key)=\($0.value)" }
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup($0) } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, &envp)
        guard spawned == 0 else {
            throw TestFailure("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))")
        }
        let deadline = ContinuousClock.now + .seconds(timeout)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            guard ContinuousClock.now < deadline else {
                kill(pid, SIGKILL)
                _ = waitpid(pid, &status, 0)
                throw TestFailure("\(arguments.joined(separator: " ")) did not finish within \(timeout) s")
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // WIFEXITED/WEXITSTATUS are macros: the exit code is in the second byte of the status.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited, code == 0 else {
            throw TestFailure("\(arguments.joined(separator: " ")) failed (status \(status)): \(text)")
        }
        return text
    }
}

/// Reads every message waiting in a durable queue (basic.get until empty), acknowledging each.
/// `@unchecked Sendable`: used from one task at a time.
final class QueueDrain: @unchecked Sendable {
    struct Message {
        let routingKey: String
        let body: [String: Any]
        let messageID: String?
    }

    static func drain(url: String, queue: String) throws -> [Message] {
        guard let components = URLComponents(string: url), let host = components.host else {
            throw TestFailure("bad AMQP URL")
        }
        let state = amqp_new_connection()
        defer { amqp_destroy_connection(state) }
        let socket = amqp_tcp_socket_new(state)
        guard cryptod_amqp_socket_open(socket, host, Int32(components.port ?? 5672), 5000) == 0 else {
            throw TestFailure("cannot connect to RabbitMQ")
        }
        let login = cryptod_amqp_login_plain(
            state, "/", 131_072, 0, components.user ?? "guest", components.password ?? "guest")
        guard login.reply_type == AMQP_RESPONSE_NORMAL else { throw TestFailure("RabbitMQ login failed") }
        amqp_channel_open(state, 1)
        guard amqp_get_rpc_reply(state).reply_type == AMQP_RESPONSE_NORMAL else {
            throw TestFailure("channel.open failed")
        }
        var messages: [Message] = []
        while true {
            let reply = queue.withCString { amqp_basic_get(state, 1, amqp_cstring_bytes($0), 0) }
            guard reply.reply_type == AMQP_RESPONSE_NORMAL,
                let method = reply.reply.decoded?.assumingMemoryBound(to: amqp_basic_get_ok_t.self),
                reply.reply.id == AMQP_BASIC_GET_OK_METHOD
            else { break }
            let routingKey = Self.string(method.pointee.routing_key)
            let tag = method.pointee.delivery_tag
            var message = amqp_message_t()
            guard amqp_read_message(state, 1, &message, 0).reply_type == AMQP_RESPONSE_NORMAL else { break }
            let body = Data(bytes: message.body.bytes, count: message.body.len)
            let id =
                message.properties._flags & cryptod_amqp_basic_message_id_flag != 0
                ? Self.string(message.properties.message_id) : nil
            amqp_destroy_message(&message)
            amqp_basic_ack(state, 1, tag, 0)
            let object = (try? JSONSerialization.jsonObject(with: body) as? [String: Any]) ?? [:]
            messages.append(Message(routingKey: routingKey, body: object, messageID: id))
        }
        _ = amqp_channel_close(state, 1, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        return messages
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard let pointer = bytes.bytes, bytes.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }
}
