import CryptodExchanges
import CryptodModel
import Testing

/// Shared helpers for the Binance tests.
enum BinanceTest {
    static let api = BinanceAPI()
    static let receivedAt = Timestamp(milliseconds: 1_700_000_000_000)
    static let context = StreamContext(type: .spot)

    static func market(_ symbol: String) -> MarketKey { MarketKey(exchange: .binance, type: .spot, symbol: symbol) }

    /// Events of one stream frame.
    static func stream(_ bytes: [UInt8]) throws(ExchangeParseError) -> [StreamEvent] {
        var events: [StreamEvent] = []
        let result: Result<Void, ExchangeParseError> = bytes.withUnsafeBytes { raw in
            do throws(ExchangeParseError) {
                try api.parseStreamMessage(raw, context: context, receivedAt: receivedAt, into: &events)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
        return events
    }

    static func stream(_ text: String) throws(ExchangeParseError) -> [StreamEvent] { try stream(Array(text.utf8)) }

    /// A fixture's events.
    static func fixture(_ name: String) throws(ExchangeParseError) -> [StreamEvent] {
        try stream(Fixtures.bytes("binance", name))
    }

    /// A fixture's text, for building variants.
    static func text(_ name: String) -> String { String(decoding: Fixtures.bytes("binance", name), as: UTF8.self) }

    /// `{"stream":…,"data":<fixture>}`.
    static func combined(_ stream: String, _ name: String) -> String {
        #"{"stream":"\#(stream)","data":\#(text(name))}"#
    }

    /// The kind of error `body` throws, `nil` when it succeeds.
    static func errorKind(_ body: () throws -> Void) -> ExchangeParseError.Kind? {
        do {
            try body()
            return nil
        } catch let error as ExchangeParseError {
            return error.kind
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// The error `body` throws, `nil` when it succeeds.
    static func error(_ body: () throws -> Void) -> ExchangeParseError? {
        do {
            try body()
            return nil
        } catch let error as ExchangeParseError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    /// A real HMAC-SHA256 (pure Swift, tests only), so the signature test checks Binance's documented vector.
    static let signer = HMACSigner { algorithm, key, message in
        precondition(algorithm == .sha256, "Binance signs with SHA-256")
        return SHA256Test.hmac(key: key, message: message)
    }
}

/// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) for test vectors.
enum SHA256Test {
    static let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]

    static func hash(_ message: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
        ]
        var data = message
        let bitLength = UInt64(message.count) * 8
        data.append(0x80)
        while data.count % 64 != 56 { data.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) {
            data.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }
        func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
        for chunk in stride(from: 0, to: data.count, by: 64) {
            var w = [UInt32](repeating: 0, count: 64)
            for i in 0..<16 {
                w[i] = (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(data[chunk + i * 4 + $1]) }
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
            }
            for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
        }
        return h.flatMap { v in (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * UInt32($0))) } }
    }

    static func hmac(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var block = key.count > 64 ? hash(key) : key
        block += [UInt8](repeating: 0, count: 64 - block.count)
        let inner = hash(block.map { $0 ^ 0x36 } + message)
        return hash(block.map { $0 ^ 0x5c } + inner)
    }
}
