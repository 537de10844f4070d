import CryptodModel
import NIOCore

// Supervision payloads (0x03xx): the supervisor's link to each child (fd 3), and every process's own
// status socket (`<runtime_dir>/<name>.sock`) that the gateway reads for /health and /metrics.
// Bump WireProtocol.version when any encoding here changes.

/// The configuration a child must run with. Sent before `ready`, and again on reload.
public struct Configure: Sendable, Hashable {
    /// Increases with every reload; echoed in ``ConfigureResult`` and ``Ready``.
    public var generation: UInt64
    /// The file the text came from, for messages.
    public var path: String
    /// The whole configuration file as validated by the supervisor.
    public var text: String

    public init(generation: UInt64, path: String, text: String) {
        self.generation = generation
        self.path = path
        self.text = text
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(generation)
        buffer.wireWriteString(path)
        buffer.wireWriteText(text)
    }

    init(from reader: inout WireReader) throws {
        generation = try reader.u64("generation")
        path = try reader.string("path")
        text = try reader.text("text")
    }
}

/// A child's verdict on a ``Configure``.
public struct ConfigureResult: Sendable, Hashable {
    public var generation: UInt64
    public var accepted: Bool
    /// Accepted, but only a restart of this process applies it (e.g. a listen address changed).
    public var restartRequired: Bool
    public var message: String

    public init(generation: UInt64, accepted: Bool, restartRequired: Bool, message: String = "") {
        self.generation = generation
        self.accepted = accepted
        self.restartRequired = restartRequired
        self.message = message
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWrite(generation)
        buffer.wireWrite(accepted)
        buffer.wireWrite(restartRequired)
        buffer.wireWriteString(message)
    }

    init(from reader: inout WireReader) throws {
        generation = try reader.u64("generation")
        accepted = try reader.bool("accepted")
        restartRequired = try reader.bool("restartRequired")
        message = try reader.string("message")
    }
}

/// The child can do its work (sockets bound, peers reachable).
public struct Ready: Sendable, Hashable {
    public var generation: UInt64

    public init(generation: UInt64) { self.generation = generation }

    func encode(into buffer: inout ByteBuffer) { buffer.wireWrite(generation) }

    init(from reader: inout WireReader) throws { generation = try reader.u64("generation") }
}

/// Asks a child to stop gracefully within `graceMilliseconds` (the same as SIGTERM, but on the link).
public struct Shutdown: Sendable, Hashable {
    public var graceMilliseconds: UInt32

    public init(graceMilliseconds: UInt32) { self.graceMilliseconds = graceMilliseconds }

    func encode(into buffer: inout ByteBuffer) { buffer.wireWrite(graceMilliseconds) }

    init(from reader: inout WireReader) throws { graceMilliseconds = try reader.u32("graceMilliseconds") }
}

/// A process's description of itself, answering `statusRequest`.
public struct ProcessStatus: Sendable, Hashable {
    public var name: String
    public var role: ProcessRole
    public var pid: Int32
    public var startedAt: Timestamp
    public var ready: Bool
    public var configGeneration: UInt64
    /// Role-specific facts as ordered key/value text (`links.writer = connected`, `spill.bytes = 0`).
    public var details: [Detail]

    public struct Detail: Sendable, Hashable {
        public var key: String
        public var value: String

        public init(_ key: String, _ value: String) {
            self.key = key
            self.value = value
        }
    }

    public init(
        name: String, role: ProcessRole, pid: Int32, startedAt: Timestamp, ready: Bool, configGeneration: UInt64,
        details: [Detail] = []
    ) {
        self.name = name
        self.role = role
        self.pid = pid
        self.startedAt = startedAt
        self.ready = ready
        self.configGeneration = configGeneration
        self.details = details
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.wireWriteString(name)
        buffer.wireWrite(role.rawValue)
        buffer.wireWrite(pid)
        buffer.wireWrite(startedAt)
        buffer.wireWrite(ready)
        buffer.wireWrite(configGeneration)
        buffer.wireWriteArray(details) { buffer, detail in
            buffer.wireWriteString(detail.key)
            buffer.wireWriteString(detail.value)
        }
    }

    init(from reader: inout WireReader) throws {
        name = try reader.string("name")
        role = try reader.enumeration("role", as: ProcessRole.self)
        pid = try reader.i32("pid")
        startedAt = try reader.timestamp("startedAt")
        ready = try reader.bool("ready")
        configGeneration = try reader.u64("configGeneration")
        details = try reader.array("details", minimumElementSize: 4) { reader in
            Detail(try reader.string("details.key"), try reader.string("details.value"))
        }
    }

    var violation: Violation? {
        if let violation = Rules.string(name, "name") ?? Rules.count(details.count, "details") { return violation }
        for detail in details {
            if let violation = Rules.string(detail.key, "details.key") ?? Rules.string(detail.value, "details.value") {
                return violation
            }
        }
        return nil
    }
}

/// A process's metrics in the Prometheus text exposition format (version 0.0.4).
public struct MetricsReply: Sendable, Hashable {
    public var exposition: String

    public init(exposition: String) { self.exposition = exposition }

    func encode(into buffer: inout ByteBuffer) { buffer.wireWriteText(exposition) }

    init(from reader: inout WireReader) throws { exposition = try reader.text("exposition") }
}
