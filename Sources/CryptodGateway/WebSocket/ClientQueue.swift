import DequeModule
import NIOCore
import Synchronization

/// One WebSocket client's outbound messages: bounded, with a single consumer (the client's writer).
///
/// Producers (the fan-out, the client's own request handling) never wait: when the queue already holds
/// `capacity` messages the client is too slow, the queue empties itself at once (so memory is released
/// immediately) and ends with ``End/overflow``. The writer then closes the connection with a policy code.
final class ClientQueue: Sendable {
    /// Why the queue stopped delivering.
    enum End: Sendable, Equatable {
        /// The client left or the session ended.
        case closed
        /// More than `capacity` messages were waiting.
        case overflow
        /// The gateway is shutting down.
        case shutdown
    }

    /// What happened to a pushed message.
    enum PushResult: Sendable, Equatable {
        case queued
        /// This message overflowed the queue: the client must be dropped (reported once). `discarded` counts
        /// the messages thrown away, this one included.
        case overflowed(discarded: Int)
        /// The queue had already ended; the message was discarded.
        case ended
    }

    private struct State {
        var items: Deque<ByteBuffer> = []
        var end: End?
        var waiter: CheckedContinuation<ByteBuffer?, Never>?
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        precondition(capacity > 0, "a client queue needs room for at least one message")
        self.capacity = capacity
    }

    /// Queues `message`, or ends the queue with ``End/overflow`` when it is full.
    func push(_ message: ByteBuffer) -> PushResult {
        let (result, waiter) = state.withLock { state -> (PushResult, CheckedContinuation<ByteBuffer?, Never>?) in
            if state.end != nil { return (.ended, nil) }
            if let waiter = state.waiter {
                // The writer is idle: hand the message over directly.
                state.waiter = nil
                return (.queued, waiter)
            }
            guard state.items.count < capacity else {
                let discarded = state.items.count + 1
                state.items = []
                state.end = .overflow
                return (.overflowed(discarded: discarded), nil)
            }
            state.items.append(message)
            return (.queued, nil)
        }
        waiter?.resume(returning: message)
        return result
    }

    /// Ends the queue; messages still waiting are discarded. The first reason given is kept.
    func finish(_ reason: End) {
        let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
            if state.end == nil { state.end = reason }
            state.items = []
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    /// Why the queue ended, once it has.
    var end: End? { state.withLock { $0.end } }

    /// Messages waiting now.
    var count: Int { state.withLock { $0.items.count } }

    /// The next messages: every one waiting, up to `limit`, after waiting for at least one; empty once the
    /// queue has ended or the task is cancelled. The writer sends them with one flush, so a client that
    /// fell behind by a burst costs one write system call for the burst rather than one per message.
    func nextBatch(limit: Int) async -> [ByteBuffer] {
        guard let first = await next() else { return [] }
        return state.withLock { state in
            let more = min(limit - 1, state.items.count)
            var batch: [ByteBuffer] = []
            batch.reserveCapacity(more + 1)
            batch.append(first)
            for _ in 0..<more { batch.append(state.items.removeFirst()) }
            return batch
        }
    }

    /// The next message, waiting for one; `nil` once the queue has ended or the task is cancelled.
    func next() async -> ByteBuffer? {
        // Fast path: a busy client's writer finds its next message waiting, without a continuation.
        let ready = state.withLock { state -> ByteBuffer?? in
            if let first = state.items.popFirst() { return .some(first) }
            return state.end != nil ? .some(nil) : .none
        }
        if let ready { return ready }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<ByteBuffer?, Never>) in
                let ready = state.withLock { state -> ByteBuffer?? in
                    if let first = state.items.popFirst() { return .some(first) }
                    if state.end != nil || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return .none
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<ByteBuffer?, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume(returning: nil)
        }
    }
}
