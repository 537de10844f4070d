import CryptodConfig
import CryptodIPC
import CryptodModel
import CryptodSinks
import CryptodWire
import Foundation
import Logging
import Testing

@testable import CryptodWriter

/// The JSONL sink as a ``Sink`` and the writer's consumer over real sinks.
@Suite struct JSONLSinkTests {
    @Test func positionSurvivesATornLastLine() async throws {
        let dir = try WriterTemporaryDirectory()
        let sink = try JSONLSink(directory: dir.path + "/jsonl", logger: writerLogger)
        try await sink.write(writerBatch(1...3))
        #expect(try await sink.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 3))
        await sink.close()
        // A crash in the middle of the next write leaves half a line behind.
        let file = try #require(try jsonlFiles(dir.path).first)
        let handle = try #require(FileHandle(forWritingAtPath: file))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"type":"ticker","stream":"ingestor-binance>wri"#.utf8))
        try handle.close()

        let restarted = try JSONLSink(directory: dir.path + "/jsonl", logger: writerLogger)
        #expect(try await restarted.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 3))
        try await restarted.write(writerBatch(4...5))
        #expect(try await restarted.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 5))
        #expect(try sequences(in: file) == [1, 2, 3, 4, 5])
        await restarted.close()
    }

    @Test("a batched frame cut short by a crash is cut off; its seq is not counted as held")
    func incompleteBatchedFrame() async throws {
        let dir = try WriterTemporaryDirectory()
        let sink = try JSONLSink(directory: dir.path + "/jsonl", logger: writerLogger)
        // Frame 2 is a batch of three events, frame 3 of two.
        try await sink.write(WriterConsumer.batch(of: batchedDelivery([1: 1, 2: 3, 3: 2])))
        #expect(try await sink.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 3))
        await sink.close()
        let file = try #require(try jsonlFiles(dir.path).first)
        #expect(try sequences(in: file) == [1, 2, 2, 2, 3, 3])
        // As if the crash came after frame 3's first line: drop its last line.
        var lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        lines.removeLast()
        try (lines.joined(separator: "\n") + "\n").write(toFile: file, atomically: false, encoding: .utf8)

        let restarted = try JSONLSink(directory: dir.path + "/jsonl", logger: writerLogger)
        #expect(try await restarted.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 2))
        #expect(try sequences(in: file) == [1, 2, 2, 2], "frame 3's lone line was cut off")
        // The replay of frame 3 writes it whole, once.
        try await restarted.write(WriterConsumer.batch(of: batchedDelivery([3: 2])))
        #expect(try sequences(in: file) == [1, 2, 2, 2, 3, 3])
        #expect(try await restarted.position(of: writerStream) == SinkPosition(epoch: 9, sequence: 3))
        await restarted.close()
    }

    @Test func writerResumesFromTheSinksAndWritesAReplayOnce() async throws {
        let dir = try WriterTemporaryDirectory()
        var sinks = try makeSinkSet(dir.path)
        var runner = Task { [sinks] in await sinks.run() }
        try await WriterConsumer(sinks: sinks).consume(delivery(1...10))
        #expect(
            try await WriterConsumer(sinks: sinks).position(of: writerStream)
                == StreamPosition(epoch: 9, deliveredThrough: 10))
        await sinks.close()
        await runner.value

        // A restarted writer resumes from its data; the sender replays from an older acknowledgement.
        sinks = try makeSinkSet(dir.path)
        runner = Task { [sinks] in await sinks.run() }
        let consumer = WriterConsumer(sinks: sinks)
        #expect(try await consumer.position(of: writerStream) == StreamPosition(epoch: 9, deliveredThrough: 10))
        try await consumer.consume(delivery(5...12))
        #expect(try sequences(in: try #require(try jsonlFiles(dir.path).first)) == Array(1...12))
        await sinks.close()
        await runner.value
    }

    @Test("every configured sink is built, in order, from its keys; a bad URL is a configuration error")
    func sinksAreBuiltFromConfiguration() throws {
        let dir = try WriterTemporaryDirectory()
        let jsonl = try loadWriterConfig("[daemon]\nstate_dir = \"\(dir.path)\"\n[writer]\nsinks = [\"jsonl\"]\n")
        #expect(try makeSinks(configuration: jsonl, logger: writerLogger).map(\.name) == ["jsonl"])
        #expect(jsonl.spoolDirectory == dir.path + "/spool")
        let all = try loadWriterConfig(
            "[daemon]\nstate_dir = \"\(dir.path)\"\n[writer]\nsinks = [\"jsonl\", \"postgres\", \"redis\", \"rabbitmq\"]\n"
        )
        #expect(
            try makeSinks(configuration: all, logger: writerLogger).map(\.name) == [
                "jsonl", "postgres", "redis", "rabbitmq",
            ])
        // Nothing connects while building: a server that is down is the pipeline's business, not start-up's.
        let badRedis = try loadWriterConfig(
            "[daemon]\nstate_dir = \"\(dir.path)\"\n[writer]\nsinks = [\"redis\"]\nredis_url = \"redis://127.0.0.1:6379/x\"\n"
        )
        #expect {
            try makeSinks(configuration: badRedis, logger: writerLogger)
        } throws: { error in
            (error as? SinkError)?.code == .configuration && "\(error)".contains("database number")
        }
    }
}

// MARK: - Support

let writerStream = "ingestor-binance>writer"
let writerLogger = Logger(label: "writer-tests")

func makeSinkSet(_ root: String) throws -> SinkSet {
    try SinkSet(
        sinks: [try JSONLSink(directory: root + "/jsonl", logger: writerLogger)], spoolDirectory: root + "/spool",
        logger: writerLogger)
}

func writerBatch(_ sequences: ClosedRange<UInt64>) -> SinkBatch {
    WriterConsumer.batch(of: delivery(sequences))
}

func delivery(_ sequences: ClosedRange<UInt64>) -> StreamDelivery {
    StreamDelivery(
        stream: writerStream, epoch: 9,
        items: sequences.map { sequence in
            var ticker = Ticker(
                market: MarketKey(exchange: .binance, symbol: "ETHUSDT"),
                time: Timestamp(nanoseconds: Int64(sequence) * 1_000),
                receivedAt: Timestamp(nanoseconds: Int64(sequence) * 1_000 + 1))
            ticker.last = "3100.25"
            return SequencedMessage(sequence: sequence, message: Message(.ticker(ticker)))
        })
}

/// Frames (sequence → events in it) of tickers; a frame of more than one event is a `marketBatch`.
func batchedDelivery(_ frames: KeyValuePairs<UInt64, Int>) -> StreamDelivery {
    StreamDelivery(
        stream: writerStream, epoch: 9,
        items: frames.map { sequence, count in
            let events = (0..<count).map { index in
                var ticker = Ticker(
                    market: MarketKey(exchange: .binance, symbol: "ETHUSDT"),
                    time: Timestamp(nanoseconds: Int64(sequence) * 1_000 + Int64(index)),
                    receivedAt: Timestamp(nanoseconds: Int64(sequence) * 1_000 + 1))
                ticker.last = "3100.25"
                return MarketEvent.ticker(ticker)
            }
            return SequencedMessage(sequence: sequence, message: count == 1 ? Message(events[0]) : .marketBatch(events))
        })
}

func jsonlFiles(_ root: String) throws -> [String] {
    let folder = root + "/jsonl/ingestor-binance"
    return try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".jsonl") }.sorted().map {
        folder + "/" + $0
    }
}

/// The `seq` of every line, checking that each line is complete JSON.
func sequences(in file: String) throws -> [UInt64] {
    let text = try String(contentsOfFile: file, encoding: .utf8)
    #expect(text.hasSuffix("\n"))
    return try text.split(separator: "\n").map { line in
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        return try #require((object["seq"] as? NSNumber)?.uint64Value)
    }
}

func loadWriterConfig(_ toml: String) throws -> WriterConfig {
    try ConfigLoader.load(text: toml, path: "/cfg/test.toml", environment: [:]).configuration.writer
}

/// A fresh private directory per test, removed afterwards.
struct WriterTemporaryDirectory: ~Copyable {
    let path: String

    init() throws {
        path = "/tmp/writer-" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
