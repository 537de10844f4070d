import ExchangeSimulator
import Foundation
import Logging
import Testing

/// Starts Bybit alone in-process on an ephemeral port, and the helpers the Bybit tests share.
enum BybitHarness {
    static let key = APIKeyEntry.defaultTestKey

    static func options(
        scale: Double = 0, seed: UInt64 = 42, limits: [String: Int64] = [:], syntheticMarkets: Int = 0
    ) -> SimulatorOptions {
        var options = SimulatorHarness.options(scale: scale, seed: seed, limits: limits)
        options.ports = ["bybit": 0]
        options.venues = ["bybit"]
        options.markets = MarketCatalog.standard(syntheticCount: syntheticMarkets, seed: seed)
        return options
    }

    static func withBybit<T: Sendable>(
        _ options: SimulatorOptions = BybitHarness.options(),
        _ body: (_ port: Int, _ host: SimulatorHost) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "exchsim-bybit-test")
        logger.logLevel = .warning
        let host = try await SimulatorHost.start(options: options, logger: logger)
        do {
            let result = try await body(host.port(of: "bybit")!, host)
            try await host.shutdown()
            return result
        } catch {
            try? await host.shutdown()
            throw error
        }
    }

    /// GET and parse the envelope.
    static func get(
        _ port: Int, _ path: String, headers: [(String, String)] = [], from: String? = nil
    ) async throws -> (HTTPResult, [String: Any]) {
        let result = try await TestHTTP.request(port: port, path: path, headers: headers, from: from)
        return (result, (try? JSONShape.parse(result.text)) as? [String: Any] ?? [:])
    }

    static func retCode(_ body: [String: Any]) -> Int? { (body["retCode"] as? NSNumber)?.intValue }

    static func list(_ body: [String: Any]) -> [Any] { (body["result"] as? [String: Any])?["list"] as? [Any] ?? [] }

    /// The V5 signing headers for a GET, signed in the test with the test's own HMAC.
    static func signedHeaders(
        query: String, timestamp: Int64, apiKey: String = key.key, secret: String = key.secret,
        recvWindow: String? = "5000"
    ) -> [(String, String)] {
        let signature = HMACSHA256.hex(key: secret, message: "\(timestamp)\(apiKey)\(recvWindow ?? "")\(query)")
        var headers = [("X-BAPI-API-KEY", apiKey), ("X-BAPI-TIMESTAMP", String(timestamp)), ("X-BAPI-SIGN", signature)]
        if let recvWindow { headers.append(("X-BAPI-RECV-WINDOW", recvWindow)) }
        return headers
    }

    /// Opens `/v5/public/<category>` and subscribes to `topics`; returns the socket after the ack.
    static func subscribe(port: Int, category: String, topics: [String]) async throws -> TestWebSocket {
        let socket = try await TestWebSocket.connect(port: port, path: "/v5/public/\(category)")
        let args = topics.map { "\"\($0)\"" }.joined(separator: ",")
        try await socket.send(#"{"req_id":"t1","op":"subscribe","args":[\#(args)]}"#)
        let ack = try #require(await socket.nextObject())
        #expect(ack["success"] as? Bool == true, "ack: \(ack)")
        return socket
    }

    /// The next message of `topic` (skipping other topics and control answers).
    static func next(_ socket: TestWebSocket, topic: String, timeout: Duration = .seconds(15)) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = await socket.nextObject(timeout: deadline - ContinuousClock.now) else { return nil }
            if message["topic"] as? String == topic { return message }
        }
        return nil
    }

    /// Counter of one fault kind from `/_sim/faults`.
    static func faultCount(_ port: Int, _ kind: String) async throws -> Int? {
        let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
        return (((faults as? [String: Any])?["counters"] as? [String: Any])?[kind] as? NSNumber)?.intValue
    }

    /// A decimal string without trailing zeros (`"30247.20"` → `"30247.2"`, `"5.00000000"` → `"5"`),
    /// so Bybit's spellings compare with the ground truth's 8-digit strings.
    static func canonical(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var trimmed = Substring(text)
        while trimmed.hasSuffix("0") { trimmed = trimmed.dropLast() }
        if trimmed.hasSuffix(".") { trimmed = trimmed.dropLast() }
        return String(trimmed)
    }

    /// `/_sim/book` at `updateId`, top `limit` levels, as canonical price → size maps.
    static func groundTruth(
        port: Int, symbol: String, updateId: Int64, limit: Int
    ) async throws -> (bids: [String: String], asks: [String: String]) {
        let (result, body) = try await TestHTTP.json(
            port: port, path: "/_sim/book?symbol=\(symbol)&updateId=\(updateId)&limit=\(limit)")
        #expect(result.status == 200, "ground truth: \(result.text.prefix(200))")
        let object = body as? [String: Any] ?? [:]
        func side(_ name: String) -> [String: String] {
            var levels: [String: String] = [:]
            for level in object[name] as? [[String]] ?? [] { levels[canonical(level[0])] = canonical(level[1]) }
            return levels
        }
        return (side("bids"), side("asks"))
    }
}

/// A local order book kept by the rules of bybit.md §5, written from the documentation for the tests.
struct BybitLocalBook {
    enum Outcome: Equatable {
        case snapshot
        case applied
        /// A delta whose `u` is not the previous `u` + 1: an update is missing, duplicated or late.
        case outOfSequence(expected: Int64, got: Int64)
    }

    var bids: [String: String] = [:]
    var asks: [String: String] = [:]
    var u: Int64 = 0
    var seq: Int64 = 0

    /// Applies one `orderbook.*` message: a snapshot replaces the book, a delta sets, inserts or deletes.
    mutating func apply(_ message: [String: Any]) -> Outcome {
        let data = message["data"] as? [String: Any] ?? [:]
        let u = (data["u"] as? NSNumber)?.int64Value ?? 0
        let seq = (data["seq"] as? NSNumber)?.int64Value ?? 0
        let bids = data["b"] as? [[String]] ?? []
        let asks = data["a"] as? [[String]] ?? []
        if message["type"] as? String == "snapshot" {
            self.bids = [:]
            self.asks = [:]
            for level in bids { self.bids[BybitHarness.canonical(level[0])] = BybitHarness.canonical(level[1]) }
            for level in asks { self.asks[BybitHarness.canonical(level[0])] = BybitHarness.canonical(level[1]) }
            (self.u, self.seq) = (u, seq)
            return .snapshot
        }
        guard u == self.u + 1 else { return .outOfSequence(expected: self.u + 1, got: u) }
        for level in bids { Self.set(&self.bids, level) }
        for level in asks { Self.set(&self.asks, level) }
        (self.u, self.seq) = (u, seq)
        return .applied
    }

    private static func set(_ side: inout [String: String], _ level: [String]) {
        let size = BybitHarness.canonical(level[1])
        side[BybitHarness.canonical(level[0])] = size == "0" ? nil : size
    }
}
