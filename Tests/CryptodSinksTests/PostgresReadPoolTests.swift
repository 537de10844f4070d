import CryptodOps
import Synchronization
import Testing

@testable import CryptodSinks

/// The gateway's history pool against a real PostgreSQL: it grows while queries wait (each sleeps in the
/// server), shrinks when idle, answers every query with its own rows, and takes new bounds at run time.
@Suite(
    "PostgreSQL read pool scaling (real server)",
    .enabled(if: PostgresTestDatabase.isConfigured, "CRYPTOD_TEST_DATABASE_URL is not set"))
struct PostgresReadPoolTests {
    static let quick = WorkerPoolScaling.Settings(
        tick: .milliseconds(20), upPerWorker: 1, downPerWorker: 0, patience: 2)
    static let still = WorkerPoolScaling.Settings(tick: .seconds(3600), upPerWorker: 1, downPerWorker: 0)

    private func makePool(bounds: WorkerBounds, scaling: WorkerPoolScaling.Settings) throws -> PostgresReadPool {
        try PostgresReadPool(
            url: PostgresTestDatabase.serverURL!, bounds: bounds, applicationName: "cryptod-tests-read",
            scaling: scaling, logger: PostgresTestDatabase.logger)
    }

    private func waitUntil(_ timeout: Duration = .seconds(10), _ condition: () -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }

    @Test("grows toward max while queries wait, shrinks to min when idle; each query gets its own answer")
    func growsAndShrinks() async throws {
        let pool = try makePool(bounds: WorkerBounds(min: 1, max: 3), scaling: Self.quick)
        #expect(pool.connectionCount == 1)
        let largest = Largest()
        let sampling = Task {
            while !Task.isCancelled {
                largest.value.max(pool.connectionCount, ordering: .relaxed)
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        // Eight clients, each asking five slow questions in turn: more waiting than one connection serves.
        let answers = try await withThrowingTaskGroup(of: [(String, String?)].self) { group in
            for client in 0..<8 {
                group.addTask {
                    var answers: [(String, String?)] = []
                    for question in 0..<5 {
                        let asked = "\(client)-\(question)"
                        let rows = try await pool.query("SELECT $1::text, pg_sleep(0.1)", [asked])
                        answers.append((asked, rows.first?.first ?? nil))
                    }
                    return answers
                }
            }
            var all: [(String, String?)] = []
            for try await answers in group { all += answers }
            return all
        }
        #expect(answers.count == 40)
        #expect(answers.allSatisfy { $0.0 == $0.1 })
        #expect(largest.value.load(ordering: .relaxed) == 3, "the pool grew to its maximum while queries waited")
        let grown = pool.poolReport()
        #expect(grown.scaleUpsTotal >= 2)
        #expect(grown.pool == "postgres_read" && grown.kind == .medium && grown.min == 1 && grown.max == 3)

        #expect(await waitUntil { pool.connectionCount == 1 && pool.poolReport().current == 1 })
        #expect(pool.poolReport().scaleDownsTotal >= 2)
        #expect(pool.queueDepth == 0)
        sampling.cancel()
        #expect(try await pool.query("SELECT 41 + 1", []) == [["42"]])
        await pool.close()
    }

    @Test("setWorkerBounds clamps the pool at run time; a retiring connection finishes its query first")
    func boundsAtRunTime() async throws {
        let pool = try makePool(bounds: WorkerBounds(min: 1, max: 3), scaling: Self.still)
        #expect(pool.connectionCount == 1)
        await pool.setWorkerBounds(WorkerBounds(min: 2, max: 4))
        #expect(pool.connectionCount == 2)
        var report = pool.poolReport()
        #expect(report.current == 2 && report.min == 2 && report.max == 4 && report.scaleUpsTotal == 1)

        // One slow query on each connection (the least loaded takes the next), then shrink under them.
        async let first = pool.query("SELECT 'first', pg_sleep(0.3)", [])
        async let second = pool.query("SELECT 'second', pg_sleep(0.3)", [])
        #expect(await waitUntil { pool.queueDepth == 0 && pool.connected })
        try await Task.sleep(for: .milliseconds(50))
        await pool.setWorkerBounds(WorkerBounds(min: 1, max: 1))
        #expect(pool.connectionCount == 1)
        let (a, b) = try await (first, second)
        #expect(a.first?.first == "first" && b.first?.first == "second")
        report = pool.poolReport()
        #expect(report.current == 1 && report.max == 1 && report.scaleDownsTotal == 1)
        #expect(report.lastDecision?.contains("bounds lowered to 1–1") == true)
        #expect(try await pool.query("SELECT $1::int * 2", ["21"]) == [["42"]])

        await pool.close()
        #expect(pool.connectionCount == 0)
        await #expect(throws: PostgresReadPool.Failure.self) { try await pool.query("SELECT 1", []) }
    }

    @Test("a fixed-size pool (gateway.postgres_pool_size) does not scale")
    func fixedSize() async throws {
        let pool = try PostgresReadPool(
            url: PostgresTestDatabase.serverURL!, size: 2, applicationName: "cryptod-tests-read",
            logger: PostgresTestDatabase.logger)
        #expect(pool.connectionCount == 2)
        #expect(pool.poolReport().min == 2 && pool.poolReport().max == 2)
        #expect(try await pool.query("SELECT 1", []) == [["1"]])
        await pool.close()
    }
}

private final class Largest: Sendable {
    let value = Atomic<Int>(0)
}
