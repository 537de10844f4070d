import DequeModule
import NIOCore

/// One topic's sequence numbers and its replay buffer: a pure value, kept by ``WebSocketHub`` under its
/// lock.
///
/// Every event published on a topic gets the next sequence number (1, 2, 3, … within one gateway epoch),
/// and its encoded message is kept in a ring of `capacity` messages; the hub trims it further when all
/// topics together exceed `gateway.ws_replay_memory` (``dropOldest()``). A client that reconnects says the
/// last sequence number it has; ``resume(after:)`` answers with the messages it missed, or with why it
/// cannot (then the client gets a `resync`).
struct TopicLog: Sendable {
    /// What a client resuming after sequence number `seq` gets.
    enum Resume: Sendable, Equatable {
        /// The client has everything: nothing to replay.
        case upToDate
        /// Every message after the client's, oldest first.
        case replay([ByteBuffer])
        /// The buffer no longer holds the first missed message (or the client's number is from the future).
        case resync(Resync)
    }

    /// Why a resume was refused.
    enum Resync: Sendable, Equatable {
        /// The messages after `seq` were overwritten: the buffer starts at `oldest`.
        case tooFarBehind(oldest: UInt64)
        /// The client claims a number the topic has not reached: it comes from another gateway epoch.
        case unknownSequence(latest: UInt64)
    }

    let capacity: Int
    /// The number of the last message published; 0 before the first.
    private(set) var latest: UInt64 = 0
    private var messages: Deque<ByteBuffer> = []
    /// Storage the held messages occupy (each buffer's capacity: what it really keeps allocated).
    private(set) var bytes = 0

    init(capacity: Int) {
        precondition(capacity > 0, "a topic log keeps at least one message")
        self.capacity = capacity
    }

    /// The sequence number the next message gets.
    var next: UInt64 { latest + 1 }

    /// The oldest sequence number still held, or `nil` when nothing is.
    var oldest: UInt64? { messages.isEmpty ? nil : latest - UInt64(messages.count) + 1 }

    /// The number of messages held.
    var count: Int { messages.count }

    /// Records the message that was given number ``next``; returns the change in ``bytes`` (the message's
    /// size, less the one it pushed out when the log was full).
    @discardableResult
    mutating func append(_ message: ByteBuffer) -> Int {
        latest += 1
        var change = message.capacity
        if messages.count == capacity, let first = messages.popFirst() { change -= first.capacity }
        messages.append(message)
        bytes += change
        return change
    }

    /// Forgets the oldest message unless it is the only one (the newest is always kept, so `latest` can be
    /// resumed from); returns the bytes freed, 0 when nothing was dropped.
    mutating func dropOldest() -> Int {
        guard messages.count > 1, let first = messages.popFirst() else { return 0 }
        bytes -= first.capacity
        return first.capacity
    }

    /// What a client whose last message was `seq` needs.
    func resume(after seq: UInt64) -> Resume {
        if seq == latest { return .upToDate }
        if seq > latest { return .resync(.unknownSequence(latest: latest)) }
        guard let oldest, oldest <= seq + 1 else {
            return .resync(.tooFarBehind(oldest: oldest ?? latest + 1))
        }
        let skip = Int(seq + 1 - oldest)
        return .replay(Array(messages.dropFirst(skip)))
    }
}
