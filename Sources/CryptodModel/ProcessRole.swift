/// What a process (or a link peer) is. Raw values are frozen: they travel in the wire `Hello`.
public enum ProcessRole: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case supervisor = 1
    case ingestor = 2
    case scheduler = 3
    case writer = 4
    case gateway = 5
    /// `cryptoctl`.
    case control = 6
    /// Tests and tools that speak the protocol.
    case tool = 7

    public var description: String {
        switch self {
        case .supervisor: "supervisor"
        case .ingestor: "ingestor"
        case .scheduler: "scheduler"
        case .writer: "writer"
        case .gateway: "gateway"
        case .control: "control"
        case .tool: "tool"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = match
    }
}
