import NIOCore
import Testing

@testable import CryptodGateway

@Suite("Client queue")
struct ClientQueueTests {
    @Test("messages come out in order; the one past capacity ends the queue and frees it")
    func overflow() async {
        let queue = ClientQueue(capacity: 3)
        for index in 1...3 { #expect(queue.push(ByteBuffer(string: "\(index)")) == .queued) }
        #expect(await queue.next() == ByteBuffer(string: "1"))
        #expect(queue.push(ByteBuffer(string: "4")) == .queued)
        #expect(queue.push(ByteBuffer(string: "5")) == .overflowed(discarded: 4))
        #expect(queue.count == 0)
        #expect(queue.end == .overflow)
        #expect(queue.push(ByteBuffer(string: "6")) == .ended)
        #expect(await queue.next() == nil)
    }

    @Test("a reader gets the next message whether it waited or not, and nil once the queue is finished")
    func waiting() async {
        let queue = ClientQueue(capacity: 1)
        async let first = queue.next()
        #expect(queue.push(ByteBuffer(string: "a")) == .queued)
        #expect(await first == ByteBuffer(string: "a"))
        async let second = queue.next()
        queue.finish(.shutdown)
        #expect(await second == nil)
        #expect(queue.end == .shutdown)
        queue.finish(.closed)
        #expect(queue.end == .shutdown)
    }

    @Test("cancelling a waiting reader wakes it with nil")
    func cancelled() async {
        let queue = ClientQueue(capacity: 1)
        let reader = Task { await queue.next() }
        reader.cancel()
        #expect(await reader.value == nil)
    }

    @Test("a batch takes what is waiting, in order, up to the limit, and leaves the rest for the next")
    func batches() async {
        let queue = ClientQueue(capacity: 10)
        for index in 1...5 { #expect(queue.push(ByteBuffer(string: "\(index)")) == .queued) }
        #expect(await queue.nextBatch(limit: 3) == ["1", "2", "3"].map { ByteBuffer(string: $0) })
        #expect(queue.count == 2)
        #expect(await queue.nextBatch(limit: 3) == ["4", "5"].map { ByteBuffer(string: $0) })
        #expect(queue.count == 0)
    }

    @Test("a batch waits for its first message, and is empty once the queue is finished or the reader cancelled")
    func batchWaitsAndEnds() async {
        let queue = ClientQueue(capacity: 4)
        async let first = queue.nextBatch(limit: 8)
        #expect(queue.push(ByteBuffer(string: "a")) == .queued)
        #expect(await first.first == ByteBuffer(string: "a"))
        #expect(queue.push(ByteBuffer(string: "b")) == .queued)
        queue.finish(.closed)
        #expect(await queue.nextBatch(limit: 8).isEmpty)

        let other = ClientQueue(capacity: 4)
        let reader = Task { await other.nextBatch(limit: 8) }
        reader.cancel()
        #expect(await reader.value.isEmpty)
    }
}
