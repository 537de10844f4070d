/// The seed's performance modes. `light`, `medium` and `heavy` are presets of buffer limits and worker
/// bounds; `auto` chooses among them from the measured message rate (``AutoModeSelector``).
package enum PerformanceMode: String, Sendable, CaseIterable, Codable {
    case light, medium, heavy, auto

    /// The modes a profile can be built from (`auto` always resolves to one of these).
    package static let presets: [PerformanceMode] = [.light, .medium, .heavy]
}

/// The data types that pass through a conflation buffer before they are published. Candles and trades never
/// do: each one is delivered, whatever the mode or the throttle.
package enum BufferedKind: String, Sendable, CaseIterable, Codable {
    case ticker, orderbook
}

/// When a conflation buffer flushes: after `maxSize` updates have arrived or when the oldest pending update is
/// `maxAgeMilliseconds` old, whichever comes first. A flush publishes the latest value of each market.
package struct BufferLimits: Sendable, Equatable, Codable {
    package var maxSize: Int
    package var maxAgeMilliseconds: Int

    package init(maxSize: Int, maxAgeMilliseconds: Int) {
        self.maxSize = maxSize
        self.maxAgeMilliseconds = maxAgeMilliseconds
    }
}

/// The kinds of parallel workers: `fast` serve latency-bound work (client fan-out encoders, cache writes),
/// `medium` serve throughput-bound work (database and broker flushers).
package enum WorkerKind: String, Sendable, CaseIterable, Codable {
    case fast, medium
}

/// The bounds a worker pool scales between.
package struct WorkerBounds: Sendable, Equatable, Codable {
    package var min: Int
    package var max: Int

    package init(min: Int, max: Int) {
        self.min = min
        self.max = max
    }
}

/// The settings a mode stands for: buffer limits per data type and worker bounds per kind.
package struct PerformanceProfile: Sendable, Equatable {
    package var buffers: [BufferedKind: BufferLimits]
    package var workers: [WorkerKind: WorkerBounds]

    package init(buffers: [BufferedKind: BufferLimits], workers: [WorkerKind: WorkerBounds]) {
        self.buffers = buffers
        self.workers = workers
    }

    /// The seed's presets (its v3 stream processor): ticker 5/10/20 updates and 1000/500/200 ms, order book
    /// 3/5/10 and 500/200/100 ms; fast workers 1–2/2–4/4–8, medium 1–2/2–3/3–6. `auto` starts as `medium`.
    package static func preset(_ mode: PerformanceMode) -> PerformanceProfile {
        switch mode {
        case .light:
            PerformanceProfile(
                buffers: [
                    .ticker: BufferLimits(maxSize: 5, maxAgeMilliseconds: 1000),
                    .orderbook: BufferLimits(maxSize: 3, maxAgeMilliseconds: 500),
                ],
                workers: [.fast: WorkerBounds(min: 1, max: 2), .medium: WorkerBounds(min: 1, max: 2)])
        case .medium, .auto:
            PerformanceProfile(
                buffers: [
                    .ticker: BufferLimits(maxSize: 10, maxAgeMilliseconds: 500),
                    .orderbook: BufferLimits(maxSize: 5, maxAgeMilliseconds: 200),
                ],
                workers: [.fast: WorkerBounds(min: 2, max: 4), .medium: WorkerBounds(min: 2, max: 3)])
        case .heavy:
            PerformanceProfile(
                buffers: [
                    .ticker: BufferLimits(maxSize: 20, maxAgeMilliseconds: 200),
                    .orderbook: BufferLimits(maxSize: 10, maxAgeMilliseconds: 100),
                ],
                workers: [.fast: WorkerBounds(min: 4, max: 8), .medium: WorkerBounds(min: 3, max: 6)])
        }
    }

    /// Individual settings that win over the mode's (`[performance]` keys; nil: the mode's value).
    package struct Overrides: Sendable, Equatable {
        package var maxSize: [BufferedKind: Int] = [:]
        package var maxAgeMilliseconds: [BufferedKind: Int] = [:]
        package var workersMin: [WorkerKind: Int] = [:]
        package var workersMax: [WorkerKind: Int] = [:]

        package init() {}
    }

    /// The preset of `mode` with `overrides` applied; a worker minimum above the maximum is raised to it.
    package static func resolve(_ mode: PerformanceMode, _ overrides: Overrides) -> PerformanceProfile {
        var profile = preset(mode)
        for kind in BufferedKind.allCases {
            if let size = overrides.maxSize[kind] { profile.buffers[kind]?.maxSize = size }
            if let age = overrides.maxAgeMilliseconds[kind] { profile.buffers[kind]?.maxAgeMilliseconds = age }
        }
        for kind in WorkerKind.allCases {
            guard var bounds = profile.workers[kind] else { continue }
            if let low = overrides.workersMin[kind] { bounds.min = low }
            if let high = overrides.workersMax[kind] { bounds.max = high }
            bounds.max = Swift.max(bounds.max, bounds.min)
            profile.workers[kind] = bounds
        }
        return profile
    }

    package func limits(_ kind: BufferedKind) -> BufferLimits {
        buffers[kind] ?? BufferLimits(maxSize: 1, maxAgeMilliseconds: 0)
    }

    package func bounds(_ kind: WorkerKind) -> WorkerBounds { workers[kind] ?? WorkerBounds(min: 1, max: 1) }
}
