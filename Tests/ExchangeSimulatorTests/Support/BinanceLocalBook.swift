import Foundation

/// The local order book procedure of binance.md §5, written from the documentation for the tests.
struct BinanceLocalBook {
    enum Outcome: Equatable {
        case applied
        case ignored
        /// `U` > book id + 1: an update is missing; the book must be discarded.
        case gap(expected: Int64, got: Int64)
    }

    struct DiffEvent {
        var first: Int64
        var last: Int64
        var bids: [[String]]
        var asks: [[String]]

        init?(_ object: [String: Any]) {
            guard object["e"] as? String == "depthUpdate", let first = (object["U"] as? NSNumber)?.int64Value,
                let last = (object["u"] as? NSNumber)?.int64Value, let bids = object["b"] as? [[String]],
                let asks = object["a"] as? [[String]]
            else { return nil }
            self.first = first
            self.last = last
            self.bids = bids
            self.asks = asks
        }
    }

    var bids: [String: String] = [:]
    var asks: [String: String] = [:]
    var id: Int64 = 0

    /// Step 5: install the snapshot.
    init(snapshot: [String: Any]) {
        self.id = (snapshot["lastUpdateId"] as? NSNumber)?.int64Value ?? 0
        for level in snapshot["bids"] as? [[String]] ?? [] { self.bids[level[0]] = level[1] }
        for level in snapshot["asks"] as? [[String]] ?? [] { self.asks[level[0]] = level[1] }
    }

    /// Step 6 for one event.
    mutating func apply(_ event: DiffEvent) -> Outcome {
        if event.last <= self.id { return .ignored }
        if event.first > self.id + 1 { return .gap(expected: self.id + 1, got: event.first) }
        for level in event.bids { Self.set(&self.bids, level) }
        for level in event.asks { Self.set(&self.asks, level) }
        self.id = event.last
        return .applied
    }

    private static func set(_ side: inout [String: String], _ level: [String]) {
        if Double(level[1]) == 0 { side[level[0]] = nil } else { side[level[0]] = level[1] }
    }

    /// Opens the diff stream, buffers, fetches the snapshot (again while it is older than the first
    /// buffered `U`), drops what it covers and applies the rest: steps 1–6.
    static func synchronise(
        port: Int, socket: TestWebSocket, symbol: String
    ) async throws -> (book: BinanceLocalBook, pending: Int) {
        var buffered: [DiffEvent] = []
        guard let first = await socket.nextObject(timeout: .seconds(15)).flatMap(DiffEvent.init) else {
            throw TestWebSocket.Failure(description: "no depth event")
        }
        buffered.append(first)
        var snapshot: [String: Any] = [:]
        for _ in 0..<10 {
            let (_, body) = try await TestHTTP.json(port: port, path: "/api/v3/depth?symbol=\(symbol)&limit=5000")
            snapshot = body as? [String: Any] ?? [:]
            let lastUpdateId = (snapshot["lastUpdateId"] as? NSNumber)?.int64Value ?? 0
            if lastUpdateId >= first.first { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        var book = BinanceLocalBook(snapshot: snapshot)
        // Keep buffering until an event reaches past the snapshot.
        while buffered.last.map({ $0.last <= book.id }) ?? true {
            guard let event = await socket.nextObject(timeout: .seconds(15)).flatMap(DiffEvent.init) else {
                throw TestWebSocket.Failure(description: "stream stalled while buffering")
            }
            buffered.append(event)
        }
        buffered.removeAll { $0.last <= book.id }
        guard let firstRemaining = buffered.first, firstRemaining.first <= book.id + 1,
            firstRemaining.last >= book.id + 1
        else {
            throw TestWebSocket.Failure(description: "first buffered event does not straddle lastUpdateId \(book.id)")
        }
        for event in buffered {
            if case .gap = book.apply(event) {
                throw TestWebSocket.Failure(description: "gap while applying the buffer")
            }
        }
        return (book, buffered.count)
    }
}
