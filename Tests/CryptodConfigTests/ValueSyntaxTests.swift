import Testing

@testable import CryptodConfig

/// Durations, sizes, addresses, paths and "did you mean", on their own.
@Suite struct ValueSyntaxTests {
    // MARK: - Durations

    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("1s", .seconds(1)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("1d", .seconds(86400)), (" 2s ", .seconds(2)), ("10 s", .seconds(10)), ("0ms", .zero),
    ])
    func durationsParse(text: String, expected: Duration) throws {
        #expect(try DurationSyntax.parse(text).get() == expected)
    }

    @Test(arguments: [
        ("5", "a duration needs a unit: write \"5s\" or \"5ms\""), ("5x", "unknown duration unit \"x\""),
        ("s", "not a duration"), ("", "not a duration"), ("-1s", "not a duration"),
        ("1.5s", "unknown duration unit \".5s\""),
        ("99999999999999999999d", "too long"), ("9999999999999d", "too long"),
    ])
    func durationsReject(text: String, fragment: String) {
        guard case .failure(let problem) = DurationSyntax.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(problem.message.contains(fragment), "\(problem.message)")
    }

    @Test(arguments: [
        (Duration.seconds(60), "60s"), (.seconds(99), "99s"), (.seconds(300), "5m"), (.seconds(100), "100s"),
        (.milliseconds(1500), "1500ms"), (.milliseconds(20), "20ms"), (.seconds(7200), "2h"), (.seconds(86400), "1d"),
        (.seconds(90 * 60), "90m"), (.zero, "0s"),
    ])
    func durationsFormatAndRoundTrip(duration: Duration, text: String) throws {
        #expect(DurationSyntax.format(duration) == text)
        #expect(try DurationSyntax.parse(text).get() == duration)
    }

    // MARK: - Sizes

    @Test(arguments: [
        ("16MiB", 16 << 20), ("64KiB", 64 << 10), ("2GiB", 2 << 30), ("1TiB", 1 << 40), ("10MB", 10_000_000),
        ("1KB", 1000), ("3GB", 3_000_000_000), ("100", 100), ("100B", 100), ("4 KiB", 4096),
    ])
    func sizesParse(text: String, expected: Int) throws {
        #expect(try SizeSyntax.parse(text).get() == expected)
    }

    @Test(arguments: [
        ("16mib", "did you mean MiB?"), ("16kb", "did you mean KB?"), ("MiB", "not a size"),
        ("16 XB", "unknown size unit \"XB\""),
        ("99999999999TiB", "too large"), ("-5", "not a size"),
    ])
    func sizesReject(text: String, fragment: String) {
        guard case .failure(let problem) = SizeSyntax.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(problem.message.contains(fragment), "\(problem.message)")
    }

    @Test(arguments: [
        (16 << 20, "16MiB"), (1000, "1000B"), (1024, "1KiB"), (3 << 30, "3GiB"), (1536, "1536B"), (0, "0B"),
    ])
    func sizesFormat(bytes: Int, text: String) throws {
        #expect(SizeSyntax.format(bytes) == text)
        #expect(try SizeSyntax.parse(text).get() == bytes)
    }

    // MARK: - Addresses

    @Test(arguments: [
        ("127.0.0.1:8000", "127.0.0.1", 8000), ("[::1]:8080", "::1", 8080), ("localhost:1", "localhost", 1),
        ("0.0.0.0:65535", "0.0.0.0", 65535), ("[::]:80", "::", 80),
        ("gw.internal-1.example:443", "gw.internal-1.example", 443),
    ])
    func addressesParse(text: String, host: String, port: Int) throws {
        let address = try ListenAddress.parse(text).get()
        #expect(address == ListenAddress(host: host, port: port))
        #expect(address.description == text)
    }

    @Test(arguments: [
        ("127.0.0.1:99999", "port must be 1-65535"), ("127.0.0.1:0", "port must be 1-65535"),
        ("127.0.0.1:", "port must be 1-65535"), ("127.0.0.1:8o", "port must be 1-65535"),
        ("127.0.0.1", "missing \":PORT\""), (":80", "the host is missing"), ("1.2.3:80", "is not an IPv4 address"),
        ("host_name:80", "is not a valid host name"), ("-bad:80", "is not a valid host name"),
        ("[::1]", "missing \":PORT\""),
        ("[::1:80", "missing ']'"), ("[zz]:80", "is not an IPv6 address"),
        ("fe80::1:80", "must be written in brackets"),
    ])
    func addressesReject(text: String, fragment: String) {
        guard case .failure(let problem) = ListenAddress.parse(text) else {
            Issue.record("\(text) parsed")
            return
        }
        #expect(problem.message.contains(fragment), "\(problem.message)")
    }

    @Test func addressConflicts() {
        let a = ListenAddress(host: "127.0.0.1", port: 8000)
        #expect(a.conflicts(with: ListenAddress(host: "127.0.0.1", port: 8000)))
        #expect(a.conflicts(with: ListenAddress(host: "0.0.0.0", port: 8000)))
        #expect(ListenAddress(host: "::", port: 8000).conflicts(with: a))
        #expect(!a.conflicts(with: ListenAddress(host: "127.0.0.2", port: 8000)))
        #expect(!a.conflicts(with: ListenAddress(host: "127.0.0.1", port: 8001)))
    }

    // MARK: - Paths and suggestions

    @Test(arguments: [
        ("run", "/etc/cryptod", "/etc/cryptod/run"), ("../var/run", "/src/etc", "/src/var/run"),
        ("/abs//x/./y/", "/ignored", "/abs/x/y"), ("../../..", "/a", "/"), (".", "/a/b", "/a/b"),
    ])
    func pathsResolve(path: String, base: String, expected: String) {
        #expect(ConfigValueType.resolve(path, against: base) == expected)
    }

    @Test func editDistance() {
        #expect(Suggestions.distance("rest_lisen", "rest_listen") == 1)
        #expect(Suggestions.distance("levl", "lvel") == 1)
        #expect(Suggestions.distance("", "abc") == 3)
        #expect(Suggestions.distance("kitten", "sitting") == 3)
        #expect(Suggestions.closest(to: "rest_lisen", among: ["enabled", "rest_listen", "ws_listen"]) == "rest_listen")
        #expect(Suggestions.closest(to: "WS_LISTEN", among: ["rest_listen", "ws_listen"]) == "ws_listen")
        #expect(Suggestions.closest(to: "port", among: ["sort_key", "enabled"]) == nil)
        #expect(Suggestions.closest(to: "binanse", among: ["binance", "bybit"]) == "binance")
    }
}
