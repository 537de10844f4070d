import ExchangeSimulator
import Foundation
import Testing

/// WS depth per whitebit.md §5: snapshot, chained incrementals and truncation rebuild exactly the
/// simulator's true book at the same update id; a skipped update shows as a `past_update_id` gap.
@Suite("WhiteBIT depth sync", .serialized)
struct WhiteBITDepthSyncTests {
    static func nextDepth(_ socket: TestWebSocket) async -> WhiteBITLocalBook.Update? {
        await socket.nextUpdate("depth_update").flatMap(WhiteBITLocalBook.Update.init)
    }

    /// Subscribes and returns the local book built from the first message (which must be a snapshot).
    static func subscribe(
        _ socket: TestWebSocket, market: String, limit: Int, multi: Bool = false, id: Int = 1
    ) async throws -> WhiteBITLocalBook {
        let ack = try await socket.call(id, "depth_subscribe", #"["\#(market)",\#(limit),"0",\#(multi)]"#)
        #expect((ack["result"] as? [String: Any])?["status"] as? String == "success", "\(ack)")
        let first = try #require(await Self.nextDepth(socket))
        #expect(
            first.isSnapshot && first.pastUpdateId == nil && first.market == market,
            "the first depth_update is a snapshot")
        var book = WhiteBITLocalBook(limit: limit)
        _ = book.apply(first)
        return book
    }

    static func expectMatchesTruth(_ book: WhiteBITLocalBook, port: Int, market: String) async throws {
        let truth = try await WhiteBITNumbers.groundTruth(
            port: port, symbol: market, updateId: book.updateId, limit: book.limit)
        #expect(book.bids.count == book.limit && book.asks.count == book.limit)
        #expect(book.bids == truth.bids, "bids differ at update \(book.updateId)")
        #expect(book.asks == truth.asks, "asks differ at update \(book.updateId)")
        #expect((book.bids.keys.max() ?? 0) < (book.asks.keys.min() ?? 0), "crossed book")
    }

    @Test(
        "snapshot + incrementals + truncation equal the ground truth; only with window removals on may a client skip truncating",
        arguments: [(5, false), (100, false), (5, true), (100, true)])
    func bookMatchesGroundTruth(limit: Int, windowRemovals: Bool) async throws {
        let options = WhiteBITHarness.options(
            scale: 20, limits: ["whitebit.depth_window_removals": windowRemovals ? 1 : 0])
        try await WhiteBITHarness.with(options) { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            var book = try await Self.subscribe(socket, market: "BTC_USDT", limit: limit)
            // A client that never truncates (ccxt.pro).
            var untruncated = WhiteBITLocalBook(limit: limit, truncates: false)
            untruncated.bids = book.bids
            untruncated.asks = book.asks
            untruncated.updateId = book.updateId
            try await Self.expectMatchesTruth(book, port: port, market: "BTC_USDT")
            var applied = 0
            var removals = 0
            var untruncatedHeldExtraLevels = false
            while applied < 40 {
                let update = try #require(await Self.nextDepth(socket))
                removals += (update.bids + update.asks).filter { $0.count == 2 && $0[1] == "0" }.count
                _ = untruncated.apply(update)
                switch book.apply(update) {
                case .applied: applied += 1
                case .snapshot: continue
                case .gap(let expected, let got):
                    Issue.record("unexpected gap: past_update_id \(got), expected \(expected)")
                    return
                }
                #expect(update.updateId > update.pastUpdateId ?? .max)
                if untruncated.bids.count > limit || untruncated.asks.count > limit {
                    untruncatedHeldExtraLevels = true
                }
                if windowRemovals {
                    #expect(
                        untruncated.bids == book.bids && untruncated.asks == book.asks,
                        "the untruncated book differs at \(update.updateId)")
                }
            }
            #expect(removals > 0, "removed levels are sent as \"0\"")
            // Documented behaviour: levels pushed out of the window are not sent, so truncating is the client's job.
            #expect(untruncatedHeldExtraLevels != windowRemovals)
            try await Self.expectMatchesTruth(book, port: port, market: "BTC_USDT")
            if windowRemovals { try await Self.expectMatchesTruth(untruncated, port: port, market: "BTC_USDT") }
        }
    }

    @Test(
        "a skipped, duplicated or reordered update breaks the past_update_id chain and is counted; resubscribing recovers",
        arguments: ["skip_depth", "duplicate_depth", "reorder_depth"])
    func brokenChainIsDetected(fault: String) async throws {
        try await WhiteBITHarness.with(WhiteBITHarness.options(scale: 20)) { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            var book = try await Self.subscribe(socket, market: "ETH_USDT", limit: 20)
            let added = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"\#(fault)","count":1,"target":"depth:ETH_USDT"}"#)
            #expect(added.status == 200)
            var gap: WhiteBITLocalBook.Outcome?
            for _ in 0..<100 {
                let update = try #require(await Self.nextDepth(socket))
                let outcome = book.apply(update)
                if case .gap = outcome {
                    gap = outcome
                    break
                }
            }
            #expect(gap != nil, "the chain must break at the \(fault)")
            #expect(try await WhiteBITHarness.faultCount(port, fault) == 1)
            // The documented recovery: subscribe again, start from the new snapshot.
            book = try await Self.subscribe(socket, market: "ETH_USDT", limit: 20, id: 2)
            for _ in 0..<5 {
                let update = try #require(await Self.nextDepth(socket))
                if case .gap = book.apply(update) { Issue.record("gap after resubscribing") }
            }
            try await Self.expectMatchesTruth(book, port: port, market: "ETH_USDT")
        }
    }

    @Test("an unchanged book repeats its snapshot after 10 simulated seconds")
    func keepAliveSnapshot() async throws {
        // One market without trades, background updates once a day: nothing moves the book.
        let quiet = MarketSpec(
            base: "QUI", quote: "USDT", tickSize: Units.parse("0.01")!, lotSize: Units.parse("0.001")!,
            referencePrice: Units.parse("10")!, ordersPerMinute: 0)
        var options = WhiteBITHarness.options(markets: [quiet])
        options.engine.churnIntervalMs = 86_400_000
        try await WhiteBITHarness.with(options) { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            let book = try await Self.subscribe(socket, market: "QUI_USDT", limit: 10)
            try await WhiteBITHarness.advance(port, ms: 5_000)
            #expect(await socket.nextUpdate("depth_update", timeout: .seconds(1)) == nil, "nothing before 10 s")
            try await WhiteBITHarness.advance(port, ms: 5_000)
            let again = try #require(await Self.nextDepth(socket))
            #expect(again.isSnapshot && again.pastUpdateId == nil)
            #expect(again.updateId == book.updateId, "the book did not change")
            #expect(WhiteBITNumbers.levels(again.bids) == book.bids && WhiteBITNumbers.levels(again.asks) == book.asks)
        }
    }

    @Test("the multi-market flag adds markets; false replaces every depth subscription")
    func multiMarketFlag() async throws {
        try await WhiteBITHarness.with { port in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws")
            defer { socket.close() }
            _ = try await Self.subscribe(socket, market: "BTC_USDT", limit: 5, id: 1)
            _ = try await Self.subscribe(socket, market: "ETH_USDT", limit: 5, multi: true, id: 2)
            #expect(try await WhiteBITHarness.streams(port) == [["depth:BTC_USDT:5:0", "depth:ETH_USDT:5:0"]])
            // One subscription per market: new parameters for ETH_USDT replace its old ones.
            let wider = try await Self.subscribe(socket, market: "ETH_USDT", limit: 10, multi: true, id: 3)
            #expect(wider.bids.count == 10)
            #expect(try await WhiteBITHarness.streams(port) == [["depth:BTC_USDT:5:0", "depth:ETH_USDT:10:0"]])
            _ = try await Self.subscribe(socket, market: "LTC_BTC", limit: 1, multi: false, id: 4)
            #expect(try await WhiteBITHarness.streams(port) == [["depth:LTC_BTC:1:0"]])
            let ack = try await socket.call(5, "depth_unsubscribe")
            #expect((ack["result"] as? [String: Any])?["status"] as? String == "success")
            #expect(try await WhiteBITHarness.streams(port) == [[]])
            let bad = try await socket.call(6, "depth_subscribe", #"["BTC_USDT",7,"0",true]"#)
            #expect(((bad["error"] as? [String: Any])?["code"] as? NSNumber)?.intValue == 1, "limit 7 is not allowed")
        }
    }
}
