import CryptodModel
import CryptodWire
import DequeModule
import Dispatch
import Logging
import Metrics
import NIOCore
import Synchronization

/// The sending end of one reliable stream (`<sender>><receiver>`, e.g. `ingestor-binance>writer`).
///
/// Producers call ``send(_:)``, which never blocks on the network: each frame gets the next sequence
/// number and is held until the receiver acknowledges it — in memory up to `memoryLimit` bytes, then in
/// spill segments on disk up to `spillLimit` (beyond that the oldest spilled frames are dropped, counted,
/// and announced to the receiver with `framesDropped`). Whenever a link to the receiver is up, ``run(on:)``
/// resumes the stream (`streamResume` → `streamResumed`), replays everything unacknowledged in order, and
/// then streams new frames. ``close()`` saves what is still held so the next start replays it.
///
/// **Coalescing.** Market events (``MessageType/isMarketEvent``) queued while the pump is busy writing join
/// the newest held frame as long as no link has taken that frame yet: it becomes (or grows) a `marketBatch`,
/// bounded by ``LinkSettings/maxBatchEvents`` and ``LinkSettings/maxBatchBytes`` (and the peer's frame limit).
/// So under load many events share one frame, one sequence number and one acknowledgement, while a lone
/// event on an idle stream is written at once as the single frame it is: no timer ever holds one back.
/// Batches are made only for a receiver whose link negotiated ``WireProtocol/marketBatchVersion`` or later
/// (the last link's answer is kept while no link is up); a version-2 receiver gets one event per frame.
/// Frames that were ever handed to a link, or read back from the spill, are never changed.
///
/// `send` runs on the producer's thread (the cooperative pool), so what waits for the disk happens on the
/// ``DiskThread``: the state-file write that reserves the next block of sequence numbers is started when
/// half of the current block is used, and a finished spill segment is flushed there. Spilling a frame
/// itself stays inline: it is a `write(2)` into the page cache, and only happens while the link is down or
/// slow. Opening a stream (`init`, once at start) still reads and writes its files on the caller's thread.
package final class ReliableSender: Sendable {
    package let stream: String
    private let settings: LinkSettings
    private let logger: Logger
    private let state: Mutex<State>
    private let metrics: Metrics
    private let diskThread: DiskThread

    private struct State: ~Copyable {
        var file: StreamStateFile
        let statePath: String
        let spill: SpillStore
        var memory: Deque<Frame> = []
        var memoryBytes = 0
        var ackedThrough: UInt64 = 0
        var dropped: [ClosedRange<UInt64>] = []
        // The link currently attached (0 = none), and its progress.
        var session: UInt64 = 0
        var sessions: UInt64 = 0
        var sendIndex = 0
        var lastSent: UInt64 = 0
        var resumed: StreamResumed?
        var waiter: CheckedContinuation<Void, Never>?
        /// Something happened while the pump was not waiting: its next wait returns at once. Without it,
        /// a frame queued between the pump finding nothing to send and the pump going to sleep would wake
        /// nobody and sit unsent until the next frame.
        var wakePending = false
        var closed = false
        /// Set by `close()`: from then on only the disk thread touches `spill`, so status reads these.
        var closedSpill: SpillSize?
        /// The `reservedThrough` being written on the disk thread. Numbers above `file.reservedThrough`
        /// (which only grows once a write is on disk) are never handed out, so a crash can't reuse one.
        var reserving: UInt64?
        /// Left when the write of `reserving` ends; a producer that outran it waits on it.
        var reservationDone: DispatchGroup?
        /// The last reservation write's error, until one succeeds.
        var reservationError: (any Error)?
        /// After a failed write, reserving ahead waits until `nextSequence` gets here (no retry per frame).
        var retryReservationAt: UInt64 = 0
        var reservationStalls = 0
        /// How the newest frames may be coalesced: set from each link's negotiated version and the peer's
        /// frame limit, kept while no link is up; `nil` (one event per frame) until a link says otherwise.
        var batching: BatchLimits?
        /// The highest sequence number ever handed to a link: frames at or below it are never changed.
        var highestTaken: UInt64 = 0
        /// The sequence of the last frame `send` appended to memory: only that frame may take more events
        /// (frames read back from the spill have a copy on disk, so they stay as they are).
        var lastDirect: UInt64 = 0

        /// The pump's continuation to resume, or a note for its next wait when it isn't waiting yet.
        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            guard let waiter else {
                wakePending = true
                return nil
            }
            self.waiter = nil
            return waiter
        }
    }

    /// Bounds of one coalesced frame.
    struct BatchLimits: Sendable, Hashable {
        var events: Int
        var payloadBytes: Int
    }

    private struct Metrics {
        let sent: Counter
        /// Market events queued (single or coalesced); with `sent` it gives events per frame.
        let events: Counter
        /// Market events that joined a frame already queued instead of taking a frame of their own.
        let coalesced: Counter
        let replayed: Counter
        let dropped: Counter
        let memoryBytes: Gauge
        let spillBytes: Gauge
        let unacked: Gauge
        /// Producers that had to wait for a reservation write; reserving half a block ahead should keep
        /// this at zero.
        let reservationStalls: Counter

        init(stream: String) {
            let dimensions = [("stream", stream)]
            sent = Counter(label: "cryptod_ipc_frames_sent_total", dimensions: dimensions)
            events = Counter(label: "cryptod_ipc_events_sent_total", dimensions: dimensions)
            coalesced = Counter(label: "cryptod_ipc_events_coalesced_total", dimensions: dimensions)
            replayed = Counter(label: "cryptod_ipc_frames_replayed_total", dimensions: dimensions)
            dropped = Counter(label: "cryptod_ipc_frames_dropped_total", dimensions: dimensions)
            memoryBytes = Gauge(label: "cryptod_ipc_stream_memory_bytes", dimensions: dimensions)
            spillBytes = Gauge(label: "cryptod_ipc_stream_spill_bytes", dimensions: dimensions)
            unacked = Gauge(label: "cryptod_ipc_stream_unacked_frames", dimensions: dimensions)
            reservationStalls = Counter(label: "cryptod_ipc_reservation_stalls_total", dimensions: dimensions)
        }
    }

    /// Opens (or recovers) the stream's state under `directory` (`<state_dir>/streams/<stream>`).
    /// - Parameters:
    ///   - diskThread: where the stream's `fsync`s and state-file writes run; the process's shared one
    ///     unless a test needs its own.
    /// - Throws: when the directory cannot be created or its files cannot be read or written.
    package init(
        stream: String, directory: String, settings: LinkSettings, logger: Logger, diskThread: DiskThread = .shared
    ) throws {
        self.stream = stream
        self.diskThread = diskThread
        self.settings = settings
        var logger = logger
        logger[metadataKey: "stream"] = "\(stream)"
        self.logger = logger
        self.metrics = Metrics(stream: stream)
        let spill = try SpillStore(
            directory: directory, segmentLimit: settings.spillSegmentBytes, byteLimit: settings.spillLimit
        ) { [logger] finished in
            diskThread.submit {
                defer { finished.close() }
                do { try finished.sync() } catch {
                    logger.error("could not flush a finished spill segment", metadata: ["error": "\(error)"])
                }
            }
        }
        let statePath = directory + "/stream.state"
        var file: StreamStateFile
        if let bytes = try PosixFile.readAll(statePath), let previous = StreamStateFile(bytes: bytes) {
            file = previous
            if !previous.clean {
                // Crashed: frames it held only in memory are gone. Continue above every reserved number so
                // the receiver sees the loss as a gap rather than mistaking new frames for duplicates.
                file.nextSequence = previous.reservedThrough + 1
                logger.warning(
                    "stream was not shut down cleanly; frames held only in memory may be lost (the receiver will report the gap)",
                    metadata: ["epoch": "\(previous.epoch)", "resumeAt": "\(file.nextSequence)"])
            }
        } else {
            let next = (spill.lastSequence ?? 0) + 1
            file = StreamStateFile(
                epoch: UInt64.random(in: 1...UInt64.max), nextSequence: next, reservedThrough: next - 1, clean: false)
            if !spill.isEmpty {
                logger.warning("stream state file missing; starting a new epoch and replaying the spilled frames found")
            }
        }
        file.clean = false
        file.reservedThrough = max(file.reservedThrough, file.nextSequence - 1) + StreamStateFile.reservationBlock
        try PosixFile.replace(statePath, with: file.encoded())
        if !spill.isEmpty {
            logger.info(
                "recovered spilled frames", metadata: ["frames": "\(spill.frameCount)", "bytes": "\(spill.bytes)"])
        }
        self.state = Mutex(State(file: file, statePath: statePath, spill: spill))
        updateGauges()
    }

    // MARK: - Producing

    /// Queues `message` (a sequenced type) for delivery. Never waits for the network, and for the disk only
    /// if it outran the reservation of sequence numbers (made half a block ahead of need on the disk
    /// thread): then it waits for that one state-file write, as every reservation did before, and counts it.
    /// - Throws: ``LinkError/protocolViolation(_:)`` after ``close()``, or when the spill file or the state
    ///   file cannot be written.
    package func send(_ message: Message) throws {
        precondition(message.type.isSequenced, "\(message.type) is not a stream message")
        try enqueue(Frame(message, sequence: 1))
    }

    /// Queues a market event already encoded (and validated: ``Message/validate()``) as the payload of a
    /// message of `type`: a producer feeding several streams encodes each event once.
    /// - Returns: the sequence number of the frame that carries it (a batch it joined, or its own).
    /// - Throws: as ``send(_:)``.
    @discardableResult
    package func send(event type: MessageType, payload: ByteBuffer) throws -> UInt64 {
        precondition(type.isMarketEvent, "\(type) is not a market event")
        return try enqueue(Frame(type: type, sequence: 1, payload: payload))
    }

    /// Every frame through this sequence number has been acknowledged by the receiver.
    package var ackedThrough: UInt64 { state.withLock { $0.ackedThrough } }

    @discardableResult
    private func enqueue(_ incoming: Frame) throws -> UInt64 {
        var frame = incoming
        let size = frame.encodedSize + 64
        let isEvent = frame.type.isMarketEvent
        var stalled = false
        while true {
            let outcome = try state.withLock { state -> SendOutcome in
                guard !state.closed else { throw LinkError.protocolViolation("stream \(stream) is closed") }
                if isEvent, let grown = coalesce(frame, into: &state) {
                    state.memoryBytes += grown
                    return .coalesced(state.takeWaiter(), state.file.nextSequence - 1)
                }
                guard state.file.nextSequence <= state.file.reservedThrough else {
                    if state.reserving == nil {
                        // A write this call waited for failed: fail like the inline write did. Otherwise
                        // (none started yet, or an earlier one failed) write now.
                        if stalled, let error = state.reservationError { throw error }
                        startReservation(&state)
                    }
                    return .stalled(state.reservationDone!)
                }
                frame.sequence = state.file.nextSequence
                state.file.nextSequence += 1
                reserveAhead(&state)
                if state.spill.isEmpty, state.memoryBytes + size <= settings.memoryLimit {
                    state.memory.append(frame)
                    state.memoryBytes += size
                    state.lastDirect = frame.sequence
                } else {
                    let dropped = try state.spill.append(frame)
                    if !dropped.isEmpty { record(dropped: dropped, state: &state) }
                }
                return .queued(state.takeWaiter(), frame.sequence)
            }
            switch outcome {
            case .queued(let waiter, let sequence):
                metrics.sent.increment()
                if isEvent { metrics.events.increment() }
                waiter?.resume()
                return sequence
            case .coalesced(let waiter, let sequence):
                metrics.events.increment()
                metrics.coalesced.increment()
                waiter?.resume()
                return sequence
            case .stalled(let done):
                if !stalled {
                    stalled = true
                    metrics.reservationStalls.increment()
                    state.withLock { $0.reservationStalls += 1 }
                    logger.warning("a producer outran the reservation of sequence numbers; waiting for the state file")
                }
                done.wait()
            }
        }
    }

    private enum SendOutcome {
        case queued(CheckedContinuation<Void, Never>?, UInt64)
        case coalesced(CheckedContinuation<Void, Never>?, UInt64)
        case stalled(DispatchGroup)
    }

    /// Adds the market event `frame` to the newest held frame when that is allowed (see the type's comment):
    /// the newest frame is a market event or batch that `send` put in memory, no link has taken it, and the
    /// result stays within the batch limits and the memory limit.
    /// - Returns: the bytes the held frame grew by, or `nil` when `frame` needs a frame of its own.
    private func coalesce(_ frame: Frame, into state: inout State) -> Int? {
        guard let limits = state.batching, state.spill.isEmpty, let last = state.memory.indices.last else {
            return nil
        }
        // Fields read one by one: a copy of the held frame kept alive here would make the append below copy
        // the whole batch (copy-on-write) for every event.
        let (tailType, tailSequence, tailBytes) = (
            state.memory[last].type, state.memory[last].sequence, state.memory[last].payload.readableBytes
        )
        guard tailSequence == state.lastDirect, tailSequence > state.highestTaken,
            tailSequence == state.file.nextSequence - 1
        else { return nil }
        let entry = MarketBatch.entryHeaderSize + frame.payload.readableBytes
        let grown: Int
        if tailType == .marketBatch {
            guard let count = MarketBatch.eventCount(of: state.memory[last].payload), count < limits.events,
                tailBytes + entry <= limits.payloadBytes
            else { return nil }
            grown = entry
        } else if tailType.isMarketEvent {
            grown = MarketBatch.countSize + MarketBatch.entryHeaderSize + entry
            guard limits.events >= 2, tailBytes + grown <= limits.payloadBytes else { return nil }
        } else {
            return nil
        }
        guard state.memoryBytes + grown <= settings.memoryLimit else { return nil }
        if tailType == .marketBatch {
            MarketBatch.append(type: frame.type, payload: frame.payload, to: &state.memory[last].payload)
        } else {
            // The first event joining: the held frame becomes a batch of two. Room for a typical run up front,
            // so growing it rarely reallocates.
            var batch = MarketBatch.start(
                type: tailType, payload: state.memory[last].payload, capacity: min(limits.payloadBytes, 16 << 10))
            MarketBatch.append(type: frame.type, payload: frame.payload, to: &batch)
            state.memory[last] = Frame(type: .marketBatch, sequence: tailSequence, payload: batch)
        }
        return grown
    }

    /// Convenience for market data.
    package func send(_ event: MarketEvent) throws { try send(Message(event)) }

    private func record(dropped ranges: [ClosedRange<UInt64>], state: inout State) {
        state.dropped.append(contentsOf: ranges)
        let count = ranges.reduce(0) { $0 + Int($1.count) }
        metrics.dropped.increment(by: count)
        logger.error(
            "spill limit reached; dropped the oldest spilled frames (raise delivery.spill_limit or fix the receiver)",
            metadata: ["frames": "\(count)", "ranges": "\(ranges.map { "\($0.lowerBound)-\($0.upperBound)" })"])
    }

    // MARK: - Reserving sequence numbers

    /// Starts writing the next reservation once half of the current block is used, so the write is on disk
    /// long before a producer needs a number above `reservedThrough`.
    private func reserveAhead(_ state: inout State) {
        guard state.reserving == nil, state.file.nextSequence >= state.retryReservationAt,
            state.file.nextSequence > state.file.reservedThrough - StreamStateFile.reservationBlock / 2
        else { return }
        startReservation(&state)
    }

    /// Writes `reservedThrough + reservationBlock` to the state file on the disk thread; once it is on disk,
    /// those numbers may be handed out. One write at a time per stream (and the disk thread runs jobs in
    /// order), so state-file writes never race or land out of order.
    private func startReservation(_ state: inout State) {
        let target = state.file.reservedThrough + StreamStateFile.reservationBlock
        var file = state.file
        file.reservedThrough = target
        file.clean = false
        let done = DispatchGroup()
        done.enter()
        state.reserving = target
        state.reservationDone = done
        let path = state.statePath
        let bytes = file.encoded()
        diskThread.submit { [self] in
            let result = Result { try PosixFile.replace(path, with: bytes) }
            self.state.withLock { state in
                state.reserving = nil
                state.reservationDone = nil
                switch result {
                case .success:
                    state.file.reservedThrough = max(state.file.reservedThrough, target)
                    state.reservationError = nil
                case .failure(let error):
                    state.reservationError = error
                    state.retryReservationAt = state.file.nextSequence + StreamStateFile.reservationBlock / 16
                }
            }
            if case .failure(let error) = result {
                logger.error("could not reserve sequence numbers in the state file", metadata: ["error": "\(error)"])
            }
            done.leave()
        }
    }

    // MARK: - Link events (called by the link session)

    /// An `ack` from the receiver: acknowledging a number never sent is a protocol violation.
    func acknowledge(validating sequence: UInt64) throws {
        let next = state.withLock { $0.file.nextSequence }
        guard sequence < next else {
            throw LinkError.protocolViolation("ack for seq \(sequence), but the highest sent is \(next - 1)")
        }
        acknowledge(through: sequence)
    }

    /// The receiver acknowledged every frame through `sequence`.
    package func acknowledge(through sequence: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard sequence > state.ackedThrough else { return nil }
            state.ackedThrough = sequence
            while let first = state.memory.first, first.sequence <= sequence {
                state.memory.removeFirst()
                state.memoryBytes -= first.encodedSize + 64
                state.sendIndex = max(0, state.sendIndex - 1)
            }
            state.dropped.removeAll { $0.upperBound <= sequence }
            return state.takeWaiter()
        }
        waiter?.resume()
        updateGauges()
    }

    /// The receiver's answer to our `streamResume` on the current link.
    func resumed(_ answer: StreamResumed) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.resumed = answer
            return state.takeWaiter()
        }
        waiter?.resume()
    }

    // MARK: - Pumping

    /// Attaches the stream to a connected link and streams until the link fails or the task is cancelled.
    /// - Parameters:
    ///   - version: the link's negotiated protocol version; market events are batched only from
    ///     ``WireProtocol/marketBatchVersion`` on.
    ///   - peerMaxFrameBytes: the largest payload the receiver accepts (its `Hello.maxFrameBytes`).
    /// - Throws: the link's write errors, a resume timeout, or a protocol violation by the receiver.
    func run(
        on writer: LinkWriter, version: UInt16 = WireProtocol.version,
        peerMaxFrameBytes: Int = WireProtocol.defaultMaxFrameBytes
    ) async throws {
        let batching = Self.batchLimits(settings: settings, version: version, peerMaxFrameBytes: peerMaxFrameBytes)
        let opened = state.withLock { state -> (UInt64, StreamResume)? in
            // Closed: the spill belongs to the disk thread now, and there is nothing more to send.
            guard !state.closed else { return nil }
            state.batching = batching
            state.sessions += 1
            state.session = state.sessions
            state.sendIndex = 0
            state.resumed = nil
            let firstHeld = state.memory.first?.sequence ?? state.spill.firstSequence ?? state.file.nextSequence
            return (
                state.session,
                StreamResume(
                    stream: stream, epoch: state.file.epoch, firstHeld: firstHeld, nextSequence: state.file.nextSequence
                )
            )
        }
        guard let (session, resume) = opened else { return }
        defer { state.withLock { if $0.session == session { $0.session = 0 } } }
        try await writer.send(.streamResume(resume))

        let deadline = ContinuousClock.now + settings.handshakeTimeout
        var answer: StreamResumed?
        while answer == nil {
            answer = state.withLock { $0.resumed }
            if answer == nil {
                guard ContinuousClock.now < deadline else { throw LinkError.handshakeTimeout }
                try await waitForWork(session: session, timeout: .milliseconds(100))
            }
        }
        guard answer!.epoch == resume.epoch else {
            throw LinkError.protocolViolation("receiver resumed epoch \(answer!.epoch), stream has \(resume.epoch)")
        }
        acknowledge(through: answer!.deliveredThrough)
        let replayUntil = resume.nextSequence
        state.withLock { state in
            state.lastSent = max(answer!.deliveredThrough, resume.firstHeld - 1)
            state.dropped.removeAll { $0.upperBound <= state.lastSent }
        }
        logger.debug(
            "stream resumed",
            metadata: ["deliveredThrough": "\(answer!.deliveredThrough)", "firstHeld": "\(resume.firstHeld)"])

        while true {
            try Task.checkCancellation()
            let (batch, closed) = try nextBatch(session: session)
            if closed { return }
            if batch.isEmpty {
                try await waitForWork(session: session, timeout: nil)
                continue
            }
            try await writer.send(frames: batch)
            let replays = batch.reduce(0) { $0 + ($1.sequence != 0 && $1.sequence < replayUntil ? 1 : 0) }
            if replays > 0 { metrics.replayed.increment(by: replays) }
            updateGauges()
        }
    }

    /// Bytes of frames the pump hands to one socket write at most (at least one frame).
    static let maxWriteBytes = 4 << 20

    /// What may be coalesced for a receiver on `version` that takes payloads up to `peerMaxFrameBytes`.
    static func batchLimits(settings: LinkSettings, version: UInt16, peerMaxFrameBytes: Int) -> BatchLimits? {
        guard version >= WireProtocol.marketBatchVersion, settings.maxBatchEvents >= 2 else { return nil }
        return BatchLimits(
            events: min(settings.maxBatchEvents, MarketBatch.maxEvents),
            payloadBytes: min(settings.maxBatchBytes, peerMaxFrameBytes))
    }

    /// Takes the next frames to write on the current link (refilling memory from the spill as needed).
    private func nextBatch(session: UInt64) throws -> ([Frame], closed: Bool) {
        try state.withLock { state in
            guard state.session == session else { throw LinkError.replaced(stream: stream) }
            if state.closed { return ([], true) }
            try refill(&state)
            var batch: [Frame] = []
            // Bounded in bytes too: coalesced frames are large, and one write should not build a huge buffer.
            var bytes = 0
            while batch.count < settings.maxBatch, bytes < Self.maxWriteBytes, state.sendIndex < state.memory.count {
                let frame = state.memory[state.sendIndex]
                if frame.sequence <= state.lastSent {
                    state.sendIndex += 1
                    continue
                }
                if frame.sequence > state.lastSent + 1 {
                    let expected = state.lastSent + 1
                    if let range = state.dropped.first(where: { $0.contains(expected) }) {
                        let upper = min(range.upperBound, frame.sequence - 1)
                        batch.append(
                            Frame(.framesDropped(FramesDropped(first: expected, last: upper, reason: .spillLimit))))
                        state.lastSent = upper
                        continue
                    }
                    // A hole no drop explains would be a bug here; announce it rather than stall the stream.
                    logger.error(
                        "sequence hole without a recorded drop",
                        metadata: ["from": "\(expected)", "to": "\(frame.sequence - 1)"])
                    batch.append(
                        Frame(
                            .framesDropped(
                                FramesDropped(first: expected, last: frame.sequence - 1, reason: .spillLimit))))
                    state.lastSent = frame.sequence - 1
                    continue
                }
                batch.append(frame)
                bytes += frame.encodedSize
                state.lastSent = frame.sequence
                state.highestTaken = max(state.highestTaken, frame.sequence)
                state.sendIndex += 1
            }
            return (batch, false)
        }
    }

    /// Moves spilled frames back into memory while there is room, oldest first.
    private func refill(_ state: inout State) throws {
        while !state.spill.isEmpty, state.memoryBytes < settings.memoryLimit {
            let frames = try state.spill.readNext(maxBytes: min(4 << 20, settings.memoryLimit - state.memoryBytes))
            if frames.isEmpty { break }
            for frame in frames {
                state.memory.append(frame)
                state.memoryBytes += frame.encodedSize + 64
            }
        }
    }

    /// Suspends until a frame is queued, an ack arrives, the answer to a resume arrives, or `timeout`.
    private func waitForWork(session: UInt64, timeout: Duration?) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            // Cancelled already: the handler below may have run before this continuation was
                            // stored, found no waiter, and will not run again. Waiting now would never end
                            // (the link's task group then hung on this pump).
                            if Task.isCancelled { return true }
                            if state.session != session || state.closed || state.wakePending {
                                state.wakePending = false
                                return true
                            }
                            if let previous = state.waiter { previous.resume() }
                            state.waiter = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.state.withLock { state in
                        let waiter = state.waiter
                        state.waiter = nil
                        return waiter
                    }?.resume()
                }
            }
            if let timeout {
                group.addTask { try await Task.sleep(for: timeout) }
            }
            try await group.next()
            group.cancelAll()
        }
        try Task.checkCancellation()
    }

    // MARK: - Lifecycle and status

    /// Stops accepting frames and saves everything still unacknowledged to disk for the next start.
    ///
    /// The saving (frames held in memory written as the first spill segment, `fsync`, then the state file
    /// marked clean) runs on the ``DiskThread``, after every segment flush queued before it; cancelling the
    /// caller does not skip it. A second call returns at once.
    /// - Throws: when the spill or the state file cannot be written (the next start then recovers as after
    ///   a crash).
    package func close() async throws {
        typealias Closing = (save: @Sendable () throws -> SpillSize, waiter: CheckedContinuation<Void, Never>?)
        let closing = state.withLock { state -> Closing? in
            guard !state.closed else { return nil }
            state.closed = true
            let frames = Array(state.memory)
            let heldBytes = frames.reduce(0) { $0 + SpillStore.recordHeader + $1.encodedSize }
            state.closedSpill = SpillSize(
                frames: state.spill.frameCount + frames.count, bytes: state.spill.bytes + heldBytes)
            state.memory.removeAll()
            state.memoryBytes = 0
            var file = state.file
            file.clean = true
            file.reservedThrough = max(file.reservedThrough, state.reserving ?? 0)
            let spill = state.spill
            let path = state.statePath
            let bytes = file.encoded()
            let save: @Sendable () throws -> SpillSize = {
                try spill.prepend(frames)
                try spill.sync()
                try PosixFile.replace(path, with: bytes)
                return SpillSize(frames: spill.frameCount, bytes: spill.bytes)
            }
            return (save, state.takeWaiter())
        }
        guard let closing else { return }
        closing.waiter?.resume()
        defer { updateGauges() }
        let saved = try await diskThread.run(closing.save)
        state.withLock { $0.closedSpill = saved }
    }

    private struct SpillSize {
        var frames: Int
        var bytes: Int
    }

    /// Counters for status output and tests.
    package struct Stats: Sendable, Hashable {
        package var epoch: UInt64
        package var nextSequence: UInt64
        package var ackedThrough: UInt64
        package var memoryFrames: Int
        package var memoryBytes: Int
        package var spillFrames: Int
        package var spillBytes: Int
        package var attached: Bool
        /// The highest sequence number reserved on disk.
        package var reservedThrough: UInt64
        /// Whether the next reservation is being written.
        package var reserving: Bool
        /// Sends that waited for a reservation write (`cryptod_ipc_reservation_stalls_total`).
        package var reservationStalls: Int
    }

    package var stats: Stats {
        state.withLock { state in
            Stats(
                epoch: state.file.epoch, nextSequence: state.file.nextSequence, ackedThrough: state.ackedThrough,
                memoryFrames: state.memory.count, memoryBytes: state.memoryBytes,
                spillFrames: state.closedSpill?.frames ?? state.spill.frameCount,
                spillBytes: state.closedSpill?.bytes ?? state.spill.bytes, attached: state.session != 0,
                reservedThrough: state.file.reservedThrough, reserving: state.reserving != nil,
                reservationStalls: state.reservationStalls)
        }
    }

    private func updateGauges() {
        let stats = self.stats
        metrics.memoryBytes.record(stats.memoryBytes)
        metrics.spillBytes.record(stats.spillBytes)
        metrics.unacked.record(Int(stats.nextSequence - 1 - min(stats.ackedThrough, stats.nextSequence - 1)))
    }
}
