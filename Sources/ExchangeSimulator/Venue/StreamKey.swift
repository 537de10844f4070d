import NIOCore

/// Identifies one stream of one venue: market, channel (venue-defined) and parameter.
///
/// Packed into 64 bits so subscription lookups on the hot path hash one integer.
package struct StreamKey: Hashable, Sendable, Comparable {
    package var raw: UInt64

    /// - Parameters:
    ///   - market: market index, or -1 for venue-wide streams.
    ///   - channel: venue-defined stream kind.
    ///   - parameter: venue-defined detail (interval, depth, speed…).
    package init(market: Int, channel: UInt16, parameter: UInt32 = 0) {
        let marketBits = UInt64(UInt32(bitPattern: Int32(market)))
        self.raw = marketBits << 32 | UInt64(channel) << 16 | UInt64(parameter & 0xFFFF)
    }

    package var market: Int { Int(Int32(bitPattern: UInt32(truncatingIfNeeded: self.raw >> 32))) }
    package var channel: UInt16 { UInt16(truncatingIfNeeded: self.raw >> 16) }
    package var parameter: UInt32 { UInt32(self.raw & 0xFFFF) }

    package static func < (lhs: StreamKey, rhs: StreamKey) -> Bool { lhs.raw < rhs.raw }
}

/// One rendered stream payload, shared by every subscriber of its key.
package struct StreamMessage: Sendable {
    /// What the message is, so faults can target depth updates.
    package enum Kind: UInt8, Sendable {
        case depthDiff, depthSnapshot, trade, ticker, kline, bookTicker, control, other
    }

    /// A fault applied to this copy of the message.
    package enum Corruption: UInt8, Sendable {
        case none
        /// The JSON text is cut short.
        case truncatedJSON
        /// The frame itself is invalid (reserved opcode).
        case invalidFrame
    }

    package var key: StreamKey
    package var payload: ByteBuffer
    package var kind: Kind
    /// Book update ids covered (0 when not a book message).
    package var firstUpdateId: Int64
    package var lastUpdateId: Int64
    package var corruption: Corruption

    package init(
        key: StreamKey, payload: ByteBuffer, kind: Kind, firstUpdateId: Int64 = 0, lastUpdateId: Int64 = 0,
        corruption: Corruption = .none
    ) {
        self.key = key
        self.payload = payload
        self.kind = kind
        self.firstUpdateId = firstUpdateId
        self.lastUpdateId = lastUpdateId
        self.corruption = corruption
    }
}

/// Streams with subscribers at one instant, with subscriber counts.
package struct ActiveStreams: Sendable {
    package var counts: [StreamKey: Int]
    /// Bumped on every change, so publishers can notice new subscriptions cheaply.
    package var version: UInt64

    package init(counts: [StreamKey: Int] = [:], version: UInt64 = 0) {
        self.counts = counts
        self.version = version
    }

    @inline(__always)
    package func contains(_ key: StreamKey) -> Bool { self.counts[key] != nil }

    @inline(__always)
    package func subscribers(_ key: StreamKey) -> Int { self.counts[key] ?? 0 }

    /// Markets with at least one stream.
    package var markets: Set<Int> { Set(self.counts.keys.map(\.market).filter { $0 >= 0 }) }
}
