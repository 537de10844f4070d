import CryptodModel
import CryptodWire
import NIOCore

// Encode and decode rates for the messages that dominate a market-data link. Each case encodes a stream of
// frames into one reused buffer (as a sender batching writes does) and decodes the same stream frame by frame
// (as a receiver reading a socket buffer does). Best of several rounds, so a busy machine skews it less.

@main
struct WireBench {
    struct Case {
        var name: String
        var message: Message
    }

    static let market = MarketKey(exchange: .binance, type: .spot, symbol: "BTCUSDT")
    static let time = Timestamp(milliseconds: 1_700_000_000_123)

    static func trade(_ index: Int) -> Trade {
        Trade(
            market: market, id: String(3_213_746_412 + index),
            price: ExactDecimal(mantissa: 3_716_001_000_000 + Int128(index), scale: 8)!,
            quantity: ExactDecimal(mantissa: 150_000 + Int128(index), scale: 8)!,
            side: index.isMultiple(of: 2) ? .buy : .sell,
            time: time, receivedAt: time.advanced(byNanoseconds: 2_456_789))
    }

    static func level(_ index: Int) -> BookLevel {
        BookLevel(
            price: ExactDecimal(mantissa: 3_716_000 - Int128(index), scale: 2)!,
            quantity: ExactDecimal(mantissa: 1_234_567 + Int128(index), scale: 6)!)
    }

    static var ticker: Ticker {
        var ticker = Ticker(market: market, time: time, receivedAt: time.advanced(byNanoseconds: 1_000_000))
        let price: ExactDecimal = "37160.01000000"
        ticker.last = price
        ticker.lastQuantity = "0.00150000"
        ticker.bid = "37160.00000000"
        ticker.bidQuantity = "1.20000000"
        ticker.ask = price
        ticker.askQuantity = "0.30000000"
        ticker.open = "36500.00000000"
        ticker.high = "37400.00000000"
        ticker.low = "36310.55000000"
        ticker.volume = "31522.04719000"
        ticker.quoteVolume = "1162304119.42385910"
        ticker.changePercent = "1.808"
        return ticker
    }

    static let cases: [Case] = [
        Case(name: "trades, batch of 1", message: .trades([trade(0)])),
        Case(name: "trades, batch of 100", message: .trades((0..<100).map(trade))),
        Case(
            name: "bookDelta, 20+20 levels",
            message: .bookDelta(
                BookDelta(
                    market: market, firstUpdateID: 40_123_456_790, lastUpdateID: 40_123_456_795,
                    sequence: 9_876_543_210,
                    time: time, receivedAt: time, bids: (0..<20).map(level), asks: (0..<20).map(level)))),
        Case(name: "ticker, all fields", message: .ticker(ticker)),
    ]

    struct Rate {
        var framesPerSecond: Double
        var bytesPerSecond: Double
    }

    /// Runs `body` (which handles `frames` frames of `frameSize` bytes) for `rounds` rounds; the best rate.
    static func measure(rounds: Int, frames: Int, frameSize: Int, _ body: () -> Int) -> (Rate, Int) {
        let clock = ContinuousClock()
        var best = Duration.seconds(1_000)
        var checksum = 0
        for _ in 0..<rounds {
            let start = clock.now
            checksum &+= body()
            best = min(best, clock.now - start)
        }
        let seconds = Double(best.components.seconds) + Double(best.components.attoseconds) / 1e18
        let rate = Rate(framesPerSecond: Double(frames) / seconds, bytesPerSecond: Double(frames * frameSize) / seconds)
        return (rate, checksum)
    }

    /// `value` right-aligned in `width`, with thousands separators, or one decimal when under 1,000.
    static func format(_ value: Double, width: Int) -> String {
        var text: String
        if value < 1_000 {
            let tenths = Int((value * 10).rounded())
            text = "\(tenths / 10).\(tenths % 10)"
        } else {
            let digits = Array(String(Int(value.rounded())))
            text = ""
            for (index, digit) in digits.enumerated() {
                if index > 0, (digits.count - index).isMultiple(of: 3) { text += "," }
                text.append(digit)
            }
        }
        return String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count))
    }

    static func main() {
        let arguments = CommandLine.arguments.dropFirst()
        let scale = arguments.first.flatMap(Double.init) ?? 1
        let rounds = 7
        print(
            "cryptod wire protocol v\(WireProtocol.version): encode/decode rates, best of \(rounds) rounds, one thread")
        print(
            pad("message", 26) + pad("frame B", 10) + pad("encode frames/s", 17) + pad("encode MB/s", 13)
                + pad("decode frames/s", 17) + "decode MB/s")
        var checksum = 0
        for benchmark in cases {
            var one = ByteBuffer()
            Frame.write(benchmark.message, sequence: 1, to: &one)
            let frameSize = one.readableBytes
            // Enough frames for ~8 MB of wire per round (scaled by the optional argument), at least 2,000.
            let frames = max(2_000, Int(Double(8_000_000 / frameSize) * scale))

            var output = ByteBuffer()
            output.reserveCapacity(frames * frameSize)
            let (encode, encodeCheck) = measure(rounds: rounds, frames: frames, frameSize: frameSize) {
                output.clear()
                for sequence in 1...UInt64(frames) { Frame.write(benchmark.message, sequence: sequence, to: &output) }
                return output.readableBytes
            }

            let stream = output
            let (decode, decodeCheck) = measure(rounds: rounds, frames: frames, frameSize: frameSize) {
                var input = stream
                var decoded = 0
                while let frame = try? Frame.read(from: &input, maxPayload: WireProtocol.defaultMaxFrameBytes) {
                    guard let message = try? Message(frame: frame) else { fatalError("benchmark frame did not decode") }
                    if message.type == benchmark.message.type { decoded += 1 }
                }
                precondition(decoded == frames, "decoded \(decoded) of \(frames) frames")
                return decoded
            }
            checksum &+= encodeCheck &+ decodeCheck

            print(
                pad(benchmark.name, 26) + pad(String(frameSize), 10)
                    + pad(format(encode.framesPerSecond, width: 14), 17)
                    + pad(format(encode.bytesPerSecond / 1e6, width: 10), 13)
                    + pad(format(decode.framesPerSecond, width: 14), 17)
                    + format(decode.bytesPerSecond / 1e6, width: 10))
        }
        // Printed so the optimiser cannot drop the work.
        print("(checksum \(checksum))")
    }
}
