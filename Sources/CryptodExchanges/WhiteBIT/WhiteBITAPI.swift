import CryptodModel

/// WhiteBIT spot: HTTP v4 (markets, ticker, trades, order book, time, signed balance), HTTP v1 (klines) and
/// the JSON-RPC WebSocket at `/ws`.
///
/// Traps this adapter handles (see `shared/exchanges/whitebit.md`):
/// - v1 kline rows are `[time, open, close, high, low, stock volume, money volume]`: open, **close**, high, low.
/// - v4 trades carry the base amount in `quote_volume` (and the quote amount in `base_volume`).
/// - Times are seconds, written as integers, floats (`1689600180.5164471`) or strings; floats are read as
///   exact decimals, never through `Double`.
/// - `X_subscribe` replaces the previous subscription of that type on the connection, so every subscribe
///   message carries the connection's full list for that type; one candle subscription per connection.
///
/// The REST order book has no update id and cannot be stitched to the stream, so the book is synchronised
/// from the stream's full reloads alone (``bookRule``); ``auditSnapshotRequest(market:depth:)`` fetches the
/// REST book for audits only.
public struct WhiteBITAPI: ExchangeAPI {
    /// The configured `book_depth`; ``bookRule`` subscribes the smallest stream limit that covers it.
    public let configuredBookDepth: Int

    /// - Parameter bookDepth: the configured `book_depth` (default 100, the deepest WhiteBIT stream).
    public init(bookDepth: Int = 100) {
        self.configuredBookDepth = bookDepth
    }

    public var exchange: ExchangeID { .whitebit }
    /// Futures (`_PERP`) are not served: exchsim simulates none and cryptod collects spot only.
    public var marketTypes: [MarketType] { [.spot] }
    /// Full reloads then incrementals chained by `past_update_id`, truncated to the subscribed limit.
    public var bookRule: BookSyncRule {
        .streamSnapshotThenIncremental(depth: streamBookDepth(forConfigured: configuredBookDepth))
    }

    /// The depth limits `depth_subscribe` accepts.
    public static let streamDepthLimits = [1, 5, 10, 20, 30, 50, 100]

    /// The smallest WebSocket depth limit at least `depth`, capped at 100 (the deepest WhiteBIT streams).
    /// A depth of 0 or less means "unset" and maps to 100.
    public func streamBookDepth(forConfigured depth: Int) -> Int {
        guard depth > 0 else { return 100 }
        return Self.streamDepthLimits.first { $0 >= depth } ?? 100
    }

    // MARK: - Limits

    /// v1 klines: `limit` 1...1440.
    public var maxCandlesPerRequest: Int { 1440 }
    /// v4 trades: the last 100 deals, no paging.
    public var maxTradesPerRequest: Int { 100 }
    public var supportsTradesFromID: Bool { false }

    /// WhiteBIT documents no cap; 100 keeps one connection's full re-subscribe lists (and its depth
    /// re-adds, one message per market) well inside the 200 requests a minute it does cap.
    public var maxSubscriptionsPerConnection: Int { 100 }
    /// 200 requests per minute per connection is 3.3 a second; 3 leaves room for the pings.
    public var maxClientMessagesPerSecond: Int { 3 }

    // MARK: - WebSocket basics

    public func webSocketPath(type: MarketType) -> String { "/ws" }

    /// The server closes a connection after 60 s without a client message; the docs advise 50 s.
    public var clientPing: ClientPing? {
        ClientPing(message: #"{"id":0,"method":"ping","params":[]}"#, interval: .seconds(50))
    }

    /// Frames above 1 MiB are refused before parsing (a 100-level book is about 10 KiB).
    public static let maxMessageBytes = 1 << 20

    // MARK: - Shared spellings

    func marketKey(_ symbol: String, _ type: MarketType = .spot) -> MarketKey {
        MarketKey(exchange: .whitebit, type: type, symbol: symbol)
    }
}
