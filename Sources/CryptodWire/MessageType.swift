/// Every message type of the protocol. **Raw values are frozen**: never renumber or reuse one; retire a
/// type by leaving its number unused. Families by high byte:
///
/// | range    | family        | links                                           | sequenced |
/// |----------|---------------|-------------------------------------------------|-----------|
/// | `0x00xx` | link          | every link: handshake, heartbeat, delivery acks | no        |
/// | `0x01xx` | market data   | ingestor → writer, ingestor → gateway           | yes       |
/// | `0x02xx` | jobs          | scheduler ↔ ingestor                            | yes       |
/// | `0x03xx` | supervision   | cryptod ↔ child (fd 3), process status sockets  | no        |
/// | `0x04xx` | control       | cryptoctl ↔ cryptod                             | no        |
///
/// `hello` (0x0001) and `versionMismatch` (0x0002) must stay byte-compatible forever: they are how two
/// builds of different versions find out they cannot talk.
public enum MessageType: UInt16, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    // MARK: link (0x00xx)
    case hello = 0x0001
    case versionMismatch = 0x0002
    case goodbye = 0x0003
    case heartbeat = 0x0004
    case heartbeatReply = 0x0005
    case streamResume = 0x0010
    case streamResumed = 0x0011
    case ack = 0x0012
    case framesDropped = 0x0013

    // MARK: market data (0x01xx), sequenced
    case ticker = 0x0101
    case trades = 0x0102
    case candle = 0x0103
    case bookSnapshot = 0x0104
    case bookDelta = 0x0105
    case instruments = 0x0106
    case streamGap = 0x0107
    case sourceStatus = 0x0108
    /// Several market events (0x0101…0x0108) in one frame; since version 3.
    case marketBatch = 0x0109

    // MARK: jobs (0x02xx), sequenced
    case jobRequest = 0x0201
    case jobProgress = 0x0202
    case jobResult = 0x0203
    case jobCancel = 0x0204
    case capacityReport = 0x0205

    // MARK: supervision (0x03xx)
    case configure = 0x0301
    case configureResult = 0x0302
    case ready = 0x0303
    case shutdown = 0x0304
    case statusRequest = 0x0305
    case statusReply = 0x0306
    case metricsRequest = 0x0307
    case metricsReply = 0x0308

    // MARK: control (0x04xx)
    case controlRequest = 0x0401
    case controlReply = 0x0402

    /// Whether frames of this type belong to a reliable stream and carry a sequence number.
    public var isSequenced: Bool {
        switch rawValue >> 8 {
        case 0x01, 0x02: true
        default: false
        }
    }

    /// Whether this is a single market event's type (0x0101…0x0108), the kinds a ``MarketBatch`` carries.
    public var isMarketEvent: Bool {
        (MessageType.ticker.rawValue...MessageType.sourceStatus.rawValue).contains(rawValue)
    }

    public var description: String {
        switch self {
        case .hello: "hello"
        case .versionMismatch: "versionMismatch"
        case .goodbye: "goodbye"
        case .heartbeat: "heartbeat"
        case .heartbeatReply: "heartbeatReply"
        case .streamResume: "streamResume"
        case .streamResumed: "streamResumed"
        case .ack: "ack"
        case .framesDropped: "framesDropped"
        case .ticker: "ticker"
        case .trades: "trades"
        case .candle: "candle"
        case .bookSnapshot: "bookSnapshot"
        case .bookDelta: "bookDelta"
        case .instruments: "instruments"
        case .streamGap: "streamGap"
        case .sourceStatus: "sourceStatus"
        case .marketBatch: "marketBatch"
        case .jobRequest: "jobRequest"
        case .jobProgress: "jobProgress"
        case .jobResult: "jobResult"
        case .jobCancel: "jobCancel"
        case .capacityReport: "capacityReport"
        case .configure: "configure"
        case .configureResult: "configureResult"
        case .ready: "ready"
        case .shutdown: "shutdown"
        case .statusRequest: "statusRequest"
        case .statusReply: "statusReply"
        case .metricsRequest: "metricsRequest"
        case .metricsReply: "metricsReply"
        case .controlRequest: "controlRequest"
        case .controlReply: "controlReply"
        }
    }
}
