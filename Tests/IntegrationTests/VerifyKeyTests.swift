import Foundation
import Testing

/// `cryptoctl verify-key` end to end: cryptoctl → cryptod → the exchange's ingestor → one signed request to
/// exchsim's account endpoint, for each exchange. A valid key is valid with permissions; a wrong secret is
/// a signature error; an unknown key is a key error; a clock that differs from the exchange's is clock skew.
/// Afterwards the secrets are nowhere in the logs, the state, `cryptoctl status` or the metrics.
@Suite("verify-key against exchsim", .serialized, .enabled(if: Binaries.exists("exchsim")))
struct VerifyKeyTests {
    /// A key exchsim knows (`--api-key`; Binance refuses keys over 64 characters), with a secret that cannot
    /// be confused with anything else.
    static let key = "VerifyKeyTestKey00000000000000000000000000000000000000000001"
    static let secret = "VerifyKeySecretZ9q8w7e6r5t4y3u2i1o0pAaSsDdFfGgHhJjKkLlZzXxCcVvBb"
    static let wrongSecret = "WrongSecretQ1w2e3r4t5y6u7i8o9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBbNnMm0"
    static let unknownKey = "UnknownKeyQ1w2e3r4t5y6u7i8o9p0AaSsDdFfGgHhJjKkLlZzXxCcVvBb"
    static let venues = ["binance": "BTCUSDT", "bybit": "BTCUSDT", "whitebit": "BTC_USDT"]

    struct Answer {
        let outcome: String
        let valid: Bool
        let permissions: [String]
        let detail: String
        let raw: String
    }

    /// Runs `printf '%s\n' "$SECRET" | cryptoctl verify-key EXCHANGE KEY` (the secret on standard input,
    /// through the environment of the shell, never on a command line) and decodes the JSON answer.
    static func verify(_ sandbox: Sandbox, _ exchange: String, key: String, secret: String) async throws -> Answer {
        let process = try TestProcess(
            name: "verify-key-\(exchange)-\(UUID().uuidString.prefix(4))", executable: "/bin/sh",
            arguments: [
                "-c", #"printf '%s\n' "$VERIFY_SECRET" | "$CTL" verify-key "$1" "$2" --socket "$3""#, "sh", exchange,
                key, sandbox.controlSocket,
            ],
            directory: sandbox.root, logDirectory: sandbox.logDirectory,
            environment: TestProcess.cleanEnvironment(["VERIFY_SECRET": secret, "CTL": try Binaries.path("cryptoctl")]))
        guard let status = await process.waitForExit(timeout: .seconds(60)) else {
            process.signal(SIGKILL)
            throw TestFailure("cryptoctl verify-key \(exchange) did not finish")
        }
        let output = process.output
        guard status == 0, let start = output.firstIndex(of: "{"),
            let object = try JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any],
            let outcome = object["outcome"] as? String
        else {
            throw TestFailure("verify-key \(exchange) exited \(status): \(output) \(process.errorOutput)")
        }
        return Answer(
            outcome: outcome, valid: object["valid"] as? Bool ?? false,
            permissions: object["permissions"] as? [String] ?? [], detail: object["detail"] as? String ?? "",
            raw: output)
    }

    @Test("valid key, wrong secret, unknown key and clock skew on every exchange; the secret leaks nowhere")
    func verifyKeys() async throws {
        let sandbox = try Sandbox()
        defer { sandbox.cleanup() }
        let exchsim = try await Exchsim.start(in: sandbox, arguments: ["--api-key", "test:\(Self.key):\(Self.secret)"])
        var config = TestConfig(writer: true)
        config.gateway = true
        config.gatewayPorts = (try freeTCPPort(), try freeTCPPort())
        config.extra = Self.venues.keys.sorted().map { venue in
            """
            [exchanges.\(venue)]
            rest_url = "http://127.0.0.1:\(exchsim.port(venue))"
            ws_url = "ws://127.0.0.1:\(exchsim.port(venue))"
            markets = ["\(Self.venues[venue]!)"]

            """
        }.joined()
        let daemon = try await Daemon.start(
            in: sandbox, config: config,
            expecting: ["writer", "gateway", "ingestor-binance", "ingestor-bybit", "ingestor-whitebit"])

        for venue in Self.venues.keys.sorted() {
            let valid = try await Self.verify(sandbox, venue, key: Self.key, secret: Self.secret)
            #expect(valid.outcome == "valid" && valid.valid, "\(venue) valid key: \(valid.raw)")
            #expect(!valid.permissions.isEmpty, "\(venue) valid key has permissions: \(valid.raw)")

            let wrong = try await Self.verify(sandbox, venue, key: Self.key, secret: Self.wrongSecret)
            #expect(wrong.outcome == "invalid_signature" && !wrong.valid, "\(venue) wrong secret: \(wrong.raw)")
            #expect(
                wrong.detail.lowercased().contains("signature") || wrong.detail.lowercased().contains("secret"),
                "\(venue) wrong secret is named: \(wrong.raw)")

            let unknown = try await Self.verify(sandbox, venue, key: Self.unknownKey, secret: Self.secret)
            #expect(!unknown.valid, "\(venue) unknown key: \(unknown.raw)")
            // WhiteBIT answers an unknown key and a bad signature alike; the detail says it may be either.
            #expect(
                unknown.outcome == (venue == "whitebit" ? "invalid_signature" : "invalid_key"),
                "\(venue) unknown key: \(unknown.raw)")
            #expect(unknown.detail.lowercased().contains("key"), "\(venue) unknown key names the key: \(unknown.raw)")
        }

        // The exchanges' clocks jump two minutes ahead: the ingestors measured them at start (and again only
        // every five minutes), so their signed timestamps are now far outside every exchange's window.
        for venue in Self.venues.keys.sorted() {
            try exchsim.post(venue, "/_sim/clock", json: #"{"advance_ms":120000}"#)
            let skewed = try await Self.verify(sandbox, venue, key: Self.key, secret: Self.secret)
            #expect(skewed.outcome == "clock_skew" && !skewed.valid, "\(venue) skewed clock: \(skewed.raw)")
        }

        // Nothing of either secret in what the processes said, stored, report or export.
        let status = try await daemon.ctl(["status", "--json"])
        let (metricsStatus, metrics) = try HTTP.request("GET", port: config.gatewayPorts!.rest, path: "/metrics")
        #expect(metricsStatus == 200, "gateway /metrics answered")
        #expect(String(decoding: metrics, as: UTF8.self).contains("cryptod_"), "metrics were exported")
        #expect(await daemon.terminate() == 0)
        let exposed = [
            ("cryptoctl status", status.output + status.errorOutput),
            ("metrics", String(decoding: metrics, as: UTF8.self)),
        ]
        for (what, text) in exposed {
            for secret in [Self.secret, Self.wrongSecret] { #expect(!text.contains(secret), "secret in \(what)") }
        }
        // Every file in the sandbox but exchsim's own log (exchsim holds the key by design).
        let files = FileManager.default.enumerator(atPath: sandbox.root)?.compactMap { $0 as? String } ?? []
        var scanned = 0
        for file in files where !(file as NSString).lastPathComponent.hasPrefix("exchsim") {
            var isDirectory: ObjCBool = false
            let path = sandbox.root + "/" + file
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                let data = FileManager.default.contents(atPath: path)
            else { continue }
            scanned += 1
            for secret in [Self.secret, Self.wrongSecret] {
                #expect(data.range(of: Data(secret.utf8)) == nil, "secret found in \(file)")
            }
        }
        #expect(scanned > 5, "log and state files scanned: \(scanned)")
    }
}
