import CryptodIPC
import CryptodModel
import Foundation
import Synchronization

/// The newest trade per market that the writer has acknowledged, kept in a small JSON file in the state
/// directory (`cursors/<exchange>.json`). A killed ingestor loses the frames in its send window (they were
/// only in memory) and the trades of its restart; the restarted one fills both over REST from here.
///
/// A trade's cursor moves only once the writer has acknowledged the frame that carried it, so the file
/// never runs ahead of what is stored. After a clean stop the sender keeps its unacknowledged frames on
/// disk and sends them again, so the file then records the newest trade *published* instead: filling from
/// the acknowledged one would publish those frames' trades twice.
package final class TradeCursors: Sendable {
    package struct Cursor: Codable, Equatable, Sendable {
        package var id: String
        /// Epoch nanoseconds of the trade.
        package var time: Int64
    }

    private struct File: Codable {
        /// Written at a clean stop (every trade published is on the writer's stream, in memory or on disk).
        var clean: Bool
        var markets: [String: Cursor]
    }

    private struct State {
        /// Trades published and not yet acknowledged: (frame sequence, market, newest trade), oldest first.
        var pending: [(sequence: UInt64, market: String, cursor: Cursor)] = []
        /// The first entry of `pending` not yet acknowledged (the array is compacted now and then).
        var head = 0
        var acknowledged: [String: Cursor]
        var published: [String: Cursor]
        var changed = false
    }

    static let pendingLimit = 100_000

    let path: String
    /// What the file said at start, by market (`exchange:type:symbol`).
    package let loaded: [String: Cursor]
    /// Whether the file was written by a clean stop.
    package let loadedClean: Bool
    private let state: Mutex<State>

    /// Reads the file if there is one (a missing or unreadable file starts empty: there is then nothing
    /// to fill from, as on the first start).
    package init(path: String) {
        self.path = path
        let file = FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(File.self, from: $0) }
        loaded = file?.markets ?? [:]
        loadedClean = file?.clean ?? false
        state = Mutex(State(acknowledged: loaded, published: loaded))
    }

    /// Records that `trades` (of one market, oldest first) went out in the writer's frame `sequence`.
    package func published(_ trades: [Trade], sequence: UInt64) {
        guard let newest = trades.max(by: { $0.time < $1.time }) else { return }
        let cursor = Cursor(id: newest.id, time: newest.time.nanoseconds)
        let market = newest.market.description
        state.withLock { state in
            if let last = state.pending.indices.last, last >= state.head, state.pending[last].sequence == sequence,
                state.pending[last].market == market
            {
                state.pending[last].cursor = cursor
            } else {
                state.pending.append((sequence, market, cursor))
            }
            // A writer away for long: keep only each market's newest entry. Its cursor then moves later (at
            // that entry's acknowledgement), never early; memory stays bounded by the number of markets.
            if state.pending.count - state.head > Self.pendingLimit {
                var newest: [String: Int] = [:]
                for index in state.head..<state.pending.count { newest[state.pending[index].market] = index }
                state.pending = newest.values.sorted().map { state.pending[$0] }
                state.head = 0
            }
            if let known = state.published[market], known.time > cursor.time { return }
            state.published[market] = cursor
        }
    }

    /// Moves the cursors of every trade carried by frames through `sequence`.
    /// - Returns: the file's new content when a cursor moved, else nil.
    package func acknowledged(through sequence: UInt64) -> Data? {
        state.withLock { state -> Data? in
            while state.head < state.pending.count, state.pending[state.head].sequence <= sequence {
                let first = state.pending[state.head]
                state.head += 1
                if let known = state.acknowledged[first.market], known.time > first.cursor.time { continue }
                state.acknowledged[first.market] = first.cursor
                state.changed = true
            }
            if state.head > 1024, state.head * 2 > state.pending.count {
                state.pending.removeFirst(state.head)
                state.head = 0
            }
            guard state.changed else { return nil }
            state.changed = false
            return Self.encode(File(clean: false, markets: state.acknowledged))
        }
    }

    /// The file's content for a clean stop: the newest trade published per market.
    package func cleanStop() -> Data? {
        state.withLock { Self.encode(File(clean: true, markets: $0.published)) }
    }

    /// Writes `data` whole and renames it into place (a crash leaves the old file or the new one), on the
    /// disk thread: never on the cooperative pool.
    package func write(_ data: Data) async throws {
        let path = path
        try await DiskThread.shared.run {
            let directory = (path as NSString).deletingLastPathComponent
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }

    private static func encode(_ file: File) -> Data? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try? encoder.encode(file)
    }
}
