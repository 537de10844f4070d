import CryptodIPC
import CryptodModel
import CryptodWire
import Logging

/// Receives the market-data streams (from ingestors and tools): keeps the latest state and fans every event
/// out to the WebSocket clients.
///
/// The gateway keeps no durable position: its state lives in memory, so after a restart the senders'
/// replay of unacknowledged frames is exactly what it needs. `consume` never waits on a client and never
/// throws, so a slow client cannot hold back acknowledgements.
package struct GatewayConsumer: StreamConsumer {
    package let state: MarketState
    package let hub: WebSocketHub
    package let books: BookStore
    let metrics: GatewayMetrics
    let logger: Logger

    package init(
        state: MarketState, hub: WebSocketHub, metrics: GatewayMetrics, logger: Logger, books: BookStore = BookStore()
    ) {
        self.state = state
        self.books = books
        self.hub = hub
        self.metrics = metrics
        self.logger = logger
    }

    package func position(of stream: String) async throws -> StreamPosition? { nil }

    package func consume(_ delivery: StreamDelivery) async throws {
        for item in delivery.items {
            guard let event = item.message.marketEvent else {
                logger.debug(
                    "ignoring a non-market message on a market-data stream",
                    metadata: ["stream": "\(delivery.stream)", "type": "\(item.message.type)"])
                continue
            }
            if let channel = MarketChannel(event) { metrics.eventReceived(channel) }
            state.apply(event)
            books.apply(event)
            hub.publish(event)
        }
    }
}
