import CryptodModel
import CryptodWire
import Logging
import Metrics

/// Where a stream stands at its consumer: frames through `deliveredThrough` of `epoch` are handled.
package struct StreamPosition: Sendable, Hashable {
    package var epoch: UInt64
    package var deliveredThrough: UInt64

    package init(epoch: UInt64, deliveredThrough: UInt64) {
        self.epoch = epoch
        self.deliveredThrough = deliveredThrough
    }
}

/// A decoded stream message with its sequence number.
package struct SequencedMessage: Sendable, Hashable {
    package var sequence: UInt64
    package var message: Message

    package init(sequence: UInt64, message: Message) {
        self.sequence = sequence
        self.message = message
    }
}

/// Messages of one stream, in order, without duplicates, ready for a consumer.
package struct StreamDelivery: Sendable {
    package var stream: String
    package var epoch: UInt64
    /// In increasing sequence order, contiguous except across announced drops.
    package var items: [SequencedMessage]

    package init(stream: String, epoch: UInt64, items: [SequencedMessage]) {
        self.stream = stream
        self.epoch = epoch
        self.items = items
    }
}

/// What a receiving process does with its streams.
package protocol StreamConsumer: Sendable {
    /// The durable position of `stream`, if the consumer keeps one with its data (so that a crash between
    /// writing and acknowledging cannot deliver a frame twice). `nil`: the receiver tracks positions in
    /// memory only, which is exact while the process lives.
    func position(of stream: String) async throws -> StreamPosition?

    /// Handles frames; returns once they may be acknowledged. Throwing leaves them unacknowledged: the
    /// receiver retries the same delivery with backoff, and the sender keeps them meanwhile.
    func consume(_ delivery: StreamDelivery) async throws
}

/// The receiving end of reliable streams in one process: answers `streamResume`, drops duplicates,
/// enforces order, hands frames to the consumer and returns the position to acknowledge.
///
/// One link at a time owns a stream; a newer link resuming it takes over (the older one is told it was
/// replaced), and a resume waits until a delivery already in progress has finished so that nothing is
/// handed over twice.
package actor StreamReceiver {
    private struct StreamState {
        var epoch: UInt64
        var deliveredThrough: UInt64
        /// The next sequence number the current owner may deliver.
        var expected: UInt64
        var owner: UInt64
        var busy = false
        var waiters: [CheckedContinuation<Void, Never>] = []
    }

    package let name: String
    private let consumer: any StreamConsumer
    private let logger: Logger
    private var streams: [String: StreamState] = [:]
    private var nextOwner: UInt64 = 0
    /// Counters per stream, made once: building a swift-metrics object looks its label up under a lock in
    /// the backend, which is too dear to do for every delivery.
    private var counters: [String: StreamCounters] = [:]

    private struct StreamCounters {
        let lost: Counter
        let duplicates: Counter
        let delivered: Counter

        init(stream: String) {
            let dimensions = [("stream", stream)]
            lost = Counter(label: "cryptod_ipc_frames_lost_total", dimensions: dimensions)
            duplicates = Counter(label: "cryptod_ipc_duplicates_dropped_total", dimensions: dimensions)
            delivered = Counter(label: "cryptod_ipc_frames_delivered_total", dimensions: dimensions)
        }
    }

    private func metrics(_ stream: String) -> StreamCounters {
        if let known = counters[stream] { return known }
        let made = StreamCounters(stream: stream)
        counters[stream] = made
        return made
    }
    private let retryInitial: Duration
    private let retryMax: Duration

    package init(
        name: String, consumer: any StreamConsumer, logger: Logger, retryInitial: Duration = .milliseconds(100),
        retryMax: Duration = .seconds(5)
    ) {
        self.name = name
        self.consumer = consumer
        self.logger = logger
        self.retryInitial = retryInitial
        self.retryMax = retryMax
    }

    /// A token for one link's ownership of one stream.
    package struct Ownership: Sendable, Hashable {
        let stream: String
        let owner: UInt64
    }

    /// Handles a sender's `streamResume` arriving on a link from `peer`.
    /// - Returns: the answer to send back, and the ownership token for the link's later deliveries.
    /// - Throws: ``LinkError/protocolViolation(_:)`` when the stream name does not match the peer.
    package func resume(_ request: StreamResume, from peer: Hello) async throws -> (StreamResumed, Ownership) {
        let expectedName = "\(peer.name)>\(name)"
        guard request.stream == expectedName else {
            throw LinkError.protocolViolation(
                "peer \(peer.name) resumed stream \(request.stream), expected \(expectedName)")
        }
        while streams[request.stream]?.busy == true {
            await withCheckedContinuation { streams[request.stream]!.waiters.append($0) }
        }
        var state: StreamState
        if let known = streams[request.stream] {
            state = known
        } else if let durable = try await consumer.position(of: request.stream) {
            state = StreamState(epoch: durable.epoch, deliveredThrough: durable.deliveredThrough, expected: 0, owner: 0)
        } else {
            state = StreamState(epoch: request.epoch, deliveredThrough: 0, expected: 0, owner: 0)
        }
        var metadata: Logger.Metadata = ["stream": "\(request.stream)", "epoch": "\(request.epoch)"]
        if state.epoch != request.epoch {
            if state.deliveredThrough > 0 {
                logger.warning(
                    "sender started a new stream epoch (its state was lost); frames it had not saved are gone",
                    metadata: metadata.merging(["previousEpoch": "\(state.epoch)"]) { $1 })
            }
            state.epoch = request.epoch
            state.deliveredThrough = 0
        }
        if state.deliveredThrough > 0, request.firstHeld > state.deliveredThrough + 1 {
            let lost = request.firstHeld - state.deliveredThrough - 1
            // A crashed sender resumes above its whole reserved block of numbers (docs/architecture.md), so
            // most of the range may be numbers it never used: the count is an upper bound, and the log says
            // so rather than reporting tens of thousands of frames lost after a quiet sender's kill -9.
            metadata["lostAtMost"] = "\(lost)"
            metadata["range"] = "\(state.deliveredThrough + 1)-\(request.firstHeld - 1)"
            logger.error(
                Logger.Message(
                    stringLiteral: "sender no longer holds frames this receiver never got (sender crash or spill "
                        + "limit); after a crash the range includes numbers it reserved but never used"),
                metadata: metadata)
            metrics(request.stream).lost.increment(by: Int(lost))
        }
        nextOwner += 1
        state.owner = nextOwner
        state.expected = max(state.deliveredThrough, request.firstHeld - 1) + 1
        streams[request.stream] = state
        return (
            StreamResumed(epoch: state.epoch, deliveredThrough: state.deliveredThrough),
            Ownership(stream: request.stream, owner: nextOwner)
        )
    }

    /// The sender announced that frames in `dropped` will never come.
    /// - Returns: the position to acknowledge.
    package func skip(_ dropped: FramesDropped, ownership: Ownership) throws -> UInt64 {
        guard var state = streams[ownership.stream], state.owner == ownership.owner else {
            throw LinkError.replaced(stream: ownership.stream)
        }
        guard dropped.first <= state.expected else {
            throw LinkError.protocolViolation(
                "framesDropped \(dropped.first)-\(dropped.last) leaves \(state.expected)-\(dropped.first - 1) unaccounted for"
            )
        }
        // Only the part not yet seen is news (a repeated announcement after a reconnect is not).
        if dropped.last >= state.expected {
            let lost = dropped.last - state.expected + 1
            logger.error(
                "sender dropped frames before they could be delivered",
                metadata: [
                    "stream": "\(ownership.stream)", "range": "\(state.expected)-\(dropped.last)",
                    "reason": "\(dropped.reason)",
                ])
            metrics(ownership.stream).lost.increment(by: Int(lost))
            state.expected = dropped.last + 1
            // Nothing is delivered for the hole, but acknowledging past it lets the sender forget it.
            state.deliveredThrough = dropped.last
            streams[ownership.stream] = state
        }
        return state.deliveredThrough
    }

    /// Delivers frames that arrived on the owning link.
    /// - Returns: the position to acknowledge (unchanged when every frame was a duplicate).
    /// - Throws: when the link no longer owns the stream, on a sequence gap, or on cancellation while the
    ///   consumer keeps failing.
    package func deliver(_ frames: [SequencedMessage], ownership: Ownership) async throws -> UInt64 {
        guard var state = streams[ownership.stream], state.owner == ownership.owner else {
            throw LinkError.replaced(stream: ownership.stream)
        }
        var accepted: [SequencedMessage] = []
        accepted.reserveCapacity(frames.count)
        var duplicates = 0
        for frame in frames {
            if frame.sequence < state.expected {
                duplicates += 1
                continue
            }
            guard frame.sequence == state.expected else {
                throw LinkError.protocolViolation(
                    "stream \(ownership.stream): expected seq \(state.expected), got \(frame.sequence)")
            }
            accepted.append(frame)
            state.expected += 1
        }
        if duplicates > 0 {
            metrics(ownership.stream).duplicates.increment(by: duplicates)
        }
        guard let last = accepted.last else { return state.deliveredThrough }
        state.busy = true
        streams[ownership.stream] = state
        defer {
            streams[ownership.stream]?.busy = false
            let waiters = streams[ownership.stream]?.waiters ?? []
            streams[ownership.stream]?.waiters = []
            for waiter in waiters { waiter.resume() }
        }
        let delivery = StreamDelivery(stream: ownership.stream, epoch: state.epoch, items: accepted)
        var backoff = retryInitial
        var attempts = 0
        while true {
            do {
                try await consumer.consume(delivery)
                break
            } catch {
                attempts += 1
                if attempts == 1 || attempts.isMultiple(of: 20) {
                    logger.error(
                        "consumer failed; frames stay with the sender and delivery is retried",
                        metadata: [
                            "stream": "\(ownership.stream)", "frames": "\(accepted.count)", "attempt": "\(attempts)",
                            "error": "\(error)",
                        ])
                }
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, retryMax)
            }
        }
        metrics(ownership.stream).delivered.increment(by: accepted.count)
        streams[ownership.stream]?.deliveredThrough = last.sequence
        return last.sequence
    }

    /// Positions of every stream seen, for status output and tests.
    package var positions: [String: StreamPosition] {
        streams.mapValues { StreamPosition(epoch: $0.epoch, deliveredThrough: $0.deliveredThrough) }
    }
}
