import NIOCore
import Testing

@testable import CryptodGateway

@Suite("Topic sequence numbers and replay")
struct TopicLogTests {
    /// A log of capacity 4 after `published` messages, each message its own number as text.
    static func log(published: Int, capacity: Int = 4) -> TopicLog {
        var log = TopicLog(capacity: capacity)
        for seq in 0..<published {
            #expect(log.next == UInt64(seq + 1))
            log.append(ByteBuffer(string: "\(seq + 1)"))
        }
        return log
    }

    static func texts(_ resume: TopicLog.Resume) -> [String]? {
        guard case .replay(let messages) = resume else { return nil }
        return messages.map { String(buffer: $0) }
    }

    @Test(
        "a resume replays exactly what follows the client's number, or says why it cannot",
        arguments: [
            // (published, client's last seq, replayed texts or nil, expected outcome when not a replay)
            (0, 0, nil, TopicLog.Resume.upToDate),
            (3, 3, nil, .upToDate),
            (3, 0, ["1", "2", "3"], nil),
            (3, 1, ["2", "3"], nil),
            (10, 6, ["7", "8", "9", "10"], nil),
            (10, 9, ["10"], nil),
            (10, 5, nil, .resync(.tooFarBehind(oldest: 7))),
            (10, 0, nil, .resync(.tooFarBehind(oldest: 7))),
            (3, 4, nil, .resync(.unknownSequence(latest: 3))),
            (0, 7, nil, .resync(.unknownSequence(latest: 0))),
        ] as [(Int, UInt64, [String]?, TopicLog.Resume?)])
    func resume(published: Int, after seq: UInt64, replayed: [String]?, outcome: TopicLog.Resume?) {
        let log = Self.log(published: published)
        let answer = log.resume(after: seq)
        if let replayed {
            #expect(Self.texts(answer) == replayed)
        } else {
            #expect(answer == outcome)
        }
    }

    @Test("bytes follow what is held; dropping the oldest never drops the newest")
    func bytes() {
        var log = TopicLog(capacity: 3)
        let message = ByteBuffer(string: "12345")
        #expect(log.append(message) == message.capacity)
        log.append(message)
        log.append(message)
        // Full: the fourth pushes one out, so the size holds still.
        #expect(log.append(message) == 0)
        #expect(log.bytes == 3 * message.capacity)
        #expect(log.dropOldest() == message.capacity)
        #expect(log.dropOldest() == message.capacity)
        #expect(log.dropOldest() == 0, "the newest message stays")
        #expect(log.count == 1 && log.bytes == message.capacity)
        #expect(log.oldest == 4 && log.latest == 4)
        #expect(log.resume(after: 3) == .replay([message]))
        #expect(log.resume(after: 2) == .resync(.tooFarBehind(oldest: 4)))
    }

    @Test("the buffer keeps the newest `capacity` messages and numbers keep counting")
    func ring() {
        let log = Self.log(published: 9, capacity: 3)
        #expect(log.latest == 9)
        #expect(log.oldest == 7)
        #expect(log.next == 10)
        #expect(TopicLog(capacity: 3).oldest == nil)
    }
}
