import CryptodModel
import CryptodOps
import CryptodRuntime
import Metrics
import Synchronization

/// The ingestor's conflation buffers (``ConflationBuffer``) behind a lock, with their metrics: every source
/// and job publishes through it, and a timer task closes the windows (``due()``).
package final class ConflationStage: Sendable {
    private let buffer: Mutex<ConflationBuffer>
    private let offered = Atomic<UInt64>(0)
    private let clock = ContinuousClock()
    private let origin: ContinuousClock.Instant
    private let metrics: [BufferedKind: KindMetrics]
    /// The seed's `messages_processed_total`: every event the ingestor's sources produced.
    private let processed: Counter

    private struct KindMetrics: Sendable {
        let passed: Counter
        let flushes: Counter
        let conflated: Counter
        let pending: Gauge
    }

    package init(profile: PerformanceProfile, exchange: ExchangeID) {
        buffer = Mutex(ConflationBuffer(profile: profile))
        origin = clock.now
        var metrics: [BufferedKind: KindMetrics] = [:]
        for kind in BufferedKind.allCases {
            let dimensions = [("exchange", exchange.rawValue), ("kind", kind.rawValue)]
            metrics[kind] = KindMetrics(
                passed: Counter(label: "cryptod_buffer_passed_total", dimensions: dimensions),
                flushes: Counter(label: "cryptod_buffer_flushes_total", dimensions: dimensions),
                conflated: Counter(label: "cryptod_buffer_conflated_total", dimensions: dimensions),
                pending: Gauge(label: "cryptod_buffer_pending", dimensions: dimensions))
        }
        self.metrics = metrics
        processed = Counter(
            label: "cryptod_messages_processed_total",
            dimensions: [("process", "ingestor-\(exchange.rawValue)"), ("exchange", exchange.rawValue)])
    }

    private var now: Int64 {
        let elapsed = clock.now - origin
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    /// Events offered since start (the incoming rate the auto mode measures).
    package var offeredTotal: UInt64 { offered.load(ordering: .relaxed) }

    package func offer(_ event: MarketEvent) -> [MarketEvent] {
        offered.add(1, ordering: .relaxed)
        processed.increment()
        let now = self.now
        return update { $0.offer(event, now: now) }
    }

    package func due() -> [MarketEvent] {
        let now = self.now
        let out = update { $0.due(now: now) }
        let pending = buffer.withLock { buffer in BufferedKind.allCases.map { ($0, buffer.pending($0)) } }
        for (kind, count) in pending { metrics[kind]?.pending.record(count) }
        return out
    }

    package func apply(_ settings: StreamControl.Settings) -> [MarketEvent] {
        let now = self.now
        return update { buffer in
            buffer.apply(profile: settings.profile)
            buffer.setThrottle(percent: settings.throttlePercent)
            if settings.stopped {
                buffer.hold()
                return []
            }
            return buffer.held ? buffer.release(now: now) : []
        }
    }

    /// One report per buffered kind.
    package func reports() -> [BufferReport] {
        buffer.withLock { buffer in
            BufferedKind.allCases.map { kind in
                let counters = buffer.counters[kind] ?? ConflationBuffer.Counters()
                return BufferReport(
                    kind: kind, limits: buffer.limits[kind] ?? BufferLimits(maxSize: 1, maxAgeMilliseconds: 0),
                    effective: buffer.effective(kind), pending: buffer.pending(kind), flushesTotal: counters.flushes,
                    passedTotal: counters.passed, conflatedTotal: counters.conflated)
            }
        }
    }

    /// Runs `body` on the buffer and moves the metrics by the change in its counters.
    private func update(_ body: (inout ConflationBuffer) -> [MarketEvent]) -> [MarketEvent] {
        let (out, changes) = buffer.withLock { buffer in
            let before = buffer.counters
            let out = body(&buffer)
            var changes: [(BufferedKind, ConflationBuffer.Counters, ConflationBuffer.Counters)] = []
            for kind in BufferedKind.allCases where buffer.counters[kind] != before[kind] {
                changes.append((kind, before[kind] ?? .init(), buffer.counters[kind] ?? .init()))
            }
            return (out, changes)
        }
        for (kind, before, after) in changes {
            guard let metrics = metrics[kind] else { continue }
            if after.passed > before.passed { metrics.passed.increment(by: Int64(after.passed - before.passed)) }
            if after.flushes > before.flushes { metrics.flushes.increment(by: Int64(after.flushes - before.flushes)) }
            if after.conflated > before.conflated {
                metrics.conflated.increment(by: Int64(after.conflated - before.conflated))
            }
        }
        return out
    }
}
