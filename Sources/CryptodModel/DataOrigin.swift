/// Why a market-data event exists: the live stream, or one of the ways cryptod repairs or replaces it.
///
/// Travels with every ticker, trade, candle and book event (a trailing `u8` on the wire), so consumers can
/// tell a backfilled candle or a resynchronised book from live data. Raw values are frozen.
public enum DataOrigin: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Straight from the exchange's live stream.
    case live = 0
    /// Fetched over REST to fill a gap the live stream left (after a disconnect, a missed update).
    case gapFill = 1
    /// Fetched by a backfill job for a range before live collection started.
    case backfill = 2
    /// Produced while re-synchronising a book (a fresh snapshot and the deltas re-joined to it).
    case resync = 3
    /// Written by a tool or test (`exchsim`, a replay), not by an exchange adapter.
    case injected = 4

    /// The JSON name: `live`, `gap_fill`, `backfill`, `resync`, `injected`.
    public var description: String {
        switch self {
        case .live: "live"
        case .gapFill: "gap_fill"
        case .backfill: "backfill"
        case .resync: "resync"
        case .injected: "injected"
        }
    }
}
