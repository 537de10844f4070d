/// What a reload from one configuration to another means for each process.
///
/// ```swift
/// let plan = ReloadPlan(old: running, new: candidate)
/// guard plan.daemonRestartKeys.isEmpty else { return refuse("restart cryptod to apply \(plan.daemonRestartKeys)") }
/// for step in plan.steps { … }   // .added → spawn, .removed → stop, .restart → stop + spawn, .applyInPlace → Configure
/// ```
package struct ReloadPlan: Sendable, Equatable {
    /// What to do with one process.
    package enum Action: Sendable, Equatable {
        /// No key it reads changed.
        case unchanged
        /// Only reloadable keys it reads changed: send it the new configuration.
        case applyInPlace(changedKeys: [String])
        /// A key it reads changed that only a restart applies.
        case restart(changedKeys: [String])
        /// Topology change: the process is newly enabled.
        case added
        /// Topology change: the process is no longer enabled.
        case removed
    }

    /// One process and its action.
    package struct Step: Sendable, Equatable {
        /// The process.
        package let process: ProcessName
        /// What the supervisor does with it.
        package let action: Action
    }

    /// Every process enabled before or after, in start order.
    package let steps: [Step]
    /// Every key whose effective value changed, in schema order.
    package let changedKeys: [String]
    /// Changed keys the supervisor itself reads; it adopts them (restart policy applies to future restarts).
    package let supervisorKeys: [String]
    /// Changed keys that only a restart of `cryptod` applies (runtime or state directory, log format).
    package let daemonRestartKeys: [String]

    /// Compares two validated configurations.
    package init(old: Configuration, new: Configuration) {
        let changed = ConfigSchema.keys.filter { old.values[$0.path] != new.values[$0.path] }
        changedKeys = changed.map(\.path)
        supervisorKeys = changed.filter(\.supervisorUses).map(\.path)
        daemonRestartKeys = changed.filter(\.requiresDaemonRestart).map(\.path)
        let before = Set(old.enabledProcesses)
        let after = Set(new.enabledProcesses)
        steps = before.union(after).sorted().map { process in
            guard before.contains(process) else { return Step(process: process, action: .added) }
            guard after.contains(process) else { return Step(process: process, action: .removed) }
            let relevant = changed.filter { $0.affects(process) }
            if relevant.isEmpty { return Step(process: process, action: .unchanged) }
            let keys = relevant.map(\.path)
            return Step(
                process: process,
                action: relevant.allSatisfy(\.reloadable)
                    ? .applyInPlace(changedKeys: keys) : .restart(changedKeys: keys))
        }
    }

    /// The action for `process`, or nil if it runs in neither configuration.
    package func action(for process: ProcessName) -> Action? {
        steps.first { $0.process == process }?.action
    }

    /// True when nothing changed.
    package var isEmpty: Bool { changedKeys.isEmpty }

    /// True when a process starts or stops.
    package var changesTopology: Bool {
        steps.contains { $0.action == .added || $0.action == .removed }
    }
}
