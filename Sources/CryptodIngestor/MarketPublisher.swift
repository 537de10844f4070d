import CryptodIPC
import CryptodModel
import CryptodOps
import CryptodRuntime
import CryptodWire
import Metrics
import NIOCore

/// Where an ingestor's market data goes: every event is queued on the reliable stream to the writer and
/// to the gateway (whichever are enabled). Queuing never waits for the network; the streams keep frames
/// until the receivers acknowledge them, spilling to disk beyond their memory limit.
///
/// Each event is validated and encoded once, whatever the number of streams. Batching is adaptive and
/// lives in the streams (``ReliableSender``): an event published while a stream's link is busy writing
/// joins the frame still waiting there (a `marketBatch`), and one published on an idle stream goes out at
/// once in a frame of its own, so there is no timer and no added latency.
package struct MarketPublisher: Sendable {
    let streams: [ReliableSender]
    /// The stream to the writer, whose acknowledgements move ``tradeCursors`` (nil when no writer runs).
    let writer: ReliableSender?
    /// The newest stored trade per market, for the fill after a restart (nil when no writer runs).
    package let tradeCursors: TradeCursors?
    /// Tickers and book deltas pass here first (performance mode and throttle; docs/operations.md).
    package let conflation: ConflationStage
    private let published: Counter

    init(
        streams: [ReliableSender], exchange: ExchangeID, profile: PerformanceProfile = .preset(.medium),
        writer: ReliableSender? = nil, tradeCursors: TradeCursors? = nil
    ) {
        self.streams = streams
        self.writer = writer
        self.tradeCursors = writer == nil ? nil : tradeCursors
        self.conflation = ConflationStage(profile: profile, exchange: exchange)
        self.published = Counter(
            label: "cryptod_ingestor_events_published_total", dimensions: [("exchange", exchange.rawValue)])
    }

    /// Publishes one normalised event, or holds it in its conflation buffer (a ticker or book delta over its
    /// market's allowance, or any of them during an emergency stop): then a later publish or ``flushDue()``
    /// sends it, folded with what came after.
    /// - Throws: ``WireError`` when the event breaks a protocol rule (it is then sent nowhere); or when a
    ///   stream can no longer take frames (closed during shutdown, or its spill file
    ///   cannot be written); the event is then not queued on that stream.
    package func publish(_ event: MarketEvent) throws {
        // An empty batch or an empty symbol is an error here, never a trap in the encoder (nor held).
        try Message(event).validate()
        for ready in conflation.offer(event) { try send(ready) }
    }

    /// Sends the held updates whose window has ended (the ingestor calls it every few milliseconds).
    package func flushDue() throws {
        for ready in conflation.due() { try send(ready) }
    }

    /// Applies new stream settings; a lifted stop sends everything held.
    package func apply(_ settings: StreamControl.Settings) throws {
        for ready in conflation.apply(settings) { try send(ready) }
    }

    private func send(_ event: MarketEvent) throws {
        let message = Message(event)
        var payload = ByteBuffer()
        message.encodePayload(into: &payload)
        for stream in streams {
            let sequence = try stream.send(event: message.type, payload: payload)
            if stream === writer, case .trades(let trades) = event {
                tradeCursors?.published(trades, sequence: sequence)
            }
        }
        published.increment()
    }

    /// Moves the trade cursors to what the writer has acknowledged and saves them when they moved.
    package func saveTradeCursors() async throws {
        guard let writer, let tradeCursors, let data = tradeCursors.acknowledged(through: writer.ackedThrough) else {
            return
        }
        try await tradeCursors.write(data)
    }
}

/// Produces market data for one exchange (an exchange adapter's WebSocket and REST sessions).
///
/// The ingestor runs every source it was built with until shutdown; sources publish through the
/// ``MarketPublisher``. Adapters live in their own modules and are registered in ``IngestorRole``.
package protocol MarketDataSource: Sendable {
    func run(publisher: MarketPublisher) async throws
    /// `key: value` lines for `cryptoctl status`.
    func statusDetails() -> [ProcessStatus.Detail]
    /// The exchange's request budgets as its governor sees them, for the scheduler; nil when none.
    func capacity() async -> CapacityReportMessage?
    /// Answers an operator command (`subscribe`, `unsubscribe`, `subscriptions`, `verifyKey`); nil when the
    /// source takes none.
    func control(_ request: ControlRequest) async -> ControlReply?
}

extension MarketDataSource {
    package func statusDetails() -> [ProcessStatus.Detail] { [] }
    package func capacity() async -> CapacityReportMessage? { nil }
    package func control(_ request: ControlRequest) async -> ControlReply? { nil }
}

/// Executes scheduler jobs of some kinds (backfills, book resyncs).
package protocol JobExecutor: Sendable {
    var kinds: Set<JobKind> { get }
    /// Runs the job, reporting progress; returns its result.
    func execute(
        _ job: JobRequest, publisher: MarketPublisher, progress: @Sendable (JobProgress) -> Void
    ) async -> JobResult
    /// Stops a running job at its next step; it then returns a `cancelled` result.
    func cancel(_ id: UInt64)
}
