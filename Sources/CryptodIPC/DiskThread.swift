import NIOPosix

/// The thread where CryptodIPC does its blocking disk work (`fsync`, state-file replaces, saving at close),
/// so none of it runs on the cooperative pool or an event loop.
///
/// One per process, shared by every stream: that work is rare and short (one state-file write per 65,536
/// frames, one `fsync` per finished spill segment, the save at shutdown), all streams of a process share one
/// state directory and so one disk, and a thread per stream would sit idle almost all of the time. Jobs run
/// one at a time **in submission order**, across all streams; ``ReliableSender`` relies on that: a stream's
/// writes of its state file never race, and its save at close runs after every segment `fsync` queued
/// before it. ``shared`` lives as long as the process (like NIO's singletons); a separate one (tests) stops
/// its thread when released, after the jobs already submitted.
package final class DiskThread: Sendable {
    package static let shared = DiskThread()

    /// One thread, so submission order is execution order.
    private let pool: NIOThreadPool

    package init() {
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Runs `body` on the disk thread after everything submitted before it; returns at once.
    func submit(_ body: @escaping @Sendable () -> Void) {
        // The job keeps the thread alive: a released `DiskThread` stops only once its jobs have run.
        pool.submit { [self] _ in
            withExtendedLifetime(self) { body() }
        }
    }

    /// Runs `body` on the disk thread after everything submitted before it, and waits for its result.
    ///
    /// Unlike `NIOThreadPool.runIfActive`, cancelling the waiting task does not skip `body`: saving a
    /// stream at shutdown (often in a task already cancelled) must happen all the same.
    package func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            submit { continuation.resume(with: Result(catching: body)) }
        }
    }
}
