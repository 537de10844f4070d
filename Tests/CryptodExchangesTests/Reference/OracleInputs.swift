/// Seeds and deterministic mutations for the parser oracle (the seeded tests and the fuzz corpus).
enum OracleInputs {
    /// The entry point that reads a recorded fixture (`exchange` folder, file name), or `nil` for fixtures
    /// no parser reads (requests, account bodies).
    static func entry(exchange: String, file: String) -> ParserOracle.Entry? {
        let name = file.hasSuffix(".json") ? String(file.dropLast(5)) : file
        switch exchange {
        case "binance":
            if name.hasPrefix("ws_") { return .binanceStream }
            if name.hasPrefix("err_") || name == "rest_depth" { return .binanceDepth }
            switch name {
            case "rest_trades": return .binanceTrades
            case "rest_klines": return .binanceCandles
            case "rest_exchange_info": return .binanceInstruments
            case "rest_time": return .binanceTime
            default: return name.hasPrefix("rest_ticker") ? .binanceTickers : nil
            }
        case "bybit":
            if name == "ws_subscribe_request" { return nil }
            if name.hasPrefix("ws_") { return name.contains("linear") ? .bybitLinearStream : .bybitSpotStream }
            if name.hasPrefix("err_") || name == "rest_orderbook_spot" { return .bybitBook }
            switch name {
            case "rest_recent_trade_spot": return .bybitTrades
            case "rest_kline": return .bybitCandles
            case "rest_tickers_spot": return .bybitTickers
            case "rest_server_time": return .bybitTime
            default: return name.hasPrefix("rest_instruments") ? .bybitInstruments : nil
            }
        case "whitebit":
            if name.hasPrefix("ws_") { return .whitebitStream }
            if name.hasPrefix("err_") || name == "rest_v4_orderbook" { return .whitebitBook }
            switch name {
            case "rest_v4_trades": return .whitebitTrades
            case "rest_v1_kline": return .whitebitCandles
            case "rest_v4_ticker_all", "rest_v1_ticker_single": return .whitebitTickers
            case "rest_v4_markets": return .whitebitInstruments
            case "rest_v4_time": return .whitebitTime
            default: return nil
            }
        default: return nil
        }
    }

    /// The inputs one fixture gives: itself, and for Binance stream payloads also the combined-stream
    /// envelope (`{"stream":…,"data":…}`) the ingestor really receives, so partial depth and book tickers
    /// (which only the stream name identifies) are covered.
    static func seeds(exchange: String, file: String, bytes: [UInt8]) -> [(ParserOracle.Entry, [UInt8])] {
        guard let entry = entry(exchange: exchange, file: file) else { return [] }
        var seeds = [(entry, bytes)]
        if entry == .binanceStream, !file.contains("combined"), !file.contains("subscribe") {
            let stream =
                file.contains("partial_depth")
                ? "bnbbtc@depth5@100ms" : file.contains("book_ticker") ? "bnbbtc@bookTicker" : "bnbbtc@trade"
            seeds.append((entry, Array("{\"stream\":\"\(stream)\",\"data\":".utf8) + bytes + [0x7D]))
        }
        return seeds
    }

    /// A small deterministic generator (SplitMix64), so every run of the tests mutates alike.
    struct Generator {
        var state: UInt64

        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    }

    /// Values that probe the decimal, integer, time and literal readers' edges.
    static let values: [String] = [
        "\"0\"", "\"-1\"", "\"0.00010000\"", "\"1.\"", "\".5\"", "\"01\"", "\"-0\"", "\"1e5\"", "1e5", "-0",
        "0.1", "00", "\"\"", "null", "true", "false", "[]", "{}", "\"NaN\"", "\"Infinity\"",
        "\"123456789012345678901234567890123456789\"", "\"12345678901234567890.123456789012345678\"",
        "12345678901234567890", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
        "18446744073709551615", "18446744073709551616", "9223372036854", "9223372036855", "\"1700000000000\"",
        "1700000000.123456789123", "\"\\u0031\"", "\"a\\\"b\"", "\"BTC\\u0055SDT\"", "\"\\ud800\"", "\"Buy\"",
        "\"Sell\"", "\"buy\"", "\"sell\"", "\"snapshot\"", "\"delta\"", "\"trade\"", "\"depthUpdate\"", "\"pong\"",
        "[\"1\",\"2\"]", "[\"1\"]", "[\"1\",\"2\",\"3\"]", "[[\"1\",\"2\"]]", "\"0.000000000000000001\"",
        "999999999999999999", "0.9999999999999999999",
    ]

    /// Structural bytes and words that break or bend the grammar.
    static let tokens: [String] = [
        "\"", "\\", "{", "}", "[", "]", ",", ":", "-", ".", "e", "0", "9", " ", "\n", "\u{0}", "\u{1f}", "\u{ff}",
        "null", "tru", "\\u", "\\ud83d\\ude00", "\u{e9}",
    ]

    /// One mutation of `input`: half of them replace a whole value (so the result is often still JSON and
    /// reaches the field readers), the rest edit bytes.
    static func mutate(_ input: [UInt8], _ g: inout Generator) -> [UInt8] {
        var bytes = input
        let rounds = 1 + g.below(3)
        for _ in 0..<rounds {
            switch g.below(8) {
            case 0, 1, 2, 3:
                // Replace a scalar value (a string, number or literal after ':' , '[' or ',').
                let starts = valueStarts(bytes)
                guard !starts.isEmpty else { continue }
                let start = starts[g.below(starts.count)]
                let end = valueEnd(bytes, from: start)
                let value = Array(values[g.below(values.count)].utf8)
                bytes.replaceSubrange(start..<end, with: value)
            case 4:
                guard !bytes.isEmpty else { continue }
                bytes.remove(at: g.below(bytes.count))
            case 5:
                let token = Array(tokens[g.below(tokens.count)].utf8)
                bytes.insert(contentsOf: token, at: g.below(bytes.count + 1))
            case 6:
                guard !bytes.isEmpty else { continue }
                bytes[g.below(bytes.count)] = UInt8(truncatingIfNeeded: g.next())
            default:
                // Truncate, or repeat a slice (duplicate members and elements).
                guard bytes.count > 2 else { continue }
                let a = g.below(bytes.count)
                let b = a + g.below(min(64, bytes.count - a))
                if g.below(2) == 0 {
                    bytes.removeSubrange(a...)
                } else {
                    bytes.insert(contentsOf: bytes[a..<b], at: b)
                }
            }
        }
        return bytes
    }

    /// Offsets where a scalar value starts (after `:`, `[` or `,` and whitespace), outside strings.
    static func valueStarts(_ bytes: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var inString = false
        var escaped = false
        var expectValue = false
        for (i, byte) in bytes.enumerated() {
            if inString {
                if escaped {
                    escaped = false
                } else if byte == 0x5C {
                    escaped = true
                } else if byte == 0x22 {
                    inString = false
                }
                continue
            }
            if [0x20, 0x0A, 0x0D, 0x09].contains(byte) { continue }
            if expectValue, byte != 0x7B, byte != 0x5B { starts.append(i) }
            expectValue = byte == 0x3A || byte == 0x5B || byte == 0x2C
            if byte == 0x22 { inString = true }
        }
        return starts
    }

    /// The end of the scalar starting at `start`: after the closing quote, or at the next delimiter.
    static func valueEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var i = start
        if bytes[i] == 0x22 {
            i += 1
            while i < bytes.count {
                if bytes[i] == 0x5C {
                    i += 2
                    continue
                }
                if bytes[i] == 0x22 { return i + 1 }
                i += 1
            }
            return bytes.count
        }
        while i < bytes.count, ![0x2C, 0x7D, 0x5D, 0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        return i
    }
}
