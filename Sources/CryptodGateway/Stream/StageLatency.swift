import CryptodIPC
import CryptodModel
import CryptodOps
import Synchronization

/// Latency per stage of the pipeline, as the gateway sees each event arrive: `exchange` (the exchange's
/// event time to the ingestor's receipt: network and the exchange's own delay, and the two clocks'
/// disagreement) and `delivery` (the ingestor's receipt to the gateway: parsing, conflation, the wire).
///
/// Two windows per stage: the one filling and the last full one; percentiles read both, so a reading right
/// after a rotation still has data. Windows rotate every `window`.
package final class StageLatency: Sendable {
    package enum Stage: String, Sendable, CaseIterable {
        case exchange, delivery
    }

    private struct Windows {
        var current = LatencyHistogram()
        var previous = LatencyHistogram()
        var started: Int64
    }

    private let state: Mutex<[Stage: Windows]>
    private let received = Atomic<UInt64>(0)

    /// Market events received from the ingestors since start.
    package var receivedTotal: UInt64 { received.load(ordering: .relaxed) }
    private let windowNanoseconds: Int64

    package init(window: Duration = .seconds(10)) {
        let now = WallClock.nowNanoseconds()
        state = Mutex(Dictionary(uniqueKeysWithValues: Stage.allCases.map { ($0, Windows(started: now)) }))
        windowNanoseconds = Int64(window.components.seconds) * 1_000_000_000
    }

    /// Records the events of one delivery (one lock for all of them).
    package func record<Events: Sequence<MarketEvent>>(_ events: Events, now: Int64 = WallClock.nowNanoseconds()) {
        var exchange: [Int64] = []
        var delivery: [Int64] = []
        for event in events {
            let (eventTime, receivedAt) = Self.times(event)
            guard let receivedAt else { continue }
            delivery.append((now - receivedAt.nanoseconds) / 1000)
            if let eventTime { exchange.append((receivedAt.nanoseconds - eventTime.nanoseconds) / 1000) }
        }
        received.add(UInt64(delivery.count), ordering: .relaxed)
        guard !delivery.isEmpty else { return }
        state.withLock { state in
            for stage in Stage.allCases {
                guard var windows = state[stage] else { continue }
                if now - windows.started >= windowNanoseconds {
                    windows.previous = windows.current
                    windows.current = LatencyHistogram()
                    windows.started = now
                }
                for value in stage == .exchange ? exchange : delivery { windows.current.record(microseconds: value) }
                state[stage] = windows
            }
        }
    }

    /// p50/p90/p99 in milliseconds per stage over the last one to two windows (nil: no events).
    package func percentiles() -> [(stage: Stage, p50: Double?, p90: Double?, p99: Double?, count: UInt64)] {
        state.withLock { state in
            Stage.allCases.map { stage in
                var merged = state[stage]?.previous ?? LatencyHistogram()
                if let current = state[stage]?.current { merged.merge(current) }
                return (stage, merged.quantile(0.5), merged.quantile(0.9), merged.quantile(0.99), merged.total)
            }
        }
    }

    /// The exchange's time of an event (where it carries one) and the ingestor's receipt.
    static func times(_ event: MarketEvent) -> (Timestamp?, Timestamp?) {
        switch event {
        case .ticker(let value): (value.time, value.receivedAt)
        case .trades(let values): (values.last?.time, values.last?.receivedAt)
        case .bookDelta(let value): (value.time, value.receivedAt)
        case .bookSnapshot(let value): (value.time, value.receivedAt)
        // A candle's time is its open, not when it was sent.
        case .candle(let value): (nil, value.receivedAt)
        case .instruments, .gap, .status: (nil, nil)
        }
    }
}
