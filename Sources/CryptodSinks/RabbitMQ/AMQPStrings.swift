import CRabbitMQ

#if canImport(Glibc)
import Glibc
#endif

/// C copies of strings that rabbitmq-c reads through `amqp_bytes_t`, freed with the holder (Swift's own string
/// pointers live only for one call).
final class AMQPStrings {
    private var pointers: [UnsafeMutableRawPointer] = []
    private var cache: [String: amqp_bytes_t] = [:]

    init() {}

    deinit { for pointer in pointers { free(pointer) } }

    func bytes(_ text: String) -> amqp_bytes_t {
        if let cached = cache[text] { return cached }
        var utf8 = Array(text.utf8)
        let count = utf8.count
        utf8.append(0)
        guard let pointer = malloc(utf8.count) else { fatalError("out of memory") }
        utf8.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        pointers.append(pointer)
        let bytes = amqp_bytes_t(len: count, bytes: pointer)
        cache[text] = bytes
        return bytes
    }
}
