/// Counts for `cryptoctl status`, readable while the sink's thread is busy waiting for confirms.
struct RabbitMQStatus: Sendable {
    var connected = false
    var published: UInt64 = 0
    var confirmed: UInt64 = 0
    var nacked: UInt64 = 0
    var returned: UInt64 = 0
    var conflated: UInt64 = 0
    var errors: UInt64 = 0
    var pendingConflated = 0
    var lastError: String?
}
