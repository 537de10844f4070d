import CryptodModel
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The whole ingest path against exchsim with faults: three exchanges, three ingestors, the writer's JSONL
/// sink as the observer. Afterwards every book equals exchsim's ground truth at the same update id, no
/// Binance trade is missing or doubled, closed candles equal exchsim's, and exchsim saw no 418.
@Suite("Market data end to end", .serialized, .enabled(if: Binaries.exists("exchsim")))
struct MarketDataTests {
    static let markets: [String: [String]] = [
        "binance": ["BTCUSDT", "ETHUSDT"], "bybit": ["BTCUSDT", "ETHUSDT"], "whitebit": ["BTC_USDT", "ETH_USDT"],
    ]

    @Test("books, trades and candles match exchsim's truth through faults and a forced rotation")
    func endToEndWithFaults() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        // Start the simulated clock a few seconds before a minute turns, so 1m candles close during the run.
        let wallMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let start = (wallMilliseconds / 60_000 + 1) * 60_000 - 6_000
        let exchsim = try await Exchsim.start(
            in: sandbox,
            arguments: [
                "--seed", "11", "--start-time", String(start),
                // The 24 h Binance rotation, time-scaled to 12 s: make-before-break must lose nothing.
                "--limit", "binance.ws_lifetime_ms=12000",
                "--fault", "skip_depth:count=2", "--fault", "duplicate_depth:count=3", "--fault",
                "reorder_depth:count=2",
                "--fault", "malformed_frame:count=2,scope=ws",
                "--fault", "rate_limit_storm:count=2,scope=rest,target=depth",
            ])
        var config = TestConfig(writer: true)
        config.extra = Self.exchangeSections(exchsim)
        let daemon = try await Daemon.start(
            in: sandbox, config: config,
            expecting: ["writer", "ingestor-binance", "ingestor-bybit", "ingestor-whitebit"])
        try await Task.sleep(for: .seconds(9))
        // A dropped connection on every venue: gap-fill and resync must repair it.
        for venue in ["binance", "bybit", "whitebit"] {
            try exchsim.post(venue, "/_sim/connections/drop", json: "{}")
        }
        try await Task.sleep(for: .seconds(14))
        // A 429 storm can hit a book's snapshot twice; the governor then waits for the exchange's next window
        // (up to a minute) before asking again. Wait for every book rather than guess how long that takes.
        try await eventually("every market's book published", timeout: .seconds(150), every: .seconds(1)) {
            () -> Bool? in
            let events = try JSONLEvents(directory: sandbox.stateDirectory + "/jsonl")
            let missing = Self.markets.flatMap { venue, symbols in
                symbols.filter { events.book(exchange: venue, symbol: $0) == nil }
            }
            return missing.isEmpty ? true : nil
        }
        #expect(await daemon.terminate() == 0)

        let events = try JSONLEvents(directory: sandbox.stateDirectory + "/jsonl")
        #expect(events.count > 100, "market data reached the writer")
        try checkBooks(events, exchsim)
        try checkBinanceTrades(events, exchsim)
        try checkCandles(events, exchsim)
        for venue in ["binance", "bybit", "whitebit"] {
            let limits = String(decoding: try exchsim.get(venue, "/_sim/limits"), as: UTF8.self)
            if venue == "binance" {
                #expect(Self.counts418(limits) == 0, "binance: zero 418s: \(limits.prefix(400))")
            }
        }
    }

    @Test("a runtime subscribe and unsubscribe touch no other market: no resync, no gap, nothing restarted")
    func runtimeSubscriptions() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let exchsim = try await Exchsim.start(in: sandbox, arguments: ["--venue", "binance"])
        var config = TestConfig(writer: true)
        config.extra = """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT"]

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])
        let jsonl = sandbox.stateDirectory + "/jsonl"
        try await eventually("BTCUSDT book synced", timeout: .seconds(60)) { () -> Bool? in
            try JSONLEvents(directory: jsonl).book(exchange: "binance", symbol: "BTCUSDT") != nil ? true : nil
        }
        let before = try await daemon.status()
        let subscribed = try await daemon.ctl(["subscribe", "binance", "ETH/USDT", "trades", "book"])
        #expect(subscribed.status == 0, "\(subscribed)")
        try await eventually("ETHUSDT trades and book after subscribe", timeout: .seconds(60)) { () -> Bool? in
            let events = try JSONLEvents(directory: jsonl)
            let ready =
                events.book(exchange: "binance", symbol: "ETHUSDT") != nil
                && !events.tradeIDs(exchange: "binance", symbol: "ETHUSDT").isEmpty
            return ready ? true : nil
        }
        let listed = try await daemon.ctl(["subscriptions", "binance"])
        #expect(listed.output.contains("binance:spot:ETHUSDT/trades"), "\(listed)")
        let unsubscribed = try await daemon.ctl(["unsubscribe", "binance", "ETHUSDT", "trades", "book"])
        #expect(unsubscribed.status == 0, "\(unsubscribed)")
        try await Task.sleep(for: .seconds(3))
        #expect(await daemon.terminate() == 0)

        let events = try JSONLEvents(directory: jsonl)
        let btc = events.objects.filter { $0["symbol"] as? String == "BTCUSDT" }
        // One sync at the start, never again: the other market's changes caused no resync and no gap.
        #expect(btc.filter { $0["type"] as? String == "book_snapshot" }.count == 1, "BTCUSDT synced once")
        #expect(!btc.contains { $0["type"] as? String == "stream_gap" }, "no gap on BTCUSDT")
        #expect(
            !btc.contains { $0["type"] as? String == "source_status" && $0["state"] as? String == "resyncing" },
            "BTCUSDT never resynced")
        let ids = events.tradeIDs(exchange: "binance", symbol: "BTCUSDT").compactMap { UInt64($0) }
        if let first = ids.min(), let last = ids.max() {
            #expect(UInt64(Set(ids).count) == last - first + 1, "BTCUSDT trades contiguous through both changes")
        }
        #expect(before["ingestor-binance"]?.pid != nil)
        // The change is kept for the next start of the ingestor.
        let saved = try String(contentsOfFile: sandbox.stateDirectory + "/subscriptions/binance.json", encoding: .utf8)
        #expect(saved.contains("ETHUSDT") && saved.contains("removed"), "\(saved)")
    }

    /// The writer is stopped (SIGSTOP) so the ingestor's send window fills with frames held only in memory;
    /// then the ingestor is killed. The restarted one must fetch those trades, and those of its own restart,
    /// from the cursor it saved once the writer had acknowledged them.
    @Test("a kill -9 of an ingestor loses no trade: its unacknowledged frames are filled from the saved cursor")
    func ingestorKillLosesNoTrade() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let symbols = ["BTCUSDT", "ETHUSDT"]
        let exchsim = try await Exchsim.start(in: sandbox, arguments: ["--venue", "binance", "--seed", "9"])
        var config = TestConfig(writer: true)
        config.extra = """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT", "ETHUSDT"]
            channels = ["trades"]

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])
        let jsonl = sandbox.stateDirectory + "/jsonl"
        let cursorFile = sandbox.stateDirectory + "/cursors/binance.json"
        try await eventually("trades stored and their cursors saved", timeout: .seconds(180)) { () -> Bool? in
            let events = try JSONLEvents(directory: jsonl)
            let flowing = symbols.allSatisfy { !events.tradeIDs(exchange: "binance", symbol: $0).isEmpty }
            return flowing && FileManager.default.fileExists(atPath: cursorFile) ? true : nil
        }
        let writer = try #require(try await daemon.status()["writer"]?.pid)
        #expect(kill(writer, SIGSTOP) == 0)
        try await Task.sleep(for: .seconds(3))
        let storedBeforeKill = try JSONLEvents(directory: jsonl).tradeIDs(exchange: "binance", symbol: "BTCUSDT").count
        _ = try await daemon.killAndAwaitRestart("ingestor-binance")
        #expect(kill(writer, SIGCONT) == 0)
        // exchsim's trades are sparse (a few a second across its markets): wait for some, however slow.
        try await eventually("trades after the restart stored", timeout: .seconds(180), every: .seconds(1)) {
            () -> Bool? in
            let count = try JSONLEvents(directory: jsonl).tradeIDs(exchange: "binance", symbol: "BTCUSDT").count
            return count > storedBeforeKill + 5 ? true : nil
        }
        try await Task.sleep(for: .seconds(2))
        #expect(await daemon.terminate() == 0)

        let events = try JSONLEvents(directory: jsonl)
        for symbol in symbols {
            let ids = events.tradeIDs(exchange: "binance", symbol: symbol).compactMap { UInt64($0) }
            let first = try #require(ids.min()), last = try #require(ids.max())
            let stored = Set(ids)
            let missing = (first...last).filter { !stored.contains($0) }
            #expect(
                missing.isEmpty,
                "\(symbol): \(missing.count) trades missing between \(first) and \(last): \(missing.prefix(10))")
        }
        let gaps = events.objects.filter {
            $0["type"] as? String == "stream_gap" && ($0["reason"] as? String ?? "").contains("ingestor restarted")
        }
        #expect(!gaps.isEmpty, "the restart's fill was reported as a gap")
    }

    /// Bybit answers only its most recent trades (60 on spot). A market trading thousands a second loses more
    /// than that in a reconnect: the gap must close saying so, while a quiet market on the same connection
    /// closes its gap complete.
    @Test("a reconnect gap that Bybit's recent-trades page cannot cover closes as incomplete, not as filled")
    func unrecoverableTradeGapIsReported() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let marketsFile = sandbox.root + "/markets.json"
        try """
        [{"base":"BTC","quote":"USDT","price":"60000","tickSize":"0.01","stepSize":"0.00001","ordersPerMinute":30000},
         {"base":"ETH","quote":"USDT","price":"3000","tickSize":"0.01","stepSize":"0.0001","ordersPerMinute":30}]
        """.write(toFile: marketsFile, atomically: true, encoding: .utf8)
        // exchsim's matching tops out near 300 trades a simulated second; twenty simulated seconds a second make a
        // ~120 ms reconnect cost hundreds of trades, far beyond the 60 Bybit spot answers.
        let exchsim = try await Exchsim.start(
            in: sandbox, arguments: ["--venue", "bybit", "--markets-file", marketsFile, "--time-scale", "20"])
        var config = TestConfig(writer: true)
        config.extra = """
            [exchanges.bybit]
            rest_url = "http://127.0.0.1:\(exchsim.port("bybit"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("bybit"))"
            markets = ["BTCUSDT", "ETHUSDT"]
            channels = ["trades"]

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-bybit"])
        let jsonl = sandbox.stateDirectory + "/jsonl"
        try await eventually("trades on both markets", timeout: .seconds(120), every: .seconds(1)) { () -> Bool? in
            let events = try JSONLEvents(directory: jsonl)
            let both = ["BTCUSDT", "ETHUSDT"].allSatisfy { !events.tradeIDs(exchange: "bybit", symbol: $0).isEmpty }
            return both ? true : nil
        }
        _ = try exchsim.post("bybit", "/_sim/connections/drop", json: #"{"target":"spot/publicTrade"}"#)
        func closedGap(_ events: JSONLEvents, _ symbol: String) -> [String: Any]? {
            events.of("bybit", symbol).first {
                $0["type"] as? String == "stream_gap" && $0["state"] as? String == "closed"
                    && $0["channel"] as? String == "trades"
            }
        }
        let (btc, eth) = try await eventually("both trade gaps closed", timeout: .seconds(60), every: .seconds(1)) {
            () -> ([String: Any], [String: Any])? in
            let events = try JSONLEvents(directory: jsonl)
            guard let btc = closedGap(events, "BTCUSDT"), let eth = closedGap(events, "ETHUSDT") else { return nil }
            return (btc, eth)
        }
        #expect(await daemon.terminate() == 0)
        let btcReason = btc["reason"] as? String ?? ""
        #expect(btcReason.hasPrefix("incomplete:") && btcReason.contains("recent-trades page"), "\(btc)")
        #expect((btc["recovered"] as? NSNumber)?.intValue ?? 0 > 0, "the page that was there was published: \(btc)")
        let ethReason = eth["reason"] as? String ?? ""
        #expect(!ethReason.contains("incomplete"), "a quiet market's page reaches its cursor: \(eth)")
    }

    /// A reconnect's kline gap-fill asked just before a minute ends and answered (slowly) just after: the row the
    /// exchange summed while the minute was still open must not be stored as that minute's closed candle.
    @Test("a kline gap-fill answered after the minute ended stores no short closed candle")
    func slowGapFillAcrossMinute() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        // The exchange's minute turns 40 s after exchsim starts; every klines answer is 15 s late, so the
        // row it sums lacks the minute's last seconds of trades.
        let wallMilliseconds = Int64(Date().timeIntervalSince1970 * 1000)
        let start = (wallMilliseconds / 60_000 + 1) * 60_000 - 40_000
        let exchsim = try await Exchsim.start(
            in: sandbox,
            arguments: [
                "--venue", "binance", "--seed", "5", "--start-time", String(start),
                "--fault", "latency:ms=15000,scope=rest,target=klines",
            ])
        var config = TestConfig(writer: true)
        config.extra = """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT"]

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])
        let jsonl = sandbox.stateDirectory + "/jsonl"
        try await eventually("BTCUSDT candles flowing", timeout: .seconds(60)) { () -> Bool? in
            try JSONLEvents(directory: jsonl).of("binance", "BTCUSDT").contains { $0["type"] as? String == "candle" }
                ? true : nil
        }
        func exchangeNow() throws -> Int64 {
            let clock = try exchsim.getJSON("binance", "/_sim/clock") as? [String: Any]
            return (clock?["now"] as? NSNumber)?.int64Value ?? 0
        }
        var boundary = (try exchangeNow() / 60_000 + 1) * 60_000
        if boundary - (try exchangeNow()) < 14_000 { boundary += 60_000 }
        // Drop the stream 12 s before the minute ends: the reconnect's gap-fill leaves before it, lands after.
        try await Task.sleep(for: .milliseconds(max(0, boundary - 12_000 - (try exchangeNow()))))
        try exchsim.post("binance", "/_sim/connections/drop", json: "{}")
        try await eventually("the minute after the gap-fill", timeout: .seconds(90)) { () -> Bool? in
            try exchangeNow() > boundary + 8_000 ? true : nil
        }
        #expect(await daemon.terminate() == 0)

        let events = try JSONLEvents(directory: jsonl)
        let closed = events.closedCandles(exchange: "binance", symbol: "BTCUSDT")
        #expect(closed.contains { $0.openTime == boundary - 60_000 }, "the minute that ended was closed")
        for candle in closed {
            let truth =
                try exchsim.getJSON(
                    "binance", "/_sim/candles?symbol=BTCUSDT&interval=1m&start=\(candle.openTime)&limit=1")
                as? [[String: Any]]
            let row = try #require(truth?.first, "truth for the candle at \(candle.openTime)")
            for field in ["close", "high", "low", "volume"] {
                let expected = (row[field] as? String).flatMap(ExactDecimal.init)
                #expect(
                    candle.values[field] == expected,
                    "closed \(candle.openTime) \(field): \(candle.values[field].map(String.init(describing:)) ?? "nil") vs \(row[field] ?? "nil")"
                )
            }
        }
    }

    @Test("one adapter over TLS (https and wss) against exchsim --tls, trusting its certificate via ca_file")
    func tls() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let certificate = sandbox.root + "/exchsim-cert.pem"
        let exchsim = try await Exchsim.start(
            in: sandbox, arguments: ["--tls", "--tls-cert-out", certificate, "--venue", "binance"])
        var config = TestConfig(writer: true)
        config.extra = """
            [exchanges.binance]
            rest_url = "https://localhost:\(exchsim.port("binance"))"
            ws_url = "wss://localhost:\(exchsim.port("binance"))"
            markets = ["BTCUSDT"]
            ca_file = "\(certificate)"

            """
        let daemon = try await Daemon.start(in: sandbox, config: config, expecting: ["writer", "ingestor-binance"])
        // A book (its snapshot came over https, its diffs over wss) and a ticker (wss, every second). Not a
        // trade: exchsim's market can go a minute without one, and CI once met such a minute.
        try await eventually("market data over TLS", timeout: .seconds(60)) { () -> Bool? in
            let events = try JSONLEvents(directory: sandbox.stateDirectory + "/jsonl")
            let book = events.book(exchange: "binance", symbol: "BTCUSDT")
            let ticker = events.of("binance", "BTCUSDT").contains { $0["type"] as? String == "ticker" }
            return (book != nil && ticker) ? true : nil
        }
        #expect(await daemon.terminate() == 0)
    }

    static func exchangeSections(_ exchsim: Exchsim) -> String {
        func list(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        return """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = \(list(markets["binance"]!))

            [exchanges.bybit]
            rest_url = "http://127.0.0.1:\(exchsim.port("bybit"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("bybit"))"
            markets = \(list(markets["bybit"]!))
            book_depth = 50

            [exchanges.whitebit]
            rest_url = "http://127.0.0.1:\(exchsim.port("whitebit"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("whitebit"))/ws"
            markets = \(list(markets["whitebit"]!))
            book_depth = 20

            """
    }

    /// `"count418":N`-style counters in /_sim/limits, summed.
    static func counts418(_ text: String) -> Int {
        var total = 0
        var rest = Substring(text)
        while let range = rest.range(of: "418") {
            rest = rest[range.upperBound...]
            let digits = rest.drop { !$0.isNumber }.prefix { $0.isNumber }
            if rest.hasPrefix("\":") || rest.hasPrefix("s\":") { total += Int(digits) ?? 0 }
        }
        return total
    }

    // MARK: - Books

    func checkBooks(_ events: JSONLEvents, _ exchsim: Exchsim) throws {
        for (venue, symbols) in Self.markets {
            for symbol in symbols {
                let book = try #require(
                    events.book(exchange: venue, symbol: symbol), "\(venue) \(symbol): a book was published")
                let id = venue == "bybit" ? book.sequence : book.updateID
                let depth = venue == "bybit" ? 50 : (venue == "whitebit" ? 20 : 5000)
                let truth =
                    try exchsim.getJSON(venue, "/_sim/book?symbol=\(symbol)&updateId=\(id)&limit=\(depth)")
                    as! [String: Any]
                let bids = Self.levels(truth["bids"])
                let asks = Self.levels(truth["asks"])
                let ours = book.top(depth)
                #expect(
                    ours.bids == bids,
                    "\(venue) \(symbol) bids equal the truth at \(id) (\(ours.bids.count) vs \(bids.count) levels)")
                #expect(
                    ours.asks == asks,
                    "\(venue) \(symbol) asks equal the truth at \(id) (\(ours.asks.count) vs \(asks.count) levels)")
            }
        }
    }

    static func levels(_ value: Any?) -> [TestLevel] {
        ((value as? [[String]]) ?? []).compactMap { pair in
            guard pair.count == 2, let price = ExactDecimal(pair[0]), let quantity = ExactDecimal(pair[1]) else {
                return nil
            }
            return TestLevel(price: price, quantity: quantity)
        }
    }

    // MARK: - Trades

    func checkBinanceTrades(_ events: JSONLEvents, _ exchsim: Exchsim) throws {
        for symbol in Self.markets["binance"]! {
            let ids = events.tradeIDs(exchange: "binance", symbol: symbol).compactMap { UInt64($0) }
            #expect(!ids.isEmpty, "binance \(symbol): trades arrived")
            #expect(Set(ids).count == ids.count, "binance \(symbol): no trade published twice")
            guard let first = ids.min(), let last = ids.max() else { continue }
            let stored = Set(ids)
            let missing = (first...last).filter { !stored.contains($0) }
            #expect(
                missing.isEmpty,
                "binance \(symbol): no trade missing between \(first) and \(last): \(missing.prefix(10))")
        }
        for (venue, symbols) in Self.markets where venue != "binance" {
            for symbol in symbols {
                let ids = events.tradeIDs(exchange: venue, symbol: symbol)
                #expect(Set(ids).count == ids.count, "\(venue) \(symbol): no trade published twice")
            }
        }
    }

    // MARK: - Candles

    func checkCandles(_ events: JSONLEvents, _ exchsim: Exchsim) throws {
        var closedSeen = 0
        for (venue, symbols) in Self.markets {
            for symbol in symbols {
                let closed = events.closedCandles(exchange: venue, symbol: symbol)
                let openTimes = closed.map(\.openTime)
                #expect(Set(openTimes).count == openTimes.count, "\(venue) \(symbol): each closed candle once")
                for candle in closed {
                    closedSeen += 1
                    let startMs = candle.openTime
                    let truth =
                        try exchsim.getJSON(
                            venue, "/_sim/candles?symbol=\(symbol)&interval=1m&start=\(startMs)&limit=1")
                        as? [[String: Any]]
                    let row = try #require(truth?.first, "\(venue) \(symbol): truth for the candle at \(startMs)")
                    for field in ["open", "high", "low", "close", "volume"] {
                        let expected = (row[field] as? String).flatMap(ExactDecimal.init)
                        #expect(
                            expected != nil && candle.values[field] == expected,
                            "\(venue) \(symbol) \(startMs) \(field): \(candle.values[field].map(String.init(describing:)) ?? "nil") vs \(row[field] ?? "nil")"
                        )
                    }
                }
            }
        }
        #expect(closedSeen > 0, "at least one closed candle was published")
    }
}

struct TestLevel: Equatable, CustomStringConvertible {
    let price: ExactDecimal
    let quantity: ExactDecimal
    var description: String { "\(price)@\(quantity)" }
}

/// An order book rebuilt from the JSONL events with a plain dictionary: independent of the ingestor's own
/// book code, so a bug there cannot hide here.
struct TestBook {
    var bids: [ExactDecimal: ExactDecimal] = [:]
    var asks: [ExactDecimal: ExactDecimal] = [:]
    var updateID: UInt64 = 0
    var sequence: UInt64 = 0

    static func apply(_ levels: [[String]], to side: inout [ExactDecimal: ExactDecimal]) {
        for pair in levels where pair.count == 2 {
            guard let price = ExactDecimal(pair[0]), let quantity = ExactDecimal(pair[1]) else { continue }
            if quantity.isZero { side[price] = nil } else { side[price] = quantity }
        }
    }

    func top(_ n: Int) -> (bids: [TestLevel], asks: [TestLevel]) {
        let bids = bids.sorted { $0.key > $1.key }.prefix(n).map { TestLevel(price: $0.key, quantity: $0.value) }
        let asks = asks.sorted { $0.key < $1.key }.prefix(n).map { TestLevel(price: $0.key, quantity: $0.value) }
        return (Array(bids), Array(asks))
    }
}

struct TestCandle {
    let openTime: Int64
    let values: [String: ExactDecimal]
}

/// Every market event the writer stored, in stream order per sender.
struct JSONLEvents {
    private(set) var objects: [[String: Any]] = []

    init(directory: String) throws {
        let senders = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for sender in senders.sorted() {
            let folder = directory + "/" + sender
            for file in ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
            where file.hasSuffix(".jsonl") {
                let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
                for line in text.split(separator: "\n") {
                    if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] {
                        objects.append(object)
                    }
                }
            }
        }
    }

    var count: Int { objects.count }

    func of(_ exchange: String, _ symbol: String) -> [[String: Any]] {
        objects.filter { $0["exchange"] as? String == exchange && $0["symbol"] as? String == symbol }
    }

    func book(exchange: String, symbol: String) -> TestBook? {
        var book: TestBook?
        for event in of(exchange, symbol) {
            switch event["type"] as? String {
            case "book_snapshot":
                var fresh = TestBook()
                TestBook.apply(event["bids"] as? [[String]] ?? [], to: &fresh.bids)
                TestBook.apply(event["asks"] as? [[String]] ?? [], to: &fresh.asks)
                fresh.updateID = (event["update_id"] as? NSNumber)?.uint64Value ?? 0
                fresh.sequence = (event["sequence"] as? NSNumber)?.uint64Value ?? 0
                book = fresh
            case "book_delta":
                guard var current = book else { continue }
                TestBook.apply(event["bids"] as? [[String]] ?? [], to: &current.bids)
                TestBook.apply(event["asks"] as? [[String]] ?? [], to: &current.asks)
                current.updateID = (event["last_update_id"] as? NSNumber)?.uint64Value ?? current.updateID
                current.sequence = (event["sequence"] as? NSNumber)?.uint64Value ?? current.sequence
                book = current
            default:
                continue
            }
        }
        return book
    }

    func tradeIDs(exchange: String, symbol: String) -> [String] {
        of(exchange, symbol).filter { $0["type"] as? String == "trades" }
            .flatMap { ($0["trades"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
    }

    func closedCandles(exchange: String, symbol: String) -> [TestCandle] {
        of(exchange, symbol).filter { $0["type"] as? String == "candle" && $0["closed"] as? Bool == true }.compactMap {
            event in
            guard let open = event["open_time"] as? String, let ms = Self.milliseconds(open) else { return nil }
            var values: [String: ExactDecimal] = [:]
            for field in ["open", "high", "low", "close", "volume"] {
                if let text = event[field] as? String, let value = ExactDecimal(text) { values[field] = value }
            }
            return TestCandle(openTime: ms, values: values)
        }
    }

    /// RFC 3339 UTC with milliseconds → ms since the epoch.
    static func milliseconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
