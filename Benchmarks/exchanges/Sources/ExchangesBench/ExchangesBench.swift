import CryptodExchanges
import CryptodModel
import Foundation

// Stream-parse rates for the Binance messages that dominate an ingestor: depth diffs (5 and 20 levels a
// side), trades and 24 h tickers, as they arrive on `/stream` (combined envelope). Each case cycles through
// 256 distinct variants (other prices, ids and times) so branch predictors cannot learn one message. Our
// parser produces the full StreamEvent (exact decimals, market keys); Foundation's JSONSerialization only
// builds its `[String: Any]` tree, so its rate is an upper bound for any Foundation-based adapter. Best of
// several rounds, so a busy machine skews it less; rates per CPU-second of the thread are printed beside
// wall-clock rates.

@main
struct ExchangesBench {
    struct Case {
        var name: String
        var variants: [[UInt8]]
    }

    static let variantCount = 256
    static let rounds = 5

    /// CPU time this thread has used, in seconds (steadier than wall time when other jobs share the cores).
    static func threadCPUSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    static func price(_ base: Int, _ index: Int, scale: Int = 8) -> String {
        let mantissa = base + index
        let text = String(mantissa)
        let padded = String(repeating: "0", count: max(0, scale + 1 - text.count)) + text
        let cut = padded.index(padded.endIndex, offsetBy: -scale)
        return String(padded[..<cut]) + "." + String(padded[cut...])
    }

    static func depth(levels: Int, variant v: Int) -> String {
        let bids = (0..<levels).map {
            #"["\#(price(3_716_000_000_000 - $0 * 1_000_000, v))","\#(price(12_345_678 + $0 * 7, v))"]"#
        }
        let asks = (0..<levels).map {
            #"["\#(price(3_716_010_000_000 + $0 * 1_000_000, v))","\#(price(2_345_678 + $0 * 11, v))"]"#
        }
        let first = 40_123_456_790 + v * 10
        return
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":\#(1_700_000_000_123 + v),"s":"BTCUSDT","U":\#(first),"u":\#(first + 9),"b":[\#(bids.joined(separator: ","))],"a":[\#(asks.joined(separator: ","))]}}"#
    }

    static func trade(variant v: Int) -> String {
        #"{"stream":"btcusdt@trade","data":{"e":"trade","E":\#(1_700_000_000_123 + v),"s":"BTCUSDT","t":\#(3_213_746_412 + v),"p":"\#(price(3_716_001_000_000, v))","q":"\#(price(150_000, v))","T":\#(1_700_000_000_120 + v),"m":\#(v % 2 == 0),"M":true}}"#
    }

    static func ticker(variant v: Int) -> String {
        #"{"stream":"btcusdt@ticker","data":{"e":"24hrTicker","E":\#(1_700_000_000_123 + v),"s":"BTCUSDT","p":"\#(price(66_001_000_000, v))","P":"1.808","w":"\#(price(3_687_233_000_000, v))","x":"\#(price(3_650_000_000_000, v))","c":"\#(price(3_716_001_000_000, v))","Q":"\#(price(150_000, v))","b":"\#(price(3_716_000_000_000, v))","B":"\#(price(120_000_000, v))","a":"\#(price(3_716_001_000_000, v))","A":"\#(price(30_000_000, v))","o":"\#(price(3_650_000_000_000, v))","h":"\#(price(3_740_000_000_000, v))","l":"\#(price(3_631_055_000_000, v))","v":"\#(price(3_152_204_719_000, v))","q":"\#(price(116_230_411_942_385_910, v))","O":\#(1_699_913_600_123 + v),"C":\#(1_700_000_000_123 + v),"F":\#(3_212_000_000 + v),"L":\#(3_213_746_412 + v),"n":\#(1_746_413 + v)}}"#
    }

    static let cases: [Case] = [
        Case(
            name: "depthUpdate 5+5 levels",
            variants: (0..<variantCount).map { Array(depth(levels: 5, variant: $0).utf8) }),
        Case(
            name: "depthUpdate 20+20 levels",
            variants: (0..<variantCount).map { Array(depth(levels: 20, variant: $0).utf8) }),
        Case(name: "trade", variants: (0..<variantCount).map { Array(trade(variant: $0).utf8) }),
        Case(name: "24hrTicker", variants: (0..<variantCount).map { Array(ticker(variant: $0).utf8) }),
    ]

    static func main() throws {
        let iterations = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 400_000
        let api = BinanceAPI()
        let context = StreamContext(type: .spot)
        let receivedAt = Timestamp(milliseconds: 1_700_000_000_200)

        print(
            "Binance stream parse, release, single thread, best of \(rounds) rounds (\(iterations) messages per round)")
        print("msg/s by wall clock and per CPU-second of this thread (the latter is steadier on a shared machine)")
        print(pad("", 33) + pad("cryptod", 30) + "Foundation JSONSerialization")
        print(
            pad("message", 26) + pad("bytes", 7) + pad("wall/s", 11) + pad("CPU/s", 11) + pad("MB/s", 8)
                + pad("wall/s", 11) + pad("CPU/s", 11) + pad("MB/s", 8) + "speed-up")

        for benchCase in cases {
            // Check once that every variant parses (and Foundation agrees it is JSON).
            for bytes in benchCase.variants {
                var events: [StreamEvent] = []
                try bytes.withUnsafeBytes {
                    try api.parseStreamMessage($0, context: context, receivedAt: receivedAt, into: &events)
                }
                precondition(events.count == 1, "\(benchCase.name) produced \(events)")
                _ = try JSONSerialization.jsonObject(with: Data(bytes))
            }
            let averageBytes = benchCase.variants.map(\.count).reduce(0, +) / benchCase.variants.count

            var ours = Duration.seconds(1_000)
            var oursCPU = 1_000.0
            var checksum = 0
            for _ in 0..<rounds {
                var events: [StreamEvent] = []
                events.reserveCapacity(4)
                let start = ContinuousClock.now
                let cpuStart = threadCPUSeconds()
                for index in 0..<iterations {
                    events.removeAll(keepingCapacity: true)
                    try benchCase.variants[index & (variantCount - 1)].withUnsafeBytes {
                        try api.parseStreamMessage($0, context: context, receivedAt: receivedAt, into: &events)
                    }
                    checksum &+= events.count
                }
                oursCPU = min(oursCPU, threadCPUSeconds() - cpuStart)
                ours = min(ours, ContinuousClock.now - start)
            }

            let foundationIterations = max(iterations / 20, 1_000)
            let data = benchCase.variants.map { Data($0) }
            var theirs = Duration.seconds(1_000)
            var theirsCPU = 1_000.0
            for _ in 0..<rounds {
                let start = ContinuousClock.now
                let cpuStart = threadCPUSeconds()
                for index in 0..<foundationIterations {
                    let object = try JSONSerialization.jsonObject(with: data[index & (variantCount - 1)])
                    if let dictionary = object as? [String: Any] { checksum &+= dictionary.count }
                }
                theirsCPU = min(theirsCPU, threadCPUSeconds() - cpuStart)
                theirs = min(theirs, ContinuousClock.now - start)
            }

            let ourRate = Double(iterations) / seconds(ours)
            let ourCPURate = Double(iterations) / oursCPU
            let theirRate = Double(foundationIterations) / seconds(theirs)
            let theirCPURate = Double(foundationIterations) / theirsCPU
            let megabytes = { (rate: Double) in rate * Double(averageBytes) / 1_000_000 }
            print(
                pad(benchCase.name, 26) + pad("\(averageBytes)", 7) + pad(format(ourRate), 11)
                    + pad(format(ourCPURate), 11) + pad(format(megabytes(ourCPURate)), 8) + pad(format(theirRate), 11)
                    + pad(format(theirCPURate), 11) + pad(format(megabytes(theirCPURate)), 8)
                    + String(format: "%.1f×", ourCPURate / theirCPURate))
            if checksum == 42 { print("") }  // keeps the work observable
        }
        bookBench(iterations: iterations)
    }

    // MARK: - Order books

    /// The book's two layouts side by side, on the real ``OrderBook``: packed (24 bytes a level, what every
    /// exchange's digits allow) and wide (``BookLevel``s, 64 bytes, what a side falls back to after a level of
    /// more than 18 digits; forced here by one such level at the worst end of each side). Memory is the RSS
    /// growth of building the books; the rate is levels applied per second from 5+5-level diffs that insert
    /// and then remove levels near the top (top 50) or anywhere in the book.
    static func bookBench(iterations: Int) {
        let books = 100
        let levelsPerSide = 5_000
        let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")
        let at = Timestamp(milliseconds: 1_700_000_000_000)
        func decimal(_ mantissa: Int, _ scale: UInt8 = 8) -> ExactDecimal {
            ExactDecimal(mantissa: Int128(mantissa), scale: scale)!
        }
        // Prices on even ticks of 0.01 (scale 8, as Binance prints them); diffs use the odd ticks between.
        let tick = 1_000_000
        let bestBid = 6_000_000_000_000
        func snapshot(wide: Bool) -> BookSnapshot {
            var bids = (0..<levelsPerSide).map {
                BookLevel(price: decimal(bestBid - $0 * 2 * tick), quantity: decimal(12_345_678 + $0))
            }
            var asks = (0..<levelsPerSide).map {
                BookLevel(price: decimal(bestBid + (2 + $0 * 2) * tick), quantity: decimal(2_345_678 + $0))
            }
            if wide {
                let huge = ExactDecimal(mantissa: 1_234_567_890_123_456_789_015, scale: 1)!
                bids.append(BookLevel(price: decimal(tick), quantity: huge))
                asks.append(BookLevel(price: decimal(bestBid * 10), quantity: huge))
            }
            return BookSnapshot(market: market, updateID: 1, time: nil, receivedAt: at, bids: bids, asks: asks)
        }
        func deltas(spread: Int) -> [BookDelta] {
            var random = SystemRandomNumberGenerator()
            return (0..<512).flatMap { index -> [BookDelta] in
                let offsets = (0..<5).map { _ in Int.random(in: 0..<spread, using: &random) }
                func levels(_ side: Int, _ quantity: Int) -> [BookLevel] {
                    offsets.map {
                        let price = side < 0 ? bestBid - ($0 * 2 + 1) * tick : bestBid + ($0 * 2 + 3) * tick
                        return BookLevel(price: decimal(price), quantity: decimal(quantity))
                    }
                }
                let id = UInt64(index * 2 + 2)
                return [
                    BookDelta(
                        market: market, firstUpdateID: id, lastUpdateID: id, time: nil, receivedAt: at,
                        bids: levels(-1, 777), asks: levels(1, 555)),
                    BookDelta(
                        market: market, firstUpdateID: id + 1, lastUpdateID: id + 1, time: nil, receivedAt: at,
                        bids: levels(-1, 0), asks: levels(1, 0)),
                ]
            }
        }
        let near = deltas(spread: 50)
        let anywhere = deltas(spread: levelsPerSide - 1)
        let applies = max(iterations / 4, 10_000)

        print("")
        print(
            "Order books: \(books) books of \(levelsPerSide)+\(levelsPerSide) levels; 5+5-level diffs inserting and"
                + " removing levels, \(applies) diffs per round, best of \(rounds)")
        print(
            pad("layout", 10) + pad("bytes/level", 13) + pad("RSS MiB", 9) + pad("top 50 levels/s", 17)
                + "anywhere levels/s")
        var results: [(rss: Double, near: Double, anywhere: Double)] = []
        for wide in [false, true] {
            let before = residentBytes()
            var held = (0..<books).map { _ in OrderBook(snapshot: snapshot(wide: wide)) }
            let grown = Double(residentBytes() - before) / 1_048_576
            precondition(held.allSatisfy { $0.isPacked == !wide })
            func rate(_ diffs: [BookDelta]) -> Double {
                var best = 1_000.0
                for _ in 0..<rounds {
                    let cpuStart = threadCPUSeconds()
                    // Each book gets an insert and then the removal of the same levels, so it keeps its size.
                    for index in 0..<(applies / 2) {
                        let pair = (index % (diffs.count / 2)) * 2
                        held[index % books].apply(diffs[pair])
                        held[index % books].apply(diffs[pair + 1])
                    }
                    best = min(best, threadCPUSeconds() - cpuStart)
                }
                precondition(held.allSatisfy { $0.bidCount == levelsPerSide + (wide ? 1 : 0) })
                return Double(applies * 10) / best
            }
            let result = (rss: grown, near: rate(near), anywhere: rate(anywhere))
            results.append(result)
            print(
                pad(wide ? "wide" : "packed", 10)
                    + pad("\(wide ? OrderBook.bytesPerWideLevel : OrderBook.bytesPerPackedLevel)", 13)
                    + pad(String(format: "%.1f", result.rss), 9) + pad(format(result.near), 17)
                    + format(result.anywhere))
            held.removeAll()
        }
        print(
            String(
                format: "packed/wide: memory %.2f, top-50 rate %.2f×, anywhere rate %.2f×",
                results[0].rss / results[1].rss, results[0].near / results[1].near,
                results[0].anywhere / results[1].anywhere))
    }

    /// The process's resident set (statm's second field, in pages).
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        return (fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func format(_ value: Double) -> String {
        value >= 10_000 ? String(Int(value.rounded())) : String(format: "%.1f", value)
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
    }
}
