/// The `event_id` of a published event: `<stream>/<epoch>/<sequence>/<index>`.
///
/// Made only of the event's delivery position, so a replay of the same stream after a crash publishes the same
/// ids and a consumer can drop duplicates by id (a unique column). `index` numbers the messages one stream frame
/// becomes (the trades of a batch; across all events of a `marketBatch` frame); it is 0 for a frame of one
/// other event. A conflated message carries the id of the
/// last update it folds in.
package enum RabbitMQEventID {
    package static func make(stream: String, epoch: UInt64, sequence: UInt64, index: Int = 0) -> String {
        "\(stream)/\(epoch)/\(sequence)/\(index)"
    }
}
