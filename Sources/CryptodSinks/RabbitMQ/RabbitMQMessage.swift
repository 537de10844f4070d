import CryptodModel

/// One message to publish: the routing key, the JSON body and the properties consumers deduplicate on.
package struct RabbitMQMessage: Sendable, Hashable {
    package var routingKey: RabbitMQRoutingKey
    /// Deterministic (``RabbitMQEventID``): also the AMQP `message_id` property.
    package var eventID: String
    package var exchange: ExchangeID
    /// `nil` for a source status of a whole connection.
    package var market: MarketKey?
    /// The AMQP `timestamp` property: when the event happened, in seconds (AMQP's unit).
    package var timestampSeconds: Int64
    package var body: [UInt8]

    package init(
        routingKey: RabbitMQRoutingKey, eventID: String, market: MarketKey, timestampSeconds: Int64, body: [UInt8]
    ) {
        self.init(
            routingKey: routingKey, eventID: eventID, exchange: market.exchange, market: market,
            timestampSeconds: timestampSeconds, body: body)
    }

    package init(
        routingKey: RabbitMQRoutingKey, eventID: String, exchange: ExchangeID, market: MarketKey?,
        timestampSeconds: Int64,
        body: [UInt8]
    ) {
        self.routingKey = routingKey
        self.eventID = eventID
        self.exchange = exchange
        self.market = market
        self.timestampSeconds = timestampSeconds
        self.body = body
    }
}
