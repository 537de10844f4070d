public import CryptodModel

/// Waiting callers in the order the budget should serve them: highest priority first, first come first
/// served within a priority, with a bounded length.
///
/// The ingestor keeps one queue per exchange (inside its actor), parks a continuation per ``Ticket``,
/// calls ``admitReady(now:)`` whenever something may have changed (a request was queued, an answer was
/// observed, the timer for ``nextWakeTime(now:)`` fired) and resumes the tickets it returns, which are
/// already charged. A waiter that must wait for capacity holds its bucket: nothing behind it in the same
/// bucket overtakes it, so a heavy book snapshot is not starved by a stream of light polls. A waiter held
/// only by its own endpoint's block (Bybit 10006) holds nothing.
public struct RateLimitQueue: Sendable {
    /// Identifies one queued request.
    public struct Ticket: Sendable, Hashable, Comparable, CustomStringConvertible {
        public let id: UInt64

        public static func < (lhs: Ticket, rhs: Ticket) -> Bool { lhs.id < rhs.id }
        public var description: String { "#\(id)" }
    }

    /// A queued request.
    public struct Waiter: Sendable, Hashable {
        public var ticket: Ticket
        public var weight: Int
        public var endpoint: String
        public var priority: RequestPriority
        public var enqueuedAt: Timestamp
    }

    /// What ``enqueue(weight:endpoint:priority:now:)`` did.
    public enum Enqueued: Sendable, Hashable {
        /// Queued.
        case queued(Ticket)
        /// Queued, and the newest waiter of a lower priority was dropped to make room: fail it.
        case queuedShedding(Ticket, shed: Ticket)
        /// The queue is full of waiters at least as important: fail this request (retry later).
        case rejected
    }

    public var governor: RateLimitGovernor
    /// The most waiters kept.
    public let capacity: Int
    /// Sorted by priority (highest first), then ticket.
    public private(set) var waiters: [Waiter] = []
    private var nextID: UInt64 = 1

    public init(governor: RateLimitGovernor, capacity: Int = 4_096) {
        precondition(capacity > 0, "a queue holds at least one waiter")
        self.governor = governor
        self.capacity = capacity
    }

    public var count: Int { waiters.count }
    public var isEmpty: Bool { waiters.isEmpty }

    /// Queues a request; it is charged only when ``admitReady(now:)`` returns its ticket.
    public mutating func enqueue(weight: Int, endpoint: String, priority: RequestPriority, now: Timestamp) -> Enqueued {
        var shed: Ticket?
        if waiters.count >= capacity {
            guard let last = waiters.last, last.priority < priority else { return .rejected }
            shed = waiters.removeLast().ticket
        }
        let ticket = Ticket(id: nextID)
        nextID += 1
        let waiter = Waiter(ticket: ticket, weight: weight, endpoint: endpoint, priority: priority, enqueuedAt: now)
        // After every waiter of the same or a higher priority.
        var low = 0
        var high = waiters.count
        while low < high {
            let middle = (low + high) / 2
            if waiters[middle].priority >= priority { low = middle + 1 } else { high = middle }
        }
        waiters.insert(waiter, at: low)
        return shed.map { .queuedShedding(ticket, shed: $0) } ?? .queued(ticket)
    }

    /// Removes a waiter that gave up (its caller was cancelled). Returns whether it was queued.
    public mutating func cancel(_ ticket: Ticket) -> Bool {
        guard let index = waiters.firstIndex(where: { $0.ticket == ticket }) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Admits, in order, every waiter the governor lets through now and returns their tickets (charged).
    public mutating func admitReady(now: Timestamp) -> [Ticket] {
        var held = Set<RateLimitGovernor.BucketKey>()
        var admitted: [Ticket] = []
        var kept: [Waiter] = []
        kept.reserveCapacity(waiters.count)
        for waiter in waiters {
            let key = governor.lookup(endpoint: waiter.endpoint).1
            guard !held.contains(key) else {
                kept.append(waiter)
                continue
            }
            switch governor.request(
                weight: waiter.weight, endpoint: waiter.endpoint, priority: waiter.priority, now: now)
            {
            case .proceed:
                admitted.append(waiter.ticket)
            case .wait:
                kept.append(waiter)
                if !governor.endpointBlocked(waiter.endpoint, now: now) { held.insert(key) }
            }
        }
        waiters = kept
        return admitted
    }

    /// When ``admitReady(now:)`` may next admit someone if nothing else happens: `now` if it would now,
    /// `nil` when nobody waits. Answers (``RateLimitGovernor/observe(status:headers:body:endpoint:weight:sentAt:now:)``)
    /// can make it earlier, so call ``admitReady(now:)`` after each.
    public func nextWakeTime(now: Timestamp) -> Timestamp? {
        var held = Set<RateLimitGovernor.BucketKey>()
        var earliest: Timestamp?
        for waiter in waiters {
            let key = governor.lookup(endpoint: waiter.endpoint).1
            guard !held.contains(key) else { continue }
            let time = governor.nextAdmissionTime(
                weight: waiter.weight, endpoint: waiter.endpoint, priority: waiter.priority, now: now
            )
            earliest = min(earliest ?? time, time)
            if !governor.endpointBlocked(waiter.endpoint, now: now) { held.insert(key) }
        }
        return earliest
    }
}

extension RateLimitGovernor {
    /// Whether only this endpoint's own block (Bybit's per-UID limit) holds it back.
    func endpointBlocked(_ endpoint: String, now: Timestamp) -> Bool {
        let time = max(now.milliseconds, latest)
        return (endpointStates[RateLimitText.path(of: endpoint)]?.blockedUntil ?? .min) > time
    }
}
