/// `performance.mode = "auto"`: picks light, medium or heavy from the measured message rate (pure).
///
/// Rates below `lightBelow` want `light`, above `heavyAbove` want `heavy`, `medium` between. A switch needs
/// the wanted mode for `patience` consecutive samples, and moving down needs the rate to be 20 % under the
/// boundary (hysteresis), so a rate that hovers at a boundary does not flap the mode.
package struct AutoModeSelector: Sendable, Equatable {
    package var lightBelow: Double
    package var heavyAbove: Double
    package var patience: Int
    package private(set) var mode: PerformanceMode = .medium
    package private(set) var reason = "auto: starting as medium until the message rate is measured"
    private var candidate: PerformanceMode?
    private var streak = 0

    /// Rates are messages per second (a count, not a price).
    package init(lightBelow: Double, heavyAbove: Double, patience: Int = 3) {
        self.lightBelow = lightBelow
        self.heavyAbove = Swift.max(heavyAbove, lightBelow)
        self.patience = Swift.max(1, patience)
    }

    /// The mode `rate` asks for, given the mode now in force (the margin applies to moving down only).
    func wanted(_ rate: Double) -> PerformanceMode {
        let margin = 0.8
        switch mode {
        case .heavy:
            if rate < lightBelow * margin { return .light }
            return rate < heavyAbove * margin ? .medium : .heavy
        case .medium, .auto:
            if rate > heavyAbove { return .heavy }
            return rate < lightBelow * margin ? .light : .medium
        case .light:
            if rate > heavyAbove { return .heavy }
            return rate > lightBelow ? .medium : .light
        }
    }

    /// Takes one rate sample; returns the new mode when it switches.
    package mutating func sample(rate: Double) -> PerformanceMode? {
        let want = wanted(rate)
        guard want != mode else {
            candidate = nil
            streak = 0
            return nil
        }
        if candidate == want { streak += 1 } else { (candidate, streak) = (want, 1) }
        guard streak >= patience else { return nil }
        let from = mode
        mode = want
        candidate = nil
        streak = 0
        let rateText = rate < 10 ? String(format1: rate) : String(Int(rate.rounded()))
        reason =
            switch want {
            case .light: "auto: \(rateText) msg/s below \(Int(lightBelow)) for \(patience) samples (was \(from))"
            case .heavy: "auto: \(rateText) msg/s above \(Int(heavyAbove)) for \(patience) samples (was \(from))"
            default:
                "auto: \(rateText) msg/s between \(Int(lightBelow)) and \(Int(heavyAbove)) for \(patience) samples "
                    + "(was \(from))"
            }
        return want
    }
}

extension String {
    /// One decimal, without Foundation.
    init(format1 value: Double) {
        let tenths = Int((value * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
