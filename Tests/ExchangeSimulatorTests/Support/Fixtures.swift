import Foundation

/// The exchange fixtures: `$CRYPTOD_EXCHANGE_FIXTURES`, else `../shared/exchanges/fixtures` from the
/// package root.
enum Fixtures {
    static var directory: URL {
        if let override = ProcessInfo.processInfo.environment["CRYPTOD_EXCHANGE_FIXTURES"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        // …/Tests/ExchangeSimulatorTests/Support/Fixtures.swift → package root is three levels up.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent("../shared/exchanges/fixtures").standardizedFileURL
    }

    /// File names of one exchange's fixtures, sorted.
    static func names(exchange: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: self.directory.appendingPathComponent(exchange).path)
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    /// A fixture parsed with Foundation.
    static func load(exchange: String, name: String) throws -> Any {
        let data = try Data(contentsOf: self.directory.appendingPathComponent(exchange).appendingPathComponent(name))
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }
}
