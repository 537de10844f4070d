import Foundation
import Testing

/// Performance modes, overrides and the throttle, end to end: exchsim floods one Binance market with depth
/// updates; the file starts the stack in `light` with one override (a 2 s ticker window); the REST API shows the limits and pools
/// the mode claims, and the published rates follow them. A 90 % throttle lowers the published books and
/// tickers, `restart` restores them, a run-time switch to `heavy` changes limits and worker bounds, and no
/// trade or closed candle is lost on the way.
@Suite(
    "stream modes and throttle", .serialized,
    .enabled(if: Binaries.exists("exchsim") && PrivateServices.available, "needs exchsim and the Debian servers"))
struct StreamControlTests {
    static let token = "stream-control-test-token"

    struct Gateway {
        let port: Int

        func get(_ path: String) throws -> [String: Any] {
            let (status, data) = try HTTP.request("GET", port: port, path: path, headers: auth)
            guard status == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw TestFailure("GET \(path) answered \(status): \(String(decoding: data, as: UTF8.self))")
            }
            return object
        }

        func post(_ path: String, _ json: String) throws -> (Int, [String: Any]) {
            var headers = auth
            headers["Content-Type"] = "application/json"
            let (status, data) = try HTTP.request(
                "POST", port: port, path: path, body: Data(json.utf8), headers: headers)
            let object = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
            return (status, object)
        }

        var auth: [String: String] { ["Authorization": "Bearer \(StreamControlTests.token)"] }

        /// The ingestor's buffers by kind.
        func buffers() throws -> [String: [String: Any]] {
            let list = try get("/api/v1/stream/buffers")["buffers"] as? [[String: Any]] ?? []
            var byKind: [String: [String: Any]] = [:]
            for buffer in list where buffer["process"] as? String == "ingestor-binance" {
                byKind[buffer["kind"] as? String ?? ""] = buffer
            }
            return byKind
        }

        /// Updates of `kind` the ingestor published so far (passed at once + flushed at a window's end).
        func published(_ kind: String) throws -> Int {
            let buffer = try buffers()[kind] ?? [:]
            return (buffer["passed_total"] as? Int ?? 0) + (buffer["flushes_total"] as? Int ?? 0)
        }

        /// Published per second of each kind over `seconds`.
        func rates(over seconds: Int) async throws -> (books: Double, tickers: Double) {
            let books = try published("orderbook")
            let tickers = try published("ticker")
            try await Task.sleep(for: .seconds(seconds))
            return (
                Double(try published("orderbook") - books) / Double(seconds),
                Double(try published("ticker") - tickers) / Double(seconds)
            )
        }

        func pool(_ process: String, _ name: String) throws -> [String: Any]? {
            let pools = try get("/api/v1/stream/workers")["pools"] as? [[String: Any]] ?? []
            return pools.first { $0["process"] as? String == process && $0["pool"] as? String == name }
        }
    }

    @Test("a file's mode, a run-time switch, a 90 % throttle and restart: limits, pools and rates follow")
    func modesAndThrottle() async throws {
        try await PrivateServices.withSandbox { sandbox, services in try await run(sandbox: sandbox, services: services)
        }
    }

    func run(sandbox: Sandbox, services: PrivateServices) async throws {
        let wall = Int64(Date().timeIntervalSince1970 * 1000)
        // A minute closes about 30 s in, while the throttle is on.
        let start = (wall / 60_000 + 1) * 60_000 - 30_000
        let exchsim = try await Exchsim.start(
            in: sandbox,
            arguments: [
                "--seed", "11", "--start-time", String(start), "--venue", "binance", "--load", "binance:depth=200",
            ])
        var config = TestConfig(writer: true)
        config.sinks = ["jsonl", "redis"]
        config.writerExtra = "redis_url = \"\(services.redisURL)\"\n"
        config.gateway = true
        let ports = (rest: try freeTCPPort(), ws: try freeTCPPort())
        config.gatewayPorts = ports
        config.gatewayExtra = "admin_token = \"\(Self.token)\"\n"
        config.extra = """
            [performance]
            mode = "light"
            ticker_max_age_ms = 2000

            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT", "ETHUSDT"]
            channels = ["ticker", "trades", "candles", "book"]

            """
        let daemon = try await Daemon.start(
            in: sandbox, config: config, expecting: ["writer", "gateway", "ingestor-binance"])
        let gateway = Gateway(port: ports.rest)

        // From the file: light's limits with the one override, and light's fast-worker bounds in the writer.
        let buffers = try await eventually("the ingestor's buffers") { () -> [String: [String: Any]]? in
            let buffers = try gateway.buffers()
            return buffers.count == 2 ? buffers : nil
        }
        #expect(buffers["ticker"]?["max_size"] as? Int == 5)
        #expect(buffers["ticker"]?["max_age_ms"] as? Int == 2000, "the override wins over light's 1000 ms")
        #expect(buffers["orderbook"]?["max_size"] as? Int == 3)
        #expect(buffers["orderbook"]?["max_age_ms"] as? Int == 500)
        let redis = try #require(try gateway.pool("writer", "redis"), "the writer reports its Redis pool")
        #expect(redis["min"] as? Int == 1 && redis["max"] as? Int == 2, "light's fast workers: \(redis)")
        let stats = try gateway.get("/api/v1/stream/stats")
        #expect(stats["mode"] as? String == "light", "stats: \(stats)")

        // Wait for the books to flow, then measure light: 3 deltas per 500 ms per market at most.
        try await eventually("books published", timeout: .seconds(60)) {
            try gateway.published("orderbook") > 50 ? true : nil
        }
        // From here on every trade exchsim makes must reach the files (the subscription is live).
        let tradesFrom = try Self.simNow(exchsim)
        let light = try await gateway.rates(over: 8)
        #expect(light.books > 4 && light.books <= 2 * 6.0 * 1.2, "light books/s over two markets: \(light.books)")

        // Throttle 90 %: books fall to a tenth, tickers (1/s per market, under the override's cap) to a quarter.
        let (throttleStatus, throttled) = try gateway.post(
            "/api/v1/stream/throttle", #"{"action":"throttle","throttle_percent":90}"#)
        #expect(throttleStatus == 200 && throttled["ok"] as? Bool == true, "throttle: \(throttled)")
        #expect(throttled["throttle_percent"] as? Int == 90)
        let limited = try gateway.buffers()
        #expect(limited["orderbook"]?["effective_max_size"] as? Int == 1, "\(limited)")
        #expect((limited["orderbook"]?["effective_max_age_ms"] as? Int ?? 0) > 1500, "\(limited)")
        try await Task.sleep(for: .seconds(2))
        let slow = try await gateway.rates(over: 10)
        #expect(slow.books < light.books * 0.3, "throttled books/s \(slow.books) vs \(light.books)")
        // Light with the 2 s override allows 5 tickers per 2 s per market (1/s arrive: none shed); at 90 % one
        // per 4 s, so about 0.5/s for both markets instead of 2/s.
        #expect(light.tickers > 1.5, "light tickers/s over two markets: \(light.tickers)")
        #expect(slow.tickers < 1.0, "throttled tickers/s over two markets: \(slow.tickers)")

        // A bad body is refused with what to send.
        let (badStatus, bad) = try gateway.post(
            "/api/v1/stream/throttle", #"{"action":"throttle","throttle_percent":100}"#)
        #expect(badStatus == 400, "\(bad)")

        // Restart lifts it.
        let (restartStatus, restarted) = try gateway.post("/api/v1/admin/emergency", #"{"action":"restart"}"#)
        #expect(restartStatus == 200 && restarted["throttle_percent"] as? Int == 0, "restart: \(restarted)")
        try await Task.sleep(for: .seconds(2))
        let restored = try await gateway.rates(over: 8)
        #expect(restored.books > light.books * 0.6, "restored books/s \(restored.books) vs \(light.books)")

        // Run time: heavy. The override stays; the rest is heavy's, in the buffers and in the pools.
        let (modeStatus, changed) = try gateway.post(
            "/api/v1/admin/performance/config", #"{"performance.mode":"heavy"}"#)
        #expect(modeStatus == 200 && changed["mode"] as? String == "heavy", "mode: \(changed)")
        let heavyBuffers = try gateway.buffers()
        #expect(heavyBuffers["ticker"]?["max_size"] as? Int == 20)
        #expect(heavyBuffers["ticker"]?["max_age_ms"] as? Int == 2000)
        #expect(heavyBuffers["orderbook"]?["max_size"] as? Int == 10)
        #expect(heavyBuffers["orderbook"]?["max_age_ms"] as? Int == 100)
        try await eventually("the Redis pool at heavy's bounds") { () -> Bool? in
            guard let pool = try gateway.pool("writer", "redis") else { return nil }
            return pool["min"] as? Int == 4 && pool["max"] as? Int == 8 && (pool["current"] as? Int ?? 0) >= 4
                ? true : nil
        }
        let heavy = try await gateway.rates(over: 6)
        #expect(heavy.books > light.books * 3, "heavy books/s \(heavy.books) vs light \(light.books)")
        let (badKey, refused) = try gateway.post("/api/v1/admin/performance/config", #"{"gateway.rest_listen":"x"}"#)
        #expect(badKey == 409, "a key only the file can change: \(refused)")
        let (badValue, invalid) = try gateway.post("/api/v1/admin/performance/config", #"{"mode":"turbo"}"#)
        #expect(badValue == 400 && "\(invalid)".contains("turbo"), "\(invalid)")

        // Worker bounds by hand.
        let (workersStatus, workers) = try gateway.post("/api/v1/stream/workers", #"{"kind":"fast","max":6}"#)
        #expect(workersStatus == 200, "\(workers)")
        try await eventually("the Redis pool at 4–6") { () -> Bool? in
            guard let pool = try gateway.pool("writer", "redis") else { return nil }
            return pool["max"] as? Int == 6 && (pool["current"] as? Int ?? 99) <= 6 ? true : nil
        }
        print(
            "stream rates (books/s, tickers/s): light \(light), throttled 90% \(slow), restored \(restored), "
                + "heavy \(heavy)")
        // A trade made a moment before the stop is still on its way; the ones before that must be stored.
        let tradesTo = try Self.simNow(exchsim) - 3_000
        #expect(await daemon.terminate() == 0)

        // Nothing of the trades and closed candles is missing: ids contiguous, minutes contiguous.
        let directory = sandbox.stateDirectory + "/jsonl"
        var tradeIDs: [String: [Int]] = [:]
        var closedMinutes: [String: Set<Int64>] = [:]
        for stream in try FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in try FileManager.default.contentsOfDirectory(atPath: directory + "/" + stream)
            where name.hasSuffix(".jsonl") {
                let text = try String(contentsOfFile: directory + "/" + stream + "/" + name, encoding: .utf8)
                for raw in text.split(separator: "\n") {
                    guard let object = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any]
                    else { continue }
                    let symbol = object["symbol"] as? String ?? ""
                    switch object["type"] as? String {
                    case "trades":
                        for trade in object["trades"] as? [[String: Any]] ?? [] {
                            if let id = Int(trade["id"] as? String ?? "") { tradeIDs[symbol, default: []].append(id) }
                        }
                    case "candle":
                        guard object["closed"] as? Bool == true, object["interval"] as? String == "1m",
                            let text = object["open_time"] as? String, let open = Self.milliseconds(text)
                        else { continue }
                        closedMinutes[symbol, default: []].insert(open)
                    default: continue
                    }
                }
            }
        }
        // exchsim's activity has lulls at every scale: a market may trade rarely or not at all in a minute, so
        // what must be stored is what exchsim says it traded while the subscription was live.
        var truthTotal = 0
        for symbol in ["BTCUSDT", "ETHUSDT"] {
            let ids = Set(tradeIDs[symbol] ?? [])
            let truth = try #require(
                try exchsim.getJSON(
                    "binance", "/_sim/trades?symbol=\(symbol)&start=\(tradesFrom)&end=\(tradesTo)&limit=10000")
                    as? [[String: Any]])
            let truthIDs = Set(truth.compactMap { $0["id"] as? Int })
            truthTotal += truthIDs.count
            let missed = truthIDs.subtracting(ids)
            #expect(
                missed.isEmpty,
                "\(symbol): \(missed.count) of exchsim's \(truthIDs.count) trades are not stored: \(missed.sorted().prefix(10))"
            )
            guard let low = ids.min(), let high = ids.max() else { continue }
            #expect(
                ids.count == high - low + 1,
                "\(symbol) trade ids \(low)…\(high) have \(high - low + 1 - ids.count) missing")
            let minutes = closedMinutes[symbol] ?? []
            if let first = minutes.min(), let last = minutes.max() {
                #expect(
                    minutes.count == Int((last - first) / 60_000) + 1, "\(symbol) closed minutes: \(minutes.sorted())")
            }
        }
        #expect(truthTotal > 0, "exchsim traded while the stack ran, so the check above checked something")
        #expect(!closedMinutes.isEmpty, "a closed 1m candle was written (one closes during the throttle)")
    }

    /// exchsim's clock (ms since the epoch).
    static func simNow(_ exchsim: Exchsim) throws -> Int64 {
        let clock = try exchsim.getJSON("binance", "/_sim/clock") as? [String: Any]
        let now = try #require(clock?["now"] as? Int, "exchsim's clock: \(String(describing: clock))")
        return Int64(now)
    }

    /// Milliseconds since the epoch of an RFC 3339 time with fractional seconds.
    static func milliseconds(_ text: String) -> Int64? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text).map { Int64(($0.timeIntervalSince1970 * 1000).rounded()) }
    }
}
