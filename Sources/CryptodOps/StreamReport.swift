/// What one process says about its stream processing, in answer to the `stream` control command: the
/// gateway gathers these from every process for `/api/v1/stream/*`. JSON with snake_case keys.
package struct StreamReport: Sendable, Equatable, Codable {
    /// The process (`ingestor-binance`, `writer`, `gateway`, `scheduler`).
    package var process: String
    /// The mode in force (never `auto`: that is ``configuredMode``).
    package var mode: PerformanceMode
    package var configuredMode: PerformanceMode
    /// Why this mode: `configured`, `set at run time by …`, or the auto selector's reason.
    package var modeReason: String
    package var throttlePercent: Int
    /// `true` after an emergency stop, until `restart`.
    package var stopped: Bool
    package var buffers: [BufferReport]
    package var pools: [PoolReport]
    /// Messages this process handled since it started (ingestors: published; writer: stored; gateway: fanned out).
    package var messagesTotal: UInt64
    /// Messages shed on purpose (conflated away), since start.
    package var conflatedTotal: UInt64

    package init(
        process: String, mode: PerformanceMode, configuredMode: PerformanceMode, modeReason: String,
        throttlePercent: Int, stopped: Bool = false, buffers: [BufferReport] = [], pools: [PoolReport] = [],
        messagesTotal: UInt64 = 0, conflatedTotal: UInt64 = 0
    ) {
        self.process = process
        self.mode = mode
        self.configuredMode = configuredMode
        self.modeReason = modeReason
        self.throttlePercent = throttlePercent
        self.stopped = stopped
        self.buffers = buffers
        self.pools = pools
        self.messagesTotal = messagesTotal
        self.conflatedTotal = conflatedTotal
    }

    enum CodingKeys: String, CodingKey {
        case process, mode, buffers, pools, stopped
        case configuredMode = "configured_mode"
        case modeReason = "mode_reason"
        case throttlePercent = "throttle_percent"
        case messagesTotal = "messages_total"
        case conflatedTotal = "conflated_total"
    }
}

/// One conflation buffer of one process.
package struct BufferReport: Sendable, Equatable, Codable {
    package var kind: BufferedKind
    /// The limits of the mode and overrides…
    package var maxSize: Int
    package var maxAgeMilliseconds: Int
    /// …and as the throttle stretches them.
    package var effectiveMaxSize: Int
    package var effectiveMaxAgeMilliseconds: Int
    /// Markets with an update waiting for their window to end.
    package var pending: Int
    /// Windows that ended with a pending update published (trailing flushes).
    package var flushesTotal: UInt64
    /// Updates published as they came (within the window's allowance).
    package var passedTotal: UInt64
    /// Updates folded into a later one and never published on their own.
    package var conflatedTotal: UInt64

    package init(
        kind: BufferedKind, limits: BufferLimits, effective: BufferLimits, pending: Int = 0,
        flushesTotal: UInt64 = 0, passedTotal: UInt64 = 0, conflatedTotal: UInt64 = 0
    ) {
        self.kind = kind
        self.maxSize = limits.maxSize
        self.maxAgeMilliseconds = limits.maxAgeMilliseconds
        self.effectiveMaxSize = effective.maxSize
        self.effectiveMaxAgeMilliseconds = effective.maxAgeMilliseconds
        self.pending = pending
        self.flushesTotal = flushesTotal
        self.passedTotal = passedTotal
        self.conflatedTotal = conflatedTotal
    }

    enum CodingKeys: String, CodingKey {
        case kind, pending
        case maxSize = "max_size"
        case maxAgeMilliseconds = "max_age_ms"
        case effectiveMaxSize = "effective_max_size"
        case effectiveMaxAgeMilliseconds = "effective_max_age_ms"
        case flushesTotal = "flushes_total"
        case passedTotal = "passed_total"
        case conflatedTotal = "conflated_total"
    }
}

/// One worker pool of one process.
package struct PoolReport: Sendable, Equatable, Codable {
    /// `redis` (writer: cache-write connections), `postgres_read` (gateway: history queries)…
    package var pool: String
    package var kind: WorkerKind
    package var min: Int
    package var max: Int
    package var current: Int
    /// Work waiting for a worker now.
    package var queueDepth: Int
    package var scaleUpsTotal: UInt64
    package var scaleDownsTotal: UInt64
    /// The scaler's last decision, for people (`up to 3: queue 40 > 32 for 3 samples`).
    package var lastDecision: String?

    package init(
        pool: String, kind: WorkerKind, bounds: WorkerBounds, current: Int, queueDepth: Int,
        scaleUpsTotal: UInt64 = 0, scaleDownsTotal: UInt64 = 0, lastDecision: String? = nil
    ) {
        self.pool = pool
        self.kind = kind
        self.min = bounds.min
        self.max = bounds.max
        self.current = current
        self.queueDepth = queueDepth
        self.scaleUpsTotal = scaleUpsTotal
        self.scaleDownsTotal = scaleDownsTotal
        self.lastDecision = lastDecision
    }

    enum CodingKeys: String, CodingKey {
        case pool, kind, min, max, current
        case queueDepth = "queue_depth"
        case scaleUpsTotal = "scale_ups_total"
        case scaleDownsTotal = "scale_downs_total"
        case lastDecision = "last_decision"
    }
}
