import CryptodWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The on-disk part of an outbound stream: frames that did not fit in memory, in sequence order, in
/// segment files `<first seq, 20 digits>.seg` under one directory per stream.
///
/// Record format: `u32 length | u32 crc32(frame) | frame bytes` (big-endian; the frame is header + payload
/// exactly as on the wire). A torn record at the end of a segment (crash mid-write) fails its checksum and
/// ends that segment; it is counted, never fatal.
///
/// Appends are plain `write(2)`s into the page cache and stay on the caller's thread; the `fsync` and close
/// of a finished segment go to `retire` (the ``DiskThread``), so a rollover never waits for the disk.
/// Not thread-safe: its owner (``ReliableSender``) serialises access — under its lock, and after `close()`
/// from the disk thread alone (hence `@unchecked Sendable`).
final class SpillStore: @unchecked Sendable {
    struct Segment {
        var path: String
        var firstSequence: UInt64
        var lastSequence: UInt64
        var frames: Int
        var bytes: Int
    }

    let directory: String
    private let segmentLimit: Int
    private let byteLimit: Int
    /// Takes a finished segment's still-open descriptor to flush and close it off the caller's thread.
    private let retire: (PosixFile) -> Void
    private(set) var segments: [Segment] = []
    private var writer: PosixFile?
    private var readFile: PosixFile?
    private var readOffset = 0
    /// Frames with a sequence at or below this were already read (a partially read segment can be read
    /// again after a restart; those records are skipped).
    private var readThrough: UInt64 = 0
    private(set) var corruptRecords = 0

    static let recordHeader = 8

    init(directory: String, segmentLimit: Int, byteLimit: Int, retire: @escaping (PosixFile) -> Void) throws {
        self.directory = directory
        self.segmentLimit = segmentLimit
        self.byteLimit = byteLimit
        self.retire = retire
        try PosixFile.makeDirectory(directory)
        for name in PosixFile.list(directory).sorted() where name.hasSuffix(".seg") {
            if let segment = try scan(directory + "/" + name) {
                segments.append(segment)
            } else {
                PosixFile.remove(directory + "/" + name)
            }
        }
    }

    deinit {
        writer?.close()
        readFile?.close()
    }

    var isEmpty: Bool { segments.isEmpty }
    var bytes: Int { segments.reduce(0) { $0 + $1.bytes } - readOffset }
    var frameCount: Int { segments.reduce(0) { $0 + $1.frames } }
    var firstSequence: UInt64? { segments.first.map { max($0.firstSequence, readThrough + 1) } }
    var lastSequence: UInt64? { segments.last?.lastSequence }

    // MARK: - Writing

    /// Appends a frame. Returns the sequence ranges dropped to stay under the byte limit (oldest first).
    func append(_ frame: Frame) throws -> [ClosedRange<UInt64>] {
        var bytes: [UInt8] = []
        Self.encodeRecord(frame, into: &bytes)
        if writer == nil || (segments.last?.bytes ?? 0) + bytes.count > segmentLimit {
            try startSegment(first: frame.sequence)
        }
        try writer!.write(bytes)
        segments[segments.count - 1].lastSequence = frame.sequence
        segments[segments.count - 1].frames += 1
        segments[segments.count - 1].bytes += bytes.count
        return try enforceLimit()
    }

    /// Writes `frames` (all older than anything stored) as a new first segment: used at shutdown to save
    /// what was still held in memory.
    func prepend(_ frames: [Frame]) throws {
        guard let first = frames.first, let last = frames.last else { return }
        let path = Self.segmentPath(directory, first.sequence)
        let file = try PosixFile.open(path, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { file.close() }
        var bytes: [UInt8] = []
        for frame in frames { Self.encodeRecord(frame, into: &bytes) }
        try file.write(bytes)
        try file.sync()
        // The partially read segment's unread tail stays valid; a fresh reader starts at its beginning
        // and skips records at or below readThrough.
        readFile?.close()
        readFile = nil
        readOffset = 0
        readThrough = 0
        segments.insert(
            Segment(
                path: path, firstSequence: first.sequence, lastSequence: last.sequence, frames: frames.count,
                bytes: bytes.count),
            at: 0)
    }

    /// Flushes the segment being written to stable storage (segments finished before it were handed to
    /// `retire`, which flushes them).
    func sync() throws { try writer?.sync() }

    private func startSegment(first: UInt64) throws {
        if let finished = writer {
            writer = nil
            retire(finished)
        }
        let path = Self.segmentPath(directory, first)
        writer = try PosixFile.open(path, flags: O_WRONLY | O_CREAT | O_APPEND)
        segments.append(Segment(path: path, firstSequence: first, lastSequence: first, frames: 0, bytes: 0))
    }

    private func enforceLimit() throws -> [ClosedRange<UInt64>] {
        var dropped: [ClosedRange<UInt64>] = []
        // Keep at least the segment being written; drop whole oldest segments (the newest data is the
        // most valuable, and older ranges can be backfilled from the exchange's REST history).
        while bytes > byteLimit, segments.count > 1 {
            let oldest = segments.removeFirst()
            let from = max(oldest.firstSequence, readThrough + 1)
            if from <= oldest.lastSequence { dropped.append(from...oldest.lastSequence) }
            readFile?.close()
            readFile = nil
            readOffset = 0
            PosixFile.remove(oldest.path)
        }
        return dropped
    }

    // MARK: - Reading

    /// Removes and returns the oldest frames, about `maxBytes` worth (at least one when any is stored).
    func readNext(maxBytes: Int) throws -> [Frame] {
        var frames: [Frame] = []
        var budget = maxBytes
        while budget > 0, let segment = segments.first {
            if readFile == nil {
                readFile = try PosixFile.open(segment.path, flags: O_RDONLY)
                readOffset = 0
            }
            guard let (frame, size) = try readRecord(readFile!) else {
                // End of this segment (or a torn tail): forget it.
                readFile?.close()
                readFile = nil
                readOffset = 0
                if segments.count == 1 {
                    writer?.close()
                    writer = nil
                }
                segments.removeFirst()
                PosixFile.remove(segment.path)
                continue
            }
            readOffset += size
            if frame.sequence <= readThrough { continue }
            readThrough = frame.sequence
            frames.append(frame)
            budget -= size
        }
        return frames
    }

    private func readRecord(_ file: PosixFile) throws -> (Frame, Int)? {
        let header = try file.read(count: Self.recordHeader)
        guard header.count == Self.recordHeader else { return nil }
        let length = Int(UInt32(header[0]) << 24 | UInt32(header[1]) << 16 | UInt32(header[2]) << 8 | UInt32(header[3]))
        let expected = UInt32(header[4]) << 24 | UInt32(header[5]) << 16 | UInt32(header[6]) << 8 | UInt32(header[7])
        guard length >= WireProtocol.headerSize, length <= WireProtocol.absoluteMaxFrameBytes + WireProtocol.headerSize
        else {
            corruptRecords += 1
            return nil
        }
        let body = try file.read(count: length)
        guard body.count == length, body.withUnsafeBytes({ CRC32.checksum($0) }) == expected else {
            corruptRecords += 1
            return nil
        }
        var buffer = ByteBuffer(bytes: body)
        guard let frame = try? Frame.read(from: &buffer, maxPayload: WireProtocol.absoluteMaxFrameBytes),
            buffer.readableBytes == 0, frame.sequence > 0
        else {
            corruptRecords += 1
            return nil
        }
        return (frame, Self.recordHeader + length)
    }

    /// Reads a segment's record headers to learn its range; `nil` when it holds no valid record.
    private func scan(_ path: String) throws -> Segment? {
        let file = try PosixFile.open(path, flags: O_RDONLY)
        defer { file.close() }
        var segment: Segment?
        while let (frame, size) = try readRecord(file) {
            if segment == nil {
                segment = Segment(
                    path: path, firstSequence: frame.sequence, lastSequence: frame.sequence, frames: 0, bytes: 0)
            }
            segment!.lastSequence = frame.sequence
            segment!.frames += 1
            segment!.bytes += size
        }
        return segment
    }

    // MARK: - Encoding

    static func encodeRecord(_ frame: Frame, into bytes: inout [UInt8]) {
        var buffer = ByteBuffer()
        frame.write(to: &buffer)
        let body = buffer.readableBytesView
        let crc = body.withUnsafeBytes { CRC32.checksum($0) }
        let length = UInt32(body.count)
        bytes.append(contentsOf: [
            UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF),
        ])
        bytes.append(contentsOf: [UInt8(crc >> 24), UInt8(crc >> 16 & 0xFF), UInt8(crc >> 8 & 0xFF), UInt8(crc & 0xFF)])
        bytes.append(contentsOf: body)
    }

    static func segmentPath(_ directory: String, _ first: UInt64) -> String {
        let digits = String(first)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".seg"
    }
}
