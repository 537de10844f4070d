import Metrics

/// The Redis sink's metrics (`cryptod_writer_redis_…`).
struct RedisSinkMetrics: Sendable {
    /// Commands sent (every `SET`, including refills).
    let commands = Counter(label: "cryptod_writer_redis_commands_total")
    /// Failed commands and broken connections.
    let errors = Counter(label: "cryptod_writer_redis_errors_total")
    /// Value updates taken while Redis was unreachable (kept in memory, written on reconnect).
    let deferred = Counter(label: "cryptod_writer_redis_deferred_total")
    /// Values that expired before Redis came back, so were never written.
    let expired = Counter(label: "cryptod_writer_redis_expired_total")
    let reconnects = Counter(label: "cryptod_writer_redis_reconnects_total")
    /// Book deltas ignored: no snapshot yet, or older than the book.
    let staleDeltas = Counter(label: "cryptod_writer_redis_book_deltas_skipped_total")
    /// Keys whose latest value Redis does not have yet.
    let pendingKeys = Gauge(label: "cryptod_writer_redis_pending_keys")
    let connected = Gauge(label: "cryptod_writer_redis_connected")
}
