import Foundation
import Testing

/// Finds the recorded exchange fixtures shared by every adapter's tests
/// (`/work/shared/exchanges/fixtures/<exchange>/*.json`).
///
/// `CRYPTOD_EXCHANGE_FIXTURES` names the fixtures root; otherwise it is `../../../shared/exchanges/fixtures`
/// relative to this file (the checkout sits beside `shared/`).
enum Fixtures {
    /// The fixtures root directory.
    static let root: URL = {
        if let path = ProcessInfo.processInfo.environment["CRYPTOD_EXCHANGE_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        // Support/ → CryptodExchangesTests/ → Tests/ → checkout/ → its parent. Symlinks are resolved first so
        // a scratch package linking to the checkout's tests finds the same fixtures.
        return URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("shared/exchanges/fixtures", isDirectory: true)
    }()

    /// The bytes of `<exchange>/<name>` (`name` with or without `.json`); records a test issue and returns
    /// an empty array when the file is missing.
    static func bytes(
        _ exchange: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation
    )
        -> [UInt8]
    {
        let file = name.hasSuffix(".json") ? name : name + ".json"
        let url = root.appendingPathComponent(exchange).appendingPathComponent(file)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            Issue.record(
                "fixture \(url.path) not found (set CRYPTOD_EXCHANGE_FIXTURES)", sourceLocation: sourceLocation)
            return []
        }
        return [UInt8](data)
    }

    /// Every fixture file name of an exchange (sorted), to check that each one has a test.
    static func names(_ exchange: String) -> [String] {
        let directory = root.appendingPathComponent(exchange).path
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.sorted()
    }

    /// Runs `body` over the fixture's bytes as an `UnsafeRawBufferPointer` (the stream parsers' input).
    static func withBytes<T>(
        _ exchange: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (UnsafeRawBufferPointer) throws -> T
    ) rethrows -> T {
        let data = bytes(exchange, name, sourceLocation: sourceLocation)
        return try data.withUnsafeBytes { try body($0) }
    }
}
