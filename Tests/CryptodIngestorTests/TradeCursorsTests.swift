import CryptodModel
import Foundation
import Testing

@testable import CryptodIngestor

@Suite("trade cursors")
struct TradeCursorsTests {
    static let btc = MarketKey(exchange: .binance, symbol: "BTCUSDT")
    static let eth = MarketKey(exchange: .binance, symbol: "ETHUSDT")

    static func trades(_ market: MarketKey, _ ids: ClosedRange<Int>) -> [Trade] {
        ids.map {
            Trade(
                market: market, id: String($0), price: "1.5", quantity: "2", side: .sell,
                time: Timestamp(seconds: Int64($0)), receivedAt: Timestamp(seconds: Int64($0)))
        }
    }

    static func file(_ data: Data?) throws -> [String: Any] {
        let data = try #require(data)
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func cursorID(_ file: [String: Any], _ market: MarketKey) -> String? {
        ((file["markets"] as? [String: Any])?[market.description] as? [String: Any])?["id"] as? String
    }

    @Test("a cursor moves only when the writer acknowledged the frame that carried the trade")
    func movesOnAcknowledgement() throws {
        let directory = NSTemporaryDirectory() + "cursors-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let cursors = TradeCursors(path: directory + "/binance.json")
        #expect(cursors.loaded.isEmpty)
        cursors.published(Self.trades(Self.btc, 1...3), sequence: 10)
        cursors.published(Self.trades(Self.eth, 1...2), sequence: 10)
        cursors.published(Self.trades(Self.btc, 4...6), sequence: 11)
        // Table: acknowledged through → BTC cursor, ETH cursor (nil: no change written).
        let table: [(UInt64, String?, String?)] = [(9, nil, nil), (10, "3", "2"), (10, nil, nil), (12, "6", "2")]
        for (through, btc, eth) in table {
            let data = cursors.acknowledged(through: through)
            if btc == nil {
                #expect(data == nil, "through \(through): nothing moved")
                continue
            }
            let file = try Self.file(data)
            #expect(Self.cursorID(file, Self.btc) == btc, "through \(through)")
            #expect(Self.cursorID(file, Self.eth) == eth, "through \(through)")
            #expect(file["clean"] as? Bool == false)
        }
    }

    @Test("a clean stop records the newest published trade; the next start reads the file back")
    func cleanStopAndReload() async throws {
        let directory = NSTemporaryDirectory() + "cursors-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/binance.json"
        let cursors = TradeCursors(path: path)
        cursors.published(Self.trades(Self.btc, 1...3), sequence: 1)
        try await cursors.write(try #require(cursors.acknowledged(through: 1)))
        cursors.published(Self.trades(Self.btc, 4...9), sequence: 2)
        // Crash now: the file says 3 (frame 2 was never acknowledged).
        let afterCrash = TradeCursors(path: path)
        #expect(afterCrash.loaded[Self.btc.description]?.id == "3" && !afterCrash.loadedClean)
        // A clean stop: frame 2 is saved on the stream's disk, so the file says 9.
        try await cursors.write(try #require(cursors.cleanStop()))
        let afterStop = TradeCursors(path: path)
        #expect(afterStop.loaded[Self.btc.description] == .init(id: "9", time: Timestamp(seconds: 9).nanoseconds))
        #expect(afterStop.loadedClean)
        // An older trade published late (a gap-fill) does not move a cursor back.
        afterStop.published(Self.trades(Self.btc, 2...2), sequence: 5)
        #expect(afterStop.acknowledged(through: 5) == nil)
    }

    @Test("a writer away for long: pending entries collapse to each market's newest, which still moves later")
    func boundedWhileWriterAway() throws {
        let cursors = TradeCursors(path: NSTemporaryDirectory() + "cursors-\(UUID().uuidString)/x.json")
        for sequence in 1...UInt64(TradeCursors.pendingLimit + 10) {
            let id = Int(sequence)
            cursors.published(
                Self.trades(sequence.isMultiple(of: 2) ? Self.btc : Self.eth, id...id), sequence: sequence)
        }
        // Early acknowledgements no longer move anything (the entries were collapsed), a late one does.
        #expect(cursors.acknowledged(through: 5) == nil)
        let file = try Self.file(cursors.acknowledged(through: UInt64(TradeCursors.pendingLimit + 10)))
        #expect(Self.cursorID(file, Self.btc) == String(TradeCursors.pendingLimit + 10))
        #expect(Self.cursorID(file, Self.eth) == String(TradeCursors.pendingLimit + 9))
    }
}
