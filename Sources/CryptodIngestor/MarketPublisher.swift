import CryptodIPC
import CryptodModel
import CryptodWire
import Metrics

/// Where an ingestor's market data goes: every event is queued on the reliable stream to the writer and
/// to the gateway (whichever are enabled). Queuing never waits for the network; the streams keep frames
/// until the receivers acknowledge them, spilling to disk beyond their memory limit.
package struct MarketPublisher: Sendable {
    let streams: [ReliableSender]
    private let published: Counter

    init(streams: [ReliableSender], exchange: ExchangeID) {
        self.streams = streams
        self.published = Counter(label: "cryptod_ingestor_events_published_total", dimensions: [("exchange", exchange.rawValue)])
    }

    /// Publishes one normalised event.
    /// - Throws: when a stream can no longer take frames (closed during shutdown, or its spill file
    ///   cannot be written); the event is then not queued on that stream.
    package func publish(_ event: MarketEvent) throws {
        let message = Message(event)
        for stream in streams { try stream.send(message) }
        published.increment()
    }
}

/// Produces market data for one exchange (an exchange adapter's WebSocket and REST sessions).
///
/// The ingestor runs every source it was built with until shutdown; sources publish through the
/// ``MarketPublisher``. Adapters live in their own modules and are registered in ``IngestorRole``.
package protocol MarketDataSource: Sendable {
    func run(publisher: MarketPublisher) async throws
}

/// Executes scheduler jobs of some kinds (backfills, book resyncs).
package protocol JobExecutor: Sendable {
    var kinds: Set<JobKind> { get }
    /// Runs the job, reporting progress; returns its result.
    func execute(_ job: JobRequest, publisher: MarketPublisher, progress: @Sendable (JobProgress) -> Void) async -> JobResult
}
