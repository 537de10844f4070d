import CryptodFormats
import CryptodIPC
import CryptodModel
import CryptodWire
import Foundation
import Logging
import Metrics
import Synchronization

/// Writes every market-data message as one JSON line, per sending process and UTC day:
/// `<jsonl_dir>/<sender>/<YYYY-MM-DD>.jsonl`.
///
/// Each line carries its delivery position (`stream`, `epoch`, `seq`) before the event fields, and the
/// position of a stream is recovered from the last line of its newest file. The file therefore *is* the
/// acknowledgement record: a crash between writing and acknowledging cannot deliver a frame twice, and a
/// torn last line (crash mid-write) is cut off at start-up. Each batch is one `write(2)` followed by
/// `fdatasync`, before the frames are acknowledged.
package final class JSONLSink: Sendable {
    package let directory: String
    private let logger: Logger
    private let files = Mutex<[String: OpenFile]>([:])
    private let linesWritten: Counter
    private let bytesWritten: Counter
    private let flushLatency: Metrics.Timer

    private struct OpenFile {
        let day: Int64
        let descriptor: Int32
    }

    package init(directory: String, logger: Logger) throws {
        self.directory = directory
        self.logger = logger
        linesWritten = Counter(label: "cryptod_writer_jsonl_lines_total")
        bytesWritten = Counter(label: "cryptod_writer_jsonl_bytes_total")
        flushLatency = Metrics.Timer(label: "cryptod_writer_jsonl_flush_seconds")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    deinit {
        files.withLock { files in
            for file in files.values { close(file.descriptor) }
        }
    }

    /// The sender half of a stream name (`ingestor-binance>writer` → `ingestor-binance`), checked to be a
    /// safe file name.
    static func sender(of stream: String) throws -> String {
        let sender = String(stream.split(separator: ">", maxSplits: 1).first ?? "")
        guard !sender.isEmpty, sender.utf8.allSatisfy({ $0 == 45 || $0 == 95 || ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 122) })
        else { throw SinkFailure("stream name \(stream) does not make a safe file name") }
        return sender
    }

    // MARK: - Writing

    /// Appends the market-data messages of `delivery` and makes them durable.
    package func write(_ delivery: StreamDelivery, now: Timestamp) throws {
        let sender = try Self.sender(of: delivery.stream)
        var json = JSONWriter(capacity: delivery.items.count * 256)
        var lines = 0
        var bytes: [UInt8] = []
        bytes.reserveCapacity(delivery.items.count * 256)
        for item in delivery.items {
            guard let event = item.message.marketEvent else {
                logger.warning("ignoring a non-market message on a market-data stream", metadata: ["type": "\(item.message.type)"])
                continue
            }
            json = JSONWriter(capacity: 256)
            MarketEventJSON.write(event, into: &json) { json in
                json.field("stream", delivery.stream)
                json.field("epoch", delivery.epoch)
                json.field("seq", item.sequence)
            }
            bytes.append(contentsOf: json.bytes)
            bytes.append(0x0A)
            lines += 1
        }
        // A batch of only non-market messages still advances the position: record it as a marker line.
        if lines == 0, let last = delivery.items.last {
            json = JSONWriter()
            json.object { json in
                json.field("type", "position")
                json.field("stream", delivery.stream)
                json.field("epoch", delivery.epoch)
                json.field("seq", last.sequence)
            }
            bytes.append(contentsOf: json.bytes)
            bytes.append(0x0A)
        }
        let started = ContinuousClock.now
        try append(bytes, sender: sender, day: now.seconds.floorDivided(by: 86_400))
        flushLatency.recordNanoseconds((ContinuousClock.now - started).nanosecondsClamped)
        linesWritten.increment(by: lines)
        bytesWritten.increment(by: bytes.count)
    }

    private func append(_ bytes: [UInt8], sender: String, day: Int64) throws {
        try files.withLock { files in
            var file = files[sender]
            if file == nil || file!.day != day {
                if let old = file { close(old.descriptor) }
                let folder = directory + "/" + sender
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let path = folder + "/" + Self.fileName(day: day)
                let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard descriptor >= 0 else { throw SinkFailure("cannot open \(path): \(String(cString: strerror(errno)))") }
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
                        throw SinkFailure("write to \(sender) jsonl failed: \(String(cString: strerror(errno))); the frames stay unacknowledged")
                    }
                    offset += written
                }
            }
            guard fdatasync(descriptor) == 0 else {
                throw SinkFailure("fdatasync of \(sender) jsonl failed: \(String(cString: strerror(errno)))")
            }
        }
    }

    static func fileName(day: Int64) -> String {
        String(Timestamp(seconds: day * 86_400).iso8601(fractionDigits: 0).prefix(10)) + ".jsonl"
    }

    // MARK: - Recovery

    /// The position recorded by the last complete line of the stream's newest file; cuts off a torn line.
    package func position(of stream: String) throws -> StreamPosition? {
        let sender = try Self.sender(of: stream)
        let folder = directory + "/" + sender
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return nil }
        for name in names.filter({ $0.hasSuffix(".jsonl") }).sorted().reversed() {
            let path = folder + "/" + name
            if let position = try lastPosition(in: path) { return position }
        }
        return nil
    }

    private func lastPosition(in path: String) throws -> StreamPosition? {
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
                logger.warning("cutting off an incomplete last line (crash while writing)", metadata: ["file": "\(path)", "bytes": "\(size - keep)"])
                try handle.truncate(atOffset: keep)
                end = lastNewline + 1
                bytes.removeSubrange(end...)
            }
            let body = bytes[..<(end - 1)]
            guard let previousNewline = body.lastIndex(of: 0x0A) else {
                if start == 0 { return Self.parsePosition(Array(body), path: path) }
                chunkSize *= 4
                continue
            }
            return Self.parsePosition(Array(body[(previousNewline + 1)...]), path: path)
        }
    }

    static func parsePosition(_ line: [UInt8], path: String) -> StreamPosition? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
            let epoch = (object["epoch"] as? NSNumber)?.uint64Value, let seq = (object["seq"] as? NSNumber)?.uint64Value
        else { return nil }
        return StreamPosition(epoch: epoch, deliveredThrough: seq)
    }
}

/// A sink could not take data; the message says what failed and that nothing was acknowledged.
package struct SinkFailure: Error, CustomStringConvertible {
    package let description: String
    init(_ description: String) { self.description = description }
}

extension Duration {
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        return seconds > 9_000_000_000 ? .max : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
