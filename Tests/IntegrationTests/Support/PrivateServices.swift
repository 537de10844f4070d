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
        let directory = sandbox.root + "/services"
        var environment: [String: String] = [:]
        for name in ["CRYPTOD_PG_PORT", "CRYPTOD_REDIS_PORT", "CRYPTOD_RMQ_PORT", "CRYPTOD_RMQ_DIST_PORT", "CRYPTOD_RMQ_EPMD_PORT"] {
            environment[name] = String(try freeTCPPort())
        }
        let output = try run([script, "up", "--dir", directory], environment: environment, timeout: 180)
        var urls: [String: String] = [:]
        for line in output.split(separator: "\n") where line.hasPrefix("export ") {
            let pair = line.dropFirst(7).split(separator: "=", maxSplits: 1)
            if pair.count == 2 { urls[String(pair[0])] = String(pair[1]) }
        }
        guard let database = urls["DATABASE_URL"], let redis = urls["REDIS_URL"], let rabbit = urls["RABBITMQ_URL"] else {
            throw TestFailure("scripts/services up printed no URLs: \(output)")
        }
        return PrivateServices(directory: directory, databaseURL: database, redisURL: redis, rabbitmqURL: rabbit, environment: environment)
    }

    func stop(_ service: String) throws { _ = try Self.run([Self.script, "stop", service, "--dir", directory], environment: environment, timeout: 120) }
    func startAgain() throws { _ = try Self.run([Self.script, "up", "--dir", directory], environment: environment, timeout: 180) }
    func down() { _ = try? Self.run([Self.script, "down", "--dir", directory], environment: environment, timeout: 120) }

    /// `psql -At -c SQL` against the test database; rows as lines of `|`-separated fields.
    func query(_ sql: String) throws -> [[String]] {
        let output = try Self.run(["/usr/bin/psql", databaseURL, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql], environment: [:], timeout: 60)
        return output.split(separator: "\n").map { $0.split(separator: "|", omittingEmptySubsequences: false).map(String.init) }
    }

    @discardableResult
    static func run(_ arguments: [String], environment: [String: String], timeout: Int) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        let errors = FileHandle(forWritingAtPath: "/dev/null")
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("\(arguments.joined(separator: " ")) exited with \(process.terminationStatus): \(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
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
        guard let components = URLComponents(string: url), let host = components.host else { throw TestFailure("bad AMQP URL") }
        let state = amqp_new_connection()
        defer { amqp_destroy_connection(state) }
        let socket = amqp_tcp_socket_new(state)
        guard cryptod_amqp_socket_open(socket, host, Int32(components.port ?? 5672), 5000) == 0 else { throw TestFailure("cannot connect to RabbitMQ") }
        let login = cryptod_amqp_login_plain(state, "/", 131_072, 0, components.user ?? "guest", components.password ?? "guest")
        guard login.reply_type == AMQP_RESPONSE_NORMAL else { throw TestFailure("RabbitMQ login failed") }
        amqp_channel_open(state, 1)
        guard amqp_get_rpc_reply(state).reply_type == AMQP_RESPONSE_NORMAL else { throw TestFailure("channel.open failed") }
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
            let id = message.properties._flags & cryptod_amqp_basic_message_id_flag != 0 ? Self.string(message.properties.message_id) : nil
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
