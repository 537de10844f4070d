import CryptodExchanges
import CryptodModel
import Foundation
import Synchronization

/// The operator's runtime changes to an ingestor's configured streams (`cryptoctl subscribe|unsubscribe`),
/// kept in a small JSON file so they survive a restart of the ingestor. The configuration stays the base;
/// the file records what was added to it and removed from it.
package final class RuntimeSubscriptions: Sendable {
    private struct Entry: Codable, Hashable {
        var market: String
        var symbol: String
        var channel: String
        var depth: Int
    }

    private struct File: Codable {
        var added: [Entry] = []
        var removed: [Entry] = []
    }

    let path: String
    private let file: Mutex<File>

    package init(path: String) {
        self.path = path
        let data = FileManager.default.contents(atPath: path)
        file = Mutex(data.flatMap { try? JSONDecoder().decode(File.self, from: $0) } ?? File())
    }

    /// `base` with the recorded changes applied.
    package func apply(to base: [StreamSubscription]) -> [StreamSubscription] {
        let (added, removed) = file.withLock { ($0.added, $0.removed) }
        var result = base.filter { subscription in !removed.contains { Self.matches($0, subscription) } }
        for entry in added {
            guard let subscription = Self.subscription(entry, exchange: base.first?.market.exchange) else { continue }
            if !result.contains(subscription) { result.append(subscription) }
        }
        return result
    }

    /// Records subscriptions added at run time (and forgets an earlier removal of them).
    package func added(_ subscriptions: [StreamSubscription]) throws {
        try update { file in
            for subscription in subscriptions {
                let entry = Self.entry(subscription)
                file.removed.removeAll { $0 == entry }
                if !file.added.contains(entry) { file.added.append(entry) }
            }
        }
    }

    /// Records subscriptions removed at run time.
    package func removed(_ subscriptions: [StreamSubscription]) throws {
        try update { file in
            for subscription in subscriptions {
                let entry = Self.entry(subscription)
                file.added.removeAll { $0 == entry }
                if !file.removed.contains(entry) { file.removed.append(entry) }
            }
        }
    }

    private func update(_ change: (inout File) -> Void) throws {
        let data = try file.withLock { file -> Data in
            change(&file)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return try encoder.encode(file)
        }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        // Written whole and renamed into place: a crash leaves the old file or the new one, never half of one.
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private static func entry(_ subscription: StreamSubscription) -> Entry {
        Entry(
            market: subscription.market.type.description, symbol: subscription.market.symbol,
            channel: subscription.channel.description, depth: subscription.depth)
    }

    private static func matches(_ entry: Entry, _ subscription: StreamSubscription) -> Bool {
        entry.market == subscription.market.type.description && entry.symbol == subscription.market.symbol
            && entry.channel == subscription.channel.description
    }

    private static func subscription(_ entry: Entry, exchange: ExchangeID?) -> StreamSubscription? {
        guard let exchange, let type = MarketType(name: entry.market), let channel = StreamChannel(name: entry.channel)
        else { return nil }
        return StreamSubscription(
            market: MarketKey(exchange: exchange, type: type, symbol: entry.symbol), channel: channel,
            depth: entry.depth)
    }
}

extension StreamChannel {
    /// Parses `ticker`, `trades`, `book`, `candles:1m` (and `candles` as `candles:1m`).
    package init?(name: String) {
        switch name {
        case "ticker": self = .ticker
        case "trades": self = .trades
        case "book": self = .book
        case "candles": self = .candles(.m1)
        default:
            guard name.hasPrefix("candles:"), let interval = CandleInterval(name: String(name.dropFirst(8))) else {
                return nil
            }
            self = .candles(interval)
        }
    }
}
