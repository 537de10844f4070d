import CryptodFormats
import CryptodModel
import Logging
import Synchronization

/// Turns batches into messages and publishes them with confirms: the RabbitMQ sink's work on its own thread.
///
/// `@unchecked Sendable` because it is handed to the sink's single-thread pool: only that thread touches the
/// connection, the books and the conflator; ``status`` is the one part read elsewhere, behind its lock.
final class RabbitMQPublisher: @unchecked Sendable {
    let configuration: RabbitMQSinkConfiguration
    let status = Mutex(RabbitMQStatus())
    private let logger: Logger
    private let metrics = RabbitMQSinkMetrics()
    private let connection = RabbitMQConnection()
    private var conflator: RabbitMQConflator
    private var books: [MarketKey: OrderBook] = [:]
    private var returnedTotal: UInt64 = 0

    init(configuration: RabbitMQSinkConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.conflator = RabbitMQConflator(interval: configuration.conflationInterval)
        metrics.connected.record(0)
    }

    var isConnected: Bool { connection.isOpen }

    /// The book held for `market` (tests compare it with an independent one).
    func book(for market: MarketKey) -> OrderBook? { books[market] }

    // MARK: - Connection

    func connectIfNeeded() throws(SinkError) {
        guard !connection.isOpen else { return }
        do {
            try connection.open(configuration)
        } catch {
            failed(error.message)
            throw SinkError(.unavailable, sink: "rabbitmq", "\(error.message); retry when the broker is back")
        }
        metrics.connects.increment()
        metrics.connected.record(1)
        status.withLock { $0.connected = true }
        logger.info(
            "rabbitmq connected",
            metadata: [
                "server": "\(configuration.host):\(configuration.port)", "exchange": "\(configuration.exchange)",
            ])
    }

    func close() {
        connection.close()
        status.withLock { $0.connected = false }
        metrics.connected.record(0)
    }

    // MARK: - Writing

    /// Publishes the batch (candles and trades each, books and tickers through the conflator) plus every
    /// conflated update that is due, and returns once the broker confirmed all of them.
    func write(_ batch: SinkBatch) throws(SinkError) {
        try connectIfNeeded()
        let now = ContinuousClock.now
        var messages: [RabbitMQMessage] = []
        messages.reserveCapacity(batch.items.count)
        var taken: [RabbitMQConflator.Update] = []
        var skipped = 0
        // The events of one batched frame (marketBatch) share its sequence number: their indices continue
        // across the frame, so every message keeps an id of its own (a single-event frame starts at 0 as ever).
        var frame: UInt64?
        var base = 0
        for item in batch.items {
            if item.sequence != frame {
                frame = item.sequence
                base = 0
            }
            let offset = base
            defer {
                if case .trades(let trades) = item.event { base += trades.count } else { base += 1 }
            }
            let id = { (index: Int) in
                RabbitMQEventID.make(
                    stream: batch.stream, epoch: batch.epoch, sequence: item.sequence, index: offset + index)
            }
            switch item.event {
            case .ticker(let ticker):
                let update = RabbitMQConflator.Update(
                    key: .init(kind: .ticker, market: ticker.market), value: .ticker(ticker), eventID: id(0), count: 1)
                if let ready = conflator.offer(update, now: now), let message = render(ready) {
                    taken.append(ready)
                    messages.append(message)
                }
            case .trades(let trades):
                for (index, trade) in trades.enumerated() { messages.append(tradeMessage(trade, eventID: id(index))) }
            case .candle(let candle):
                messages.append(candleMessage(candle, eventID: id(0)))
            case .gap(let gap):
                messages.append(gapMessage(gap, eventID: id(0)))
            case .status(let status):
                messages.append(statusMessage(status, eventID: id(0)))
            case .instruments:
                continue  // not an event for consumers yet (docs/events.md)
            case .bookSnapshot(let snapshot):
                books[snapshot.market] = OrderBook(snapshot: snapshot)
                offerBook(
                    snapshot.market, receivedAt: snapshot.receivedAt, origin: snapshot.origin, eventID: id(0), now: now,
                    into: &messages, taken: &taken)
            case .bookDelta(let delta):
                guard var book = books[delta.market], delta.lastUpdateID > book.updateID else {
                    skipped += 1
                    continue
                }
                books[delta.market] = nil  // unique reference: apply in place
                book.apply(delta)
                books[delta.market] = book
                offerBook(
                    delta.market, receivedAt: delta.receivedAt, origin: delta.origin, eventID: id(0), now: now,
                    into: &messages, taken: &taken)
            }
        }
        if skipped > 0 { metrics.skippedDeltas.increment(by: skipped) }
        let due = conflator.due(now: now, force: false)
        for update in due {
            if let message = render(update) {
                taken.append(update)
                messages.append(message)
            }
        }
        do {
            try publish(messages, conflated: taken)
        } catch {
            conflator.restore(taken)
            recordPendingConflated()
            throw error
        }
        recordPendingConflated()
    }

    /// Publishes the conflated updates that are due (all of them with `force`); does nothing while
    /// disconnected (the next write reconnects).
    func flushConflated(force: Bool) throws(SinkError) {
        guard connection.isOpen else { return }
        let due = conflator.due(now: .now, force: force)
        guard !due.isEmpty else { return }
        var messages: [RabbitMQMessage] = []
        var taken: [RabbitMQConflator.Update] = []
        for update in due {
            if let message = render(update) {
                messages.append(message)
                taken.append(update)
            }
        }
        do {
            try publish(messages, conflated: taken)
        } catch {
            conflator.restore(taken)
            recordPendingConflated()
            throw error
        }
        recordPendingConflated()
    }

    private func offerBook(
        _ market: MarketKey, receivedAt: Timestamp, origin: DataOrigin, eventID: String, now: ContinuousClock.Instant,
        into messages: inout [RabbitMQMessage], taken: inout [RabbitMQConflator.Update]
    ) {
        let update = RabbitMQConflator.Update(
            key: .init(kind: .book, market: market), value: .book(receivedAt: receivedAt, origin: origin),
            eventID: eventID, count: 1)
        if let ready = conflator.offer(update, now: now), let message = render(ready) {
            taken.append(ready)
            messages.append(message)
        }
    }

    private func recordPendingConflated() {
        let pending = conflator.pendingCount
        metrics.pendingConflated.record(pending)
        status.withLock { $0.pendingConflated = pending }
    }

    // MARK: - Publishing with confirms

    private func publish(_ messages: [RabbitMQMessage], conflated: [RabbitMQConflator.Update]) throws(SinkError) {
        guard !messages.isEmpty else { return }
        var tracker = RabbitMQConfirmTracker(first: connection.nextTag)
        var returned = 0
        let onReturn = { (message: RabbitMQReturn) in
            returned += 1
            self.unroutable(message)
        }
        do {
            for (index, message) in messages.enumerated() {
                _ = try connection.publish(message)
                tracker.published()
                // Read the acknowledgements that already arrived, so they never fill the socket buffers.
                if index % 256 == 255 { try connection.awaitConfirms(&tracker, timeout: .zero, onReturn: onReturn) }
            }
            metrics.unconfirmed.record(tracker.pending)
            try connection.awaitConfirms(&tracker, timeout: configuration.confirmTimeout, onReturn: onReturn)
        } catch {
            metrics.unconfirmed.record(0)
            metrics.confirms.increment(by: tracker.acked)
            failed(error.message)
            throw SinkError(
                .unavailable, sink: "rabbitmq",
                "\(error.message); \(tracker.pending) of \(messages.count) messages unconfirmed")
        }
        metrics.unconfirmed.record(0)
        var byKey: [RabbitMQRoutingKey: Int] = [:]
        for message in messages { byKey[message.routingKey, default: 0] += 1 }
        for (key, count) in byKey { metrics.published[key]?.increment(by: count) }
        metrics.confirms.increment(by: tracker.acked)
        let folded = conflated.reduce(0) { $0 + $1.count - 1 }
        if folded > 0 { metrics.conflated.increment(by: folded) }
        status.withLock { status in
            status.published += UInt64(messages.count)
            status.confirmed += UInt64(tracker.acked)
            status.nacked += UInt64(tracker.nacked)
            status.returned += UInt64(returned)
            status.conflated += UInt64(folded)
        }
        if returned > 0 { metrics.returned.increment(by: returned) }
        if tracker.nacked > 0 {
            metrics.nacks.increment(by: tracker.nacked)
            metrics.errors.increment()
            throw SinkError(
                .unavailable, sink: "rabbitmq",
                "the broker refused (nack) \(tracker.nacked) of \(messages.count) messages; retry")
        }
    }

    private func unroutable(_ message: RabbitMQReturn) {
        returnedTotal += 1
        // Every message is `mandatory`: with no queue bound the broker returns it. Say so once per thousand.
        if returnedTotal % 1000 == 1 {
            logger.warning(
                "rabbitmq returned an unroutable message: no queue is bound for its routing key (logged once per 1000)",
                metadata: [
                    "routing_key": "\(message.routingKey)", "event_id": "\(message.messageID ?? "-")",
                    "reply": "\(message.replyText)", "returned_total": "\(returnedTotal)",
                ])
        }
    }

    private func failed(_ message: String) {
        metrics.errors.increment()
        metrics.connected.record(0)
        status.withLock { status in
            status.connected = false
            status.errors += 1
            status.lastError = message
        }
        logger.warning("rabbitmq unavailable", metadata: ["error": "\(message)"])
    }

    // MARK: - Messages

    private func leading(_ eventID: String, _ key: RabbitMQRoutingKey) -> EventEnvelopeJSON.Members {
        { json in
            json.field("event_id", eventID)
            json.field("event_type", key.rawValue)
            json.field("schema_version", EventEnvelopeJSON.schemaVersion)
        }
    }

    private func render(_ update: RabbitMQConflator.Update) -> RabbitMQMessage? {
        let conflated: EventEnvelopeJSON.Members = { $0.field("conflated", Int64(update.count)) }
        switch update.value {
        case .ticker(let ticker):
            let key = RabbitMQRoutingKey.priceUpdated
            let body = EventEnvelopeJSON.ticker(ticker, leading: leading(update.eventID, key), trailing: conflated)
            return RabbitMQMessage(
                routingKey: key, eventID: update.eventID, market: ticker.market, timestampSeconds: ticker.time.seconds,
                body: body)
        case .book(let receivedAt, let origin):
            guard let book = books[update.key.market] else { return nil }
            let key = RabbitMQRoutingKey.orderbookUpdated
            var top = book.snapshot(depth: configuration.bookDepth, receivedAt: receivedAt)
            top.origin = origin
            let body = EventEnvelopeJSON.book(
                top, depth: configuration.bookDepth, leading: leading(update.eventID, key), trailing: conflated)
            return RabbitMQMessage(
                routingKey: key, eventID: update.eventID, market: book.market,
                timestampSeconds: (book.time ?? receivedAt).seconds, body: body)
        }
    }

    private func tradeMessage(_ trade: Trade, eventID: String) -> RabbitMQMessage {
        let key = RabbitMQRoutingKey.tradeCreated
        return RabbitMQMessage(
            routingKey: key, eventID: eventID, market: trade.market, timestampSeconds: trade.time.seconds,
            body: EventEnvelopeJSON.trade(trade, leading: leading(eventID, key)))
    }

    /// Closed candles fetched over REST (backfill, gap fill) are history; everything else is a live kline.
    private func candleMessage(_ candle: Candle, eventID: String) -> RabbitMQMessage {
        let historical = candle.isClosed && (candle.origin == .backfill || candle.origin == .gapFill)
        let key: RabbitMQRoutingKey = historical ? .historicalUpdated : .klineUpdated
        return RabbitMQMessage(
            routingKey: key, eventID: eventID, market: candle.market, timestampSeconds: candle.openTime.seconds,
            body: EventEnvelopeJSON.candle(candle, leading: leading(eventID, key)))
    }

    private func gapMessage(_ gap: StreamGap, eventID: String) -> RabbitMQMessage {
        let key: RabbitMQRoutingKey = gap.state == .opened ? .gapOpened : .gapClosed
        return RabbitMQMessage(
            routingKey: key, eventID: eventID, market: gap.market,
            timestampSeconds: (gap.closedAt ?? gap.openedAt).seconds,
            body: EventEnvelopeJSON.gap(gap, leading: leading(eventID, key)))
    }

    private func statusMessage(_ status: SourceStatus, eventID: String) -> RabbitMQMessage {
        let key = RabbitMQRoutingKey.sourceStatus
        return RabbitMQMessage(
            routingKey: key, eventID: eventID, exchange: status.exchange, market: status.market,
            timestampSeconds: status.time.seconds,
            body: EventEnvelopeJSON.status(status, leading: leading(eventID, key)))
    }
}
