import Foundation
import Testing

/// `orderbook.{depth}.{symbol}` replayed with bybit.md §5 gives exactly the simulator's true book at
/// the message's `seq` (the engine update id); injected faults break the `u` sequence and are counted.
@Suite("Bybit order-book sync", .serialized)
struct BybitDepthTests {
    /// Applies `count` deltas after the first snapshot, failing on any break of the `u` sequence.
    static func follow(_ socket: TestWebSocket, topic: String, deltas count: Int) async throws -> BybitLocalBook {
        var book = BybitLocalBook()
        let first = try #require(await BybitHarness.next(socket, topic: topic))
        #expect(first["type"] as? String == "snapshot", "the first message is a snapshot")
        _ = book.apply(first)
        var applied = 0
        while applied < count {
            let message = try #require(
                await BybitHarness.next(socket, topic: topic), "stream stalled after \(applied) deltas")
            switch book.apply(message) {
            case .applied: applied += 1
            case .snapshot: continue
            case .outOfSequence(let expected, let got):
                Issue.record("u out of sequence: expected \(expected), got \(got)")
                return book
            }
        }
        return book
    }

    @Test(
        "snapshot + deltas equal the ground truth at the same seq",
        arguments: [
            ("spot", "orderbook.50.BTCUSDT", 50), ("linear", "orderbook.200.ETHUSDT", 200),
            ("spot", "orderbook.1000.BNBBTC", 1000),
        ])
    func bookMatchesGroundTruth(category: String, topic: String, depth: Int) async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 20)) { port, _ in
            let socket = try await BybitHarness.subscribe(port: port, category: category, topics: [topic])
            defer { socket.close() }
            let book = try await Self.follow(socket, topic: topic, deltas: depth == 1000 ? 5 : 15)
            let symbol = String(topic.split(separator: ".")[2])
            let truth = try await BybitHarness.groundTruth(port: port, symbol: symbol, updateId: book.seq, limit: depth)
            #expect(book.bids.count == truth.bids.count && book.asks.count == truth.asks.count)
            #expect(book.bids == truth.bids, "bids differ at seq \(book.seq)")
            #expect(book.asks == truth.asks, "asks differ at seq \(book.seq)")
            let bestBid = book.bids.keys.compactMap(Double.init).max() ?? 0
            let bestAsk = book.asks.keys.compactMap(Double.init).min() ?? 0
            #expect(bestBid > 0 && bestBid < bestAsk, "crossed or empty book")
        }
    }

    @Test("a second subscriber joining mid-stream also ends on the ground truth")
    func lateSubscriber() async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 20)) { port, _ in
            let topic = "orderbook.50.SOLUSDT"
            let early = try await BybitHarness.subscribe(port: port, category: "linear", topics: [topic])
            defer { early.close() }
            _ = try await Self.follow(early, topic: topic, deltas: 5)
            let late = try await BybitHarness.subscribe(port: port, category: "linear", topics: [topic])
            defer { late.close() }
            let book = try await Self.follow(late, topic: topic, deltas: 10)
            let truth = try await BybitHarness.groundTruth(port: port, symbol: "SOLUSDT", updateId: book.seq, limit: 50)
            #expect(book.bids == truth.bids && book.asks == truth.asks)
        }
    }

    @Test(
        "skipped, duplicated and reordered deltas break the u sequence and are counted",
        arguments: ["skip_depth", "duplicate_depth", "reorder_depth"])
    func faultsAreDetected(fault: String) async throws {
        try await BybitHarness.withBybit(BybitHarness.options(scale: 20)) { port, _ in
            let topic = "orderbook.50.BTCUSDT"
            let socket = try await BybitHarness.subscribe(port: port, category: "spot", topics: [topic])
            defer { socket.close() }
            var book = try await Self.follow(socket, topic: topic, deltas: 3)
            let added = try await SimulatorHarness.admin(
                port, "/_sim/faults", #"{"kind":"\#(fault)","count":1,"target":"spot/orderbook.50.BTCUSDT"}"#)
            #expect(added.status == 200)
            var detected: BybitLocalBook.Outcome?
            for _ in 0..<200 {
                guard let message = await BybitHarness.next(socket, topic: topic) else { break }
                let outcome = book.apply(message)
                if case .outOfSequence = outcome {
                    detected = outcome
                    break
                }
            }
            let outcome = try #require(detected, "the \(fault) must show in u")
            if case .outOfSequence(let expected, let got) = outcome {
                // A duplicate repeats the last u; a skip, or a delta held back behind the next one, jumps.
                #expect(
                    fault == "duplicate_depth" ? got == expected - 1 : got == expected + 1,
                    "expected \(expected), got \(got)")
            }
            #expect(try await BybitHarness.faultCount(port, fault) == 1)
        }
    }

    @Test("level 1 is snapshots only and repeats an unchanged snapshot with the same u after 3 s")
    func levelOneRepeats() async throws {
        // Pinned clock: the book cannot change, so only the 3-second repeat is sent.
        try await BybitHarness.withBybit { port, _ in
            let topic = "orderbook.1.BTCUSDT"
            let socket = try await BybitHarness.subscribe(port: port, category: "linear", topics: [topic])
            defer { socket.close() }
            let first = try #require(await BybitHarness.next(socket, topic: topic))
            let again = try #require(await BybitHarness.next(socket, topic: topic, timeout: .seconds(10)))
            for message in [first, again] {
                #expect(message["type"] as? String == "snapshot")
                let data = message["data"] as? [String: Any]
                #expect((data?["b"] as? [Any])?.count == 1 && (data?["a"] as? [Any])?.count == 1)
            }
            let u = { (message: [String: Any]) in ((message["data"] as? [String: Any])?["u"] as? NSNumber)?.int64Value }
            #expect(u(first) != nil && u(first) == u(again), "the repeat keeps u")
            // With a moving clock, level 1 stays snapshot-only and u grows when the touch changes.
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"scale":20}"#)
            var last = u(again) ?? 0
            var grew = false
            for _ in 0..<50 {
                guard let message = await BybitHarness.next(socket, topic: topic) else { break }
                #expect(message["type"] as? String == "snapshot")
                let current = u(message) ?? 0
                #expect(current == last || current == last + 1)
                grew = grew || current == last + 1
                last = current
                if grew { break }
            }
            #expect(grew)
        }
    }

    @Test("a simulated service restart sends a fresh snapshot with u = 1, then deltas from 2")
    func restart() async throws {
        try await BybitHarness.withBybit { port, _ in
            let topic = "orderbook.50.ETHUSDT"
            let socket = try await BybitHarness.subscribe(port: port, category: "spot", topics: [topic])
            defer { socket.close() }
            var book = BybitLocalBook()
            _ = book.apply(try #require(await BybitHarness.next(socket, topic: topic)))
            #expect(book.u > 1)
            let restarted = try await SimulatorHarness.admin(
                port, "/_sim/bybit/restart", #"{"category":"spot","symbol":"ETHUSDT"}"#)
            #expect(restarted.text == #"{"restarted":1}"#)
            let fresh = try #require(await BybitHarness.next(socket, topic: topic))
            #expect(fresh["type"] as? String == "snapshot")
            #expect(book.apply(fresh) == .snapshot)
            #expect(book.u == 1)
            _ = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":5000}"#)
            let delta = try #require(await BybitHarness.next(socket, topic: topic))
            #expect(delta["type"] as? String == "delta")
            #expect(book.apply(delta) == .applied)
            #expect(book.u == 2)
            let truth = try await BybitHarness.groundTruth(port: port, symbol: "ETHUSDT", updateId: book.seq, limit: 50)
            #expect(book.bids == truth.bids && book.asks == truth.asks)
        }
    }
}
