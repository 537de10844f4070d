import ExchangeSimulator
import Foundation
import Testing

/// The load mix (`--load VENUE:KIND=RATE,…`, `POST /_sim/load`): parsing, and a depth-heavy load whose
/// diffs are real book changes, so a client's book stays equal to the ground truth.
@Suite("Load mix", .serialized)
struct LoadMixTests {
    @Test(
        "flag parsing",
        arguments: [
            ("binance:depth=60000,ticker=20000", "binance", 60_000.0, 20_000.0),
            ("bybit:depth=5000", "bybit", 5_000, 0),
            ("whitebit:ticker=0.5", "whitebit", 0, 0.5),
        ])
    func parses(flag: String, venue: String, depth: Double, ticker: Double) throws {
        let (parsedVenue, mix) = try LoadMix.parse(flag: flag).get()
        #expect(parsedVenue == venue)
        #expect(mix == LoadMix(depth: depth, ticker: ticker))
    }

    @Test(
        "bad flags say what is wrong",
        arguments: [
            ("binance", "expected VENUE:KIND=RATE"),
            (":depth=5", "expected VENUE:KIND=RATE"),
            ("binance:depth", "expected KIND=RATE"),
            ("binance:depth=-1", "from 0 to"),
            ("binance:depth=lots", "from 0 to"),
            ("binance:depth=1e12", "from 0 to"),
            ("binance:book=5", "unknown load kind \"book\""),
            ("binance:trades=5", "market's history"),
            ("binance:depth=5,depth=6", "given twice"),
        ])
    func rejects(flag: String, message: String) {
        guard case .failure(let error) = LoadMix.parse(flag: flag) else {
            Issue.record("\(flag) must be rejected")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test("POST /_sim/load sets the mix, rejects bad values without changing anything")
    func adminEndpoint() async throws {
        try await SimulatorHarness.withBinance { port, _ in
            let set = try await SimulatorHarness.admin(port, "/_sim/load", #"{"depth":1500,"ticker":300}"#)
            #expect(set.status == 200, "\(set.text)")
            for body in [#"{"trades":100}"#, #"{"depth":-1}"#, #"{"depth":"many"}"#, #"{"ticker":1,"rate":-5}"#, "{}"] {
                let rejected = try await SimulatorHarness.admin(port, "/_sim/load", body)
                #expect(rejected.status == 400, "\(body) → \(rejected.status) \(rejected.text)")
                #expect(rejected.text.contains("expected"), "\(rejected.text)")
            }
            let (_, state) = try await TestHTTP.json(port: port, path: "/_sim/load")
            let mix = (state as? [String: Any])?["mix"] as? [String: Any]
            #expect((mix?["depth"] as? NSNumber)?.intValue == 1500)
            #expect((mix?["ticker"] as? NSNumber)?.intValue == 300)
            #expect(((state as? [String: Any])?["rate"] as? NSNumber)?.intValue == 0, "rate untouched")
        }
    }

    @Test("a depth-heavy mix: contiguous one-update diffs, and the client's book equals the truth")
    func depthLoadKeepsTruth() async throws {
        var options = SimulatorHarness.options()
        options.loadMix["binance"] = LoadMix(depth: 3_000, ticker: 500)
        try await SimulatorHarness.withBinance(options) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@depth@100ms")
            defer { socket.close() }
            let tickerSocket = try await TestWebSocket.connect(port: port, path: "/ws/btcusdt@bookTicker")
            defer { tickerSocket.close() }
            // The clock is pinned: every update below is generated load.
            var (book, _) = try await BinanceLocalBook.synchronise(port: port, socket: socket, symbol: "BTCUSDT")
            var applied = 0
            while applied < 400 {
                let object = try #require(await socket.nextObject(), "stream stalled after \(applied) diffs")
                let event = try #require(BinanceLocalBook.DiffEvent(object))
                #expect(event.first == event.last, "one update per diff under depth load")
                #expect(
                    event.first == book.id + 1, "contiguous update ids: expected \(book.id + 1), got \(event.first)")
                guard book.apply(event) == .applied else {
                    Issue.record("diff \(event.first) not applied")
                    return
                }
                applied += 1
            }
            let ticker = await tickerSocket.nextObject()
            #expect(ticker?["u"] != nil && ticker?["b"] != nil, "the ticker part of the mix drives bookTicker")
            let truth = try await BinanceDepthSyncTests.groundTruth(port: port, symbol: "BTCUSDT", updateId: book.id)
            #expect(book.bids == truth.bids, "bids differ at update \(book.id)")
            #expect(book.asks == truth.asks, "asks differ at update \(book.id)")
            let bestBid = book.bids.keys.compactMap(Double.init).max() ?? 0
            let bestAsk = book.asks.keys.compactMap(Double.init).min() ?? 0
            #expect(bestBid < bestAsk, "crossed book")
        }
    }

    /// Advances a pinned clock by `steps` × 500 ms, then counts depth messages until one covers the update
    /// id reached at the end of the advance.
    static func depthMessages(mix: LoadMix?) async throws -> (messages: Int, updates: Int64) {
        var options = SimulatorHarness.options()
        if let mix { options.loadMix["binance"] = mix }
        return try await SimulatorHarness.withBinance(options) { port, _ in
            let socket = try await TestWebSocket.connect(port: port, path: "/ws/ethusdt@depth@100ms")
            defer { socket.close() }
            let startId = try await Self.updateId(port: port, symbol: "ETHUSDT")
            for _ in 0..<10 {
                let moved = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":500}"#)
                #expect(moved.status == 200)
            }
            let targetId = try await Self.updateId(port: port, symbol: "ETHUSDT")
            var messages = 0
            var first: Int64?
            while true {
                let event = try #require(
                    await socket.nextObject().flatMap(BinanceLocalBook.DiffEvent.init), "stream stalled")
                if event.last <= startId { continue }
                first = first ?? event.first
                messages += 1
                if event.last >= targetId { return (messages, event.last - (first ?? event.first) + 1) }
            }
        }
    }

    static func updateId(port: Int, symbol: String) async throws -> Int64 {
        let (_, body) = try await TestHTTP.json(port: port, path: "/_sim/book?symbol=\(symbol)&limit=1")
        return try #require(((body as? [String: Any])?["updateId"] as? NSNumber)?.int64Value)
    }

    @Test("over the same simulated span a depth mix yields more depth messages than the default cadence")
    func mixRaisesDepthMessages() async throws {
        let plain = try await Self.depthMessages(mix: nil)
        let loaded = try await Self.depthMessages(mix: LoadMix(depth: 400))
        #expect(plain.messages >= 1 && plain.messages <= 10, "default: at most one diff per clock advance")
        #expect(loaded.messages == Int(loaded.updates), "under depth load every update is its own message")
        #expect(loaded.messages > plain.messages, "\(loaded.messages) vs \(plain.messages)")
    }
}
