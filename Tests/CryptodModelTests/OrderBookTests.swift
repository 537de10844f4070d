import CryptodModel
import Testing

private let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")
private let at = Timestamp(milliseconds: 1_800_000_000_000)

private func d(_ text: String) -> ExactDecimal { ExactDecimal(text)! }
private func level(_ price: String, _ quantity: String) -> BookLevel {
    BookLevel(price: d(price), quantity: d(quantity))
}

private func snapshot(_ id: UInt64, bids: [BookLevel], asks: [BookLevel]) -> BookSnapshot {
    BookSnapshot(market: market, updateID: id, time: nil, receivedAt: at, bids: bids, asks: asks)
}

private func delta(_ id: UInt64, bids: [BookLevel] = [], asks: [BookLevel] = []) -> BookDelta {
    BookDelta(
        market: market, firstUpdateID: id, lastUpdateID: id, time: Timestamp(milliseconds: Int64(id)),
        receivedAt: at, bids: bids, asks: asks)
}

/// Prices with their exact text, best first: what a sink would print.
private func texts(_ levels: [BookLevel]) -> [String] { levels.map { "\($0.price)@\($0.quantity)" } }

@Suite("OrderBook")
struct OrderBookTests {
    @Test("a snapshot keeps its order and its exact text")
    func snapshotRoundTrip() {
        let book = OrderBook(
            snapshot: snapshot(
                7, bids: [level("0.00010000", "5.00"), level("0.00009000", "1")],
                asks: [level("0.00011000", "2"), level("0.00012", "3.0")]))
        #expect(book.updateID == 7)
        #expect(texts(book.bids) == ["0.00010000@5.00", "0.00009000@1"])
        #expect(texts(book.asks) == ["0.00011000@2", "0.00012@3.0"])
        #expect(book.bestBid?.price.description == "0.00010000")
        #expect(book.bestAsk?.price.description == "0.00011000")
        #expect(!book.isCrossed)
        let back = book.snapshot(depth: nil, receivedAt: at)
        #expect(back == snapshot(7, bids: book.bids, asks: book.asks))
        #expect(texts(back.bids) == texts(book.bids))
    }

    @Test("an unsorted snapshot with repeats and zeros is normalised")
    func unsortedSnapshot() {
        let book = OrderBook(
            snapshot: snapshot(
                1, bids: [level("9", "1"), level("11", "1"), level("10", "0"), level("9.0", "4")],
                asks: [level("14", "1"), level("12", "2"), level("13", "0")]))
        #expect(texts(book.bids) == ["11@1", "9.0@4"])
        #expect(texts(book.asks) == ["12@2", "14@1"])
    }

    @Test("apply inserts, overwrites with the new text, and removes on zero")
    func applyDelta() {
        var book = OrderBook(
            snapshot: snapshot(
                1, bids: [level("10", "1"), level("9", "1")], asks: [level("11", "1"), level("12", "1")]))
        book.apply(
            delta(
                2, bids: [level("10.00", "3"), level("9.5", "2"), level("9", "0"), level("8", "0")],
                asks: [level("11.5", "7"), level("13", "1")]))
        #expect(texts(book.bids) == ["10.00@3", "9.5@2"])
        #expect(texts(book.asks) == ["11@1", "11.5@7", "12@1", "13@1"])
        #expect(book.updateID == 2)
        #expect(book.time == Timestamp(milliseconds: 2))
        #expect(book.quantity(at: d("10.0"), side: .bid) == d("3"))
        #expect(book.quantity(at: d("9"), side: .bid) == nil)
    }

    @Test("set returns the previous level, so a change can be undone")
    func setUndo() {
        var book = OrderBook(snapshot: snapshot(1, bids: [level("10", "1")], asks: [level("11", "1")]))
        let original = book
        let previous = book.set(level("10", "0"), side: .bid)
        #expect(previous == level("10", "1"))
        #expect(book.bidCount == 0)
        book.set(previous!, side: .bid)
        let inserted = book.set(level("10.5", "2"), side: .bid)
        #expect(inserted == nil)
        book.set(level("10.5", "0"), side: .bid)
        #expect(book == original)
    }

    @Test("crossed when the best bid reaches the best ask")
    func crossed() {
        var book = OrderBook(snapshot: snapshot(1, bids: [level("10", "1")], asks: [level("11", "1")]))
        #expect(!book.isCrossed)
        book.apply(delta(2, bids: [level("11.0", "1")]))
        #expect(book.isCrossed)
        book.apply(delta(3, bids: [level("11", "0")], asks: [level("10.5", "1")]))
        #expect(book.isCrossed == false)
        #expect(OrderBook(market: market).isCrossed == false)
    }

    @Test("truncate keeps the best and returns the dropped levels best first")
    func truncate() {
        var book = OrderBook(
            snapshot: snapshot(
                1, bids: [level("10", "1"), level("9", "1"), level("8", "1")],
                asks: [level("11", "1"), level("12", "1"), level("13", "1")]))
        let removed = book.truncate(depth: 1)
        #expect(texts(removed.bids) == ["9@1", "8@1"])
        #expect(texts(removed.asks) == ["12@1", "13@1"])
        #expect(texts(book.bids) == ["10@1"])
        #expect(texts(book.asks) == ["11@1"])
        #expect(book.truncate(depth: 5) == ([], []))
        let top = book.top(3)
        #expect(top.bids.count == 1 && top.asks.count == 1)
    }

    @Test("top and a depth-limited snapshot")
    func top() {
        let book = OrderBook(
            snapshot: snapshot(
                4, bids: [level("10", "1"), level("9", "2"), level("8", "3")],
                asks: [level("11", "1"), level("12", "2"), level("13", "3")]))
        let top = book.top(2)
        #expect(texts(top.bids) == ["10@1", "9@2"])
        #expect(texts(top.asks) == ["11@1", "12@2"])
        let limited = book.snapshot(depth: 1, receivedAt: at)
        #expect(texts(limited.bids) == ["10@1"] && texts(limited.asks) == ["11@1"] && limited.updateID == 4)
        #expect(book.top(0) == ([], []))
    }

    @Test(
        "divergence counts differing price positions, not shifted indexes",
        arguments: [
            // (their bids, their asks, depth, expected)
            (["10@1", "9@2", "8@3"], ["11@1", "12@2", "13@3"], 3, 0),
            (["10@1", "9@5", "8@3"], ["11@1", "12@2", "13@3"], 3, 1),  // quantity differs
            (["10.5@1", "10@1", "9@2"], ["11@1", "12@2", "13@3"], 3, 1),  // one level missing here
            (["9@2", "8@3"], ["11@1", "12@2", "13@3"], 3, 1),  // one extra level here
            (["10@1", "9@2", "8@3"], ["11@1", "12@2"], 3, 1),  // their side is shorter
            (["1@1"], ["99@1"], 2, 4),
            (["10@1", "9@2", "8@3"], ["11@1", "12@2", "13@3"], 0, 0),
        ])
    func divergence(bids: [String], asks: [String], depth: Int, expected: Int) {
        func parse(_ items: [String]) -> [BookLevel] {
            items.map { item in
                let parts = item.split(separator: "@")
                return level(String(parts[0]), String(parts[1]))
            }
        }
        let book = OrderBook(
            snapshot: snapshot(
                4, bids: [level("10", "1"), level("9", "2"), level("8", "3")],
                asks: [level("11", "1"), level("12", "2"), level("13", "3")]))
        #expect(book.divergence(from: snapshot(4, bids: parse(bids), asks: parse(asks)), depth: depth) == expected)
    }

    @Test("a level too wide to pack turns its side wide, exactly, until a snapshot without one")
    func wideLevels() {
        #expect(OrderBook.bytesPerPackedLevel == 16 && OrderBook.bytesPerWideLevel == 64)
        var book = OrderBook(
            snapshot: snapshot(
                1, bids: [level("10.00", "1.5"), level("9.00", "2")], asks: [level("11.00", "1"), level("12.00", "3")]))
        #expect(book.isPacked)
        // A mantissa under 2^58 and a scale up to 31 pack; 2^58, or 32 decimals, do not.
        book.set(level("9.50", "2882303761517117.43"), side: .bid)
        book.set(level("12.50", "0.0000000000000000000000000000001"), side: .ask)
        #expect(book.isPacked)
        book.set(level("12.50", "0.00000000000000000000000000000001"), side: .ask)
        #expect(!book.isPacked)
        #expect(texts(book.asks) == ["11.00@1", "12.00@3", "12.50@0.00000000000000000000000000000001"])
        book.replace(
            with: snapshot(
                1, bids: [level("10.00", "1.5"), level("9.50", "2882303761517117.43"), level("9.00", "2")],
                asks: [level("11.00", "1"), level("12.00", "3")]))
        #expect(book.isPacked)
        let previous = book.set(level("9.50", "2882303761517117.44"), side: .bid)
        #expect(!book.isPacked)
        #expect(previous.map { "\($0.price)@\($0.quantity)" } == "9.50@2882303761517117.43")
        #expect(texts(book.bids) == ["10.00@1.5", "9.50@2882303761517117.44", "9.00@2"])
        #expect(texts(book.asks) == ["11.00@1", "12.00@3"])
        // The wide side keeps every operation: overwrite, insert, remove, lookup, truncate.
        book.apply(
            delta(2, bids: [level("10.0", "0.000000000000000000000000000001"), level("9.00", "0"), level("8", "4")]))
        #expect(texts(book.bids) == ["10.0@0.000000000000000000000000000001", "9.50@2882303761517117.44", "8@4"])
        #expect(book.quantity(at: d("9.5"), side: .bid)?.description == "2882303761517117.44")
        #expect(book.truncate(depth: 2).bids.map(\.price.description) == ["8"])
        #expect(book.bestBid?.quantity.description == "0.000000000000000000000000000001")
        // Equal levels are equal whatever the layout.
        let packed = OrderBook(
            snapshot: snapshot(2, bids: [level("10", "1")], asks: [level("11.00", "1"), level("12.00", "3")]))
        var wide = packed
        wide.set(level("1", "123456789012345678901234567890"), side: .bid)
        wide.set(level("1", "0"), side: .bid)
        #expect(!wide.isPacked && packed.isPacked)
        #expect(wide.hasSameLevels(as: packed) && wide == packed && wide.hashValue == packed.hashValue)
        // A snapshot that fits packs the book again.
        wide.replace(with: snapshot(3, bids: [level("10", "1")], asks: [level("11", "1")]))
        #expect(wide.isPacked)
        // A snapshot that does not is stored wide from the start, its text exact.
        let big = OrderBook(
            snapshot: snapshot(
                4, bids: [level("1", "1")], asks: [level("99999999999999999999.5", "7"), level("2", "1")]))
        #expect(!big.isPacked)
        #expect(texts(big.asks) == ["2@1", "99999999999999999999.5@7"])
        #expect(texts(big.bids) == ["1@1"])
    }

    @Test("random updates match a dictionary reference", arguments: [false, true])
    func randomAgainstReference(wide: Bool) {
        var random = SeededRandom(seed: SeededRandom.propertySeed)
        var book = OrderBook(market: market)
        if wide {
            // A worst level on each side too wide to pack: every update below runs on the wide layout.
            book.replace(
                with: snapshot(
                    0, bids: [level("0.5", "1234567890123456789")], asks: [level("2000", "1234567890123456789")]))
        }
        var reference: [OrderBook.Side: [Int: Int]] = [.bid: [:], .ask: [:]]
        for step in 1...2_000 {
            var bids: [BookLevel] = []
            var asks: [BookLevel] = []
            for _ in 0..<Int.random(in: 1...20, using: &random) {
                let side: OrderBook.Side = Bool.random(using: &random) ? .bid : .ask
                // Bids 1...500 ticks, asks 501...1000: never crossed. Written at two scales.
                let tick =
                    side == .bid ? Int.random(in: 1...500, using: &random) : Int.random(in: 501...1_000, using: &random)
                let quantity = Int.random(in: 0...3, using: &random)
                let price =
                    Bool.random(using: &random)
                    ? ExactDecimal(mantissa: Int128(tick), scale: 0)!
                    : ExactDecimal(mantissa: Int128(tick) * 10, scale: 1)!
                let entry = BookLevel(price: price, quantity: ExactDecimal(mantissa: Int128(quantity), scale: 0)!)
                if side == .bid { bids.append(entry) } else { asks.append(entry) }
                reference[side]![tick] = quantity == 0 ? nil : quantity
            }
            book.apply(delta(UInt64(step), bids: bids, asks: asks))
            #expect(!book.isCrossed)
            // Comparing every step is slow in debug builds; every 20th (and the last) catches any divergence.
            guard step % 20 == 0 else { continue }
            let expectedBids = reference[.bid]!.sorted { $0.key > $1.key }.map { [$0.key, $0.value] }
            let expectedAsks = reference[.ask]!.sorted { $0.key < $1.key }.map { [$0.key, $0.value] }
            func ticks(_ levels: [BookLevel]) -> [[Int]] {
                levels.map { [Int($0.price.rescaled(to: 0)!.mantissa), Int($0.quantity.mantissa)] }
            }
            // Without the wide worst levels (0.5 has no whole number of ticks).
            let bidLevels = wide ? Array(book.bids.dropLast()) : book.bids
            let askLevels = wide ? Array(book.asks.dropLast()) : book.asks
            #expect(ticks(bidLevels) == expectedBids)
            #expect(ticks(askLevels) == expectedAsks)
            #expect(book.isPacked == !wide)
            if ticks(bidLevels) != expectedBids { return }
        }
    }
}
