import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodSinks
import Foundation
import Logging
import Metrics
import NIOPosix
import Synchronization

/// Writes every market event as one JSON line, per sending process and UTC day:
/// `<jsonl_dir>/<sender>/<YYYY-MM-DD>.jsonl`.
///
/// Each line carries its delivery position (`stream`, `epoch`, `seq`) before the event fields, and the
/// position of a stream is recovered from the last line of its newest file (`keepsPositions`). The file
/// therefore *is* the acknowledgement record: a crash between writing and acknowledging cannot deliver a
/// frame twice, and a torn last line (crash mid-write) is cut off when the position is read. Each batch is
/// one `write(2)` followed by `fdatasync`, on the sink's own thread (never the cooperative pool), before
/// ``write(_:)`` returns. Items at or below the stream's position are skipped by the writer's pipeline.
package final class JSONLSink: Sink {
    package let directory: String
    package var name: String { "jsonl" }
    package var keepsPositions: Bool { true }
    private let logger: Logger
    private let files = Mutex<[String: OpenFile]>([:])
    private let pool: NIOThreadPool
    private let linesWritten: Counter
    private let bytesWritten: Counter
    private let flushLatency: Metrics.Timer
    private let lines = Atomic<Int>(0)

    private struct OpenFile {
        let day: Int64
        let descriptor: Int32
    }

    /// - Throws: ``SinkError`` `configuration` when the directory cannot be created.
    package init(directory: String, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        linesWritten = Counter(label: "cryptod_writer_jsonl_lines_total")
        bytesWritten = Counter(label: "cryptod_writer_jsonl_bytes_total")
        flushLatency = Metrics.Timer(label: "cryptod_writer_jsonl_flush_seconds")
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SinkError(
                .configuration, sink: "jsonl", "cannot create \(directory): \(error); check writer.jsonl_dir")
        }
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    deinit {
        files.withLock { files in
            for file in files.values { Foundation.close(file.descriptor) }
        }
        pool.shutdownGracefully { _ in }
    }

    // MARK: - Sink

    package func start() async throws {}

    package func close() async {
        files.withLock { files in
            for file in files.values { Foundation.close(file.descriptor) }
            files = [:]
        }
        try? await pool.shutdownGracefully()
    }

    package func statusDetails() async -> [(String, String)] {
        [("directory", directory), ("lines", "\(lines.load(ordering: .relaxed))")]
    }

    /// Runs file work on the sink's thread.
    private func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(body)
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError(.unavailable, sink: "jsonl", "the jsonl sink is closed: \(error)")
        }
    }

    /// The sender half of a stream name (`ingestor-binance>writer` → `ingestor-binance`), checked to be a
    /// safe file name.
    static func sender(of stream: String) throws -> String {
        let sender = String(stream.split(separator: ">", maxSplits: 1).first ?? "")
        guard !sender.isEmpty,
            sender.utf8.allSatisfy({ $0 == 45 || $0 == 95 || ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) })
        else { throw SinkError(.rejected, sink: "jsonl", "stream name \(stream) does not make a safe file name") }
        return sender
    }

    // MARK: - Writing

    /// Appends the batch's events and makes them durable.
    package func write(_ batch: SinkBatch) async throws {
        let sender = try Self.sender(of: batch.stream)
        let now = Timestamp(nanoseconds: WallClock.nowNanoseconds())
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batch.items.count * 256)
        for (index, item) in batch.items.enumerated() {
            // A batched frame (marketBatch) gives several lines one seq: all but its last say `"more":true`, so
            // recovery can tell a frame cut short by a crash from a whole one (see `lastPosition(in:)`).
            let more = index + 1 < batch.items.count && batch.items[index + 1].sequence == item.sequence
            var json = JSONWriter(capacity: 256)
            MarketEventJSON.write(item.event, into: &json) { json in
                json.field("stream", batch.stream)
                json.field("epoch", batch.epoch)
                json.field("seq", item.sequence)
                if more { json.field("more", true) }
            }
            bytes.append(contentsOf: json.bytes)
            bytes.append(0x0A)
        }
        guard !bytes.isEmpty else { return }
        let started = ContinuousClock.now
        let day = now.seconds.floorDivided(by: 86_400)
        try await onThread { [bytes] in try self.append(bytes, sender: sender, day: day) }
        flushLatency.recordNanoseconds((ContinuousClock.now - started).nanosecondsClamped)
        linesWritten.increment(by: batch.items.count)
        bytesWritten.increment(by: bytes.count)
        lines.add(batch.items.count, ordering: .relaxed)
    }

    private func append(_ bytes: [UInt8], sender: String, day: Int64) throws {
        try files.withLock { files in
            var file = files[sender]
            if file == nil || file!.day != day {
                if let old = file { Foundation.close(old.descriptor) }
                let folder = directory + "/" + sender
                try FileManager.default.createDirectory(
                    atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let path = folder + "/" + Self.fileName(day: day)
                let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else {
                    throw SinkError(
                        .unavailable, sink: "jsonl",
                        "cannot open \(path): \(String(cString: strerror(errno))); check writer.jsonl_dir")
                }
                file = OpenFile(day: day, descriptor: descriptor)
                files[sender] = file
            }
            let descriptor = file!.descriptor
            try bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                    if written < 0 {
                        if errno == EINTR { continue }
                        throw SinkError(
                            .unavailable, sink: "jsonl",
                            "write to \(sender) jsonl failed: \(String(cString: strerror(errno))); the frames stay unacknowledged"
                        )
                    }
                    offset += written
                }
            }
            guard fdatasync(descriptor) == 0 else {
                throw SinkError(
                    .unavailable, sink: "jsonl",
                    "fdatasync of \(sender) jsonl failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    static func fileName(day: Int64) -> String {
        String(Timestamp(seconds: day * 86_400).iso8601(fractionDigits: 0).prefix(10)) + ".jsonl"
    }

    // MARK: - Recovery

    /// The position recorded by the last complete frame of the stream's newest file; cuts off a torn line,
    /// and the lines of a batched frame whose last line is missing (never acknowledged: the replay brings
    /// the whole frame again).
    package func position(of stream: String) async throws -> SinkPosition? {
        let sender = try Self.sender(of: stream)
        return try await onThread { try self.lastPosition(sender: sender) }
    }

    private func lastPosition(sender: String) throws -> SinkPosition? {
        let folder = directory + "/" + sender
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        for name in names.filter({ $0.hasSuffix(".jsonl") }).sorted().reversed() {
            let path = folder + "/" + name
            if let position = try lastPosition(in: path) { return position }
        }
        return nil
    }

    private func lastPosition(in path: String) throws -> SinkPosition? {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        guard size > 0 else { return nil }
        // Read backwards in chunks until a complete last line is found.
        var chunkSize: UInt64 = 64 * 1024
        while true {
            let start = size > chunkSize ? size - chunkSize : 0
            try handle.seek(toOffset: start)
            let data = try handle.read(upToCount: Int(size - start)) ?? Data()
            var bytes = [UInt8](data)
            var end = bytes.count
            if bytes.last != 0x0A {
                // Torn tail: drop it so the next append starts on a fresh line.
                guard let lastNewline = bytes.lastIndex(of: 0x0A) else {
                    if start == 0 {
                        logger.warning("cutting off an incomplete line", metadata: ["file": "\(path)"])
                        try handle.truncate(atOffset: 0)
                        return nil
                    }
                    chunkSize *= 4
                    continue
                }
                let keep = start + UInt64(lastNewline) + 1
                logger.warning(
                    "cutting off an incomplete last line (crash while writing)",
                    metadata: ["file": "\(path)", "bytes": "\(size - keep)"])
                try handle.truncate(atOffset: keep)
                end = lastNewline + 1
                bytes.removeSubrange(end...)
            }
            let body = bytes[..<(end - 1)]
            let last: [UInt8]
            if let previousNewline = body.lastIndex(of: 0x0A) {
                last = Array(body[(previousNewline + 1)...])
            } else if start == 0 {
                last = Array(body)
            } else {
                chunkSize *= 4
                continue
            }
            guard let position = Self.parsePosition(last, path: path), Self.saysMore(last) else {
                return Self.parsePosition(last, path: path)
            }
            try cutFrame(position.sequence, in: handle, size: start + UInt64(end), path: path)
            return try lastPosition(in: path)
        }
    }

    /// Truncates the file before the trailing lines whose seq is `sequence` (one frame's, the file ending
    /// with a newline at `size`).
    private func cutFrame(_ sequence: UInt64, in handle: FileHandle, size: UInt64, path: String) throws {
        var chunkSize: UInt64 = 256 * 1024
        while true {
            let start = size > chunkSize ? size - chunkSize : 0
            try handle.seek(toOffset: start)
            let bytes = [UInt8](try handle.read(upToCount: Int(size - start)) ?? Data())
            // Walk back line by line; `end` is the index of a line's newline.
            var end = bytes.count - 1
            var keep: Int?
            while keep == nil {
                let lineStart = bytes[..<end].lastIndex(of: 0x0A).map { $0 + 1 } ?? (start == 0 ? 0 : nil)
                guard let lineStart else { break }
                if Self.parsePosition(Array(bytes[lineStart..<end]), path: path)?.sequence != sequence {
                    keep = end + 1
                } else if lineStart == 0 {
                    keep = 0
                } else {
                    end = lineStart - 1
                }
            }
            if let keep {
                logger.warning(
                    "cutting off a batched frame a crash left incomplete; the sender replays it",
                    metadata: ["file": "\(path)", "seq": "\(sequence)", "bytes": "\(size - start - UInt64(keep))"])
                try handle.truncate(atOffset: start + UInt64(keep))
                return
            }
            chunkSize *= 4
        }
    }

    /// Whether a line is one of a batched frame's that more lines of the same frame follow.
    static func saysMore(_ line: [UInt8]) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { return false }
        return (object["more"] as? Bool) == true
    }

    static func parsePosition(_ line: [UInt8], path: String) -> SinkPosition? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let epoch = (object["epoch"] as? NSNumber)?.uint64Value, let seq = (object["seq"] as? NSNumber)?.uint64Value
        else { return nil }
        return SinkPosition(epoch: epoch, sequence: seq)
    }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
