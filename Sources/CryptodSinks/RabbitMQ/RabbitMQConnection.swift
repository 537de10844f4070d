import CRabbitMQ

#if canImport(Glibc)
import Glibc
#endif

/// Why a RabbitMQ call failed. Every failure leaves the connection closed.
struct RabbitMQFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A message the broker returned as unroutable (`mandatory` and no queue bound for its routing key).
struct RabbitMQReturn: Sendable {
    var routingKey: String
    var messageID: String?
    var replyText: String
}

/// One rabbitmq-c connection with channel 1 in confirm mode. Not thread-safe: it lives on the sink's own
/// thread, because every rabbitmq-c call blocks.
final class RabbitMQConnection {
    private var state: amqp_connection_state_t?
    private let channel: amqp_channel_t = 1
    /// The delivery tag the broker gives the next publish (confirm mode numbers publishes from 1).
    private(set) var nextTag: UInt64 = 1
    private let persistent = AMQPStrings()

    init() {}

    deinit { close() }

    var isOpen: Bool { state != nil }

    // MARK: - Connecting

    /// Connects, logs in, opens channel 1, declares the exchange (and the optional queue), selects confirms.
    func open(_ configuration: RabbitMQSinkConfiguration) throws(RabbitMQFailure) {
        close()
        guard let connection = amqp_new_connection() else {
            throw RabbitMQFailure(message: "cannot allocate a connection")
        }
        guard let socket = amqp_tcp_socket_new(connection) else {
            amqp_destroy_connection(connection)
            throw RabbitMQFailure(message: "cannot allocate a socket")
        }
        let where_ = "\(configuration.host):\(configuration.port)"
        let status = cryptod_amqp_socket_open(
            socket, configuration.host, Int32(configuration.port),
            Int(configuration.connectTimeout.roundedUpMilliseconds))
        if status != AMQP_STATUS_OK.rawValue {
            amqp_destroy_connection(connection)
            throw RabbitMQFailure(message: "connect to \(where_): \(String(cString: amqp_error_string2(status)))")
        }
        state = connection
        _ = cryptod_amqp_set_rpc_timeout(connection, Int(configuration.confirmTimeout.roundedUpMilliseconds))
        try check(
            cryptod_amqp_login_plain(
                connection, configuration.virtualHost, 131_072, Int32(configuration.heartbeatSeconds),
                configuration.user,
                configuration.password), "login to \(where_)")
        amqp_channel_open(connection, channel)
        try check(amqp_get_rpc_reply(connection), "channel.open")
        let strings = AMQPStrings()
        amqp_exchange_declare(
            connection, channel, strings.bytes(configuration.exchange), strings.bytes("topic"), 0, 1, 0, 0,
            amqp_empty_table)
        try check(amqp_get_rpc_reply(connection), "exchange.declare \(configuration.exchange)")
        if let queue = configuration.queue {
            amqp_queue_declare(connection, channel, strings.bytes(queue), 0, 1, 0, 0, amqp_empty_table)
            try check(amqp_get_rpc_reply(connection), "queue.declare \(queue)")
            amqp_queue_bind(
                connection, channel, strings.bytes(queue), strings.bytes(configuration.exchange),
                strings.bytes(configuration.queueBinding), amqp_empty_table)
            try check(amqp_get_rpc_reply(connection), "queue.bind \(queue)")
        }
        amqp_confirm_select(connection, channel)
        try check(amqp_get_rpc_reply(connection), "confirm.select")
        nextTag = 1
        exchange = persistent.bytes(configuration.exchange)
    }

    private var exchange = amqp_empty_bytes

    /// Closes politely when the connection still works, and frees it in any case.
    func close() {
        guard let connection = state else { return }
        state = nil
        _ = amqp_connection_close(connection, AMQP_REPLY_SUCCESS)
        amqp_destroy_connection(connection)
    }

    /// Drops the connection without the close handshake (after a failure the socket may be dead or hung).
    func abandon() {
        guard let connection = state else { return }
        state = nil
        amqp_destroy_connection(connection)
    }

    // MARK: - Publishing

    /// Publishes one persistent message (`delivery_mode` 2, `mandatory`), returning its delivery tag.
    func publish(_ message: RabbitMQMessage) throws(RabbitMQFailure) -> UInt64 {
        guard let connection = state else { throw RabbitMQFailure(message: "not connected") }
        let strings = AMQPStrings()
        var properties = amqp_basic_properties_t()
        properties._flags =
            cryptod_amqp_basic_content_type_flag | cryptod_amqp_basic_delivery_mode_flag
            | cryptod_amqp_basic_message_id_flag
            | cryptod_amqp_basic_type_flag | cryptod_amqp_basic_timestamp_flag | cryptod_amqp_basic_app_id_flag
            | cryptod_amqp_basic_headers_flag
        properties.content_type = persistent.bytes("application/json")
        properties.delivery_mode = 2
        properties.message_id = strings.bytes(message.eventID)
        properties.type = persistent.bytes(message.routingKey.rawValue)
        properties.timestamp = UInt64(max(message.timestampSeconds, 0))
        properties.app_id = persistent.bytes("cryptod")
        var headers: [(String, String)] = [("exchange", message.exchange.rawValue)]
        if let market = message.market { headers += [("market", market.type.description), ("symbol", market.symbol)] }
        let entries = UnsafeMutablePointer<amqp_table_entry_t>.allocate(capacity: headers.count)
        defer { entries.deallocate() }
        for (index, header) in headers.enumerated() {
            var value = amqp_field_value_t()
            value.kind = UInt8(AMQP_FIELD_KIND_UTF8.rawValue)
            value.value.bytes = strings.bytes(header.1)
            (entries + index).initialize(to: amqp_table_entry_t(key: strings.bytes(header.0), value: value))
        }
        properties.headers = amqp_table_t(num_entries: Int32(headers.count), entries: entries)
        let routingKey = persistent.bytes(message.routingKey.rawValue)
        let status = message.body.withUnsafeBytes { body in
            amqp_basic_publish(
                connection, channel, exchange, routingKey, 1, 0, &properties,
                amqp_bytes_t(len: body.count, bytes: UnsafeMutableRawPointer(mutating: body.baseAddress)))
        }
        guard status == AMQP_STATUS_OK.rawValue else {
            abandon()
            throw RabbitMQFailure(message: "publish: \(String(cString: amqp_error_string2(status)))")
        }
        defer { nextTag += 1 }
        return nextTag
    }

    /// Reads confirms (and returns) until every tag of `tracker` is settled, or until `timeout` passes.
    ///
    /// With `timeout` zero it reads only what has already arrived: called between publishes, so the broker's
    /// acknowledgements never pile up in the socket while a large batch goes out.
    func awaitConfirms(
        _ tracker: inout RabbitMQConfirmTracker, timeout: Duration, onReturn: (RabbitMQReturn) -> Void
    ) throws(RabbitMQFailure) {
        guard let connection = state else { throw RabbitMQFailure(message: "not connected") }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while tracker.pending > 0 {
            let remaining = timeout == .zero ? 0 : max((deadline - .now).roundedUpMilliseconds, 0)
            if timeout != .zero, remaining == 0 {
                abandon()
                throw RabbitMQFailure(message: "no confirm for \(tracker.pending) messages within \(timeout)")
            }
            var frame = amqp_frame_t()
            let status = cryptod_amqp_wait_frame(connection, &frame, Int(remaining))
            if status == AMQP_STATUS_TIMEOUT.rawValue {
                if timeout == .zero { return }
                continue
            }
            guard status == AMQP_STATUS_OK.rawValue else {
                abandon()
                throw RabbitMQFailure(message: "reading confirms: \(String(cString: amqp_error_string2(status)))")
            }
            guard Int32(frame.frame_type) == AMQP_FRAME_METHOD else { continue }
            let method = frame.payload.method
            switch method.id {
            case cryptod_amqp_basic_ack_method:
                let ack = method.decoded.assumingMemoryBound(to: amqp_basic_ack_t.self).pointee
                tracker.settle(tag: ack.delivery_tag, multiple: ack.multiple != 0, ack: true)
            case cryptod_amqp_basic_nack_method:
                let nack = method.decoded.assumingMemoryBound(to: amqp_basic_nack_t.self).pointee
                tracker.settle(tag: nack.delivery_tag, multiple: nack.multiple != 0, ack: false)
            case cryptod_amqp_basic_return_method:
                let returned = method.decoded.assumingMemoryBound(to: amqp_basic_return_t.self).pointee
                var message = amqp_message_t()
                let reply = amqp_read_message(connection, frame.channel, &message, 0)
                guard reply.reply_type == AMQP_RESPONSE_NORMAL else {
                    abandon()
                    throw RabbitMQFailure(message: "reading a returned message failed")
                }
                var messageID: String?
                if message.properties._flags & cryptod_amqp_basic_message_id_flag != 0 {
                    messageID = Self.string(message.properties.message_id)
                }
                onReturn(
                    RabbitMQReturn(
                        routingKey: Self.string(returned.routing_key), messageID: messageID,
                        replyText: Self.string(returned.reply_text)))
                amqp_destroy_message(&message)
            case cryptod_amqp_channel_close_method:
                let close = method.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                abandon()
                throw RabbitMQFailure(
                    message: "broker closed the channel: \(close.reply_code) \(Self.string(close.reply_text))")
            case cryptod_amqp_connection_close_method:
                let close = method.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                abandon()
                throw RabbitMQFailure(
                    message: "broker closed the connection: \(close.reply_code) \(Self.string(close.reply_text))")
            default:
                break
            }
            amqp_maybe_release_buffers(connection)
        }
    }

    // MARK: - Helpers

    private func check(_ reply: amqp_rpc_reply_t, _ what: String) throws(RabbitMQFailure) {
        guard reply.reply_type != AMQP_RESPONSE_NORMAL else { return }
        let message = Self.describe(reply)
        abandon()
        throw RabbitMQFailure(message: "\(what): \(message)")
    }

    static func describe(_ reply: amqp_rpc_reply_t) -> String {
        switch reply.reply_type {
        case AMQP_RESPONSE_NONE: return "no reply"
        case AMQP_RESPONSE_LIBRARY_EXCEPTION: return String(cString: amqp_error_string2(reply.library_error))
        case AMQP_RESPONSE_SERVER_EXCEPTION:
            switch reply.reply.id {
            case cryptod_amqp_connection_close_method:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_connection_close_t.self).pointee
                return "server closed the connection: \(close.reply_code) \(string(close.reply_text))"
            case cryptod_amqp_channel_close_method:
                let close = reply.reply.decoded.assumingMemoryBound(to: amqp_channel_close_t.self).pointee
                return "server closed the channel: \(close.reply_code) \(string(close.reply_text))"
            default: return "server error (method \(reply.reply.id))"
            }
        default: return "unexpected reply"
        }
    }

    static func string(_ bytes: amqp_bytes_t) -> String {
        guard let pointer = bytes.bytes, bytes.len > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: bytes.len), as: UTF8.self)
    }
}
