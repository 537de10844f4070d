import Foundation
import Synchronization

/// The simulated clock shared by every venue: `now = start + (wall elapsed) × scale`.
///
/// A scale of 60 runs one simulated minute per real second (Binance's 24 h disconnect then comes in
/// 24 real minutes); a scale of 0 pins the clock, which only moves when told to (`advance`), so a
/// run is reproducible to the byte. Rate-limit windows, bans, pings and connection lifetimes all
/// read this clock.
package final class SimClock: Sendable {
    private struct State {
        var simAnchor: Int64
        var wallAnchorNanos: UInt64
        var scale: Double
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - start: simulated time at creation, ms since the epoch (default: the wall clock).
    ///   - scale: simulated ms per real ms (0 pins the clock).
    package init(start: Int64? = nil, scale: Double = 1) {
        let wallNow = Int64((Date().timeIntervalSince1970 * 1_000).rounded(.down))
        self.state = Mutex(
            State(simAnchor: start ?? wallNow, wallAnchorNanos: Self.monotonicNanos(), scale: max(0, scale)))
    }

    /// Nanoseconds of a monotonic clock (never jumps with the wall clock).
    package static func monotonicNanos() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    /// Current simulated time, ms since the epoch.
    package func now() -> Int64 {
        self.state.withLock { state in Self.read(state, at: Self.monotonicNanos()) }
    }

    private static func read(_ state: State, at nanos: UInt64) -> Int64 {
        guard state.scale > 0 else { return state.simAnchor }
        let elapsedMs = Double(nanos &- state.wallAnchorNanos) / 1_000_000
        return state.simAnchor + Int64((elapsedMs * state.scale).rounded(.down))
    }

    package var scale: Double { self.state.withLock { $0.scale } }

    /// Moves simulated time forward by `ms` (never backward).
    package func advance(by ms: Int64) {
        self.state.withLock { state in
            let nanos = Self.monotonicNanos()
            state.simAnchor = Self.read(state, at: nanos) + max(0, ms)
            state.wallAnchorNanos = nanos
        }
    }

    /// Jumps to `time` if it is later than now; returns the resulting time.
    @discardableResult
    package func set(to time: Int64) -> Int64 {
        self.state.withLock { state in
            let nanos = Self.monotonicNanos()
            state.simAnchor = max(Self.read(state, at: nanos), time)
            state.wallAnchorNanos = nanos
            return state.simAnchor
        }
    }

    /// Changes the speed from now on (0 pins the clock).
    package func setScale(_ scale: Double) {
        self.state.withLock { state in
            let nanos = Self.monotonicNanos()
            state.simAnchor = Self.read(state, at: nanos)
            state.wallAnchorNanos = nanos
            state.scale = max(0, scale)
        }
    }

    /// Real milliseconds that `simMs` of simulated time take at the current scale (nil when pinned).
    package func realMilliseconds(forSimulated simMs: Int64) -> Int64? {
        let scale = self.scale
        guard scale > 0 else { return nil }
        return Int64((Double(simMs) / scale).rounded(.up))
    }
}
