import CryptodExchanges
import CryptodModel
import Testing

// Everything here is private and prefixed, so it cannot collide with the other exchange tests in this target.

private let bookMarket = MarketKey(exchange: .binance, symbol: "BTCUSDT")
private let bookClock = Timestamp(milliseconds: 1_800_000_000_000)

/// `"b10@1 b9@2 a11@1"` → bids and asks, in the order written (best first).
private func bookLevels(_ text: String) -> (bids: [BookLevel], asks: [BookLevel]) {
    var bids: [BookLevel] = []
    var asks: [BookLevel] = []
    for token in text.split(separator: " ") {
        let parts = token.dropFirst().split(separator: "@")
        let level = BookLevel(price: ExactDecimal(String(parts[0]))!, quantity: ExactDecimal(String(parts[1]))!)
        if token.first == "b" { bids.append(level) } else { asks.append(level) }
    }
    return (bids, asks)
}

/// A book's levels in the same notation, to compare with the table.
private func bookText(_ book: OrderBook) -> String {
    (book.bids.map { "b\($0.price)@\($0.quantity)" } + book.asks.map { "a\($0.price)@\($0.quantity)" })
        .joined(separator: " ")
}

private func bookSnapshot(_ id: UInt64, _ levels: String) -> BookSnapshot {
    let (bids, asks) = bookLevels(levels)
    return BookSnapshot(market: bookMarket, updateID: id, time: nil, receivedAt: bookClock, bids: bids, asks: asks)
}

private func bookDelta(_ first: UInt64, _ last: UInt64, previous: UInt64? = nil, _ levels: String = "") -> BookDelta {
    let (bids, asks) = bookLevels(levels)
    return BookDelta(
        market: bookMarket, firstUpdateID: first, lastUpdateID: last, previousUpdateID: previous, time: nil,
        receivedAt: bookClock, bids: bids, asks: asks)
}

private let baseBook = "b10@1 b9@1 a11@1 a12@1"

/// An event as the tables write it.
private enum BookEvent: CustomStringConvertible {
    case start
    /// Binance `U`, `u`; Bybit and WhiteBIT use `U == u`, WhiteBIT `previous` for `past_update_id`.
    case diff(UInt64, UInt64, previous: UInt64? = nil, String = "")
    case snapshot(UInt64, String = baseBook, stream: Bool)
    case failed
    case resync(ResyncReason)

    var description: String {
        switch self {
        case .start: "start"
        case .diff(let first, let last, let previous, let levels):
            "diff \(first)-\(last)/\(previous.map(String.init) ?? "-") \(levels)"
        case .snapshot(let id, _, let stream): "snapshot \(id)\(stream ? " (stream)" : "")"
        case .failed: "failed"
        case .resync(let reason): "resync \(reason)"
        }
    }
}

/// Actions with the payloads reduced to their ids, so a table row stays one line.
private enum BookStep: Equatable, CustomStringConvertible {
    case request
    case resubscribe
    case snapshot(UInt64)
    case delta(UInt64)
    case state(BookSyncState)

    init(_ action: BookAction) {
        switch action {
        case .requestSnapshot: self = .request
        case .resubscribe: self = .resubscribe
        case .publishSnapshot(let snapshot): self = .snapshot(snapshot.updateID)
        case .publishDelta(let delta): self = .delta(delta.lastUpdateID)
        case .stateChanged(let state): self = .state(state)
        }
    }

    var description: String {
        switch self {
        case .request: "request"
        case .resubscribe: "resubscribe"
        case .snapshot(let id): "snapshot(\(id))"
        case .delta(let id): "delta(\(id))"
        case .state(let state): "state(\(state))"
        }
    }
}

/// Feeds events and keeps a downstream book built only from the published actions.
private struct BookDriver {
    var sync: BookSynchronizer
    var downstream = OrderBook(market: bookMarket)
    var actions: [BookAction] = []

    init(_ rule: BookSyncRule, _ configuration: BookSyncConfiguration = .standard) {
        sync = BookSynchronizer(market: bookMarket, rule: rule, configuration: configuration)
    }

    @discardableResult
    mutating func feed(_ event: BookEvent) -> [BookAction] {
        let result: [BookAction]
        switch event {
        case .start: result = sync.start()
        case .diff(let first, let last, let previous, let levels):
            result = sync.receive(bookDelta(first, last, previous: previous, levels))
        case .snapshot(let id, let levels, let stream):
            result = sync.receive(snapshot: bookSnapshot(id, levels), fromStream: stream)
        case .failed: result = sync.snapshotFailed()
        case .resync(let reason): result = sync.requestResync(reason: reason)
        }
        follow(result)
        return result
    }

    mutating func follow(_ result: [BookAction]) {
        actions += result
        for action in result {
            switch action {
            case .publishSnapshot(let snapshot): downstream.replace(with: snapshot)
            case .publishDelta(let delta): downstream.apply(delta)
            case .requestSnapshot, .resubscribe, .stateChanged: break
            }
        }
    }
}

/// One row: events from a fresh synchroniser, every action they return, the final state and book.
private struct BookRow: CustomTestStringConvertible, Sendable {
    var name: String
    var rule: BookSyncRule
    var configuration: BookSyncConfiguration = .standard
    var events: [BookEvent]
    var steps: [BookStep]
    var state: BookSyncState
    var book: String

    var testDescription: String { name }
}

extension BookEvent: Sendable {}
extension BookStep: Sendable {}

private let synced = BookStep.state(.synced)
private func resyncing(_ reason: ResyncReason) -> BookStep { .state(.resyncing(reason: reason)) }

private let binance = BookSyncRule.restSnapshotThenDiffs
private let bybit = BookSyncRule.streamSnapshotThenDeltas
private let whitebit = BookSyncRule.streamSnapshotThenIncremental(depth: 2)

private let binanceRows: [BookRow] = [
    .init(
        name: "binance: in order, diffs buffered before the snapshot", rule: binance,
        events: [.start, .diff(101, 101, "b10@2"), .snapshot(100, stream: false), .diff(102, 103, "a11@0")],
        steps: [.request, synced, .snapshot(101), .delta(103)], state: .synced, book: "b10@2 b9@1 a12@1"),
    .init(
        name: "binance: snapshot before any diff is trusted, older diffs then ignored", rule: binance,
        events: [.start, .snapshot(100, stream: false), .diff(99, 100, "b10@7"), .diff(101, 101, "b10@3")],
        steps: [.request, synced, .snapshot(100), .delta(101)], state: .synced, book: "b10@3 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: buffered diffs inside the snapshot are dropped", rule: binance,
        events: [
            .start, .diff(95, 98, "b10@7"), .diff(99, 100, "b9@5"), .diff(101, 102, "b8@1"),
            .snapshot(100, stream: false),
        ],
        steps: [.request, synced, .snapshot(102)], state: .synced, book: "b10@1 b9@1 b8@1 a11@1 a12@1"),
    .init(
        name: "binance: the first diff straddles the snapshot id", rule: binance,
        events: [.start, .diff(99, 102, "b10@5"), .snapshot(100, stream: false)],
        steps: [.request, synced, .snapshot(102)], state: .synced, book: "b10@5 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: duplicates are ignored", rule: binance,
        events: [
            .start, .snapshot(100, stream: false), .diff(101, 101, "b10@2"), .diff(101, 101, "b10@9"),
            .diff(100, 101, "b10@8"),
        ],
        steps: [.request, synced, .snapshot(100), .delta(101)], state: .synced, book: "b10@2 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: a stale snapshot is fetched again", rule: binance,
        events: [.start, .diff(105, 106, "b10@4"), .snapshot(100, stream: false)],
        steps: [.request, .request], state: .awaitingSnapshot, book: ""),
    .init(
        name: "binance: a stale snapshot, then a fresh one", rule: binance,
        events: [.start, .diff(105, 106, "b10@4"), .snapshot(100, stream: false), .snapshot(104, stream: false)],
        steps: [.request, .request, synced, .snapshot(106)], state: .synced, book: "b10@4 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: a gap resyncs and keeps the last good book readable", rule: binance,
        events: [.start, .snapshot(100, stream: false), .diff(101, 101, "b10@2"), .diff(103, 104, "b10@3")],
        steps: [.request, synced, .snapshot(100), .delta(101), resyncing(.gap(expected: 102, got: 103)), .request],
        state: .resyncing(reason: .gap(expected: 102, got: 103)), book: "b10@2 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: after a gap the diff that broke the chain is bridged", rule: binance,
        events: [
            .start, .snapshot(100, stream: false), .diff(102, 102, "b10@3"), .diff(103, 103, "b9@0"),
            .snapshot(101, stream: false),
        ],
        steps: [
            .request, synced, .snapshot(100), resyncing(.gap(expected: 101, got: 102)), .request, synced,
            .snapshot(103),
        ],
        state: .synced, book: "b10@3 a11@1 a12@1"),
    .init(
        name: "binance: reordered diffs are a gap, the late one a duplicate", rule: binance,
        events: [
            .start, .snapshot(100, stream: false), .diff(102, 102, "b10@3"), .diff(101, 101, "b10@2"),
            .snapshot(101, stream: false),
        ],
        steps: [
            .request, synced, .snapshot(100), resyncing(.gap(expected: 101, got: 102)), .request, synced,
            .snapshot(102),
        ],
        state: .synced, book: "b10@3 b9@1 a11@1 a12@1"),
    .init(
        name: "binance: a gap inside the buffer restarts the buffer", rule: binance,
        events: [.start, .diff(101, 101, "b10@2"), .diff(105, 105, "b10@5"), .snapshot(100, stream: false)],
        steps: [.request, .request], state: .awaitingSnapshot, book: ""),
    .init(
        name: "binance: buffer overflow while awaiting the first snapshot", rule: binance,
        configuration: .init(maxBufferedDeltas: 2),
        events: [.start, .diff(101, 101), .diff(102, 102), .diff(103, 103, "b9@4"), .snapshot(102, stream: false)],
        steps: [.request, synced, .snapshot(103)], state: .synced, book: "b10@1 b9@4 a11@1 a12@1"),
    .init(
        name: "binance: buffer overflow while resyncing", rule: binance, configuration: .init(maxBufferedDeltas: 2),
        events: [.start, .snapshot(100, stream: false), .diff(102, 102), .diff(103, 103), .diff(104, 104)],
        steps: [
            .request, synced, .snapshot(100), resyncing(.gap(expected: 101, got: 102)), .request,
            resyncing(.bufferOverflow),
        ],
        state: .resyncing(reason: .bufferOverflow), book: baseBook),
    .init(
        name: "binance: a crossing diff is rolled back and resyncs", rule: binance,
        events: [.start, .snapshot(100, stream: false), .diff(101, 101, "b11@1 b10@0 a12@5")],
        steps: [.request, synced, .snapshot(100), resyncing(.crossed), .request],
        state: .resyncing(reason: .crossed), book: baseBook),
    .init(
        name: "binance: a crossed snapshot is fetched again", rule: binance,
        events: [.start, .snapshot(100, "b11@1 a11@1", stream: false)],
        steps: [.request, .request], state: .awaitingSnapshot, book: ""),
    .init(
        name: "binance: degraded after repeated snapshot failures, requests go on", rule: binance,
        configuration: .init(maxSnapshotFailures: 3),
        events: [.start, .failed, .failed, .failed, .failed],
        steps: [.request, .request, .request, .state(.degraded(reason: .snapshotFailed)), .request, .request],
        state: .degraded(reason: .snapshotFailed), book: ""),
    .init(
        name: "binance: degraded recovers on the next good snapshot", rule: binance,
        configuration: .init(maxSnapshotFailures: 2),
        events: [.start, .failed, .diff(101, 101), .snapshot(90, stream: false), .snapshot(100, stream: false)],
        steps: [.request, .request, .state(.degraded(reason: .staleSnapshot)), .request, synced, .snapshot(101)],
        state: .synced, book: baseBook),
    .init(
        name: "binance: a failure nobody asked about is ignored", rule: binance,
        events: [.failed, .start, .snapshot(100, stream: false), .failed],
        steps: [.request, synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "binance: an unrequested snapshot while synced is ignored", rule: binance,
        events: [.start, .snapshot(100, stream: false), .snapshot(200, "b1@1 a2@1", stream: false)],
        steps: [.request, synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "binance: requested resync, no duplicate request", rule: binance,
        events: [.start, .snapshot(100, stream: false), .resync(.disconnected), .resync(.disconnected)],
        steps: [.request, synced, .snapshot(100), resyncing(.disconnected), .request],
        state: .resyncing(reason: .disconnected), book: baseBook),
]

private let bybitRows: [BookRow] = [
    .init(
        name: "bybit: snapshot then deltas in order", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .diff(101, 101, "a11@3"), .diff(102, 102, "b9@0")],
        steps: [synced, .snapshot(100), .delta(101), .delta(102)], state: .synced, book: "b10@1 a11@3 a12@1"),
    .init(
        name: "bybit: deltas before the snapshot are discarded", rule: bybit,
        events: [.start, .diff(99, 99, "b1@1"), .snapshot(100, stream: true)],
        steps: [synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "bybit: duplicates are ignored", rule: bybit,
        events: [
            .start, .snapshot(100, stream: true), .diff(101, 101, "b10@2"), .diff(101, 101, "b10@3"),
            .diff(100, 100, "b10@4"),
        ],
        steps: [synced, .snapshot(100), .delta(101)], state: .synced, book: "b10@2 b9@1 a11@1 a12@1"),
    .init(
        name: "bybit: a gap resubscribes; the new snapshot resyncs", rule: bybit,
        events: [
            .start, .snapshot(100, stream: true), .diff(102, 102, "b10@2"), .diff(103, 103, "b10@3"),
            .snapshot(110, "b5@1 a6@1", stream: true),
        ],
        steps: [
            synced, .snapshot(100), resyncing(.gap(expected: 101, got: 102)), .resubscribe, synced,
            .snapshot(110),
        ],
        state: .synced, book: "b5@1 a6@1"),
    .init(
        name: "bybit: u == 1 snapshot after a service restart replaces the book", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .snapshot(1, "b5@1 a6@1", stream: true), .diff(2, 2, "a6@2")],
        steps: [synced, .snapshot(100), .snapshot(1), .delta(2)], state: .synced, book: "b5@1 a6@2"),
    .init(
        name: "bybit: u == 1 on a delta is a restart", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .diff(1, 1, "b5@1")],
        steps: [synced, .snapshot(100), resyncing(.serverRestart), .resubscribe],
        state: .resyncing(reason: .serverRestart), book: baseBook),
    .init(
        name: "bybit: a re-pushed identical snapshot publishes nothing", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .snapshot(100, stream: true)],
        steps: [synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "bybit: a REST snapshot does not replace the stream's book", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .snapshot(200, "b1@1 a2@1", stream: false)],
        steps: [synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "bybit: a crossing delta is rolled back and resubscribes", rule: bybit,
        events: [.start, .snapshot(100, stream: true), .diff(101, 101, "a10@1")],
        steps: [synced, .snapshot(100), resyncing(.crossed), .resubscribe],
        state: .resyncing(reason: .crossed), book: baseBook),
    .init(
        name: "bybit: degraded after repeated missing snapshots", rule: bybit,
        configuration: .init(maxSnapshotFailures: 2),
        events: [.start, .failed, .failed, .snapshot(100, stream: true)],
        steps: [.resubscribe, .state(.degraded(reason: .snapshotFailed)), .resubscribe, synced, .snapshot(100)],
        state: .synced, book: baseBook),
]

private let whitebitRows: [BookRow] = [
    .init(
        name: "whitebit: the snapshot is truncated to the window", rule: whitebit,
        events: [.start, .snapshot(100, "b10@1 b9@1 b8@1 a11@1 a12@1 a13@1", stream: true)],
        steps: [synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "whitebit: incremental in order, truncated after each", rule: whitebit,
        events: [
            .start, .snapshot(100, stream: true), .diff(101, 101, previous: 100, "b9.5@1"),
            .diff(102, 102, previous: 101, "a11@0"),
        ],
        steps: [synced, .snapshot(100), .delta(101), .delta(102)], state: .synced, book: "b10@1 b9.5@1 a12@1"),
    .init(
        name: "whitebit: a repeated update is a duplicate", rule: whitebit,
        events: [
            .start, .snapshot(100, stream: true), .diff(101, 101, previous: 100, "b10@2"),
            .diff(101, 101, previous: 100, "b10@5"),
        ],
        steps: [synced, .snapshot(100), .delta(101)], state: .synced, book: "b10@2 b9@1 a11@1 a12@1"),
    .init(
        name: "whitebit: past_update_id mismatch is a gap", rule: whitebit,
        events: [
            .start, .snapshot(100, stream: true), .diff(103, 103, previous: 102, "b10@2"),
            .diff(104, 104, previous: 103),
        ],
        steps: [synced, .snapshot(100), resyncing(.gap(expected: 100, got: 102)), .resubscribe],
        state: .resyncing(reason: .gap(expected: 100, got: 102)), book: baseBook),
    .init(
        name: "whitebit: updates without ids (old captures) are applied", rule: whitebit,
        events: [.start, .snapshot(0, stream: true), .diff(0, 0, "b10@4")],
        steps: [synced, .snapshot(0), .delta(0)], state: .synced, book: "b10@4 b9@1 a11@1 a12@1"),
    .init(
        name: "whitebit: a keep-alive snapshot equal to the book publishes nothing", rule: whitebit,
        events: [.start, .snapshot(100, stream: true), .snapshot(100, "b10@1 b9@1 b8@1 a11@1 a12@1", stream: true)],
        steps: [synced, .snapshot(100)], state: .synced, book: baseBook),
    .init(
        name: "whitebit: a different keep-alive snapshot replaces the book", rule: whitebit,
        events: [.start, .snapshot(100, stream: true), .snapshot(100, "b10@3 b9@1 a11@1 a12@1", stream: true)],
        steps: [synced, .snapshot(100), .snapshot(100)], state: .synced, book: "b10@3 b9@1 a11@1 a12@1"),
]

@Suite("BookSynchronizer")
struct BookSynchronizerTests {
    @Test("table", arguments: binanceRows + bybitRows + whitebitRows)
    fileprivate func table(_ row: BookRow) {
        var driver = BookDriver(row.rule, row.configuration)
        for event in row.events { driver.feed(event) }
        #expect(driver.actions.map(BookStep.init) == row.steps)
        #expect(driver.sync.state == row.state)
        #expect(bookText(driver.sync.book) == bookText(OrderBook(snapshot: bookSnapshot(0, row.book))))
        // Whatever was published rebuilds the synchroniser's book downstream.
        if driver.sync.state == .synced { #expect(driver.downstream == driver.sync.book) }
    }

    @Test("counters: duplicates, gaps, resyncs, discarded, restarts")
    func counters() {
        var driver = BookDriver(binance)
        for event: BookEvent in [
            .start, .snapshot(100, stream: false), .diff(101, 101), .diff(101, 101), .diff(99, 100), .diff(103, 103),
            .diff(103, 103), .diff(110, 110),
        ] { driver.feed(event) }
        #expect(driver.sync.duplicatesIgnored == 3)
        #expect(driver.sync.gaps == 2)
        #expect(driver.sync.resyncs == 1)
        #expect(driver.sync.bufferedDeltas == 1)
        #expect(driver.sync.snapshotPending)

        var stream = BookDriver(bybit)
        for event: BookEvent in [.start, .diff(5, 5), .snapshot(100, stream: true), .snapshot(1, stream: true)] {
            stream.feed(event)
        }
        #expect(stream.sync.deltasDiscarded == 1)
        #expect(stream.sync.serverRestarts == 1)
        #expect(stream.sync.resyncs == 0)
    }

    @Test("failures count up to degraded and reset on success")
    func failureCount() {
        var driver = BookDriver(binance, .init(maxSnapshotFailures: 2))
        driver.feed(.start)
        driver.feed(.failed)
        #expect(driver.sync.consecutiveSnapshotFailures == 1)
        #expect(driver.sync.state == .awaitingSnapshot)
        driver.feed(.failed)
        #expect(driver.sync.state == .degraded(reason: .snapshotFailed))
        driver.feed(.snapshot(100, stream: false))
        #expect(driver.sync.consecutiveSnapshotFailures == 0)
        #expect(driver.sync.state == .synced)
    }

    @Test("whitebit: truncation is published as zero-quantity removals")
    func whitebitRemovals() throws {
        var driver = BookDriver(whitebit)
        driver.feed(.start)
        driver.feed(.snapshot(100, stream: true))
        // 9.5 pushes 9 out of the window; 8.5 enters below the window and is truncated at once.
        let actions = driver.feed(.diff(101, 101, previous: 100, "b9.5@1 b8.5@2 a11.5@1"))
        guard case .publishDelta(let published)? = actions.first, actions.count == 1 else {
            Issue.record("expected one publishDelta, got \(actions)")
            return
        }
        #expect(published.bids.map { "\($0.price)@\($0.quantity)" } == ["9.5@1", "8.5@0", "9@0"])
        #expect(published.asks.map { "\($0.price)@\($0.quantity)" } == ["11.5@1", "12@0"])
        #expect(bookText(driver.sync.book) == "b10@1 b9.5@1 a11@1 a11.5@1")
        #expect(driver.downstream == driver.sync.book)
        #expect(driver.downstream.bidCount == 2 && driver.downstream.askCount == 2)
    }

    @Test("prices keep the exchange's text through the synchroniser")
    func exactText() {
        var driver = BookDriver(binance)
        driver.feed(.start)
        driver.feed(.snapshot(100, "b0.00010000@5.00000000 a0.00011000@1.00000000", stream: false))
        driver.feed(.diff(101, 101, "b0.0001@2.5"))
        #expect(bookText(driver.sync.book) == "b0.0001@2.5 a0.00011000@1.00000000")
        #expect(bookText(driver.downstream) == bookText(driver.sync.book))
    }

    // MARK: - Audit

    @Test("audit at the same id: within the threshold, then past it")
    func auditSameID() {
        var driver = BookDriver(binance)
        driver.feed(.start)
        driver.feed(.snapshot(100, stream: false))
        let clean = driver.sync.audit(bookSnapshot(100, baseBook), depth: 2)
        #expect(clean == BookAuditReport(divergence: 0))
        let small = driver.sync.audit(bookSnapshot(100, "b10@2 b9@1 a11@1 a12@1"), depth: 2)
        #expect(small == BookAuditReport(divergence: 1))
        let large = driver.sync.audit(bookSnapshot(100, "b10@2 b9@2 a11@2 a12@1"), depth: 2)
        #expect(
            large
                == BookAuditReport(
                    divergence: 3, actions: [resyncAction(.auditDivergence(levels: 3)), .requestSnapshot]))
        #expect(driver.sync.state == .resyncing(reason: .auditDivergence(levels: 3)))
        #expect(driver.sync.audits == 3)
    }

    @Test("audit ahead of the book is compared when the book reaches its id")
    func auditDeferred() {
        var driver = BookDriver(binance)
        driver.feed(.start)
        driver.feed(.snapshot(100, stream: false))
        let report = driver.sync.audit(bookSnapshot(102, "b10@9 b9@9 a11@9 a12@9"), depth: 2)
        #expect(report == BookAuditReport(divergence: nil, deferred: true))
        #expect(driver.feed(.diff(101, 101, "b10@2")).map(BookStep.init) == [.delta(101)])
        let steps = driver.feed(.diff(102, 102, "b10@3")).map(BookStep.init)
        #expect(steps == [.delta(102), resyncing(.auditDivergence(levels: 4)), .request])
        #expect(driver.sync.lastAuditDivergence == 4)
    }

    @Test("audit behind the book, or jumped over, is skipped")
    func auditSkipped() {
        var driver = BookDriver(binance)
        driver.feed(.start)
        driver.feed(.snapshot(100, stream: false))
        driver.feed(.diff(101, 101))
        #expect(driver.sync.audit(bookSnapshot(100, "b1@1 a2@1"), depth: 2) == BookAuditReport(divergence: nil))
        #expect(driver.sync.audit(bookSnapshot(103, "b1@1 a2@1"), depth: 2).deferred)
        #expect(driver.feed(.diff(102, 105)).map(BookStep.init) == [.delta(105)])
        #expect(driver.sync.auditsSkipped == 2)
        #expect(driver.sync.state == .synced)
    }

    @Test("whitebit audit compares within the window at once")
    func auditWhitebit() {
        var driver = BookDriver(whitebit)
        driver.feed(.start)
        driver.feed(.snapshot(100, stream: true))
        let report = driver.sync.audit(bookSnapshot(0, "b10@1 b9@1 b8@1 a11@1 a12@1 a13@1"), depth: 50)
        #expect(report == BookAuditReport(divergence: 0))
    }

    // MARK: - Property

    @Test(
        "randomised: whenever synced, the book is the true book at its id",
        arguments: [binance, bybit, BookSyncRule.streamSnapshotThenIncremental(depth: 5)], [false, true])
    func property(rule: BookSyncRule, perturbed: Bool) throws {
        var random = BookRandom(seed: 0x0B00_C5EE_D000 &+ (perturbed ? 1 : 0))
        let exchange = BookExchange(rule: rule, steps: 1_500, using: &random)
        var driver = BookDriver(rule, .init(maxBufferedDeltas: 50, maxSnapshotFailures: 4))
        var checks = 0

        func check(_ driver: BookDriver) throws {
            let book = driver.sync.book
            // The readable book is always some true book (synced or the last good one), never a corrupted one.
            if book.updateID != 0 || !book.isEmpty {
                let truth = try #require(exchange.history[book.updateID], "no true book at \(book.updateID)")
                #expect(book.bids == truth.bids && book.asks == truth.asks, "book at \(book.updateID) differs")
            }
            guard driver.sync.state == .synced else { return }
            #expect(driver.downstream.hasSameLevels(as: book), "downstream differs at \(book.updateID)")
            checks += 1
        }

        var pendingIn: Int?
        func scheduleIfRequested(_ actions: [BookAction]) {
            for action in actions {
                switch action {
                case .requestSnapshot, .resubscribe: pendingIn = Int.random(in: 0...4, using: &random)
                case .publishSnapshot, .publishDelta, .stateChanged: break
                }
            }
        }

        scheduleIfRequested(driver.feed(.start))
        if rule.snapshotsFromStream { pendingIn = Int.random(in: 0...4, using: &random) }  // the subscription
        var cursor = 0
        while cursor < exchange.deltas.count {
            if let due = pendingIn, due <= 0 {
                pendingIn = nil
                if perturbed, Int.random(in: 0..<10, using: &random) == 0 {
                    scheduleIfRequested(driver.feed(.failed))
                } else {
                    let id: UInt64
                    if rule.snapshotsFromStream {
                        // The stream sends it in place: it covers everything before the next delta.
                        id = exchange.id(before: cursor)
                    } else {
                        // The REST answer is a little ahead of the stream, or (perturbed) stale.
                        let lead =
                            perturbed ? Int.random(in: -8...3, using: &random) : Int.random(in: 0...3, using: &random)
                        id = exchange.id(before: min(max(cursor + lead, 0), exchange.deltas.count))
                    }
                    let truth = exchange.history[id]!
                    let snapshot = BookSnapshot(
                        market: bookMarket, updateID: id, time: nil, receivedAt: bookClock, bids: truth.bids,
                        asks: truth.asks)
                    let actions = driver.sync.receive(snapshot: snapshot, fromStream: rule.snapshotsFromStream)
                    driver.follow(actions)
                    scheduleIfRequested(actions)
                }
                try check(driver)
            }
            if rule.snapshotsFromStream, perturbed, Int.random(in: 0..<50, using: &random) == 0 {
                // An unsolicited snapshot (Bybit re-push, WhiteBIT keep-alive).
                let id = exchange.id(before: cursor)
                let truth = exchange.history[id]!
                driver.follow(
                    driver.sync.receive(
                        snapshot: BookSnapshot(
                            market: bookMarket, updateID: id, time: nil, receivedAt: bookClock, bids: truth.bids,
                            asks: truth.asks),
                        fromStream: true))
                try check(driver)
            }
            var deliveries: [BookDelta] = []
            let roll = perturbed ? Int.random(in: 0..<100, using: &random) : 99
            switch roll {
            case 0..<3:
                cursor += 1  // lost
            case 3..<7 where cursor > 0:
                deliveries = [exchange.deltas[Int.random(in: max(0, cursor - 5)..<cursor, using: &random)]]
            case 7..<10 where cursor + 1 < exchange.deltas.count:
                deliveries = [exchange.deltas[cursor + 1], exchange.deltas[cursor]]
                cursor += 2
            default:
                deliveries = [exchange.deltas[cursor]]
                cursor += 1
            }
            for delta in deliveries {
                let actions = driver.sync.receive(delta)
                driver.follow(actions)
                scheduleIfRequested(actions)
                try check(driver)
            }
            if let due = pendingIn { pendingIn = due - 1 }
        }
        #expect(checks > exchange.deltas.count / 3, "synced too rarely: \(checks) checks")
        if !perturbed {
            #expect(driver.sync.resyncs == 0 && driver.sync.gaps == 0)
            #expect(driver.sync.state == .synced)
        } else {
            #expect(driver.sync.resyncs > 0, "the perturbations never forced a resync")
        }
    }
}

private func resyncAction(_ reason: ResyncReason) -> BookAction { .stateChanged(.resyncing(reason: reason)) }

// MARK: - The simulated exchange

/// SplitMix64, seeded, so a failing run replays.
private struct BookRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A true book evolving by random level changes, with the updates an exchange of `rule` would send and the
/// book (as the client should see it) at every id. Its own dictionaries, not `OrderBook`, are the reference.
private struct BookExchange {
    var deltas: [BookDelta] = []
    var history: [UInt64: (bids: [BookLevel], asks: [BookLevel])] = [:]
    let startID: UInt64 = 1_000

    /// The id the book has just before `deltas[index]` (after all of them when `index == deltas.count`).
    func id(before index: Int) -> UInt64 { index == 0 ? startID : deltas[index - 1].lastUpdateID }

    init(rule: BookSyncRule, steps: Int, using random: inout BookRandom) {
        // Bid ticks 1...60, ask ticks 61...120: the true book never crosses.
        var bids: [Int: Int] = [:]
        var asks: [Int: Int] = [:]
        for tick in 40...60 where Bool.random(using: &random) { bids[tick] = Int.random(in: 1...9, using: &random) }
        for tick in 61...80 where Bool.random(using: &random) { asks[tick] = Int.random(in: 1...9, using: &random) }
        let window: Int? = if case .streamSnapshotThenIncremental(let depth) = rule { depth } else { nil }

        func price(_ tick: Int) -> ExactDecimal { ExactDecimal(mantissa: Int128(tick) * 100, scale: 2)! }
        func sides(_ bids: [Int: Int], _ asks: [Int: Int]) -> (bids: [BookLevel], asks: [BookLevel]) {
            var bidLevels = bids.sorted { $0.key > $1.key }.map {
                BookLevel(price: price($0.key), quantity: .init(mantissa: Int128($0.value), scale: 0)!)
            }
            var askLevels = asks.sorted { $0.key < $1.key }.map {
                BookLevel(price: price($0.key), quantity: .init(mantissa: Int128($0.value), scale: 0)!)
            }
            if let window {
                bidLevels = Array(bidLevels.prefix(window))
                askLevels = Array(askLevels.prefix(window))
            }
            return (bidLevels, askLevels)
        }

        var id = startID
        history[id] = sides(bids, asks)
        while deltas.count < steps {
            let before = sides(bids, asks)
            // Binance merges several ids into one diff; the others send one id per update.
            let span = rule == .restSnapshotThenDiffs ? Int.random(in: 1...3, using: &random) : 1
            var changed: [Int: Int] = [:]  // signed tick (negative = ask) → new quantity
            for _ in 0..<span {
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    let isBid = Bool.random(using: &random)
                    // Mostly near the top, sometimes deep.
                    let distance = Int.random(in: 0...(Bool.random(using: &random) ? 6 : 40), using: &random)
                    let tick = isBid ? 60 - distance : 61 + distance
                    let quantity =
                        Int.random(in: 0...3, using: &random) == 0 ? 0 : Int.random(in: 1...9, using: &random)
                    if isBid {
                        bids[tick] = quantity == 0 ? nil : quantity
                    } else {
                        asks[tick] = quantity == 0 ? nil : quantity
                    }
                    changed[isBid ? tick : -tick] = quantity
                }
            }
            let after = sides(bids, asks)
            var deltaBids: [BookLevel] = []
            var deltaAsks: [BookLevel] = []
            if window != nil {
                // WhiteBIT sends what changed in the window; levels pushed out are left to the client.
                (deltaBids, deltaAsks) = (
                    Self.windowChanges(before.bids, after.bids, full: bids, price: price),
                    Self.windowChanges(before.asks, after.asks, full: asks, price: price)
                )
                if deltaBids.isEmpty, deltaAsks.isEmpty { continue }
            } else {
                for (signed, quantity) in changed {
                    let level = BookLevel(
                        price: price(abs(signed)), quantity: .init(mantissa: Int128(quantity), scale: 0)!)
                    if signed > 0 { deltaBids.append(level) } else { deltaAsks.append(level) }
                }
            }
            let first = id + 1
            id += UInt64(span)
            deltas.append(
                BookDelta(
                    market: bookMarket, firstUpdateID: rule == .restSnapshotThenDiffs ? first : id, lastUpdateID: id,
                    previousUpdateID: window == nil ? nil : first - 1, time: nil, receivedAt: bookClock,
                    bids: deltaBids, asks: deltaAsks))
            history[id] = after
        }
    }

    /// Levels of `after` that are new or changed, and levels of `before` that left the book entirely.
    private static func windowChanges(
        _ before: [BookLevel], _ after: [BookLevel], full: [Int: Int], price: (Int) -> ExactDecimal
    ) -> [BookLevel] {
        var result = after.filter { level in !before.contains(level) }
        for level in before where !after.contains(where: { $0.price == level.price }) {
            let tick = Int(level.price.rescaled(to: 0)!.mantissa)
            if full[tick] == nil { result.append(BookLevel(price: level.price, quantity: .zero)) }
        }
        return result
    }
}
