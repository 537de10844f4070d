import CryptodModel
import CryptodRuntime
import Foundation
import Logging
import Synchronization
import Testing

/// Collects the lines a handler writes.
final class CapturedLines: Sendable {
    private let lines = Mutex<[[UInt8]]>([])

    var output: LogOutput { LogOutput { line in self.lines.withLock { $0.append(line) } } }
    var all: [String] { lines.withLock { $0.map { String(decoding: $0, as: UTF8.self) } } }
}

private let fixedTime = Timestamp(milliseconds: 1_795_857_520_123)  // 2026-11-28T09:18:40.123Z

private func event(
    _ message: Logger.Message, level: Logger.Level = .info, metadata: Logger.Metadata? = nil, error: (any Error)? = nil
) -> LogEvent {
    var event = LogEvent(
        level: level, message: message, metadata: metadata, source: nil, file: #fileID, function: #function, line: #line
    )
    event.error = error
    return event
}

/// Decodes one JSON line with Foundation, an independent parser.
private func decode(_ line: [UInt8]) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(line))
    return try #require(object as? [String: Any])
}

private struct SampleError: Error, CustomStringConvertible {
    var description: String { "connection reset by \"peer\"" }
}

@Suite("JSONLogHandler")
struct JSONLogHandlerTests {
    let handler = JSONLogHandler(
        label: "cryptod.ingestor.session", process: "ingestor-binance", levelControl: LogLevelControl(.info))

    @Test("a line has the documented fields, in order, and ends with one newline")
    func fields() throws {
        let line = handler.encode(event("connected"), at: fixedTime)
        let text = String(decoding: line, as: UTF8.self)
        let expected =
            #"{"time":"2026-11-28T09:18:40.123Z","level":"info","process":"ingestor-binance","#
            + #""component":"cryptod.ingestor.session","message":"connected"}"# + "\n"
        #expect(text == expected)
    }

    @Test(
        "strings with quotes, backslashes, newlines, control characters and non-ASCII survive a round trip",
        arguments: [
            #"say "hi" \ bye"#, "two\nlines\r\nand\ttab", "bell\u{07} nul\u{00} esc\u{1B} del\u{7F}",
            "€ 价格 𝔘 ü",
            "sep\u{2028}para\u{2029}end", "",
        ])
    func escaping(_ text: String) throws {
        let line = handler.encode(event("\(text)", metadata: ["k": .string(text), text: "key"]), at: fixedTime)
        // Exactly one line: every newline inside values is escaped.
        #expect(line.filter { $0 == 0x0A } == [0x0A])
        #expect(line.last == 0x0A)
        #expect(!line.dropLast().contains { $0 < 0x20 })
        let object = try decode(line)
        #expect(object["message"] as? String == text)
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["k"] as? String == text)
        #expect(metadata[text] as? String == "key")
    }

    @Test("escapes use the short forms and \\u00XX, and non-ASCII stays raw UTF-8")
    func escapeSpelling() {
        let line = String(decoding: handler.encode(event("a\"b\\c\nd\u{01}e€"), at: fixedTime), as: UTF8.self)
        #expect(line.contains(#""message":"a\"b\\c\nd\u0001e€""#))
    }

    @Test("nested metadata renders as JSON arrays and objects with sorted keys")
    func nestedMetadata() throws {
        let metadata: Logger.Metadata = [
            "symbol": "BTCUSDT",
            "levels": ["1", "2", .dictionary(["b": "2", "a": "1"])],
            "link": .dictionary(["peer": "writer", "state": .stringConvertible(42)]),
        ]
        let line = handler.encode(event("x", metadata: metadata), at: fixedTime)
        let text = String(decoding: line, as: UTF8.self)
        let expected =
            #""metadata":{"levels":["1","2",{"a":"1","b":"2"}],"#
            + #""link":{"peer":"writer","state":"42"},"symbol":"BTCUSDT"}"#
        #expect(text.contains(expected))
        let object = try decode(line)
        let decoded = try #require(object["metadata"] as? [String: Any])
        #expect((decoded["levels"] as? [Any])?.count == 3)
    }

    @Test("metadata: handler < provider < call site, and an error is its own field")
    func mergeOrder() throws {
        var handler = JSONLogHandler(
            label: "c", process: "p", levelControl: LogLevelControl(.info),
            metadataProvider: Logger.MetadataProvider { ["a": "provider", "b": "provider"] })
        handler.metadata = ["a": "handler", "b": "handler", "c": "handler"]
        let line = handler.encode(event("m", metadata: ["b": "event"], error: SampleError()), at: fixedTime)
        let object = try decode(line)
        let metadata = try #require(object["metadata"] as? [String: String])
        #expect(metadata == ["a": "provider", "b": "event", "c": "handler"])
        #expect(object["error"] as? String == #"connection reset by "peer""#)
    }

    @Test(
        "values under keys that name secrets are redacted at any depth",
        arguments: [
            "api_secret", "apiKey", "Authorization", "db-password", "private_key", "listen_token",
        ])
    func secretKeys(_ key: String) throws {
        let line = handler.encode(
            event("m", metadata: [key: "hunter2", "nested": .dictionary([key: "hunter2"])]), at: fixedTime)
        #expect(!String(decoding: line, as: UTF8.self).contains("hunter2"))
        let metadata = try #require(try decode(line)["metadata"] as? [String: Any])
        #expect(metadata[key] as? String == "<redacted>")
    }

    @Test("a Logger writes through the handler; the shared level filters until a logger sets its own")
    func loggerAndLevels() {
        let captured = CapturedLines()
        let control = LogLevelControl(.notice)
        var logger = Logger(label: "cryptod.test") { label in
            CryptodLogging.makeHandler(
                label: label, process: "writer", format: .json, levelControl: control, output: captured.output)
        }
        logger.info("hidden")
        logger.notice("shown", metadata: ["n": "1"])
        control.level = .debug
        logger.debug("now shown")
        logger.logLevel = .error
        logger.warning("hidden again")
        control.level = .trace
        logger.warning("still hidden: the logger has its own level")
        let lines = captured.all
        #expect(lines.count == 2)
        let shown =
            #""level":"notice","process":"writer","component":"cryptod.test","#
            + #""message":"shown","metadata":{"n":"1"}"#
        #expect(lines.first?.contains(shown) == true)
        #expect(lines.last?.contains(#""message":"now shown""#) == true)
    }

    @Test("time is RFC 3339 UTC with milliseconds")
    func timeFormat() throws {
        let captured = CapturedLines()
        JSONLogHandler(label: "c", process: "p", levelControl: LogLevelControl(.info), output: captured.output)
            .log(event: event("m"))
        let line = try #require(captured.all.first)
        let time = try #require(try decode(Array(line.utf8))["time"] as? String)
        #expect(time.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil)
    }
}

@Suite("TextLogHandler")
struct TextLogHandlerTests {
    @Test("a line reads: time level process component: message key=value")
    func format() {
        let handler = TextLogHandler(label: "cryptod.writer", process: "writer", levelControl: LogLevelControl(.info))
        let metadata: Logger.Metadata = [
            "rows": "120", "sink": "jsonl", "path": "/var/lib/x y", "list": ["a", "b"], "secret": "s3",
        ]
        let line = String(
            decoding: handler.encode(event("flushed batch", metadata: metadata), at: fixedTime), as: UTF8.self)
        let expected =
            #"2026-11-28T09:18:40.123Z info writer cryptod.writer: flushed batch "#
            + #"list=["a","b"] path="/var/lib/x y" rows=120 secret=<redacted> sink=jsonl"# + "\n"
        #expect(line == expected)
    }

    @Test("control characters in the message are escaped so the record stays on one line")
    func oneLine() {
        let handler = TextLogHandler(label: "c", process: "p", levelControl: LogLevelControl(.info))
        let line = handler.encode(event("bad\nline", metadata: ["v": "x\ny"], error: SampleError()), at: fixedTime)
        #expect(line.filter { $0 == 0x0A } == [0x0A])
        #expect(
            String(decoding: line, as: UTF8.self).contains(
                #"c: "bad\nline" v="x\ny" error="connection reset by \"peer\"""#))
    }

    @Test("makeHandler picks the handler for the format", arguments: CryptodLogging.Format.allCases)
    func factory(_ format: CryptodLogging.Format) {
        let handler = CryptodLogging.makeHandler(
            label: "c", process: "p", format: format, levelControl: LogLevelControl(.info))
        switch format {
        case .json: #expect(handler is JSONLogHandler)
        case .text: #expect(handler is TextLogHandler)
        }
        #expect(CryptodLogging.Format(rawValue: format.rawValue) == format)
    }
}
