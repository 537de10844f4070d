/// Where one alert (a rule and one label set it yielded) stands.
package enum AlertState: String, Sendable, Hashable {
    /// The expression holds, not yet for the rule's `for`.
    case pending
    case firing
    /// It fired and no longer holds; kept for ``AlertEngine/resolvedRetention`` so that people see it.
    case resolved
}

/// One alert as `/api/v1/admin/alerts` shows it.
package struct ActiveAlert: Sendable, Hashable {
    package var rule: String
    package var severity: AlertSeverity
    package var labels: Labels
    package var state: AlertState
    /// When the expression started to hold (pending), seconds since the epoch.
    package var activeSince: Double
    /// When it started firing.
    package var firedAt: Double?
    /// When it resolved.
    package var resolvedAt: Double?
    /// The expression's value at the last evaluation where it held.
    package var value: Double
    package var summary: String
    package var description: String

    /// Identifies the alert across evaluations: rule name plus sorted labels.
    package var key: String { ActiveAlert.key(rule: rule, labels: labels) }

    package static func key(rule: String, labels: Labels) -> String {
        rule + "{" + labels.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ",") + "}"
    }
}

/// A change of an alert's state that notifications care about.
package struct AlertTransition: Sendable, Hashable {
    package enum Kind: String, Sendable { case pending, firing, resolved }
    package var kind: Kind
    package var alert: ActiveAlert
}

/// The alert state machine, pure: inactive → pending → firing → resolved, as Prometheus's rule manager runs
/// it. Each evaluation gives every rule's result elements; an element that keeps holding for the rule's
/// `for` fires (at once when `for` is 0); a pending one that stops holding is forgotten silently; a firing
/// one that stops holding resolves, and is kept as resolved for ``resolvedRetention`` seconds.
package struct AlertEngine: Sendable {
    package let rules: [AlertRule]
    /// Replaces every rule's `for` when set (tests shorten it; `alerts.for_override`).
    package var holdOverride: Double?
    package var resolvedRetention: Double = 900
    package private(set) var alerts: [String: ActiveAlert] = [:]

    package init(rules: [AlertRule] = AlertCatalog.rules, holdOverride: Double? = nil) {
        self.rules = rules
        self.holdOverride = holdOverride
    }

    /// Applies one evaluation. `results[rule.name]` is the vector the rule's expression gave at `time`
    /// (an absent entry means the rule could not be evaluated: its alerts are left as they are).
    package mutating func step(at time: Double, results: [String: [VectorElement]]) -> [AlertTransition] {
        var transitions: [AlertTransition] = []
        for rule in rules {
            guard let elements = results[rule.name] else { continue }
            let hold = holdOverride ?? Double(rule.holdSeconds)
            var seen = Set<String>()
            for element in elements {
                let key = ActiveAlert.key(rule: rule.name, labels: element.labels)
                seen.insert(key)
                let summary = AlertCatalog.render(rule.summary, labels: element.labels, value: element.value)
                let description = AlertCatalog.render(rule.description, labels: element.labels, value: element.value)
                var alert =
                    alerts[key].flatMap { $0.state == .resolved ? nil : $0 }
                    ?? ActiveAlert(
                        rule: rule.name, severity: rule.severity, labels: element.labels, state: .pending,
                        activeSince: time, value: element.value, summary: summary, description: description)
                let isNew = alerts[key] == nil || alerts[key]?.state == .resolved
                alert.value = element.value
                alert.summary = summary
                alert.description = description
                if alert.state == .pending, time - alert.activeSince >= hold {
                    alert.state = .firing
                    alert.firedAt = time
                    transitions.append(AlertTransition(kind: .firing, alert: alert))
                } else if isNew {
                    transitions.append(AlertTransition(kind: .pending, alert: alert))
                }
                alerts[key] = alert
            }
            for (key, alert) in alerts where alert.rule == rule.name && !seen.contains(key) {
                switch alert.state {
                case .pending:
                    alerts[key] = nil
                case .firing:
                    var resolved = alert
                    resolved.state = .resolved
                    resolved.resolvedAt = time
                    alerts[key] = resolved
                    transitions.append(AlertTransition(kind: .resolved, alert: resolved))
                case .resolved:
                    if let at = alert.resolvedAt, time - at > resolvedRetention { alerts[key] = nil }
                }
            }
        }
        return transitions.sorted { ($0.alert.rule, $0.alert.key) < ($1.alert.rule, $1.alert.key) }
    }

    /// Every known alert: firing first, then pending, then resolved; by rule and labels within each.
    package var sortedAlerts: [ActiveAlert] {
        let order: [AlertState: Int] = [.firing: 0, .pending: 1, .resolved: 2]
        return alerts.values.sorted { lhs, rhs in
            (order[lhs.state] ?? 3, lhs.key) < (order[rhs.state] ?? 3, rhs.key)
        }
    }

    /// Evaluates every rule's expression at `time` over `history` (a rule whose expression fails to
    /// evaluate is left out, so its alerts keep their state, and its error is returned). `rangeCap`
    /// shortens every longer range window to it (`alerts.range_cap`, for tests).
    package static func evaluate(
        _ rules: [AlertRule], at time: Double, in history: ScrapeHistory, rangeCap: Double? = nil
    ) -> (results: [String: [VectorElement]], errors: [String: String]) {
        var results: [String: [VectorElement]] = [:]
        var errors: [String: String] = [:]
        for rule in rules {
            do {
                var expression = try PromQLExpression.parse(rule.expr)
                if let rangeCap { expression = expression.cappingRanges(at: rangeCap) }
                results[rule.name] = try expression.evaluate(at: time, in: history).elements
            } catch {
                errors[rule.name] = "\(error)"
            }
        }
        return (results, errors)
    }
}
