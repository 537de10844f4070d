/// Which delivery tags of one publish round the broker has acknowledged or refused.
///
/// Tags are consecutive from `first`, so settling is an index into an array; `multiple` acknowledgements
/// settle everything at or below their tag.
struct RabbitMQConfirmTracker {
    private enum State: UInt8 {
        case pending
        case acked
        case nacked
    }

    let first: UInt64
    private var states: [State] = []
    /// Index of the lowest tag that may still be pending.
    private var lowest = 0
    private(set) var pending = 0
    private(set) var acked = 0
    private(set) var nacked = 0

    init(first: UInt64) { self.first = first }

    /// Records that the next tag was published.
    mutating func published() {
        states.append(.pending)
        pending += 1
    }

    var count: Int { states.count }

    mutating func settle(tag: UInt64, multiple: Bool, ack: Bool) {
        guard tag >= first else { return }
        let index = Int(tag - first)
        guard index < states.count else { return }
        if multiple {
            for position in lowest...index { settle(at: position, ack: ack) }
        } else {
            settle(at: index, ack: ack)
        }
        while lowest < states.count, states[lowest] != .pending { lowest += 1 }
    }

    private mutating func settle(at index: Int, ack: Bool) {
        guard states[index] == .pending else { return }
        states[index] = ack ? .acked : .nacked
        pending -= 1
        if ack { acked += 1 } else { nacked += 1 }
    }
}
