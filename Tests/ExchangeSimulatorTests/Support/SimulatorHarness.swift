import ExchangeSimulator
import Foundation
import Logging

/// Starts an in-process simulator on an ephemeral port for one test and stops it afterwards.
enum SimulatorHarness {
    /// A fixed simulated start (2026-07-01T00:00:00Z) so runs are reproducible.
    static let start: Int64 = 1_782_864_000_000

    static func options(
        scale: Double = 0, start: Int64 = SimulatorHarness.start, seed: UInt64 = 42, limits: [String: Int64] = [:]
    ) -> SimulatorOptions {
        var options = SimulatorOptions()
        options.ports = ["binance": 0]
        options.venues = ["binance"]
        options.seed = seed
        options.startTime = start
        options.timeScale = scale
        options.limits = limits
        return options
    }

    static func withBinance<T: Sendable>(
        _ options: SimulatorOptions = SimulatorHarness.options(),
        _ body: (_ port: Int, _ host: SimulatorHost) async throws -> T
    ) async throws -> T {
        var logger = Logger(label: "exchsim-test")
        logger.logLevel = .warning
        let host = try await SimulatorHost.start(options: options, logger: logger)
        do {
            let result = try await body(host.port(of: "binance")!, host)
            try await host.shutdown()
            return result
        } catch {
            try? await host.shutdown()
            throw error
        }
    }

    /// POST a JSON body to the admin API.
    static func admin(_ port: Int, _ path: String, _ body: String) async throws -> HTTPResult {
        try await TestHTTP.request(
            port: port, method: .POST, path: path, headers: [("Content-Type", "application/json")], body: body)
    }
}
