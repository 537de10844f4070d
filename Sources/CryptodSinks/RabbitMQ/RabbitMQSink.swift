import CryptodModel
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Publishes market events to a durable topic exchange with persistent messages and publisher confirms
/// (contract in docs/events.md).
///
/// `write` returns only when the broker confirmed every message of the batch; a broken connection, a confirm
/// timeout or a nack throws ``SinkError`` `unavailable` and the writer retries the batch (the event ids make
/// the duplicates recognisable), and the next write reconnects. Candles and trades are published one message
/// each; books and tickers are conflated per market (``RabbitMQConflator``): a timer and every write flush the
/// updates whose interval has passed. Every rabbitmq-c call runs on the sink's own thread.
package final class RabbitMQSink: Sink {
    package let name = "rabbitmq"
    package let keepsPositions = false
    package var configuration: RabbitMQSinkConfiguration { publisher.configuration }

    private let logger: Logger
    private let publisher: RabbitMQPublisher
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    package init(configuration: RabbitMQSinkConfiguration, logger: Logger) {
        self.logger = logger
        self.publisher = RabbitMQPublisher(configuration: configuration, logger: logger)
        thread.start()
    }

    // MARK: - Sink

    /// Connects and declares the exchange; throws `unavailable` when the broker cannot be reached.
    package func start() async throws {
        signal(SIGPIPE, SIG_IGN)
        startTimer()
        try await onThread { publisher in try publisher.connectIfNeeded() }
    }

    package func position(of stream: String) async throws -> SinkPosition? { nil }

    package func write(_ batch: SinkBatch) async throws {
        try await onThread { publisher in try publisher.write(batch) }
    }

    /// Publishes every pending conflated update now (shutdown, tests).
    package func flushConflated() async throws {
        try await onThread { publisher in try publisher.flushConflated(force: true) }
    }

    package func close() async {
        let task = timer.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        try? await onThread { publisher in
            try? publisher.flushConflated(force: true)
            publisher.close()
        }
        try? await thread.shutdownGracefully()
    }

    package func statusDetails() async -> [(String, String)] {
        let status = publisher.status.withLock { $0 }
        var details: [(String, String)] = [
            ("server", "\(configuration.host):\(configuration.port)"),
            ("exchange", configuration.exchange),
            ("connected", status.connected ? "yes" : "no"),
            ("published", String(status.published)),
            ("confirmed", String(status.confirmed)),
            ("nacked", String(status.nacked)),
            ("returned", String(status.returned)),
            ("conflated", String(status.conflated)),
            ("conflated_pending", String(status.pendingConflated)),
            ("errors", String(status.errors)),
        ]
        if let lastError = status.lastError { details.append(("last_error", lastError)) }
        return details
    }

    // MARK: - Inspection

    package var isConnected: Bool { publisher.status.withLock { $0.connected } }

    /// The book the sink holds for `market`.
    package func book(for market: MarketKey) async -> OrderBook? {
        try? await thread.runIfActive { [publisher] in publisher.book(for: market) }
    }

    // MARK: - Thread

    private func onThread<T: Sendable>(_ body: @escaping @Sendable (RabbitMQPublisher) throws -> T) async throws -> T {
        do {
            return try await thread.runIfActive { [publisher] in try body(publisher) }
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError(.unavailable, sink: name, "the sink is closed")
        }
    }

    /// Flushes due conflated updates between writes, a few times per interval.
    private func startTimer() {
        let interval = configuration.conflationInterval
        guard interval > .zero else { return }
        let tick = min(max(interval / 4, .milliseconds(10)), .seconds(1))
        timer.withLock { task in
            guard task == nil else { return }
            task = Task { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: tick)
                    guard let self else { return }
                    try? await self.onThread { publisher in try publisher.flushConflated(force: false) }
                }
            }
        }
    }
}
