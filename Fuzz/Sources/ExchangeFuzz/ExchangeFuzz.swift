import Foundation

// libFuzzer entry point for the exchange parsers (built like WireFuzz; see scripts/fuzz exchanges).
//
// The first input byte picks the parser entry point (ParserOracle.Entry), the rest is the message. Each
// input goes through the fast parser and the reference parser (Reference/, the same files the seeded
// tests in Tests/CryptodExchangesTests use); a crash, a sanitizer report or a disagreement is a bug and
// stops the run with the input saved.

@_cdecl("LLVMFuzzerTestOneInput")
public func exchangeFuzz(_ start: UnsafeRawPointer?, _ count: Int) -> CInt {
    guard let start, count > 0 else { return 0 }
    let data = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let (entry, bytes) = ParserOracle.split(data) else { return 0 }
    if let problem = ParserOracle.check(entry, bytes) {
        fatalError("parser oracle: \(problem)\n input: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
    }
    return 0
}

/// With `EXCHANGE_FUZZ_SEEDS=<fixtures dir>:<corpus dir>:<dictionary file>` the binary writes the seed corpus
/// (every fixture, prefixed with its entry's byte) and a libFuzzer dictionary, then exits; scripts/fuzz runs
/// it so before fuzzing. The fixture-to-entry mapping lives in Swift (OracleInputs) so it cannot drift from
/// the entry numbering.
@_cdecl("LLVMFuzzerInitialize")
public func exchangeFuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let spec = ProcessInfo.processInfo.environment["EXCHANGE_FUZZ_SEEDS"] else { return 0 }
    let parts = spec.split(separator: ":").map(String.init)
    guard parts.count == 3 else { fatalError("EXCHANGE_FUZZ_SEEDS must be <fixtures>:<corpus>:<dictionary>") }
    let fixtures = URL(fileURLWithPath: parts[0])
    let corpus = URL(fileURLWithPath: parts[1])
    var written = 0
    for exchange in ["binance", "bybit", "whitebit"] {
        let folder = fixtures.appendingPathComponent(exchange)
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for file in files where file.hasSuffix(".json") {
            guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(file).path) else {
                continue
            }
            for (index, seed) in OracleInputs.seeds(exchange: exchange, file: file, bytes: [UInt8](data)).enumerated() {
                let name = "\(exchange)-\(file.dropLast(5))-\(index).bin"
                let bytes = [seed.0.rawValue] + seed.1
                _ = FileManager.default.createFile(
                    atPath: corpus.appendingPathComponent(name).path, contents: Data(bytes))
                written += 1
            }
        }
    }
    // libFuzzer dictionary: the oracle's probe values and tokens, plus the keys the parsers look for.
    let keys = [
        "\"e\":", "\"E\":", "\"s\":", "\"U\":", "\"u\":", "\"b\":", "\"a\":", "\"p\":", "\"q\":", "\"T\":", "\"m\":",
        "\"k\":", "\"stream\":", "\"data\":", "\"topic\":", "\"type\":", "\"ts\":", "\"method\":", "\"params\":",
        "\"id\":", "\"result\":", "\"error\":", "\"lastUpdateId\":", "\"update_id\":", "\"past_update_id\":",
    ]
    var dictionary = ""
    for token in keys + OracleInputs.values + OracleInputs.tokens {
        var escaped = ""
        for byte in token.utf8 {
            if byte >= 0x20, byte < 0x7F, byte != 0x22, byte != 0x5C {
                escaped.append(Character(Unicode.Scalar(byte)))
            } else {
                escaped += "\\x" + String(byte, radix: 16).leftPadded(2)
            }
        }
        dictionary += "\"\(escaped)\"\n"
    }
    _ = FileManager.default.createFile(atPath: parts[2], contents: Data(dictionary.utf8))
    print("\(written) seed inputs from \(fixtures.path)")
    exit(0)
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
