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
