import CryptodModel
import NIOCore

// Source-event payloads (market-data family, 0x0106…0x0108, sequenced; since version 2): instrument lists,
// stream gaps and source status. They travel on the market-data streams so that they stay in order with the
// data they describe. Bump WireProtocol.version when any encoding here changes.

/// The smallest encoded market key: a 1-byte exchange id, the type, a 1-byte symbol.
let marketMinimumSize = 2 + 1 + 1 + 2 + 1
/// The smallest encoded instrument: market, empty base and quote, status, tick and lot size, two absent
/// optionals.
let instrumentMinimumSize = marketMinimumSize + 2 + 2 + 1 + 2 * decimalSize + 2

enum SourceEventCodec {
    // MARK: - Instruments

    static func encode(_ list: InstrumentList, into buffer: inout ByteBuffer) {
        buffer.wireWriteString(list.exchange.rawValue)
        buffer.wireWriteArray(list.instruments) { buffer, instrument in
            buffer.wireWrite(instrument.market)
            buffer.wireWriteString(instrument.base)
            buffer.wireWriteString(instrument.quote)
            buffer.wireWrite(instrument.status.rawValue)
            buffer.wireWrite(instrument.tickSize)
            buffer.wireWrite(instrument.lotSize)
            buffer.wireWriteOptional(instrument.minQuantity) { $0.wireWrite($1) }
            buffer.wireWriteOptional(instrument.minNotional) { $0.wireWrite($1) }
        }
    }

    static func decodeInstruments(from reader: inout WireReader) throws -> InstrumentList {
        let exchange = try reader.exchange("exchange")
        let instruments = try reader.array("instruments", minimumElementSize: instrumentMinimumSize) { reader in
            Instrument(
                market: try reader.market("instrument.market"), base: try reader.string("instrument.base"),
                quote: try reader.string("instrument.quote"),
                status: try reader.enumeration("instrument.status", as: InstrumentStatus.self),
                tickSize: try reader.decimal("instrument.tickSize"), lotSize: try reader.decimal("instrument.lotSize"),
                minQuantity: try reader.optional("instrument.minQuantity") { try $0.decimal("instrument.minQuantity") },
                minNotional: try reader.optional("instrument.minNotional") { try $0.decimal("instrument.minNotional") })
        }
        let list = InstrumentList(exchange: exchange, instruments: instruments)
        try reader.check(violation(of: list))
        return list
    }

    /// One to 2^32-1 instruments, all on the list's exchange.
    static func violation(of list: InstrumentList) -> Violation? {
        if list.instruments.isEmpty { return Violation(detail: "field instruments: empty list") }
        if let violation = Rules.count(list.instruments.count, "instruments") { return violation }
        for instrument in list.instruments {
            if let violation = Rules.market(instrument.market, on: list.exchange, "instrument.market")
                ?? Rules.string(instrument.base, "instrument.base")
                ?? Rules.string(instrument.quote, "instrument.quote")
            {
                return violation
            }
        }
        return nil
    }

    // MARK: - Stream gap

    static func encode(_ gap: StreamGap, into buffer: inout ByteBuffer) {
        buffer.wireWrite(gap.market)
        buffer.wireWriteString(gap.channel)
        buffer.wireWrite(gap.state.rawValue)
        buffer.wireWrite(gap.openedAt)
        buffer.wireWriteOptional(gap.closedAt) { $0.wireWrite($1) }
        buffer.wireWrite(gap.recovered)
        buffer.wireWriteString(gap.reason)
    }

    static func decodeStreamGap(from reader: inout WireReader) throws -> StreamGap {
        let gap = StreamGap(
            market: try reader.market("market"), channel: try reader.string("channel"),
            state: try reader.enumeration("state", as: StreamGap.State.self),
            openedAt: try reader.timestamp("openedAt"),
            closedAt: try reader.optional("closedAt") { try $0.timestamp("closedAt") },
            recovered: try reader.u64("recovered"), reason: try reader.string("reason"))
        try reader.check(violation(of: gap))
        return gap
    }

    /// `closedAt` is present exactly when the gap is closed, and not before `openedAt`.
    static func violation(of gap: StreamGap) -> Violation? {
        switch (gap.state, gap.closedAt) {
        case (.opened, .some):
            return Violation(detail: "field closedAt: present on an opened gap")
        case (.closed, .none):
            return Violation(detail: "field closedAt: absent on a closed gap")
        case (.closed, .some(let closedAt)) where closedAt < gap.openedAt:
            return Violation(
                detail: "field closedAt: before openedAt",
                debugDetail: "openedAt \(gap.openedAt.nanoseconds) ns, closedAt \(closedAt.nanoseconds) ns")
        default:
            return Rules.market(gap.market, "market") ?? Rules.string(gap.channel, "channel")
                ?? Rules.string(gap.reason, "reason")
        }
    }

    // MARK: - Source status

    static func encode(_ status: SourceStatus, into buffer: inout ByteBuffer) {
        buffer.wireWriteString(status.exchange.rawValue)
        buffer.wireWriteOptional(status.market) { $0.wireWrite($1) }
        buffer.wireWrite(status.state.rawValue)
        buffer.wireWriteString(status.reason)
        buffer.wireWrite(status.time)
    }

    static func decodeSourceStatus(from reader: inout WireReader) throws -> SourceStatus {
        let status = SourceStatus(
            exchange: try reader.exchange("exchange"),
            market: try reader.optional("market") { try $0.market("market") },
            state: try reader.enumeration("state", as: SourceStatus.State.self), reason: try reader.string("reason"),
            time: try reader.timestamp("time"))
        try reader.check(violation(of: status))
        return status
    }

    /// A market, when present, is on the status's exchange.
    static func violation(of status: SourceStatus) -> Violation? {
        if let market = status.market, let violation = Rules.market(market, on: status.exchange, "market") {
            return violation
        }
        return Rules.string(status.reason, "reason")
    }
}
