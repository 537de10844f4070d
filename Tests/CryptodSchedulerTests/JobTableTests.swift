import CryptodIPC
import CryptodModel
import CryptodWire
import Logging
import Testing

@testable import CryptodScheduler

@Suite("scheduler job table")
struct JobTableTests {
    let market = MarketKey(exchange: .binance, symbol: "BTCUSDT")

    func delivery(_ messages: [Message], from sequence: UInt64 = 1) -> StreamDelivery {
        StreamDelivery(
            stream: "ingestor-binance>scheduler", epoch: 7,
            items: messages.enumerated().map {
                SequencedMessage(sequence: sequence + UInt64($0.offset), message: $0.element)
            })
    }

    @Test("progress and results from the ingestor update the jobs they name")
    func progressAndResults() async throws {
        let table = JobTable(logger: Logger(label: "test"))
        table.submitted(JobRequest(id: 1, kind: .backfillCandles, market: market, interval: .m1, priority: 1))
        table.submitted(JobRequest(id: 2, kind: .resyncBook, market: market, priority: 9))
        #expect(table.summary().map(\.value) == ["2", "2", "0"])
        try await table.consume(
            delivery([
                .jobProgress(JobProgress(id: 1, completed: 10, total: 100)),
                .jobResult(JobResult(id: 2, outcome: .failed, items: 0, message: "no book")),
            ]))
        #expect(table.summary().map(\.value) == ["2", "1", "1"])
        try await table.consume(delivery([.jobResult(JobResult(id: 1, outcome: .succeeded, items: 100))], from: 3))
        #expect(table.summary().map(\.value) == ["2", "0", "1"])
    }

    @Test("the latest capacity report of each ingestor shows in the status")
    func capacity() async throws {
        let table = JobTable(logger: Logger(label: "test"))
        let budget = CapacityReportMessage.Budget(
            name: "REQUEST_WEIGHT", used: 200, limit: 6000, budget: 4800, windowStart: Timestamp(seconds: 60),
            resetAt: Timestamp(seconds: 120))
        try await table.consume(
            delivery([
                .capacityReport(
                    CapacityReportMessage(exchange: .binance, time: Timestamp(seconds: 70), budgets: [budget]))
            ]))
        #expect(table.summary().last == ProcessStatus.Detail("capacity.binance", "REQUEST_WEIGHT 200/4800 of 6000"))
    }

    @Test("a result for a job the table never saw changes nothing")
    func unknownJob() async throws {
        let table = JobTable(logger: Logger(label: "test"))
        try await table.consume(delivery([.jobResult(JobResult(id: 99, outcome: .succeeded, items: 1))]))
        #expect(table.summary().map(\.value) == ["0", "0", "0"])
    }
}
