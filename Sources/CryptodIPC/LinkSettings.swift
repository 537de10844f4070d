import CryptodModel
import CryptodWire

/// Who this process is on a link: the first half of every `Hello` it sends.
package struct LinkIdentity: Sendable, Hashable {
    package var role: ProcessRole
    /// `writer`, `ingestor-binance`, `cryptoctl`…; names streams (`ingestor-binance>writer`) and log lines.
    package var name: String
    package var buildID: String

    package init(role: ProcessRole, name: String, buildID: String = LinkIdentity.defaultBuildID) {
        self.role = role
        self.name = name
        self.buildID = buildID
    }

    /// The build id compiled into this binary (the package version; the git commit is added by the build
    /// scripts through the environment at run time, when available).
    package static let defaultBuildID = "cryptod-0.1"
}

/// Tunables of links and reliable streams (config section `[delivery]`).
package struct LinkSettings: Sendable, Hashable {
    /// Largest payload accepted from a peer.
    package var maxFrameBytes: Int
    /// A heartbeat goes out this often on an idle-or-not link.
    package var heartbeatInterval: Duration
    /// The link is closed when nothing at all arrived for this long.
    package var heartbeatTimeout: Duration
    /// How long the handshake may take.
    package var handshakeTimeout: Duration
    /// Reconnect backoff for connecting sides.
    package var reconnectInitialBackoff: Duration
    package var reconnectMaxBackoff: Duration
    /// Unacknowledged bytes an outbound stream keeps in memory before it spills to disk.
    package var memoryLimit: Int
    /// Bytes an outbound stream may spill; beyond this the oldest spilled frames are dropped (and counted).
    package var spillLimit: Int
    /// Size of one spill segment file.
    package var spillSegmentBytes: Int
    /// Frames handed to a consumer at most at once.
    package var maxBatch: Int
    /// Market events one coalesced frame (`marketBatch`) carries at most; below 2, nothing is coalesced.
    package var maxBatchEvents: Int
    /// Payload bytes of one coalesced frame at most (and never more than the peer's frame limit).
    package var maxBatchBytes: Int

    package init(
        maxFrameBytes: Int = WireProtocol.defaultMaxFrameBytes,
        heartbeatInterval: Duration = .seconds(5),
        heartbeatTimeout: Duration = .seconds(20),
        handshakeTimeout: Duration = .seconds(10),
        reconnectInitialBackoff: Duration = .milliseconds(100),
        reconnectMaxBackoff: Duration = .seconds(5),
        memoryLimit: Int = 64 << 20,
        spillLimit: Int = 2 << 30,
        spillSegmentBytes: Int = 64 << 20,
        maxBatch: Int = 4096,
        maxBatchEvents: Int = 512,
        maxBatchBytes: Int = 64 << 10
    ) {
        self.maxFrameBytes = maxFrameBytes
        self.heartbeatInterval = heartbeatInterval
        self.heartbeatTimeout = heartbeatTimeout
        self.handshakeTimeout = handshakeTimeout
        self.reconnectInitialBackoff = reconnectInitialBackoff
        self.reconnectMaxBackoff = reconnectMaxBackoff
        self.memoryLimit = memoryLimit
        self.spillLimit = spillLimit
        self.spillSegmentBytes = spillSegmentBytes
        self.maxBatch = maxBatch
        self.maxBatchEvents = maxBatchEvents
        self.maxBatchBytes = maxBatchBytes
    }
}

extension Duration {
    /// Whole nanoseconds, saturating.
    package var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
