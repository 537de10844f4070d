import CryptodModel

/// A child process of `cryptod`: `writer`, `gateway`, `scheduler` or `ingestor-<exchange>`.
///
/// Every process derives names from here (sockets, logs, `cryptoctl restart <name>`), so they always agree.
/// Ordered by start order: writer, gateway, scheduler, then ingestors in exchange order.
package enum ProcessName: Sendable, Hashable, Comparable, CustomStringConvertible {
    case writer
    case gateway
    case scheduler
    case ingestor(ExchangeID)

    /// Every process that a configuration could enable, in start order.
    package static let all: [ProcessName] =
        [.writer, .gateway, .scheduler] + ExchangeProfile.all.map { .ingestor($0.id) }

    /// Parses `writer`, `ingestor-binance`, …; nil for anything else, including unsupported exchanges.
    package init?(_ text: String) {
        guard let match = Self.all.first(where: { $0.description == text }) else { return nil }
        self = match
    }

    /// `writer`, `gateway`, `scheduler`, `ingestor-binance`.
    package var description: String {
        switch self {
        case .writer: "writer"
        case .gateway: "gateway"
        case .scheduler: "scheduler"
        case .ingestor(let exchange): "ingestor-\(exchange.rawValue)"
        }
    }

    /// The model's role for this process.
    package var role: ProcessRole {
        switch self {
        case .writer: .writer
        case .gateway: .gateway
        case .scheduler: .scheduler
        case .ingestor: .ingestor
        }
    }

    /// The exchange an ingestor serves; nil for the other roles.
    package var exchange: ExchangeID? {
        if case .ingestor(let exchange) = self { return exchange }
        return nil
    }

    /// The executable that runs this process: `cryptod-writer`, `cryptod-ingestor` (one binary for every
    /// exchange, told which by its arguments), ….
    package var executableName: String { "cryptod-\(role.description)" }

    // MARK: - Ordering

    private var startRank: Int {
        switch self {
        case .writer: 0
        case .gateway: 1
        case .scheduler: 2
        case .ingestor(let exchange):
            3 + (ExchangeProfile.all.firstIndex { $0.id == exchange } ?? ExchangeProfile.all.count)
        }
    }

    private var stopRank: Int {
        switch self {
        case .ingestor: -startRank  // ingestors first, the last started first
        case .scheduler: 1
        case .writer: 2
        case .gateway: 3
        }
    }

    /// Start order: writer, gateway, scheduler, ingestors (producers start once their consumers listen).
    package static func < (lhs: ProcessName, rhs: ProcessName) -> Bool {
        (lhs.startRank, lhs.description) < (rhs.startRank, rhs.description)
    }

    /// Stop order: ingestors, scheduler, writer, gateway (stop producing, let the writer flush, then stop serving).
    package static func stopsBefore(_ lhs: ProcessName, _ rhs: ProcessName) -> Bool {
        (lhs.stopRank, lhs.description) < (rhs.stopRank, rhs.description)
    }
}
