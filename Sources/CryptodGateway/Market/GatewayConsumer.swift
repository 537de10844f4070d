import CryptodIPC
import CryptodModel
import CryptodWire
import Logging

/// Receives the market-data streams (from ingestors and tools): keeps the latest state and fans every event
/// out to the WebSocket clients.
///
/// Order-book events reach ``books`` through ``WebSocketHub/publish(_:)``, which applies each one under
/// the same lock as its fan-out: that is what lets a new book subscriber get a snapshot and then exactly
/// the deltas after it.
///
/// The gateway keeps no durable position: its state lives in memory, so after a restart the senders'
/// replay of unacknowledged frames is exactly what it needs. `consume` never waits on a client and never
/// throws, so a slow client cannot hold back acknowledgements.
package struct GatewayConsumer: StreamConsumer {
    package let state: MarketState
    package let hub: WebSocketHub
    let metrics: GatewayMetrics
    /// Latency per stage, from each event's times (`/api/v1/stream/stats`).
    package let latency: StageLatency
    let logger: Logger

    package init(
        state: MarketState, hub: WebSocketHub, metrics: GatewayMetrics, latency: StageLatency = StageLatency(),
        logger: Logger
    ) {
        self.state = state
        self.hub = hub
        self.metrics = metrics
        self.latency = latency
        self.logger = logger
    }

    /// The order books this consumer feeds (through the hub).
    package var books: BookStore { hub.books }

    package func position(of stream: String) async throws -> StreamPosition? { nil }

    package func consume(_ delivery: StreamDelivery) async throws {
        for item in delivery.items {
            let events = item.message.marketEvents
            if events.isEmpty {
                logger.debug(
                    "ignoring a non-market message on a market-data stream",
                    metadata: ["stream": "\(delivery.stream)", "type": "\(item.message.type)"])
                continue
            }
            latency.record(events)
            for event in events {
                if let channel = MarketChannel(event) { metrics.eventReceived(channel) }
                state.apply(event)
                hub.publish(event)
            }
        }
    }
}
