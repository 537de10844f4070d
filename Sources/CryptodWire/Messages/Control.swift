import CryptodModel
import NIOCore

// Control payloads (0x04xx): cryptoctl ↔ cryptod on `<runtime_dir>/control.sock`.
// Bump WireProtocol.version when any encoding here changes.

/// An operator command. Raw values are frozen.
public enum ControlCommand: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case status = 1
    case restart = 2
    case stop = 3
    case start = 4
    case reload = 5
    /// Validate the file named in `argument` (or the running config's file when empty).
    case checkConfig = 6
    /// Add streams to the ingestor named in `target`. `argument` is JSON defined by the ingestor:
    /// `{"market":"spot","symbol":"BTCUSDT","channels":["ticker","trades","candles:1m","book"]}`. Since version 2.
    case subscribe = 7
    /// Remove streams from the ingestor named in `target`; `argument` as for ``subscribe``. Since version 2.
    case unsubscribe = 8
    /// List the streams of the ingestor named in `target` (the reply's message is JSON). Since version 2.
    case subscriptions = 9
    /// Check an API key with the exchange of the ingestor named in `target`; `argument` is
    /// `{"key":"…","secret":"…"}`. The secret never appears in a description of the request. Since version 2.
    case verifyKey = 10
    /// Start a candle backfill in the scheduler (`target` is `scheduler`); `argument` is JSON:
    /// `{"exchange":"binance","market":"spot","symbol":"BTCUSDT","timeframe":"1m","from":…,"to":…,
    /// "order":"newest_first"}` (times in epoch ms). The reply's message is the job as JSON. Since version 2.
    case backfill = 11
    /// List the scheduler's backfill jobs, or one (`argument` `{"id":N}`); the reply is JSON. Since version 2.
    case jobs = 12
    /// The request budgets each ingestor reported and the scheduler's window plan, as JSON. Since version 2.
    case capacity = 13
    /// The coverage ledger of one market and timeframe over a range (`argument` as for ``backfill``), as
    /// JSON segments. Since version 2.
    case coverage = 14
    /// Cancel a backfill job (`argument` `{"id":N}`). Since version 2.
    case cancelJob = 15
    /// Stream processing of the process the request is sent to: with an empty `argument`, report; with JSON
    /// (`{"mode":"heavy","throttle_percent":90,"action":"stop|restart","overrides":{…},"by":"…"}`), change
    /// and report. The reply's message is the process's stream report as JSON. Since version 3.
    case stream = 16
    /// Push one message through the ingestor named in `target` as if its exchange had sent it, marked as
    /// injected, for testing consumers: `argument` `{"format":"native","message":"<a WebSocket text frame>",
    /// "market":"spot"}` or `{"format":"normalized","event":{…cryptod's JSON of a ticker, trades or candle…}}`.
    /// The reply's message is JSON (`{"published":N,"events":[…],"origin":"injected"}`). Since version 3.
    case inject = 17

    public var description: String {
        switch self {
        case .status: "status"
        case .restart: "restart"
        case .stop: "stop"
        case .start: "start"
        case .reload: "reload"
        case .checkConfig: "check-config"
        case .subscribe: "subscribe"
        case .unsubscribe: "unsubscribe"
        case .subscriptions: "subscriptions"
        case .verifyKey: "verify-key"
        case .backfill: "backfill"
        case .jobs: "jobs"
        case .capacity: "capacity"
        case .coverage: "coverage"
        case .cancelJob: "cancel-job"
        case .stream: "stream"
        case .inject: "inject"
        }
    }

    /// Whether the request's `argument` may hold a secret, and so never appears in a description or log.
    public var argumentIsSecret: Bool { self == .verifyKey }
}

/// An operator's command. Its ``description`` (and `debugDescription`, and its mirror) shows the argument
/// except for commands whose argument may hold a secret (`verifyKey`), where only its length is shown.
public struct ControlRequest: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Echoed in the reply.
    public var requestID: UInt32
    public var command: ControlCommand
    /// A child name (`writer`, `ingestor-binance`), or empty for "all" / not applicable.
    public var target: String
    public var argument: String

    public init(requestID: UInt32, command: ControlCommand, target: String = "", argument: String = "") {
        self.requestID = requestID
        self.command = command
        self.target = target
        self.argument = argument
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(requestID)
        buffer.wireWrite(command.rawValue)
        buffer.wireWriteString(target)
        buffer.wireWriteText(argument)
    }

    init(from reader: inout WireReader) throws {
        requestID = try reader.u32("requestID")
        command = try reader.enumeration("command", as: ControlCommand.self)
        target = try reader.string("target")
        argument = try reader.text("argument")
    }

    var violation: Violation? { Rules.string(target, "target") ?? Rules.text(argument, "argument") }

    /// The argument as descriptions show it: quoted, or `<redacted, N bytes>` when it may hold a secret.
    private var shownArgument: String {
        command.argumentIsSecret ? "<redacted, \(argument.utf8.count) bytes>" : String(reflecting: argument)
    }

    public var description: String {
        "ControlRequest(requestID: \(requestID), command: \(command), target: \(String(reflecting: target)), "
            + "argument: \(shownArgument))"
    }

    public var debugDescription: String { description }

    /// What `dump` and the default descriptions of enclosing values (`Message.controlRequest`) show.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "requestID": requestID, "command": command, "target": target,
                "argument": command.argumentIsSecret ? shownArgument : argument,
            ], displayStyle: .struct)
    }
}

/// The supervisor's view of one child.
public struct ChildStatus: Sendable, Hashable {
    /// Raw values are frozen.
    public enum State: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Not running, by operator request or before the first start.
        case stopped = 1
        /// Spawned, not yet ready.
        case starting = 2
        /// Ready and working.
        case running = 3
        /// Asked to stop, not yet exited.
        case stopping = 4
        /// Crashed; waiting for the backoff before the next start.
        case backoff = 5
        /// Crashed more often than the restart budget allows; no more automatic restarts.
        case failed = 6

        public var description: String {
            switch self {
            case .stopped: "stopped"
            case .starting: "starting"
            case .running: "running"
            case .stopping: "stopping"
            case .backoff: "backoff"
            case .failed: "failed"
            }
        }
    }

    /// How a process ended.
    public struct Exit: Sendable, Hashable, CustomStringConvertible {
        public enum Kind: UInt8, Sendable, Hashable, CaseIterable {
            case exited = 1
            case signaled = 2
        }

        public var kind: Kind
        /// Exit status, or the signal number.
        public var code: Int32
        public var at: Timestamp

        public init(kind: Kind, code: Int32, at: Timestamp) {
            self.kind = kind
            self.code = code
            self.at = at
        }

        public var description: String { kind == .exited ? "exit \(code)" : "signal \(code)" }
    }

    public var name: String
    public var role: ProcessRole
    public var state: State
    /// 0 when not running.
    public var pid: Int32
    public var startedAt: Timestamp?
    /// Automatic restarts since the supervisor started (operator restarts not counted).
    public var restarts: UInt32
    public var lastExit: Exit?
    public var nextRestartAt: Timestamp?
    public var message: String

    public init(
        name: String, role: ProcessRole, state: State, pid: Int32, startedAt: Timestamp?, restarts: UInt32,
        lastExit: Exit?, nextRestartAt: Timestamp?, message: String = ""
    ) {
        self.name = name
        self.role = role
        self.state = state
        self.pid = pid
        self.startedAt = startedAt
        self.restarts = restarts
        self.lastExit = lastExit
        self.nextRestartAt = nextRestartAt
        self.message = message
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWriteString(name)
        buffer.wireWrite(role.rawValue)
        buffer.wireWrite(state.rawValue)
        buffer.wireWrite(pid)
        buffer.wireWriteOptional(startedAt) { $0.wireWrite($1) }
        buffer.wireWrite(restarts)
        buffer.wireWriteOptional(lastExit) { buffer, exit in
            buffer.wireWrite(exit.kind.rawValue)
            buffer.wireWrite(exit.code)
            buffer.wireWrite(exit.at)
        }
        buffer.wireWriteOptional(nextRestartAt) { $0.wireWrite($1) }
        buffer.wireWriteString(message)
    }

    init(from reader: inout WireReader) throws {
        name = try reader.string("name")
        role = try reader.enumeration("role", as: ProcessRole.self)
        state = try reader.enumeration("state", as: State.self)
        pid = try reader.i32("pid")
        startedAt = try reader.optional("startedAt") { try $0.timestamp("startedAt") }
        restarts = try reader.u32("restarts")
        lastExit = try reader.optional("lastExit") { reader in
            Exit(
                kind: try reader.enumeration("lastExit.kind", as: Exit.Kind.self),
                code: try reader.i32("lastExit.code"),
                at: try reader.timestamp("lastExit.at"))
        }
        nextRestartAt = try reader.optional("nextRestartAt") { try $0.timestamp("nextRestartAt") }
        message = try reader.string("message")
    }
}

public struct ControlReply: Sendable, Hashable {
    /// Raw values are frozen; cryptoctl maps them to its exit codes.
    public enum Result: UInt8, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        case ok = 0
        case failed = 1
        case unknownTarget = 2
        case busy = 3
        case invalidConfig = 4
        case invalidRequest = 5

        public var description: String {
            switch self {
            case .ok: "ok"
            case .failed: "failed"
            case .unknownTarget: "unknown target"
            case .busy: "busy"
            case .invalidConfig: "invalid configuration"
            case .invalidRequest: "invalid request"
            }
        }
    }

    public var requestID: UInt32
    public var result: Result
    /// What happened, and for errors what to do about it.
    public var message: String
    /// The supervisor's clock, so clients compute uptimes without trusting their own.
    public var serverTime: Timestamp
    public var children: [ChildStatus]

    public init(requestID: UInt32, result: Result, message: String, serverTime: Timestamp, children: [ChildStatus] = [])
    {
        self.requestID = requestID
        self.result = result
        self.message = message
        self.serverTime = serverTime
        self.children = children
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(requestID)
        buffer.wireWrite(result.rawValue)
        buffer.wireWriteText(message)
        buffer.wireWrite(serverTime)
        buffer.wireWriteArray(children) { buffer, child in child.encode(into: &buffer) }
    }

    init(from reader: inout WireReader) throws {
        requestID = try reader.u32("requestID")
        result = try reader.enumeration("result", as: Result.self)
        message = try reader.text("message")
        serverTime = try reader.timestamp("serverTime")
        children = try reader.array("children", minimumElementSize: 17) { try ChildStatus(from: &$0) }
    }

    var violation: Violation? {
        if let violation = Rules.text(message, "message") ?? Rules.count(children.count, "children") {
            return violation
        }
        for child in children {
            if let violation = Rules.string(child.name, "children.name")
                ?? Rules.string(child.message, "children.message")
            {
                return violation
            }
        }
        return nil
    }
}
