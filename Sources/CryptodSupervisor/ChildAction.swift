/// What the supervisor must do after feeding an event to a ``ChildStateMachine``.
///
/// The machine never performs I/O; the `Supervisor` actor carries out each step of ``steps`` in order.
package enum ChildAction: Sendable, Hashable, CustomStringConvertible {
    /// Nothing to do.
    case none
    /// Spawn the child now, then report ``ChildStateMachine/spawned(pid:at:)`` or
    /// ``ChildStateMachine/spawnFailed(errno:at:)``.
    case spawn
    /// Send a signal to the child's current process.
    case signal(ChildSignal)
    /// Call ``ChildStateMachine/timerFired(_:at:)`` with this timer after the delay.
    ///
    /// At most one timer per child matters at a time: the supervisor may cancel the child's previous timer
    /// task when it schedules a new one, and a timer that fires late is ignored by the machine anyway.
    case scheduleTimer(ChildTimer, after: Duration)
    /// Automatic restarts stopped; log the reason at error level. The same text is the status message.
    case giveUp(reason: String)
    /// Several of the above, in order (an event that must do two things, e.g. SIGTERM plus the stop timer).
    case sequence([ChildAction])

    /// The steps to carry out, in order, flattened and without ``none``.
    package var steps: [ChildAction] {
        switch self {
        case .none: []
        case .sequence(let actions): actions.flatMap(\.steps)
        case .spawn, .signal, .scheduleTimer, .giveUp: [self]
        }
    }

    package var description: String {
        switch self {
        case .none: "none"
        case .spawn: "spawn"
        case .signal(let signal): "signal(\(signal))"
        case .scheduleTimer(let timer, let delay): "scheduleTimer(\(timer), after: \(delay.compactDescription))"
        case .giveUp(let reason): "giveUp(\(reason))"
        case .sequence(let actions): "[" + actions.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

/// The signals the supervisor sends to children.
package enum ChildSignal: Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// SIGTERM: stop gracefully (flush, close links, exit 0).
    case term
    /// SIGKILL: the stop timeout expired.
    case kill

    /// The signal number for `kill(2)`.
    package var number: Int32 {
        switch self {
        case .term: 15
        case .kill: 9
        }
    }

    package var description: String {
        switch self {
        case .term: "SIGTERM"
        case .kill: "SIGKILL"
        }
    }
}

/// A timer a ``ChildStateMachine`` asked for.
///
/// The serial number tells a timer that still applies from one scheduled for an earlier phase (a ready
/// timeout from a process that has since exited): the machine acts only on the timer it armed last.
package struct ChildTimer: Sendable, Hashable, CustomStringConvertible {
    /// What the timer measures.
    package enum Kind: Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The backoff after a crash elapsed: start the child again.
        case backoff
        /// The child did not exit within `stop_timeout` of SIGTERM: kill it.
        case stopTimeout
        /// The child did not report ready within `ready_timeout` of its spawn: stop it, count a crash.
        case readyTimeout

        package var description: String {
            switch self {
            case .backoff: "backoff"
            case .stopTimeout: "stopTimeout"
            case .readyTimeout: "readyTimeout"
            }
        }
    }

    package var kind: Kind
    /// Increases with every timer one machine arms.
    package var serial: UInt64

    package init(kind: Kind, serial: UInt64) {
        self.kind = kind
        self.serial = serial
    }

    package var description: String { "\(kind)#\(serial)" }
}
