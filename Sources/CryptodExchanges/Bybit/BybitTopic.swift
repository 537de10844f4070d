import CryptodModel

/// A Bybit V5 public topic: `tickers.{s}`, `publicTrade.{s}`, `kline.{interval}.{s}`, `orderbook.{depth}.{s}`.
///
/// The topic names the symbol but not the market type: spot and linear topics are spelt alike, and the
/// connection's path (``StreamContext/type``) tells them apart.
public enum BybitTopic: Sendable, Hashable, CustomStringConvertible {
    case ticker(symbol: String)
    case trades(symbol: String)
    case kline(interval: CandleInterval, symbol: String)
    case book(depth: Int, symbol: String)

    /// Reads a topic as the stream spells it; `nil` for a topic this adapter does not subscribe to.
    public init?(_ text: String) {
        var text = text
        guard let topic = text.withUTF8({ Self.parse(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = topic
    }

    /// Reads a topic from its raw bytes (``JSONCursor/rawString()``): only the symbol becomes a `String`,
    /// which is what the hot path wants.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> BybitTopic? {
        guard let firstDot = bytes.firstIndex(of: UInt8(ascii: ".")) else { return nil }
        let kind = JSONKey(UnsafeRawBufferPointer(rebasing: bytes[..<firstDot]))
        let rest = UnsafeRawBufferPointer(rebasing: bytes[(firstDot + 1)...])
        if kind == "tickers" || kind == "publicTrade" {
            guard let symbol = symbol(rest) else { return nil }
            return kind == "tickers" ? .ticker(symbol: symbol) : .trades(symbol: symbol)
        }
        guard kind == "orderbook" || kind == "kline", let secondDot = rest.firstIndex(of: UInt8(ascii: ".")),
            secondDot > 0, let symbol = symbol(UnsafeRawBufferPointer(rebasing: rest[(secondDot + 1)...]))
        else { return nil }
        let parameter = String(decoding: UnsafeRawBufferPointer(rebasing: rest[..<secondDot]), as: UTF8.self)
        if kind == "kline" {
            guard let interval = TimeframeNotation.bybitInterval(parameter) else { return nil }
            return .kline(interval: interval, symbol: symbol)
        }
        guard parameter.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let depth = Int(parameter), depth > 0
        else { return nil }
        return .book(depth: depth, symbol: symbol)
    }

    /// A non-empty symbol without dots.
    private static func symbol(_ bytes: UnsafeRawBufferPointer) -> String? {
        guard !bytes.isEmpty, !bytes.contains(UInt8(ascii: ".")) else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The topic for one subscription. Book depths outside Bybit's 1/50/200/1000 are mapped with
    /// ``BybitAPI/streamBookDepth(forConfigured:)``.
    ///
    /// An interval Bybit lacks (`1s`, `8h`, `3d`) is spelt with cryptod's name, so Bybit refuses the
    /// subscription (`.rejected`) instead of cryptod silently dropping it; configuration validation should
    /// reject such intervals first (``BybitAPI/supports(_:)``).
    public init(_ subscription: StreamSubscription) {
        let symbol = subscription.market.symbol
        switch subscription.channel {
        case .ticker: self = .ticker(symbol: symbol)
        case .trades: self = .trades(symbol: symbol)
        case .candles(let interval): self = .kline(interval: interval, symbol: symbol)
        case .book: self = .book(depth: BybitAPI.streamDepth(subscription.depth), symbol: symbol)
        }
    }

    public var symbol: String {
        switch self {
        case .ticker(let symbol), .trades(let symbol), .kline(_, let symbol), .book(_, let symbol): symbol
        }
    }

    /// The topic text, as sent in `args` and echoed in `topic`.
    public var description: String {
        switch self {
        case .ticker(let symbol): "tickers.\(symbol)"
        case .trades(let symbol): "publicTrade.\(symbol)"
        case .kline(let interval, let symbol):
            "kline.\(TimeframeNotation.bybit(interval) ?? interval.description).\(symbol)"
        case .book(let depth, let symbol): "orderbook.\(depth).\(symbol)"
        }
    }
}
