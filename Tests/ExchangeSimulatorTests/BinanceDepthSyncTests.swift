import Foundation
import Testing

/// Diff depth replayed against a REST snapshot with binance.md §5 gives exactly the simulator's true
/// book, and injected stream faults are detected by the same procedure.
@Suite("Binance depth sync", .serialized)
struct BinanceDepthSyncTests {
    static func groundTruth(
        port: Int, symbol: String, updateId: Int64
    ) async throws -> (bids: [String: String], asks: [String: String]) {
        let (result, body) = try await TestHTTP.json(
            port: port, path: "/_sim/book?symbol=\(symbol)&updateId=\(updateId)")
        #expect(result.status == 200, "ground truth: \(result.text.prefix(200))")
        let object = body as? [String: Any] ?? [:]
        #expect((object["updateId"] as? NSNumber)?.int64Value == updateId)
        var bids: [String: String] = [:]
        var asks: [String: String] = [:]
        for level in object["bids"] as? [[String]] ?? [] { bids[level[0]] = level[1] }
        for level in object["asks"] as? [[String]] ?? [] { asks[level[0]] = level[1] }
        return (bids, asks)
    }

    @Test("synchronised book equals the ground truth at its update id", arguments: ["depth@100ms", "depth"])
    func bookMatchesGroundTruth(stream: String) async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 20)) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/bnbbtc@\(stream)")
            defer { socket.close() }
            var (book, _) = try await BinanceLocalBook.synchronise(port: port, socket: socket, symbol: "BNBBTC")
            var applied = 0
            while applied < (stream == "depth" ? 3 : 15) {
                let event = try #require(await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init))
                let outcome = book.apply(event)
                if case .gap(let expected, let got) = outcome {
                    Issue.record("unexpected gap: expected U \(expected), got \(got)")
                    return
                }
                if outcome == .applied { applied += 1 }
            }
            let truth = try await Self.groundTruth(port: port, symbol: "BNBBTC", updateId: book.id)
            #expect(!book.bids.isEmpty && !book.asks.isEmpty)
            #expect(book.bids == truth.bids, "bids differ at update \(book.id)")
            #expect(book.asks == truth.asks, "asks differ at update \(book.id)")
            let bestBid = book.bids.keys.compactMap(Double.init).max() ?? 0
            let bestAsk = book.asks.keys.compactMap(Double.init).min() ?? 0
            #expect(bestBid < bestAsk, "crossed book")
        }
    }

    /// Applies events until the procedure reports a gap or `limit` events passed.
    static func runUntilGap(
        _ book: inout BinanceLocalBook, socket: TestWebSocket, limit: Int
    ) async -> BinanceLocalBook.Outcome? {
        for _ in 0..<limit {
            guard let event = await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init) else { return nil }
            let outcome = book.apply(event)
            if case .gap = outcome { return outcome }
        }
        return nil
    }

    @Test("a skipped depth update is detected as a gap and counted", arguments: ["skip_depth", "reorder_depth"])
    func skippedUpdateIsDetected(fault: String) async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 20)) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/bnbbtc@depth@100ms")
            defer { socket.close() }
            var (book, _) = try await BinanceLocalBook.synchronise(port: port, socket: socket, symbol: "BNBBTC")
            let added = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"\#(fault)","count":1,"target":"bnbbtc@depth"}"#)
            #expect(added.status == 200)
            let outcome = await Self.runUntilGap(&book, socket: socket, limit: 50)
            #expect(outcome != nil, "the sync procedure must notice the \(fault)")
            let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
            let counters = (faults as? [String: Any])?["counters"] as? [String: Any]
            #expect((counters?[fault] as? NSNumber)?.intValue == 1)
        }
    }

    @Test("duplicated depth updates are ignored by the procedure and the book stays exact")
    func duplicatesAreHarmless() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 20)) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/bnbbtc@depth@100ms")
            defer { socket.close() }
            var (book, _) = try await BinanceLocalBook.synchronise(port: port, socket: socket, symbol: "BNBBTC")
            _ = try await SimulatorHarness.admin(port, "/_sim/faults", #"{"kind":"duplicate_depth","count":3}"#)
            var ignored = 0
            var applied = 0
            while applied < 12 {
                let event = try #require(await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init))
                switch book.apply(event) {
                case .applied: applied += 1
                case .ignored: ignored += 1
                case .gap:
                    Issue.record("duplicates must not look like gaps")
                    return
                }
            }
            #expect(ignored == 3, "each duplicate is ignored once")
            let truth = try await Self.groundTruth(port: port, symbol: "BNBBTC", updateId: book.id)
            #expect(book.bids == truth.bids && book.asks == truth.asks)
        }
    }

    @Test("REST lastUpdateId continues the diff stream's update ids")
    func snapshotIdsAreContinuous() async throws {
        try await SimulatorHarness.withBinance(SimulatorHarness.options(scale: 20)) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/ethusdt@depth@100ms")
            defer { socket.close() }
            var previous = try #require(await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init))
            let (_, snapshot) = try await TestHTTP.json(port: port, path: "/api/v3/depth?symbol=ETHUSDT&limit=10")
            let lastUpdateId = ((snapshot as? [String: Any])?["lastUpdateId"] as? NSNumber)?.int64Value ?? 0
            #expect(lastUpdateId >= previous.first, "the snapshot is taken after the stream started")
            // Some event covers lastUpdateId + 1: the stream continues the snapshot without a hole.
            var straddled = previous.first <= lastUpdateId + 1 && previous.last >= lastUpdateId + 1
            for _ in 0..<40 where !straddled {
                let event = try #require(await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init))
                #expect(event.first == previous.last + 1, "consecutive diffs are continuous")
                straddled = event.first <= lastUpdateId + 1 && event.last >= lastUpdateId + 1
                previous = event
            }
            #expect(straddled, "an event must contain lastUpdateId + 1 = \(lastUpdateId + 1)")
        }
    }
}
