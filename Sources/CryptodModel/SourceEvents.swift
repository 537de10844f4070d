// Events about the sources of market data rather than market data itself: what an exchange lists, where a
// stream has holes, and how a connection or a market is doing. They travel on the market-data streams, in
// order with the data they describe. Raw values of the enums are frozen (they are wire values).

// MARK: - Instruments

/// An exchange's instrument list, as fetched from its REST API (or the part of it that changed).
public struct InstrumentList: Sendable, Hashable {
    public var exchange: ExchangeID
    /// At least one; every instrument's market is on ``exchange``.
    public var instruments: [Instrument]

    public init(exchange: ExchangeID, instruments: [Instrument]) {
        self.exchange = exchange
        self.instruments = instruments
    }
}

// MARK: - Stream gaps

/// A hole in one market's stream: opened when the ingestor notices data is missing (a disconnect, a skipped
/// update id), closed when it has been filled or given up on.
public struct StreamGap: Sendable, Hashable {
    public enum State: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case opened = 1
        case closed = 2

        public var description: String {
            switch self {
            case .opened: "opened"
            case .closed: "closed"
            }
        }
    }

    public var market: MarketKey
    /// The stream that has the hole: `trades`, `ticker`, `candles:1m`, `book`.
    public var channel: String
    public var state: State
    /// When the data stopped (the last good item, or when the ingestor noticed).
    public var openedAt: Timestamp
    /// When the gap was closed; present exactly when ``state`` is `closed`, and not before ``openedAt``.
    public var closedAt: Timestamp?
    /// Items filled in (with origin `gapFill`) before the gap closed.
    public var recovered: UInt64
    /// Why the gap opened, or how it closed, for people.
    public var reason: String

    public init(
        market: MarketKey, channel: String, state: State, openedAt: Timestamp, closedAt: Timestamp? = nil,
        recovered: UInt64 = 0, reason: String = ""
    ) {
        self.market = market
        self.channel = channel
        self.state = state
        self.openedAt = openedAt
        self.closedAt = closedAt
        self.recovered = recovered
        self.reason = reason
    }
}

// MARK: - Source status

/// The state of an exchange connection, or of one market on it.
public struct SourceStatus: Sendable, Hashable {
    public enum State: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case connected = 1
        case disconnected = 2
        /// A book is being re-synchronised (snapshot and deltas being re-joined).
        case resyncing = 3
        /// A book is synchronised again.
        case synced = 4
        /// Working, but not as it should (snapshots keep failing, rate limited).
        case degraded = 5

        public var description: String {
            switch self {
            case .connected: "connected"
            case .disconnected: "disconnected"
            case .resyncing: "resyncing"
            case .synced: "synced"
            case .degraded: "degraded"
            }
        }
    }

    public var exchange: ExchangeID
    /// The market concerned; `nil` for the whole connection (or exchange). Always on ``exchange``.
    public var market: MarketKey?
    public var state: State
    /// What happened, for people.
    public var reason: String
    public var time: Timestamp

    public init(exchange: ExchangeID, market: MarketKey? = nil, state: State, reason: String = "", time: Timestamp) {
        self.exchange = exchange
        self.market = market
        self.state = state
        self.reason = reason
        self.time = time
    }
}
