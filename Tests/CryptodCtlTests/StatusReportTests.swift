import CryptodModel
import CryptodWire
import Foundation
import Testing

@testable import CryptodCtl

/// A reply as the supervisor sends it: a running writer, an ingestor in backoff, a failed scheduler.
func sampleReply() -> ControlReply {
    let now = Timestamp(seconds: 1_700_000_000)
    return ControlReply(
        requestID: 7, result: .ok, message: "", serverTime: now,
        children: [
            ChildStatus(
                name: "writer", role: .writer, state: .running, pid: 4242,
                startedAt: now.advanced(byNanoseconds: -192_500_000_000),
                restarts: 2,
                lastExit: .init(kind: .signaled, code: 9, at: now.advanced(byNanoseconds: -193_000_000_000)),
                nextRestartAt: nil),
            ChildStatus(
                name: "ingestor-binance", role: .ingestor, state: .backoff, pid: 0, startedAt: nil, restarts: 1,
                lastExit: .init(kind: .exited, code: 1, at: now),
                nextRestartAt: now.advanced(byNanoseconds: 2_000_000_000),
                message: "exited with status 1 (crash 1 of 5 within 5m); restarting in 2s"),
            ChildStatus(
                name: "scheduler", role: .scheduler, state: .failed, pid: 0, startedAt: nil, restarts: 4, lastExit: nil,
                nextRestartAt: nil, message: "line one\nline \"two\""),
        ])
}

@Suite("status table")
struct StatusTableTests {
    @Test("has a header and one aligned row per child")
    func layout() {
        let lines = StatusReport.table(sampleReply()).split(separator: "\n", omittingEmptySubsequences: false).map(
            String.init)
        #expect(lines.count == 5)  // header, three children, and the empty string after the final newline
        #expect(lines.last == "")
        #expect(lines[0].hasPrefix("NAME"))
        for column in StatusReport.columns { #expect(lines[0].contains(column)) }
        // Every column starts at the same offset on every line.
        let stateColumn = lines[0].range(of: "STATE")!.lowerBound.utf16Offset(in: lines[0])
        for line in lines[1...3] {
            let index = line.index(line.startIndex, offsetBy: stateColumn)
            #expect(line[..<index].hasSuffix("  "))
            #expect(line[index] != " ")
        }
    }

    @Test("shows pid, humanised uptime, restarts and the last exit")
    func cells() {
        let lines = StatusReport.table(sampleReply()).split(separator: "\n").map(String.init)
        let writer = lines[1].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(writer[0] == "writer")
        #expect(writer[1] == "running")
        #expect(writer[2] == "4242")
        #expect(writer[3] == "3m12s")
        #expect(writer[4] == "2")
        #expect(lines[1].contains("signal 9 (SIGKILL)"))
        #expect(lines[2].contains("exit 1"))
        #expect(lines[2].hasSuffix("restarting in 2s"))
    }

    @Test("prints dashes where nothing applies and keeps messages on one line")
    func absentValues() {
        let lines = StatusReport.table(sampleReply()).split(separator: "\n").map(String.init)
        let scheduler = lines[3].split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        #expect(scheduler[0] == "scheduler")
        #expect(scheduler[1] == "failed")
        #expect(scheduler[2] == "-")
        #expect(scheduler[3] == "-")
        #expect(lines[3].hasSuffix("line one line \"two\""))
    }

    @Test("an empty daemon prints only the header")
    func empty() {
        let reply = ControlReply(requestID: 1, result: .ok, message: "", serverTime: .epoch)
        #expect(StatusReport.table(reply) == "NAME  STATE  PID  UPTIME  RESTARTS  LAST EXIT  MESSAGE\n")
    }
}

@Suite("status JSON")
struct StatusJSONTests {
    func parsed(_ reply: ControlReply = sampleReply()) throws -> [String: Any] {
        let text = StatusReport.json(reply).rendered()
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("parses back with the documented fields")
    func fields() throws {
        let document = try parsed()
        #expect(document["server_time"] as? String == "2023-11-14T22:13:20.000Z")
        let children = try #require(document["children"] as? [[String: Any]])
        #expect(children.count == 3)
        let writer = children[0]
        #expect(
            Set(writer.keys) == [
                "name", "role", "state", "pid", "started_at", "uptime_seconds", "restarts", "last_exit",
                "next_restart_at", "message",
            ])
        #expect(writer["name"] as? String == "writer")
        #expect(writer["role"] as? String == "writer")
        #expect(writer["state"] as? String == "running")
        #expect(writer["pid"] as? Int == 4242)
        #expect(writer["uptime_seconds"] as? Int == 192)
        #expect(writer["restarts"] as? Int == 2)
        #expect(writer["started_at"] as? String == "2023-11-14T22:10:07.500Z")
        let exit = try #require(writer["last_exit"] as? [String: Any])
        #expect(exit["kind"] as? String == "signaled")
        #expect(exit["code"] as? Int == 9)
        #expect(exit["at"] as? String == "2023-11-14T22:10:07.000Z")
        #expect(writer["next_restart_at"] is NSNull)
    }

    @Test("uses null for what does not apply and keeps messages verbatim")
    func nulls() throws {
        let children = try #require(try parsed()["children"] as? [[String: Any]])
        let ingestor = children[1]
        #expect(ingestor["pid"] is NSNull)
        #expect(ingestor["started_at"] is NSNull)
        #expect(ingestor["uptime_seconds"] is NSNull)
        #expect(ingestor["next_restart_at"] as? String == "2023-11-14T22:13:22.000Z")
        #expect(children[2]["last_exit"] is NSNull)
        #expect(children[2]["message"] as? String == "line one\nline \"two\"")
    }

    @Test("keeps its key order, so the same state prints the same bytes")
    func stableOrder() {
        let text = StatusReport.json(sampleReply()).rendered()
        #expect(text == StatusReport.json(sampleReply()).rendered())
        let keys = [
            "\"name\"", "\"role\"", "\"state\"", "\"pid\"", "\"started_at\"", "\"uptime_seconds\"", "\"restarts\"",
            "\"last_exit\"", "\"next_restart_at\"", "\"message\"",
        ]
        let offsets = keys.map { text.range(of: $0)!.lowerBound }
        #expect(offsets == offsets.sorted())
        #expect(text.hasPrefix("{\n  \"server_time\""))
    }

    @Test("escapes control characters")
    func escaping() throws {
        let value = JSONValue.object([("text", .string("tab\there \u{01} \\ \"q\""))])
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(value.rendered().utf8)) as? [String: String])
        #expect(object["text"] == "tab\there \u{01} \\ \"q\"")
    }

    @Test("renders command results with their exit code")
    func result() throws {
        let reply = ControlReply(
            requestID: 1, result: .unknownTarget, message: "no child named 'x'", serverTime: .epoch)
        let text = StatusReport.result(json: reply).rendered()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["result"] as? String == "unknown target")
        #expect(object["exit_code"] as? Int == 4)
        #expect(object["message"] as? String == "no child named 'x'")
    }
}
