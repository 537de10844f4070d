import Metrics

/// The WebSocket feed's own metrics, beside ``GatewayMetrics`` (clients, messages sent, slow-client
/// disconnects, refusals and request errors are there).
///
/// | Metric | Type | Meaning |
/// | --- | --- | --- |
/// | `cryptod_gateway_ws_dropped_messages_total` | counter | messages never delivered because their client was dropped as too slow |
/// | `cryptod_gateway_ws_resumes_total` | counter | subscriptions resumed from the replay buffer |
/// | `cryptod_gateway_ws_replayed_messages_total` | counter | messages sent again from the replay buffer |
/// | `cryptod_gateway_ws_resyncs_total` | counter | `resync` messages sent (the replay buffer did not hold the client's position) |
/// | `cryptod_gateway_ws_book_snapshots_total` | counter | order-book snapshots sent on subscribe or resync |
/// | `cryptod_gateway_ws_heartbeats_total` | counter | heartbeat messages queued |
/// | `cryptod_gateway_ws_unplaced_book_events_total` | counter | book deltas not forwarded: no snapshot yet, or not newer than the book |
/// | `cryptod_gateway_ws_passthrough_total` | counter | stream-gap and source-status events queued to clients |
/// | `cryptod_gateway_ws_topics` | gauge | topics with a sequence and a replay buffer |
package final class WebSocketMetrics: Sendable {
    let droppedMessages: Counter
    let resumes: Counter
    let replayedMessages: Counter
    let resyncs: Counter
    let bookSnapshots: Counter
    let heartbeats: Counter
    let unplacedBookEvents: Counter
    let passThrough: Counter
    let topics: Gauge
    /// Bytes the topics' replay buffers hold together (bounded by `gateway.ws_replay_memory`).
    let replayBytes: Gauge

    package init(factory: any MetricsFactory) {
        droppedMessages = Counter(label: "cryptod_gateway_ws_dropped_messages_total", factory: factory)
        resumes = Counter(label: "cryptod_gateway_ws_resumes_total", factory: factory)
        replayedMessages = Counter(label: "cryptod_gateway_ws_replayed_messages_total", factory: factory)
        resyncs = Counter(label: "cryptod_gateway_ws_resyncs_total", factory: factory)
        bookSnapshots = Counter(label: "cryptod_gateway_ws_book_snapshots_total", factory: factory)
        heartbeats = Counter(label: "cryptod_gateway_ws_heartbeats_total", factory: factory)
        unplacedBookEvents = Counter(label: "cryptod_gateway_ws_unplaced_book_events_total", factory: factory)
        passThrough = Counter(label: "cryptod_gateway_ws_passthrough_total", factory: factory)
        topics = Gauge(label: "cryptod_gateway_ws_topics", factory: factory)
        topics.record(0)
        replayBytes = Gauge(label: "cryptod_gateway_ws_replay_bytes", factory: factory)
        replayBytes.record(0)
    }
}
