import CryptodWire

/// The exit statuses of `cryptoctl`, documented in its `--help` and in docs/operations.md.
///
/// Scripts branch on these, so the numbers never change. 78 is the same EX_CONFIG every cryptod binary uses
/// for an invalid configuration.
package enum CtlExitCode: Int32, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The command did what was asked.
    case ok = 0
    /// The daemon answered, but reported that the command failed.
    case failed = 1
    /// Bad command line (also a request the daemon calls invalid).
    case usage = 2
    /// No daemon answered on the control socket.
    case unreachable = 3
    /// The daemon has no child of that name.
    case unknownChild = 4
    /// The daemon is busy (a reload in progress, or shutting down); try again.
    case busy = 5
    /// The configuration file is invalid.
    case invalidConfiguration = 78

    /// The exit status for the daemon's verdict on a request.
    package init(_ result: ControlReply.Result) {
        switch result {
        case .ok: self = .ok
        case .failed: self = .failed
        case .unknownTarget: self = .unknownChild
        case .busy: self = .busy
        case .invalidConfig: self = .invalidConfiguration
        case .invalidRequest: self = .usage
        }
    }

    /// A few words for the table in `--help`.
    package var meaning: String {
        switch self {
        case .ok: "ok"
        case .failed: "the daemon reported a failure"
        case .usage: "bad command line"
        case .unreachable: "cannot reach the daemon"
        case .unknownChild: "unknown child"
        case .busy: "the daemon is busy (a reload in progress, or shutting down)"
        case .invalidConfiguration: "invalid configuration"
        }
    }

    package var description: String { "\(rawValue) (\(meaning))" }

    /// The exit-code table for help texts, one code per line.
    package static var helpText: String {
        "Exit codes:\n"
            + allCases.map { code in
                let number = String(code.rawValue)
                return "  " + number + String(repeating: " ", count: 4 - number.count) + code.meaning
            }.joined(separator: "\n")
    }
}
