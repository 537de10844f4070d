import CryptodModel
import NIOCore

/// Every message of the protocol, one case per ``MessageType``.
public enum Message: Sendable, Hashable {
    // link
    case hello(Hello)
    case versionMismatch(VersionMismatch)
    case goodbye(Goodbye)
    case heartbeat(Heartbeat)
    case heartbeatReply(Heartbeat)
    case streamResume(StreamResume)
    case streamResumed(StreamResumed)
    case ack(Ack)
    case framesDropped(FramesDropped)
    // market data
    case ticker(Ticker)
    case trades([Trade])
    case candle(Candle)
    case bookSnapshot(BookSnapshot)
    case bookDelta(BookDelta)
    case instruments(InstrumentList)
    case streamGap(StreamGap)
    case sourceStatus(SourceStatus)
    /// Several market events in one frame, applied in order (since version 3; see ``MarketBatch``).
    case marketBatch([MarketEvent])
    // jobs
    case jobRequest(JobRequest)
    case jobProgress(JobProgress)
    case jobResult(JobResult)
    case jobCancel(JobCancel)
    case capacityReport(CapacityReportMessage)
    // supervision
    case configure(Configure)
    case configureResult(ConfigureResult)
    case ready(Ready)
    case shutdown(Shutdown)
    case statusRequest
    case statusReply(ProcessStatus)
    case metricsRequest
    case metricsReply(MetricsReply)
    // control
    case controlRequest(ControlRequest)
    case controlReply(ControlReply)

    /// Wraps a normalised market event.
    public init(_ event: MarketEvent) {
        switch event {
        case .ticker(let value): self = .ticker(value)
        case .trades(let value): self = .trades(value)
        case .candle(let value): self = .candle(value)
        case .bookSnapshot(let value): self = .bookSnapshot(value)
        case .bookDelta(let value): self = .bookDelta(value)
        case .instruments(let value): self = .instruments(value)
        case .gap(let value): self = .streamGap(value)
        case .status(let value): self = .sourceStatus(value)
        }
    }

    /// The market event this message is, if it is a single one (`nil` for a `marketBatch`: read
    /// ``marketEvents`` to get every event of a frame).
    public var marketEvent: MarketEvent? {
        switch self {
        case .ticker(let value): .ticker(value)
        case .trades(let value): .trades(value)
        case .candle(let value): .candle(value)
        case .bookSnapshot(let value): .bookSnapshot(value)
        case .bookDelta(let value): .bookDelta(value)
        case .instruments(let value): .instruments(value)
        case .streamGap(let value): .gap(value)
        case .sourceStatus(let value): .status(value)
        default: nil
        }
    }

    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .versionMismatch: .versionMismatch
        case .goodbye: .goodbye
        case .heartbeat: .heartbeat
        case .heartbeatReply: .heartbeatReply
        case .streamResume: .streamResume
        case .streamResumed: .streamResumed
        case .ack: .ack
        case .framesDropped: .framesDropped
        case .ticker: .ticker
        case .trades: .trades
        case .candle: .candle
        case .bookSnapshot: .bookSnapshot
        case .bookDelta: .bookDelta
        case .instruments: .instruments
        case .streamGap: .streamGap
        case .sourceStatus: .sourceStatus
        case .marketBatch: .marketBatch
        case .jobRequest: .jobRequest
        case .jobProgress: .jobProgress
        case .jobResult: .jobResult
        case .jobCancel: .jobCancel
        case .capacityReport: .capacityReport
        case .configure: .configure
        case .configureResult: .configureResult
        case .ready: .ready
        case .shutdown: .shutdown
        case .statusRequest: .statusRequest
        case .statusReply: .statusReply
        case .metricsRequest: .metricsRequest
        case .metricsReply: .metricsReply
        case .controlRequest: .controlRequest
        case .controlReply: .controlReply
        }
    }

    /// Appends the payload bytes (no header).
    ///
    /// - Precondition: ``validate()`` does not throw. The encoder never writes a payload the decoder would
    ///   reject; see ``validate()`` for why that is a trap and not an error.
    public func encodePayload(into buffer: inout ByteBuffer) {
        if let violation {
            preconditionFailure(
                "cannot encode \(type): \(violation.detail) (check untrusted input with Message.validate())")
        }
        encodeEventPayload(into: &buffer)
    }

    /// ``encodePayload(into:)`` without the rule check, for a batch whose events were checked with it.
    func encodeEventPayload(into buffer: inout ByteBuffer) {
        switch self {
        case .hello(let value): value.encode(into: &buffer)
        case .versionMismatch(let value): value.encode(into: &buffer)
        case .goodbye(let value): value.encode(into: &buffer)
        case .heartbeat(let value), .heartbeatReply(let value): value.encode(into: &buffer)
        case .streamResume(let value): value.encode(into: &buffer)
        case .streamResumed(let value): value.encode(into: &buffer)
        case .ack(let value): value.encode(into: &buffer)
        case .framesDropped(let value): value.encode(into: &buffer)
        case .ticker(let value): MarketDataCodec.encode(value, into: &buffer)
        case .trades(let value): MarketDataCodec.encode(value, into: &buffer)
        case .candle(let value): MarketDataCodec.encode(value, into: &buffer)
        case .bookSnapshot(let value): MarketDataCodec.encode(value, into: &buffer)
        case .bookDelta(let value): MarketDataCodec.encode(value, into: &buffer)
        case .instruments(let value): SourceEventCodec.encode(value, into: &buffer)
        case .streamGap(let value): SourceEventCodec.encode(value, into: &buffer)
        case .sourceStatus(let value): SourceEventCodec.encode(value, into: &buffer)
        case .marketBatch(let value): MarketBatch.encode(value, into: &buffer)
        case .jobRequest(let value): value.encode(into: &buffer)
        case .jobProgress(let value): value.encode(into: &buffer)
        case .jobResult(let value): value.encode(into: &buffer)
        case .jobCancel(let value): value.encode(into: &buffer)
        case .capacityReport(let value): value.encode(into: &buffer)
        case .configure(let value): value.encode(into: &buffer)
        case .configureResult(let value): value.encode(into: &buffer)
        case .ready(let value): value.encode(into: &buffer)
        case .shutdown(let value): value.encode(into: &buffer)
        case .statusRequest, .metricsRequest: break
        case .statusReply(let value): value.encode(into: &buffer)
        case .metricsReply(let value): value.encode(into: &buffer)
        case .controlRequest(let value): value.encode(into: &buffer)
        case .controlReply(let value): value.encode(into: &buffer)
        }
    }

    /// Decodes one payload of `type`. The payload must be consumed exactly.
    /// - Throws: ``WireError`` (`truncated`, `trailingBytes`, `invalidValue`).
    public init(type: MessageType, payload: ByteBuffer) throws {
        var reader = WireReader(payload: payload, type: type)
        switch type {
        case .hello: self = .hello(try Hello(from: &reader))
        case .versionMismatch: self = .versionMismatch(try VersionMismatch(from: &reader))
        case .goodbye: self = .goodbye(try Goodbye(from: &reader))
        case .heartbeat: self = .heartbeat(try Heartbeat(from: &reader))
        case .heartbeatReply: self = .heartbeatReply(try Heartbeat(from: &reader))
        case .streamResume: self = .streamResume(try StreamResume(from: &reader))
        case .streamResumed: self = .streamResumed(try StreamResumed(from: &reader))
        case .ack: self = .ack(try Ack(from: &reader))
        case .framesDropped: self = .framesDropped(try FramesDropped(from: &reader))
        case .ticker: self = .ticker(try MarketDataCodec.decodeTicker(from: &reader))
        case .trades: self = .trades(try MarketDataCodec.decodeTrades(from: &reader))
        case .candle: self = .candle(try MarketDataCodec.decodeCandle(from: &reader))
        case .bookSnapshot: self = .bookSnapshot(try MarketDataCodec.decodeBookSnapshot(from: &reader))
        case .bookDelta: self = .bookDelta(try MarketDataCodec.decodeBookDelta(from: &reader))
        case .instruments: self = .instruments(try SourceEventCodec.decodeInstruments(from: &reader))
        case .streamGap: self = .streamGap(try SourceEventCodec.decodeStreamGap(from: &reader))
        case .sourceStatus: self = .sourceStatus(try SourceEventCodec.decodeSourceStatus(from: &reader))
        case .marketBatch: self = .marketBatch(try MarketBatch.decode(from: &reader))
        case .jobRequest: self = .jobRequest(try JobRequest(from: &reader))
        case .jobProgress: self = .jobProgress(try JobProgress(from: &reader))
        case .jobResult: self = .jobResult(try JobResult(from: &reader))
        case .jobCancel: self = .jobCancel(try JobCancel(from: &reader))
        case .capacityReport: self = .capacityReport(try CapacityReportMessage(from: &reader))
        case .configure: self = .configure(try Configure(from: &reader))
        case .configureResult: self = .configureResult(try ConfigureResult(from: &reader))
        case .ready: self = .ready(try Ready(from: &reader))
        case .shutdown: self = .shutdown(try Shutdown(from: &reader))
        case .statusRequest: self = .statusRequest
        case .statusReply: self = .statusReply(try ProcessStatus(from: &reader))
        case .metricsRequest: self = .metricsRequest
        case .metricsReply: self = .metricsReply(try MetricsReply(from: &reader))
        case .controlRequest: self = .controlRequest(try ControlRequest(from: &reader))
        case .controlReply: self = .controlReply(try ControlReply(from: &reader))
        }
        try reader.finish()
    }

    /// Decodes a frame's payload.
    public init(frame: Frame) throws {
        try self.init(type: frame.type, payload: frame.payload)
    }
}
