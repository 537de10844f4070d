import CHiredis

/// One reply of a pipelined command.
enum RedisReply: Sendable, Equatable {
    case status(String)
    case error(String)
    case integer(Int64)
    case bulk([UInt8])
    case null
    case array([RedisReply])

    var isError: Bool {
        if case .error = self { return true }
        return false
    }
}

/// Why a Redis call failed: the connection is unusable (`connection`) or the server refused (`server`).
struct RedisFailure: Error, Sendable, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// One hiredis connection. Not thread-safe: it lives on the sink's own thread, never on the cooperative pool,
/// because every hiredis call blocks.
final class RedisConnection {
    private var context: UnsafeMutablePointer<redisContext>?

    init() {}

    deinit { close() }

    var isOpen: Bool { context != nil }

    /// Connects, sets the socket timeout, authenticates and selects the database.
    func open(_ configuration: RedisSinkConfiguration) throws(RedisFailure) {
        close()
        guard
            let context = cryptod_redis_connect(
                configuration.host, Int32(configuration.port), Int(configuration.connectTimeout.roundedUpMilliseconds))
        else { throw RedisFailure(message: "cannot allocate a hiredis context") }
        if cryptod_redis_err(context) != 0 {
            let message = String(cString: cryptod_redis_errstr(context))
            redisFree(context)
            throw RedisFailure(message: "connect to \(configuration.host):\(configuration.port): \(message)")
        }
        self.context = context
        _ = cryptod_redis_set_timeout(context, Int(configuration.commandTimeout.roundedUpMilliseconds))
        var setup: [[[UInt8]]] = []
        if let password = configuration.password {
            setup.append(
                [Array("AUTH".utf8)] + (configuration.username.map { [Array($0.utf8)] } ?? []) + [Array(password.utf8)])
        }
        if configuration.database != 0 {
            setup.append([Array("SELECT".utf8), Array(String(configuration.database).utf8)])
        }
        guard !setup.isEmpty else { return }
        let replies = try pipeline(setup)
        if let failed = replies.first(where: \.isError), case .error(let message) = failed {
            close()
            throw RedisFailure(message: "Redis refused AUTH/SELECT: \(message)")
        }
    }

    func close() {
        if let context { redisFree(context) }
        context = nil
    }

    /// Sends every command in one go (`redisAppendCommandArgv`), then reads one reply per command.
    ///
    /// - Throws: ``RedisFailure`` when the connection broke; the connection is closed then. A command the
    ///   server refused is an `.error` reply, not a throw.
    func pipeline(_ commands: [[[UInt8]]]) throws(RedisFailure) -> [RedisReply] {
        guard let context else { throw RedisFailure(message: "not connected") }
        for command in commands {
            if append(command, to: context) != REDIS_OK { throw failure(context, "append") }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(context, &raw) != REDIS_OK || raw == nil { throw failure(context, "read") }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.convert(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    private func failure(_ context: UnsafeMutablePointer<redisContext>, _ step: String) -> RedisFailure {
        let message = cryptod_redis_err(context) != 0 ? String(cString: cryptod_redis_errstr(context)) : "unknown error"
        close()
        return RedisFailure(message: "\(step): \(message)")
    }

    private func append(_ arguments: [[UInt8]], to context: UnsafeMutablePointer<redisContext>) -> Int32 {
        // One contiguous buffer (plus a spare byte, so an empty argument still has an address); hiredis copies
        // the arguments into its output buffer, so the pointers need to live only for this call.
        var flat: [UInt8] = []
        flat.reserveCapacity(arguments.reduce(1) { $0 + $1.count })
        var lengths: [Int] = []
        lengths.reserveCapacity(arguments.count)
        for argument in arguments {
            flat.append(contentsOf: argument)
            lengths.append(argument.count)
        }
        flat.append(0)
        return flat.withUnsafeBufferPointer { buffer in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            var offset = 0
            var pointers: [UnsafePointer<CChar>?] = []
            pointers.reserveCapacity(lengths.count)
            for length in lengths {
                pointers.append(base.advanced(by: offset).assumingMemoryBound(to: CChar.self))
                offset += length
            }
            return pointers.withUnsafeMutableBufferPointer { pointerBuffer in
                lengths.withUnsafeBufferPointer { lengthBuffer in
                    redisAppendCommandArgv(
                        context, Int32(lengths.count), pointerBuffer.baseAddress, lengthBuffer.baseAddress)
                }
            }
        }
    }

    private static func convert(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        func text() -> [UInt8] {
            guard let str = value.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: str, count: Int(value.len)))
        }
        switch value.type {
        case REDIS_REPLY_STATUS: return .status(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(value.integer))
        case REDIS_REPLY_STRING: return .bulk(text())
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] { elements.append(convert(element)) }
            }
            return .array(elements)
        default: return .null
        }
    }
}
