import Metrics

/// The RabbitMQ sink's metrics (`cryptod_writer_rabbitmq_…`).
struct RabbitMQSinkMetrics: Sendable {
    /// Messages published, by routing key.
    let published: [RabbitMQRoutingKey: Counter]
    /// Messages the broker confirmed (basic.ack).
    let confirms = Counter(label: "cryptod_writer_rabbitmq_confirms_total")
    /// Messages the broker refused (basic.nack); their batch is retried.
    let nacks = Counter(label: "cryptod_writer_rabbitmq_nacks_total")
    /// Messages returned as unroutable: no queue is bound for their routing key.
    let returned = Counter(label: "cryptod_writer_rabbitmq_returned_total")
    /// Book and ticker updates folded into a later message instead of getting their own.
    let conflated = Counter(label: "cryptod_writer_rabbitmq_conflated_total")
    /// Connection failures, confirm timeouts, nacked batches.
    let errors = Counter(label: "cryptod_writer_rabbitmq_errors_total")
    let connects = Counter(label: "cryptod_writer_rabbitmq_connects_total")
    /// Book deltas ignored: no snapshot yet, or older than the book.
    let skippedDeltas = Counter(label: "cryptod_writer_rabbitmq_book_deltas_skipped_total")
    /// Published and not yet confirmed.
    let unconfirmed = Gauge(label: "cryptod_writer_rabbitmq_unconfirmed")
    /// Conflated updates waiting for their interval to end.
    let pendingConflated = Gauge(label: "cryptod_writer_rabbitmq_conflated_pending")
    let connected = Gauge(label: "cryptod_writer_rabbitmq_connected")

    init() {
        var published: [RabbitMQRoutingKey: Counter] = [:]
        for key in RabbitMQRoutingKey.allCases {
            published[key] = Counter(
                label: "cryptod_writer_rabbitmq_published_total", dimensions: [("routing_key", key.rawValue)])
        }
        self.published = published
    }
}
