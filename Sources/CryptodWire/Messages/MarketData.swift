import CryptodModel
import NIOCore

// Market-data payloads (0x01xx, sequenced). They carry CryptodModel values unchanged; decimals keep
// their scale, so the text an exchange sent is the text every sink writes. Every payload (for trades, every
// trade) ends with the data's origin (`DataOrigin`, one byte; since version 2).
// Bump WireProtocol.version when any encoding here changes.

/// Encoded size of a decimal: scale byte + 16-byte mantissa.
let decimalSize = 17
/// Encoded book level: two decimals.
let levelSize = 2 * decimalSize
/// A trade after its id: price, quantity, side, time, receivedAt, origin.
let tradeTailSize = levelSize + 1 + 8 + 8 + 1

enum MarketDataCodec {
    // MARK: - Ticker

    static func encode(_ ticker: Ticker, into buffer: inout ByteBuffer) {
        buffer.wireWrite(ticker.market)
        buffer.wireWrite(ticker.time)
        buffer.wireWrite(ticker.receivedAt)
        // Field by field rather than looping over an array literal: that allocated on every ticker.
        buffer.wireWriteOptional(ticker.last) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.lastQuantity) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.bid) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.bidQuantity) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.ask) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.askQuantity) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.open) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.high) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.low) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.volume) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.quoteVolume) { $0.wireWrite($1) }
        buffer.wireWriteOptional(ticker.changePercent) { $0.wireWrite($1) }
        buffer.wireWrite(ticker.origin.rawValue)
    }

    static func violation(of ticker: Ticker) -> Violation? { Rules.market(ticker.market, "market") }

    static func decodeTicker(from reader: inout WireReader) throws -> Ticker {
        var ticker = Ticker(
            market: try reader.market("market"), time: try reader.timestamp("time"),
            receivedAt: try reader.timestamp("receivedAt"))
        ticker.last = try reader.optional("last") { try $0.decimal("last") }
        ticker.lastQuantity = try reader.optional("lastQuantity") { try $0.decimal("lastQuantity") }
        ticker.bid = try reader.optional("bid") { try $0.decimal("bid") }
        ticker.bidQuantity = try reader.optional("bidQuantity") { try $0.decimal("bidQuantity") }
        ticker.ask = try reader.optional("ask") { try $0.decimal("ask") }
        ticker.askQuantity = try reader.optional("askQuantity") { try $0.decimal("askQuantity") }
        ticker.open = try reader.optional("open") { try $0.decimal("open") }
        ticker.high = try reader.optional("high") { try $0.decimal("high") }
        ticker.low = try reader.optional("low") { try $0.decimal("low") }
        ticker.volume = try reader.optional("volume") { try $0.decimal("volume") }
        ticker.quoteVolume = try reader.optional("quoteVolume") { try $0.decimal("quoteVolume") }
        ticker.changePercent = try reader.optional("changePercent") { try $0.decimal("changePercent") }
        ticker.origin = try reader.enumeration("origin", as: DataOrigin.self)
        return ticker
    }

    // MARK: - Trades (a batch of one market)

    static func encode(_ trades: [Trade], into buffer: inout ByteBuffer) {
        // Non-empty and one market: checked by `violation(of:)` before any encoding.
        buffer.wireWrite(trades[0].market)
        buffer.wireWriteArray(trades) { buffer, trade in
            buffer.wireWriteString(trade.id)
            // price, quantity, side, time, receivedAt, origin: one fixed-size run, one buffer access.
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: tradeTailSize) { bytes in
                bytes.storeWireDecimal(trade.price, at: 0)
                bytes.storeWireDecimal(trade.quantity, at: decimalSize)
                bytes.storeBytes(of: trade.side.rawValue, toByteOffset: levelSize, as: UInt8.self)
                bytes.storeWireTimestamp(trade.time, at: levelSize + 1)
                bytes.storeWireTimestamp(trade.receivedAt, at: levelSize + 9)
                bytes.storeBytes(of: trade.origin.rawValue, toByteOffset: levelSize + 17, as: UInt8.self)
                return tradeTailSize
            }
        }
    }

    static func decodeTrades(from reader: inout WireReader) throws -> [Trade] {
        let market = try reader.market("market")
        let trades = try reader.array("trades", minimumElementSize: 2 + tradeTailSize) { reader in
            Trade(
                market: market, id: try reader.string("trade.id"), price: try reader.decimal("trade.price"),
                quantity: try reader.decimal("trade.quantity"),
                side: try reader.enumeration("trade.side", as: TradeSide.self),
                time: try reader.timestamp("trade.time"), receivedAt: try reader.timestamp("trade.receivedAt"),
                origin: try reader.enumeration("trade.origin", as: DataOrigin.self))
        }
        try reader.check(violation(of: trades))
        return trades
    }

    /// A batch holds one to 2^32-1 trades of one market (the market is written once).
    static func violation(of trades: [Trade]) -> Violation? {
        guard let first = trades.first else { return Violation(detail: "field trades: empty batch") }
        if let violation = Rules.market(first.market, "market") ?? Rules.count(trades.count, "trades") {
            return violation
        }
        for trade in trades {
            guard trade.market == first.market else {
                return Violation(detail: "field trades: more than one market in a batch")
            }
            if let violation = Rules.string(trade.id, "trade.id") { return violation }
        }
        return nil
    }

    // MARK: - Candle

    static func encode(_ candle: Candle, into buffer: inout ByteBuffer) {
        buffer.wireWrite(candle.market)
        buffer.wireWrite(candle.interval.rawValue)
        buffer.wireWrite(candle.openTime)
        buffer.wireWrite(candle.open)
        buffer.wireWrite(candle.high)
        buffer.wireWrite(candle.low)
        buffer.wireWrite(candle.close)
        buffer.wireWrite(candle.volume)
        buffer.wireWriteOptional(candle.quoteVolume) { $0.wireWrite($1) }
        buffer.wireWriteOptional(candle.tradeCount) { $0.wireWrite($1) }
        buffer.wireWrite(candle.isClosed)
        buffer.wireWrite(candle.receivedAt)
        buffer.wireWrite(candle.origin.rawValue)
    }

    static func violation(of candle: Candle) -> Violation? { Rules.market(candle.market, "market") }

    static func decodeCandle(from reader: inout WireReader) throws -> Candle {
        Candle(
            market: try reader.market("market"), interval: try reader.enumeration("interval", as: CandleInterval.self),
            openTime: try reader.timestamp("openTime"), open: try reader.decimal("open"),
            high: try reader.decimal("high"),
            low: try reader.decimal("low"), close: try reader.decimal("close"), volume: try reader.decimal("volume"),
            quoteVolume: try reader.optional("quoteVolume") { try $0.decimal("quoteVolume") },
            tradeCount: try reader.optional("tradeCount") { try $0.i64("tradeCount") },
            isClosed: try reader.bool("isClosed"), receivedAt: try reader.timestamp("receivedAt"),
            origin: try reader.enumeration("origin", as: DataOrigin.self))
    }

    // MARK: - Book

    static func encodeLevels(_ levels: [BookLevel], into buffer: inout ByteBuffer) {
        buffer.wireWriteArray(levels) { buffer, level in
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: levelSize) { bytes in
                bytes.storeWireDecimal(level.price, at: 0)
                bytes.storeWireDecimal(level.quantity, at: decimalSize)
                return levelSize
            }
        }
    }

    static func decodeLevels(_ field: StaticString, from reader: inout WireReader) throws -> [BookLevel] {
        try reader.array(field, minimumElementSize: levelSize) { reader in
            BookLevel(price: try reader.decimal(field), quantity: try reader.decimal(field))
        }
    }

    static func encode(_ snapshot: BookSnapshot, into buffer: inout ByteBuffer) {
        buffer.wireWrite(snapshot.market)
        buffer.wireWrite(snapshot.updateID)
        buffer.wireWriteOptional(snapshot.sequence) { $0.wireWrite($1) }
        buffer.wireWriteOptional(snapshot.time) { $0.wireWrite($1) }
        buffer.wireWrite(snapshot.receivedAt)
        encodeLevels(snapshot.bids, into: &buffer)
        encodeLevels(snapshot.asks, into: &buffer)
        buffer.wireWrite(snapshot.origin.rawValue)
    }

    static func violation(of snapshot: BookSnapshot) -> Violation? {
        Rules.market(snapshot.market, "market") ?? Rules.count(snapshot.bids.count, "bids")
            ?? Rules.count(snapshot.asks.count, "asks")
    }

    static func decodeBookSnapshot(from reader: inout WireReader) throws -> BookSnapshot {
        BookSnapshot(
            market: try reader.market("market"), updateID: try reader.u64("updateID"),
            sequence: try reader.optional("sequence") { try $0.u64("sequence") },
            time: try reader.optional("time") { try $0.timestamp("time") },
            receivedAt: try reader.timestamp("receivedAt"),
            bids: try decodeLevels("bids", from: &reader), asks: try decodeLevels("asks", from: &reader),
            origin: try reader.enumeration("origin", as: DataOrigin.self))
    }

    static func encode(_ delta: BookDelta, into buffer: inout ByteBuffer) {
        buffer.wireWrite(delta.market)
        buffer.wireWrite(delta.firstUpdateID)
        buffer.wireWrite(delta.lastUpdateID)
        buffer.wireWriteOptional(delta.previousUpdateID) { $0.wireWrite($1) }
        buffer.wireWriteOptional(delta.sequence) { $0.wireWrite($1) }
        buffer.wireWriteOptional(delta.time) { $0.wireWrite($1) }
        buffer.wireWrite(delta.receivedAt)
        encodeLevels(delta.bids, into: &buffer)
        encodeLevels(delta.asks, into: &buffer)
        buffer.wireWrite(delta.origin.rawValue)
    }

    static func decodeBookDelta(from reader: inout WireReader) throws -> BookDelta {
        let delta = BookDelta(
            market: try reader.market("market"), firstUpdateID: try reader.u64("firstUpdateID"),
            lastUpdateID: try reader.u64("lastUpdateID"),
            previousUpdateID: try reader.optional("previousUpdateID") { try $0.u64("previousUpdateID") },
            sequence: try reader.optional("sequence") { try $0.u64("sequence") },
            time: try reader.optional("time") { try $0.timestamp("time") },
            receivedAt: try reader.timestamp("receivedAt"),
            bids: try decodeLevels("bids", from: &reader), asks: try decodeLevels("asks", from: &reader),
            origin: try reader.enumeration("origin", as: DataOrigin.self))
        try reader.check(violation(of: delta))
        return delta
    }

    static func violation(of delta: BookDelta) -> Violation? {
        guard delta.firstUpdateID <= delta.lastUpdateID else {
            return Violation(
                detail: "field firstUpdateID: after lastUpdateID",
                debugDetail: "firstUpdateID \(delta.firstUpdateID), lastUpdateID \(delta.lastUpdateID)")
        }
        return Rules.market(delta.market, "market") ?? Rules.count(delta.bids.count, "bids")
            ?? Rules.count(delta.asks.count, "asks")
    }
}
