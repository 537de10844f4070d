@preconcurrency import Dispatch
import Synchronization

/// Resumes a continuation at most once, whichever signal comes first.
final class OnceFlag: Sendable {
    private let claimed = Atomic<Bool>(false)

    func claim() -> Bool {
        self.claimed.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
    }
}

/// Keeps signal sources alive for the life of the process (a released source stops firing).
/// Dispatch sources are thread-safe objects that predate Sendable annotations, hence unchecked.
final class SignalSources: @unchecked Sendable {
    private static let shared = SignalSources()
    private let lock = Mutex(())
    private var sources: [any DispatchSourceSignal] = []

    static func keep(_ list: [any DispatchSourceSignal]) {
        let shared = self.shared
        shared.lock.withLock { _ in shared.sources.append(contentsOf: list) }
    }
}
