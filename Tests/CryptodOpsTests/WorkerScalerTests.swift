import Testing

@testable import CryptodOps

/// A decision without its reason text: `"up 3"`, `"down 1"`, `"hold"`.
private func outcome(_ decision: WorkerScaler.Decision) -> String {
    switch decision {
    case .hold: "hold"
    case .up(let to, _): "up \(to)"
    case .down(let to, _): "down \(to)"
    }
}

/// Feeds `depths` one sample each and returns the outcomes that were not `hold`, as `"<sample>:<outcome>"`.
private func drive(_ scaler: inout WorkerScaler, _ depths: [Int]) -> [String] {
    var seen: [String] = []
    for (index, depth) in depths.enumerated() {
        let result = outcome(scaler.sample(queueDepth: depth))
        if result != "hold" { seen.append("\(index + 1):\(result)") }
    }
    return seen
}

/// A scaler at `current` workers within `bounds` (raising the minimum, then restoring it, leaves it there).
private func scaler(
    bounds: WorkerBounds, at current: Int, up: Int = 10, down: Int = 2, patience: Int = 3
) -> WorkerScaler {
    var scaler = WorkerScaler(bounds: bounds, upPerWorker: up, downPerWorker: down, patience: patience)
    if current > bounds.min {
        _ = scaler.setBounds(WorkerBounds(min: current, max: Swift.max(current, bounds.max)))
        _ = scaler.setBounds(bounds)
    }
    return scaler
}

@Suite struct WorkerScalerTests {
    @Test("starts at the minimum")
    func startsAtMinimum() {
        let scaler = WorkerScaler(bounds: WorkerBounds(min: 2, max: 4))
        #expect(scaler.current == 2)
    }

    /// (patience, samples above the threshold) → first scale-up at sample `patience`, to current + 1.
    @Test(
        "grows after `patience` high samples, not before",
        arguments: [
            (1, [11], ["1:up 2"]),
            (2, [11, 11], ["2:up 2"]),
            (3, [11, 11], []),
            (3, [11, 11, 11], ["3:up 2"]),
            (5, [11, 11, 11, 11, 11], ["5:up 2"]),
            // The threshold is per worker: at 2 workers it takes more than 20.
            (2, [11, 11, 20, 20, 21, 21], ["2:up 2", "6:up 3"]),
            // A high streak broken by one sample in the band starts over.
            (3, [11, 11, 5, 11, 11, 11], ["6:up 2"]),
            // Exactly at the threshold is not above it.
            (1, [10, 10, 10], []),
        ] as [(Int, [Int], [String])])
    func growsAfterPatience(patience: Int, depths: [Int], expected: [String]) {
        var scaler = scaler(bounds: WorkerBounds(min: 1, max: 8), at: 1, patience: patience)
        #expect(drive(&scaler, depths) == expected)
    }

    /// (bounds, start, samples of a huge queue) → never above max; one decision per worker added.
    @Test(
        "never grows beyond the maximum",
        arguments: [
            (WorkerBounds(min: 1, max: 2), 1, 3, ["3:up 2"]),
            (WorkerBounds(min: 2, max: 4), 2, 3, ["3:up 3", "6:up 4"]),
            (WorkerBounds(min: 3, max: 3), 3, 3, []),
            (WorkerBounds(min: 4, max: 8), 8, 3, []),
        ] as [(WorkerBounds, Int, Int, [String])])
    func neverBeyondMax(bounds: WorkerBounds, start: Int, patience: Int, expected: [String]) {
        var scaler = scaler(bounds: bounds, at: start, patience: patience)
        #expect(drive(&scaler, Array(repeating: 1_000_000, count: 100)) == expected)
        #expect(scaler.current == bounds.max)
    }

    /// (patience, start, samples) → shrinking takes `patience × 4` low samples per step and stops at min.
    @Test(
        "shrinks slowly, one worker per `patience × 4` low samples, down to the minimum",
        arguments: [
            (1, 3, Array(repeating: 0, count: 3), []),
            (1, 3, Array(repeating: 0, count: 4), ["4:down 2"]),
            (1, 3, Array(repeating: 0, count: 20), ["4:down 2", "8:down 1"]),
            (3, 4, Array(repeating: 0, count: 11), []),
            (3, 4, Array(repeating: 0, count: 12), ["12:down 3"]),
            // Low means at most `down` per worker: 8 at 4 workers is low, 9 is in the band.
            (1, 4, [8, 8, 8, 8], ["4:down 3"]),
            (1, 4, [9, 9, 9, 9], []),
            // A sample in the band (above 2 per worker, at most 10) breaks the low streak.
            (1, 3, [0, 0, 0, 25, 0, 0, 0, 0], ["8:down 2"]),
        ] as [(Int, Int, [Int], [String])])
    func shrinksSlowly(patience: Int, start: Int, depths: [Int], expected: [String]) {
        var scaler = scaler(bounds: WorkerBounds(min: 1, max: 4), at: start, patience: patience)
        #expect(drive(&scaler, depths) == expected)
    }

    @Test("growing is quicker than shrinking")
    func growingQuickerThanShrinking() {
        var up = scaler(bounds: WorkerBounds(min: 1, max: 2), at: 1, patience: 2)
        var down = scaler(bounds: WorkerBounds(min: 1, max: 2), at: 2, patience: 2)
        let grown = drive(&up, Array(repeating: 1000, count: 8))
        let shrunk = drive(&down, Array(repeating: 0, count: 8))
        #expect(grown == ["2:up 2"])
        #expect(shrunk == ["8:down 1"])
    }

    /// (bounds, start, new bounds) → the decision of the clamp and the size after it.
    @Test(
        "a bounds change clamps at once",
        arguments: [
            (WorkerBounds(min: 2, max: 4), 4, WorkerBounds(min: 1, max: 2), "down 2", 2),
            (WorkerBounds(min: 2, max: 4), 2, WorkerBounds(min: 4, max: 8), "up 4", 4),
            (WorkerBounds(min: 2, max: 4), 3, WorkerBounds(min: 1, max: 6), "hold", 3),
            (WorkerBounds(min: 1, max: 2), 1, WorkerBounds(min: 1, max: 2), "hold", 1),
            // Normalised: a minimum of 0 is 1, a maximum under the minimum is raised to it.
            (WorkerBounds(min: 2, max: 4), 4, WorkerBounds(min: 0, max: 0), "down 1", 1),
            (WorkerBounds(min: 1, max: 2), 1, WorkerBounds(min: 3, max: 1), "up 3", 3),
        ] as [(WorkerBounds, Int, WorkerBounds, String, Int)])
    func clampsOnBoundsChange(bounds: WorkerBounds, start: Int, next: WorkerBounds, expected: String, after: Int) {
        var scaler = scaler(bounds: bounds, at: start)
        #expect(scaler.current == start)
        #expect(outcome(scaler.setBounds(next)) == expected)
        #expect(scaler.current == after)
        #expect(scaler.bounds.min <= scaler.current && scaler.current <= scaler.bounds.max)
    }

    @Test("a bounds change restarts the streaks")
    func boundsChangeRestartsStreaks() {
        var scaler = scaler(bounds: WorkerBounds(min: 1, max: 4), at: 1, patience: 3)
        #expect(drive(&scaler, [100, 100]) == [])
        _ = scaler.setBounds(WorkerBounds(min: 1, max: 6))
        // Two more high samples are not three in a row since the change.
        #expect(drive(&scaler, [100, 100]) == [])
        #expect(drive(&scaler, [100]) == ["1:up 2"])
    }

    /// Samples in the band (above `down`, at most `up` per worker) hold however long they last.
    @Test(
        "holds in the middle band",
        arguments: [
            (1, [3, 10, 5, 7, 10, 3]),
            (2, [5, 20, 11, 19, 20, 5]),
            (4, [9, 40, 20, 39, 40, 9]),
        ] as [(Int, [Int])])
    func holdsInTheBand(start: Int, band: [Int]) {
        var scaler = scaler(bounds: WorkerBounds(min: 1, max: 8), at: start, patience: 1)
        let depths = Array((0..<50).map { band[$0 % band.count] })
        #expect(drive(&scaler, depths) == [])
        #expect(scaler.current == start)
    }

    @Test("a patience of 0 counts as 1, so an empty queue never grows the pool")
    func zeroPatience() {
        var scaler = WorkerScaler(bounds: WorkerBounds(min: 1, max: 4), upPerWorker: 10, downPerWorker: 2, patience: 1)
        scaler.patience = 0
        #expect(drive(&scaler, [0, 0, 0]) == [])
        #expect(drive(&scaler, [11]) == ["1:up 2"])
    }

    @Test("bounds given at creation are normalised")
    func normalisedAtCreation() {
        let zero = WorkerScaler(bounds: WorkerBounds(min: 0, max: 0))
        #expect(zero.bounds == WorkerBounds(min: 1, max: 1) && zero.current == 1)
        let inverted = WorkerScaler(bounds: WorkerBounds(min: 3, max: 2))
        #expect(inverted.bounds == WorkerBounds(min: 3, max: 3) && inverted.current == 3)
    }

    @Test("decisions say why")
    func reasons() {
        var scaler = WorkerScaler(bounds: WorkerBounds(min: 1, max: 2), upPerWorker: 10, downPerWorker: 2, patience: 1)
        guard case .up(let to, let reason) = scaler.sample(queueDepth: 40) else {
            Issue.record("expected a scale-up")
            return
        }
        #expect(to == 2)
        #expect(reason.contains("queue 40") && reason.contains("10 per worker"))
        guard case .down(_, let lowered) = scaler.setBounds(WorkerBounds(min: 1, max: 1)) else {
            Issue.record("expected a clamp down")
            return
        }
        #expect(lowered.contains("bounds lowered to 1–1"))
    }
}
