import CRabbitMQ
import Foundation
import Synchronization

@testable import CryptodSinks

/// One message a test consumer received.
struct RabbitMQDelivery: Sendable {
    var routingKey: String
    var body: String
    var messageID: String?
    var deliveryMode: UInt8
    var contentType: String?
    var headers: [String: String]

    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }
}

/// A consumer over rabbitmq-c: a server-named exclusive queue bound to `crypto.#` on the test's exchange.
/// `@unchecked Sendable`: a test uses it from one thread pool job at a time.
final class RabbitMQTestConsumer: @unchecked Sendable {
    private let state: amqp_connection_state_t
    private let strings = AMQPStrings()
    let exchange: String

    init(url: String, exchange: String, binding: String = "crypto.#") throws {
        let configuration = try RabbitMQSinkConfiguration(url: url, exchange: exchange)
        self.exchange = exchange
        state = amqp_new_connection()
        let socket = amqp_tcp_socket_new(state)
        guard cryptod_amqp_socket_open(socket, configuration.host, Int32(configuration.port), 3000) == 0 else {
            throw SinkError(.unavailable, sink: "test-consumer", "cannot connect")
        }
        try Self.check(
            cryptod_amqp_login_plain(
                state, configuration.virtualHost, 131_072, 0, configuration.user, configuration.password), "login")
        amqp_channel_open(state, 1)
        try Self.check(amqp_get_rpc_reply(state), "channel.open")
        amqp_exchange_declare(state, 1, strings.bytes(exchange), strings.bytes("topic"), 0, 1, 0, 0, amqp_empty_table)
        try Self.check(amqp_get_rpc_reply(state), "exchange.declare")
        guard let declared = amqp_queue_declare(state, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table) else {
            throw SinkError(.unavailable, sink: "test-consumer", "queue.declare")
        }
        let queue = declared.pointee.queue
        let queueName = RabbitMQConnection.string(queue)
        amqp_queue_bind(
            state, 1, strings.bytes(queueName), strings.bytes(exchange), strings.bytes(binding), amqp_empty_table)
        try Self.check(amqp_get_rpc_reply(state), "queue.bind")
        amqp_basic_consume(state, 1, strings.bytes(queueName), amqp_empty_bytes, 0, 1, 1, amqp_empty_table)
        try Self.check(amqp_get_rpc_reply(state), "basic.consume")
    }

    deinit {
        amqp_exchange_delete(state, 1, strings.bytes(exchange), 0)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(state)
    }

    /// Receives until `count` messages came or nothing arrived for `idle`.
    func receive(count: Int = .max, idle: Duration = .milliseconds(1500)) -> [RabbitMQDelivery] {
        var deliveries: [RabbitMQDelivery] = []
        while deliveries.count < count {
            amqp_maybe_release_buffers(state)
            var envelope = amqp_envelope_t()
            let reply = cryptod_amqp_consume(state, &envelope, Int(idle.roundedUpMilliseconds))
            guard reply.reply_type == AMQP_RESPONSE_NORMAL else { break }
            let properties = envelope.message.properties
            var headers: [String: String] = [:]
            if properties._flags & cryptod_amqp_basic_headers_flag != 0 {
                for index in 0..<Int(properties.headers.num_entries) {
                    let entry = properties.headers.entries[index]
                    headers[RabbitMQConnection.string(entry.key)] = RabbitMQConnection.string(entry.value.value.bytes)
                }
            }
            deliveries.append(
                RabbitMQDelivery(
                    routingKey: RabbitMQConnection.string(envelope.routing_key),
                    body: RabbitMQConnection.string(envelope.message.body),
                    messageID: properties._flags & cryptod_amqp_basic_message_id_flag != 0
                        ? RabbitMQConnection.string(properties.message_id) : nil,
                    deliveryMode: properties.delivery_mode,
                    contentType: properties._flags & cryptod_amqp_basic_content_type_flag != 0
                        ? RabbitMQConnection.string(properties.content_type) : nil,
                    headers: headers))
            amqp_destroy_envelope(&envelope)
        }
        return deliveries
    }

    private static func check(_ reply: amqp_rpc_reply_t, _ what: String) throws {
        guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
            throw SinkError(.unavailable, sink: "test-consumer", "\(what): \(RabbitMQConnection.describe(reply))")
        }
    }
}

/// The baseline for the throughput comparison: rabbitmq-c alone, publishing persistent messages in confirm
/// mode and waiting for every confirm per batch, with none of the sink's work (JSON, ids, headers).
enum RabbitMQRawPublisher {
    static func run(url: String, exchange: String, body: [UInt8], messages: Int, batch: Int) throws -> Double {
        let configuration = try RabbitMQSinkConfiguration(url: url, exchange: exchange)
        let strings = AMQPStrings()
        let state = amqp_new_connection()
        defer {
            _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
            amqp_destroy_connection(state)
        }
        let socket = amqp_tcp_socket_new(state)
        guard cryptod_amqp_socket_open(socket, configuration.host, Int32(configuration.port), 3000) == 0 else {
            throw SinkError(.unavailable, sink: "raw", "connect")
        }
        _ = cryptod_amqp_login_plain(
            state, configuration.virtualHost, 131_072, 0, configuration.user, configuration.password)
        amqp_channel_open(state, 1)
        _ = amqp_get_rpc_reply(state)
        amqp_exchange_declare(state, 1, strings.bytes(exchange), strings.bytes("topic"), 0, 1, 0, 0, amqp_empty_table)
        _ = amqp_get_rpc_reply(state)
        amqp_confirm_select(state, 1)
        _ = amqp_get_rpc_reply(state)
        var properties = amqp_basic_properties_t()
        properties._flags = cryptod_amqp_basic_delivery_mode_flag | cryptod_amqp_basic_content_type_flag
        properties.delivery_mode = 2
        properties.content_type = strings.bytes("application/json")
        let started = ContinuousClock.now
        var tag: UInt64 = 0
        var sent = 0
        while sent < messages {
            let count = min(batch, messages - sent)
            for _ in 0..<count {
                let status = body.withUnsafeBytes { raw in
                    amqp_basic_publish(
                        state, 1, strings.bytes(exchange), strings.bytes("crypto.trade.created"), 0, 0, &properties,
                        amqp_bytes_t(len: raw.count, bytes: UnsafeMutableRawPointer(mutating: raw.baseAddress)))
                }
                guard status == 0 else { throw SinkError(.unavailable, sink: "raw", "publish") }
                tag += 1
            }
            sent += count
            var confirmed: UInt64 = 0
            while confirmed < tag {
                var frame = amqp_frame_t()
                guard cryptod_amqp_wait_frame(state, &frame, 10_000) == 0 else {
                    throw SinkError(.unavailable, sink: "raw", "confirm")
                }
                if Int32(frame.frame_type) == AMQP_FRAME_METHOD,
                    frame.payload.method.id == cryptod_amqp_basic_ack_method
                {
                    let ack = frame.payload.method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                    confirmed = max(confirmed, ack.delivery_tag)
                }
                amqp_maybe_release_buffers(state)
            }
        }
        let elapsed = ContinuousClock.now - started
        return Double(messages) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// A TCP relay between the sink and the broker that a test can cut: `cut()` closes every relayed connection
/// and refuses new ones until `resume()` — the broker seen from the sink goes away and comes back.
final class RabbitMQTestProxy: @unchecked Sendable {
    private let listener: Int32
    let port: Int
    private let upstreamPort: Int
    private let state = Mutex<(refusing: Bool, sockets: [Int32])>((false, []))

    init(upstreamPort: Int) throws {
        self.upstreamPort = upstreamPort
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw SinkError(.unavailable, sink: "proxy", "bind") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            _ = $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    deinit { close(listener) }

    func cut() {
        let sockets = state.withLock { state in
            state.refusing = true
            defer { state.sockets = [] }
            return state.sockets
        }
        for socket in sockets { shutdown(socket, Int32(SHUT_RDWR)) }
    }

    func resume() { state.withLock { $0.refusing = false } }

    func stop() {
        cut()
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else { return }
            if state.withLock({ $0.refusing }) {
                close(client)
                continue
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(client)
                close(upstream)
                continue
            }
            state.withLock { $0.sockets += [client, upstream] }
            Thread { Self.pump(from: client, to: upstream) }.start()
            Thread { Self.pump(from: upstream, to: client) }.start()
        }
    }

    private static func pump(from source: Int32, to target: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(source, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            var offset = 0
            while offset < count {
                let written = buffer.withUnsafeBytes {
                    send(target, $0.baseAddress! + offset, count - offset, Int32(MSG_NOSIGNAL))
                }
                if written <= 0 { break }
                offset += written
            }
            if offset < count { break }
        }
        shutdown(source, Int32(SHUT_RDWR))
        shutdown(target, Int32(SHUT_RDWR))
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }
}
