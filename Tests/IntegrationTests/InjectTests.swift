import Foundation
import Testing

/// `POST /api/v1/stream/process` end to end: gateway → cryptod's ingestor socket → the Binance adapter's
/// parser (native) or cryptod's JSON reader (normalized) → conflation → writer and gateway. The injected
/// ticker shows in the gateway's REST answer and the trades in the writer's JSONL files, both marked
/// `injected` with their exact digits; a book frame and a frame without market data are refused.
@Suite("inject through the pipeline", .serialized, .enabled(if: Binaries.exists("exchsim")))
struct InjectTests {
    static let token = "inject-test-token"

    /// Binance's `@ticker` payload (fixtures/binance/ws_ticker_24hr.json) for BTCUSDT, with values no
    /// simulated market would produce.
    static let tickerFrame = #"""
        {"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":1782900000123,"s":"BTCUSDT","p":"1.50000000",
        "P":"0.002","w":"70000.00000000","x":"70100.00000000","c":"70123.45000000","Q":"0.00010000",
        "b":"70123.00000000","B":"1.25000000","a":"70124.00000000","A":"2.50000000","o":"70121.95000000",
        "h":"71000.00000000","l":"69000.00000000","v":"12.34500000","q":"865432.10000000","O":1782813600123,
        "C":1782900000123,"F":0,"L":18150,"n":18151}}
        """#

    static let bookFrame =
        #"{"e":"depthUpdate","E":1782900000123,"s":"BTCUSDT","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#

    static func post(_ port: Int, _ body: String) throws -> (Int, [String: Any], String) {
        let (status, data) = try HTTP.request(
            "POST", port: port, path: "/api/v1/stream/process", body: Data(body.utf8),
            headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"])
        let text = String(decoding: data, as: UTF8.self)
        return (status, (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:], text)
    }

    /// A JSON string literal holding `text`.
    static func quoted(_ text: String) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast()
            .description
    }

    @Test("a native ticker frame and a normalized trades event reach REST and the JSONL files as injected")
    func injectNativeAndNormalized() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let exchsim = try await Exchsim.start(in: sandbox, arguments: ["--venue", "binance"])
        var config = TestConfig(writer: true)
        config.gateway = true
        let ports = (rest: try freeTCPPort(), ws: try freeTCPPort())
        config.gatewayPorts = ports
        config.gatewayExtra = "admin_token = \"\(Self.token)\"\n"
        // No live ticker stream: the injected ticker is the only one, so nothing replaces it.
        config.extra = """
            [exchanges.binance]
            rest_url = "http://127.0.0.1:\(exchsim.port("binance"))"
            ws_url = "ws://127.0.0.1:\(exchsim.port("binance"))"
            markets = ["BTCUSDT"]
            channels = ["trades"]

            """
        let daemon = try await Daemon.start(
            in: sandbox, config: config, expecting: ["writer", "gateway", "ingestor-binance"])

        // Native: the frame as a string, through the Binance parser. Until the ingestor's market data has
        // started, it answers 502; then 200.
        let native =
            #"{"exchange":"binance","format":"native","market":"spot","message":\#(Self.quoted(Self.tickerFrame))}"#
        let reply = try await eventually("the native ticker injected", timeout: .seconds(60)) {
            () -> [String: Any]? in
            let (status, object, _) = try Self.post(ports.rest, native)
            return status == 200 ? object : nil
        }
        #expect(reply["published"] as? Int == 1, "\(reply)")
        #expect(reply["origin"] as? String == "injected")
        let events = reply["events"] as? [[String: Any]] ?? []
        #expect(events.first?["type"] as? String == "ticker" && events.first?["symbol"] as? String == "BTCUSDT")

        let ticker = try await eventually("the injected ticker over REST") { () -> [String: Any]? in
            let (status, data) = try HTTP.request(
                "GET", port: ports.rest, path: "/api/v1/exchanges/binance/ticker/BTCUSDT")
            guard status == 200, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                return nil
            }
            return object
        }
        #expect(ticker["origin"] as? String == "injected", "\(ticker)")
        #expect(ticker["last"] as? String == "70123.45000000", "exact digits: \(ticker)")
        #expect(ticker["last_quantity"] as? String == "0.00010000")
        #expect(ticker["volume"] as? String == "12.34500000")

        // Normalized: cryptod's own JSON, decimals with trailing zeros, a unified symbol.
        let now = Date()
        let time = ISO8601DateFormatter().string(from: now)
        let normalized = """
            {"exchange":"binance","format":"normalized","event":{"type":"trades","exchange":"binance","market":"spot",
            "symbol":"BTC/USDT","trades":[{"id":"990000001","price":"70000.00010000","quantity":"0.00010000",
            "side":"buy","time":"\(time)"},{"id":"990000002","price":"70000.5","quantity":"2","side":"sell",
            "time":"\(time)"}]}}
            """
        let (status, trades, text) = try Self.post(ports.rest, normalized)
        #expect(status == 200, "\(text)")
        #expect(trades["published"] as? Int == 1)
        #expect((trades["events"] as? [[String: Any]])?.first?["symbol"] as? String == "BTCUSDT", "\(text)")

        // Native again, the frame given as JSON rather than as a string: a Binance trade.
        let tradeFrame =
            #"{"e":"trade","E":1782900000123,"s":"BTCUSDT","t":990000003,"p":"70001.00000000","q":"0.00200000","#
            + #""T":1782900000120,"m":true,"M":true}"#
        let (tradeStatus, _, tradeText) = try Self.post(
            ports.rest, #"{"exchange":"binance","format":"native","message":\#(tradeFrame)}"#)
        #expect(tradeStatus == 200, "\(tradeText)")

        // All in the writer's files, marked injected, with the digits as they were sent.
        let stored = try await eventually("the injected events in the JSONL files") {
            () -> (ticker: [String: Any], trades: [[String: Any]])? in
            let objects = try JSONLEvents(directory: sandbox.stateDirectory + "/jsonl").objects
            let ticker = objects.first { $0["type"] as? String == "ticker" && $0["origin"] as? String == "injected" }
            let trades = objects.filter { $0["type"] as? String == "trades" }.flatMap {
                $0["trades"] as? [[String: Any]] ?? []
            }.filter { ($0["id"] as? String ?? "").hasPrefix("99000000") }
            guard let ticker, trades.count == 3 else { return nil }
            return (ticker, trades)
        }
        #expect(stored.ticker["last"] as? String == "70123.45000000")
        #expect(stored.ticker["symbol"] as? String == "BTCUSDT")
        #expect(stored.trades.allSatisfy { $0["origin"] as? String == "injected" }, "\(stored.trades)")
        let byID = Dictionary(uniqueKeysWithValues: stored.trades.map { ($0["id"] as? String ?? "", $0) })
        #expect(byID["990000001"]?["price"] as? String == "70000.00010000")
        #expect(byID["990000001"]?["quantity"] as? String == "0.00010000")
        #expect(byID["990000002"]?["side"] as? String == "sell")
        #expect(byID["990000003"]?["quantity"] as? String == "0.00200000", "the native trade: \(stored.trades)")
        #expect(byID["990000003"]?["side"] as? String == "sell", "Binance m=true: the buyer made, a sell")

        // Refused: a book frame (it would corrupt the synchronised book), a frame without market data, an
        // event of another exchange. Each is a 400 naming why.
        let refusals = [
            (
                #"{"exchange":"binance","format":"native","message":\#(Self.quoted(Self.bookFrame))}"#,
                "cannot be injected"
            ),
            (
                #"{"exchange":"binance","format":"native","message":"{\"result\":null,\"id\":7}"}"#,
                "holds no market data"
            ),
            (
                #"{"exchange":"binance","format":"native","message":"{\"e\":\"24hrTicker\""}"#,
                "parser refused the frame"
            ),
            (
                #"{"exchange":"binance","format":"normalized","event":{"type":"ticker","exchange":"bybit","symbol":"BTCUSDT"}}"#,
                "this is the ingestor of binance"
            ),
            (
                #"{"exchange":"binance","format":"normalized","event":{"type":"trades","exchange":"binance","symbol":"BTCUSDT","trades":[{"id":"1","price":1.5,"quantity":"1"}]}}"#,
                #""event.trades[0].price": must be a string"#
            ),
        ]
        for (body, fragment) in refusals {
            let (status, object, text) = try Self.post(ports.rest, body)
            #expect(status == 400, "\(body): \(text)")
            let error = object["error"] as? [String: Any] ?? [:]
            #expect(error["code"] as? String == "rejected", "\(text)")
            #expect((error["message"] as? String ?? "").contains(fragment), "\(fragment): \(text)")
        }

        // Counted in the ingestor's metric (3 events: the ticker and two trade batches), exported by the gateway.
        try await eventually("the injected-events metric") { () -> Bool? in
            let (_, data) = try HTTP.request("GET", port: ports.rest, path: "/metrics")
            let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
            return lines.contains {
                $0.hasPrefix("cryptod_ingestor_injected_events_total{") && $0.contains("exchange=\"binance\"")
                    && $0.hasSuffix(" 3")
            } ? true : nil
        }
        // The audit line with who asked.
        let log = daemon.process.output + daemon.process.errorOutput
        #expect(log.contains("admin action: inject"), "the gateway logs each injection")
        #expect(await daemon.terminate() == 0)
    }
}
