import CryptodWire
import Testing

@testable import CryptodCtl

@Suite("uptime humanisation")
struct DurationTextTests {
    @Test(
        "uses at most two units, the smaller zero-padded",
        arguments: [
            (0, "0s"), (59, "59s"), (60, "1m00s"), (192, "3m12s"), (3599, "59m59s"), (3600, "1h00m"), (7500, "2h05m"),
            (86_399, "23h59m"), (86_400, "1d00h"), (370_800, "4d07h"), (-5, "0s"),
        ] as [(Int64, String)])
    func humanise(seconds: Int64, expected: String) {
        #expect(StatusReport.humanise(seconds: seconds) == expected)
    }

    @Test("rounds nanosecond spans down to whole seconds")
    func fromNanoseconds() {
        #expect(StatusReport.humanise(fromNanoseconds: 1_000_000_000, to: 193_999_999_999) == "3m12s")
        #expect(StatusReport.wholeSeconds(fromNanoseconds: 5_000_000_000, to: 1_000_000_000) == 0)
    }
}

@Suite("exit codes")
struct ExitCodeTests {
    @Test(
        "map the daemon's verdicts",
        arguments: [
            (ControlReply.Result.ok, 0), (.failed, 1), (.invalidRequest, 2), (.unknownTarget, 4), (.busy, 5),
            (.invalidConfig, 78),
        ] as [(ControlReply.Result, Int32)])
    func mapping(result: ControlReply.Result, code: Int32) {
        #expect(CtlExitCode(result).rawValue == code)
    }

    @Test("are the documented numbers")
    func documented() {
        #expect(CtlExitCode.allCases.map(\.rawValue) == [0, 1, 2, 3, 4, 5, 78])
        #expect(CtlExitCode.unreachable.rawValue == 3)
        let help = CtlExitCode.helpText
        for code in CtlExitCode.allCases { #expect(help.collapsingSpaces.contains("\(code.rawValue) \(code.meaning)")) }
    }

    @Test("every result of the wire contract has a code")
    func exhaustive() {
        let codes = Set(ControlReply.Result.allCases.map { CtlExitCode($0) })
        #expect(codes.count == ControlReply.Result.allCases.count)
        #expect(!codes.contains(.unreachable))
    }

    @Test("the help screen lists them")
    func help() {
        let text = Cryptoctl.helpMessage(columns: 100).collapsingSpaces
        for code in CtlExitCode.allCases { #expect(text.contains("\(code.rawValue) \(code.meaning)")) }
        let status = StatusCommand.helpMessage(columns: 100).collapsingSpaces
        #expect(status.contains("4 unknown child"))
    }
}

extension String {
    /// Runs of whitespace (including line breaks from wrapping) as one space.
    var collapsingSpaces: String {
        split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
