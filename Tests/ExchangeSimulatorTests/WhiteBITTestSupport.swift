import ExchangeSimulator
import Foundation
import Logging
import Testing

/// Starts an in-process WhiteBIT venue on an ephemeral port, and JSON-RPC helpers for its socket.
enum WhiteBITHarness {
    static func options(
        scale: Double = 0, seed: UInt64 = 42, limits: [String: Int64] = [:], markets: [MarketSpec]? = nil
    ) -> SimulatorOptions {
        var limits = limits
        if scale > 0 && limits["whitebit.ws_idle_timeout_ms"] == nil {
            // A running clock would close a socket idle for 60 simulated seconds within a few real
            // seconds; tests that watch streams are not about that rule (WhiteBITWebSocketTests is).
            limits["whitebit.ws_idle_timeout_ms"] = 86_400_000
        }
        var options = SimulatorHarness.options(scale: scale, seed: seed, limits: limits)
        options.ports = ["whitebit": 0]
        options.venues = ["whitebit"]
        if let markets { options.markets = markets }
        return options
    }

    static func with<T: Sendable>(
        _ options: SimulatorOptions = WhiteBITHarness.options(), _ body: (_ port: Int) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "exchsim-whitebit-test")
        logger.logLevel = .warning
        let host = try await SimulatorHost.start(options: options, logger: logger)
        do {
            let result = try await body(try #require(host.port(of: "whitebit")))
            try await host.shutdown()
            return result
        } catch {
            try? await host.shutdown()
            throw error
        }
    }

    /// The fault counters of `/_sim/faults`.
    static func faultCount(_ port: Int, _ kind: String) async throws -> Int? {
        let (_, faults) = try await TestHTTP.json(port: port, path: "/_sim/faults")
        return (((faults as? [String: Any])?["counters"] as? [String: Any])?[kind] as? NSNumber)?.intValue
    }

    /// Stream names held by the venue's open connections (`/_sim/connections`).
    static func streams(_ port: Int) async throws -> [[String]] {
        let (_, connections) = try await TestHTTP.json(port: port, path: "/_sim/connections")
        return (connections as? [[String: Any]] ?? []).map { $0["streams"] as? [String] ?? [] }
    }

    static func advance(_ port: Int, ms: Int64) async throws {
        let result = try await SimulatorHarness.admin(port, "/_sim/clock", #"{"advance_ms":\#(ms)}"#)
        #expect(result.status == 200)
    }
}

extension TestWebSocket {
    /// Sends a request and returns the reply with the same id, skipping updates (`"id": null`).
    func call(_ id: Int, _ method: String, _ params: String = "[]") async throws -> [String: Any] {
        try await self.send(#"{"id":\#(id),"method":"\#(method)","params":\#(params)}"#)
        while let message = await self.nextObject() {
            if (message["id"] as? NSNumber)?.intValue == id { return message }
        }
        throw Failure(description: "no reply to \(method) #\(id)")
    }

    /// The next update of `method`, skipping everything else; nil on timeout or close.
    func nextUpdate(_ method: String, timeout: Duration = .seconds(15)) async -> [String: Any]? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let message = await self.nextObject(timeout: deadline - ContinuousClock.now) else { return nil }
            if message["method"] as? String == method { return message }
        }
        return nil
    }

    /// The next update of `method` as raw text (shape checks), skipping everything else.
    func nextUpdateText(_ method: String, timeout: Duration = .seconds(15)) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard let text = await self.nextText(timeout: deadline - ContinuousClock.now) else { return nil }
            if text.contains("\"method\":\"\(method)\"") { return text }
        }
        return nil
    }
}

/// Decimal strings compared as numbers (WhiteBIT trims trailing zeros, the ground truth does not).
enum WhiteBITNumbers {
    static func decimal(_ value: Any?) -> Decimal? {
        (value as? String).flatMap { Decimal(string: $0, locale: Locale(identifier: "en_US_POSIX")) }
    }

    /// `{price: amount}` of `[["p","q"],…]` levels, numerically.
    static func levels(_ value: Any?) -> [Decimal: Decimal] {
        var out: [Decimal: Decimal] = [:]
        for level in value as? [[String]] ?? [] where level.count == 2 {
            if let price = self.decimal(level[0]), let amount = self.decimal(level[1]) { out[price] = amount }
        }
        return out
    }

    /// The true book (`/_sim/book`) at an update id, `limit` levels per side.
    static func groundTruth(
        port: Int, symbol: String, updateId: Int64, limit: Int
    ) async throws
        -> (bids: [Decimal: Decimal], asks: [Decimal: Decimal])
    {
        let (result, body) = try await TestHTTP.json(
            port: port, path: "/_sim/book?symbol=\(symbol)&updateId=\(updateId)&limit=\(limit)")
        #expect(result.status == 200, "ground truth: \(result.text.prefix(200))")
        let object = body as? [String: Any] ?? [:]
        return (self.levels(object["bids"]), self.levels(object["asks"]))
    }
}
