import CryptodModel
import CryptodWire
import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A bounded, ordered, crash-safe queue of batches on disk for one sink: what the sink could not take yet.
///
/// Layout under `<spool_dir>/<sink>/`: segment files `00000000000000000001.spool`, … holding records
/// `length: u32 | crc32: u32 | payload` (big endian), where the payload is
/// `streamLength: u16 | stream | epoch: u64 | first: u64 | last: u64 | count: u32 | count × wire frame`
/// — each item is the ``CryptodWire`` frame of its market event with the item's sequence number, so the
/// spool stores exactly what the wire carried. `cursor` names the first record not yet drained
/// (`<segment> <offset>`); `positions` keeps the last position the sink is known to have written per stream.
///
/// Every append is `write` + `fdatasync` before it returns: a spooled batch counts as held by the sink.
/// All file I/O runs on the spool's own thread (an `NIOThreadPool` of one), never on the cooperative pool
/// or an event loop. At open a torn record (crash mid-append) ends its segment and is cut off. The cursor
/// and the positions file are written without `fsync`: after a power loss they can only be stale, which
/// replays records the sink then skips by position (or, for a sink without positions, delivers twice).
package final class SinkSpool: Sendable {
    /// One batch, encoded for the spool, with what the index needs to know about it.
    package struct Encoded: Sendable {
        package let bytes: [UInt8]
        package let stream: String
        package let epoch: UInt64
        package let first: UInt64
        package let last: UInt64
        package let items: Int
    }

    private struct Record {
        let segment: UInt64
        let offset: Int
        let length: Int
        let stream: String
        let epoch: UInt64
        let last: UInt64
        let items: Int
    }

    private struct State {
        var records: [Record] = []
        var head = 0
        var segmentSizes: [UInt64: Int] = [:]
        var tail: UInt64 = 0
        var tailDescriptor: Int32 = -1
        var reserved = 0
        var perStream: [String: Int] = [:]
        var lastSpooled: [String: SinkPosition] = [:]
        var opened = false
        var closed = false

        var diskBytes: Int { segmentSizes.values.reduce(0, +) }
        var count: Int { records.count - head }
    }

    package let directory: String
    package let limit: Int
    private let segmentBytes: Int
    private let sink: String
    private let logger: Logger
    private let pool: NIOThreadPool
    private let state = Mutex(State())

    /// - Parameters:
    ///   - directory: this sink's spool directory (created with mode 0700).
    ///   - limit: most bytes on disk; a full spool refuses appends (the caller waits, never drops).
    ///   - segmentBytes: size at which a new segment file starts; drained segments are deleted whole.
    package init(directory: String, limit: Int, segmentBytes: Int? = nil, sink: String, logger: Logger) throws {
        self.directory = directory
        self.limit = limit
        self.segmentBytes = segmentBytes ?? min(8 << 20, max(4096, limit / 16))
        self.sink = sink
        self.logger = logger
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw SinkError(
                .configuration, sink: sink,
                "cannot create spool directory \(directory): \(error); check writer.spool_dir")
        }
        pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
    }

    deinit {
        state.withLock { if $0.tailDescriptor >= 0 { _ = Foundation.close($0.tailDescriptor) } }
        pool.shutdownGracefully { _ in }
    }

    // MARK: - Index (no I/O)

    /// Bytes of the segment files on disk (drained records count until their segment is deleted).
    package var bytes: Int { state.withLock { $0.diskBytes } }

    /// Batches not yet drained.
    package var count: Int { state.withLock { $0.count } }

    /// Whether any batch of `stream` waits in the spool (newer batches of it must then queue behind).
    package func holds(_ stream: String) -> Bool { state.withLock { ($0.perStream[stream] ?? 0) > 0 } }

    /// The position of the newest spooled batch of `stream`, while any of it is spooled.
    package func lastPosition(of stream: String) -> SinkPosition? {
        state.withLock { ($0.perStream[stream] ?? 0) > 0 ? $0.lastSpooled[stream] : nil }
    }

    /// Reserves room for a record of `size` bytes; false when the spool is full. An empty spool takes any
    /// one record, so a batch larger than the whole limit cannot wedge the writer.
    package func reserve(_ size: Int) -> Bool {
        state.withLock { state in
            guard state.count == 0 && state.reserved == 0 || state.diskBytes + state.reserved + size <= limit else {
                return false
            }
            state.reserved += size
            return true
        }
    }

    /// Gives back a reservation that was not used.
    package func release(_ size: Int) { state.withLock { $0.reserved = max(0, $0.reserved - size) } }

    // MARK: - Operations (on the spool thread)

    /// Reads the directory: rebuilds the index from the segments after the cursor, cuts off a torn tail.
    /// Idempotent.
    package func open() async throws {
        try await onSpoolThread { try self.openOnThread() }
    }

    /// Appends a batch for which room was reserved, and syncs it to disk.
    package func append(_ encoded: Encoded) async throws {
        try await onSpoolThread { try self.appendOnThread(encoded) }
    }

    /// The oldest batch, merged with the following records of the same stream and epoch up to `maxItems`.
    /// - Returns: the batch and how many records it spans, or nil when the spool is empty.
    package func head(maxItems: Int) async throws -> (batch: SinkBatch, records: Int)? {
        try await onSpoolThread { try self.headOnThread(maxItems: maxItems) }
    }

    /// Forgets the oldest `records` records (drained), deleting segments no longer needed.
    package func removeHead(records: Int) async throws {
        try await onSpoolThread { try self.removeOnThread(records) }
    }

    /// Keeps a batch the sink refused (`rejected.spool`, same record format) for an operator to look at.
    package func setAside(_ encoded: Encoded) async throws {
        try await onSpoolThread {
            let path = self.directory + "/rejected.spool"
            let descriptor = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else { throw self.ioError("cannot open \(path)") }
            defer { _ = Foundation.close(descriptor) }
            let written = encoded.bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress!, $0.count) }
            guard written == encoded.bytes.count, fdatasync(descriptor) == 0 else {
                throw self.ioError("cannot write \(path)")
            }
        }
    }

    /// The positions the sink was last known to have written (see the type's discussion).
    package func loadMarks() async throws -> [String: SinkPosition] {
        try await onSpoolThread { self.loadMarksOnThread() }
    }

    /// Records the positions the sink has written; not synced (stale marks only cause replays).
    package func saveMarks(_ marks: [String: SinkPosition]) async throws {
        try await onSpoolThread { try self.saveMarksOnThread(marks) }
    }

    /// Closes the files and stops the spool thread.
    package func close() async {
        state.withLock { state in
            if state.tailDescriptor >= 0 { _ = Foundation.close(state.tailDescriptor) }
            state.tailDescriptor = -1
            state.closed = true
        }
        try? await pool.shutdownGracefully()
    }

    private func onSpoolThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.runIfActive(body)
        } catch let error as SinkError {
            throw error
        } catch {
            throw SinkError(.unavailable, sink: sink, "spool \(directory) is closed: \(error)")
        }
    }

    // MARK: - Encoding

    /// Encodes a batch as one spool record (header included).
    package static func encode(_ batch: SinkBatch) -> Encoded {
        var buffer = ByteBufferAllocator().buffer(capacity: 64 + batch.items.count * 128)
        buffer.writeInteger(UInt32(0))
        buffer.writeInteger(UInt32(0))
        let stream = Array(batch.stream.utf8.prefix(Int(UInt16.max)))
        buffer.writeInteger(UInt16(stream.count))
        buffer.writeBytes(stream)
        buffer.writeInteger(batch.epoch)
        buffer.writeInteger(batch.items.first?.sequence ?? 0)
        buffer.writeInteger(batch.items.last?.sequence ?? 0)
        buffer.writeInteger(UInt32(batch.items.count))
        for item in batch.items {
            Frame.write(Message(item.event), sequence: item.sequence, to: &buffer)
        }
        var bytes = Array(buffer.readableBytesView)
        let payloadLength = bytes.count - 8
        let crc = CRC32.checksum(bytes[8...])
        for (index, value) in [UInt32(payloadLength), crc].enumerated() {
            for shift in 0..<4 {
                bytes[index * 4 + shift] = UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32(shift)))
            }
        }
        return Encoded(
            bytes: bytes, stream: batch.stream, epoch: batch.epoch, first: batch.items.first?.sequence ?? 0,
            last: batch.items.last?.sequence ?? 0, items: batch.items.count)
    }

    /// Decodes the payload of one record (after its 8-byte header).
    package static func decode(payload: [UInt8], sink: String) throws -> SinkBatch {
        var buffer = ByteBuffer(bytes: payload)
        func bad(_ what: String) -> SinkError {
            SinkError(
                .configuration, sink: sink, "spool record is damaged (\(what)); move the spool file away to continue")
        }
        guard let streamLength = buffer.readInteger(as: UInt16.self),
            let stream = buffer.readString(length: Int(streamLength)),
            let epoch = buffer.readInteger(as: UInt64.self),
            buffer.readInteger(as: UInt64.self) != nil, buffer.readInteger(as: UInt64.self) != nil,
            let count = buffer.readInteger(as: UInt32.self)
        else { throw bad("short header") }
        var items: [SinkItem] = []
        items.reserveCapacity(Int(count))
        for _ in 0..<count {
            guard let frame = try? Frame.read(from: &buffer, maxPayload: Int(UInt32.max)),
                let message = try? Message(frame: frame), let event = message.marketEvent
            else { throw bad("frame \(items.count) of \(count)") }
            items.append(SinkItem(sequence: frame.sequence, event: event))
        }
        guard buffer.readableBytes == 0 else { throw bad("\(buffer.readableBytes) bytes left over") }
        return SinkBatch(stream: stream, epoch: epoch, items: items)
    }

    // MARK: - File work (spool thread only)

    private func segmentPath(_ index: UInt64) -> String {
        let digits = String(index)
        return directory + "/" + String(repeating: "0", count: max(0, 20 - digits.count)) + digits + ".spool"
    }

    private var cursorPath: String { directory + "/cursor" }
    private var marksPath: String { directory + "/positions" }

    private func ioError(_ what: String) -> SinkError {
        SinkError(
            .unavailable, sink: sink,
            "\(what) in spool \(directory): \(String(cString: strerror(errno))); check the disk")
    }

    private func openOnThread() throws {
        if state.withLock({ $0.opened }) { return }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let segments = names.compactMap { name -> UInt64? in
            name.hasSuffix(".spool") ? UInt64(name.dropLast(6)) : nil
        }.sorted()
        var cursor: (segment: UInt64, offset: Int) = (0, 0)
        if let text = try? String(contentsOfFile: cursorPath, encoding: .utf8) {
            let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
            if parts.count == 2, let segment = UInt64(parts[0]), let offset = Int(parts[1]) {
                cursor = (segment, offset)
            }
        }
        var records: [Record] = []
        var sizes: [UInt64: Int] = [:]
        for segment in segments {
            let path = segmentPath(segment)
            if segment < cursor.segment {
                unlink(path)
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else { throw ioError("cannot read \(path)") }
            let bytes = [UInt8](data)
            var offset = segment == cursor.segment ? min(cursor.offset, bytes.count) : 0
            var valid = bytes.count
            while offset < bytes.count {
                guard let record = Self.scan(bytes, at: offset, segment: segment) else {
                    valid = offset
                    break
                }
                records.append(record)
                offset += record.length
            }
            if valid < bytes.count {
                logger.warning(
                    "cutting off a torn spool record (crash while appending); the batch was never acknowledged",
                    metadata: ["sink": "\(sink)", "file": "\(path)", "bytes": "\(bytes.count - valid)"])
                guard truncate(path, off_t(valid)) == 0 else { throw ioError("cannot truncate \(path)") }
            }
            sizes[segment] = valid
        }
        let tail = segments.last ?? 0
        var descriptor: Int32 = -1
        if let last = segments.last {
            descriptor = Foundation.open(segmentPath(last), O_WRONLY | O_APPEND | O_CLOEXEC)
            guard descriptor >= 0 else { throw ioError("cannot open \(segmentPath(last))") }
        }
        state.withLock { state in
            state.records = records
            state.head = 0
            state.segmentSizes = sizes
            state.tail = tail
            state.tailDescriptor = descriptor
            state.perStream = [:]
            state.lastSpooled = [:]
            for record in records {
                state.perStream[record.stream, default: 0] += 1
                state.lastSpooled[record.stream] = SinkPosition(epoch: record.epoch, sequence: record.last)
            }
            state.opened = true
        }
        if !records.isEmpty {
            logger.notice(
                "spool holds batches from before the restart; they are drained in order when the sink is up",
                metadata: ["sink": "\(sink)", "batches": "\(records.count)", "bytes": "\(sizes.values.reduce(0, +))"])
        }
    }

    /// The record at `offset`, if complete and intact.
    private static func scan(_ bytes: [UInt8], at offset: Int, segment: UInt64) -> Record? {
        guard offset + 8 <= bytes.count else { return nil }
        let length = Int(Self.u32(bytes, offset))
        let crc = Self.u32(bytes, offset + 4)
        let end = offset + 8 + length
        guard length >= 30, end <= bytes.count, CRC32.checksum(bytes[(offset + 8)..<end]) == crc else { return nil }
        var at = offset + 8
        let streamLength = Int(bytes[at]) << 8 | Int(bytes[at + 1])
        at += 2
        guard at + streamLength + 28 <= end else { return nil }
        let stream = String(decoding: bytes[at..<(at + streamLength)], as: UTF8.self)
        at += streamLength
        let epoch = Self.u64(bytes, at)
        let last = Self.u64(bytes, at + 16)
        let items = Int(Self.u32(bytes, at + 24))
        return Record(
            segment: segment, offset: offset, length: 8 + length, stream: stream, epoch: epoch, last: last, items: items
        )
    }

    private static func u32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[at + $1]) }
    }

    private static func u64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) }
    }

    private func appendOnThread(_ encoded: Encoded) throws {
        defer { release(encoded.bytes.count) }
        var (descriptor, segment, size) = state.withLock { ($0.tailDescriptor, $0.tail, $0.segmentSizes[$0.tail] ?? 0) }
        if descriptor < 0 || size >= segmentBytes {
            let next = segment + 1
            let path = segmentPath(next)
            let fresh = Foundation.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
            guard fresh >= 0 else { throw ioError("cannot create \(path)") }
            syncDirectory()
            if descriptor >= 0 { _ = Foundation.close(descriptor) }
            descriptor = fresh
            segment = next
            size = 0
            state.withLock { state in
                state.tailDescriptor = fresh
                state.tail = next
                state.segmentSizes[next] = 0
            }
        }
        try encoded.bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Foundation.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    let error = ioError("append failed")
                    // Leave no partial record behind: the next open would cut it off anyway.
                    _ = ftruncate(descriptor, off_t(size))
                    throw error
                }
                offset += written
            }
        }
        guard fdatasync(descriptor) == 0 else { throw ioError("fdatasync failed") }
        let record = Record(
            segment: segment, offset: size, length: encoded.bytes.count, stream: encoded.stream, epoch: encoded.epoch,
            last: encoded.last, items: encoded.items)
        state.withLock { state in
            state.records.append(record)
            state.segmentSizes[segment] = size + encoded.bytes.count
            state.perStream[encoded.stream, default: 0] += 1
            state.lastSpooled[encoded.stream] = SinkPosition(epoch: encoded.epoch, sequence: encoded.last)
        }
    }

    private func syncDirectory() {
        let descriptor = Foundation.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        _ = Foundation.close(descriptor)
    }

    private func headOnThread(maxItems: Int) throws -> (batch: SinkBatch, records: Int)? {
        let candidates: [Record] = state.withLock { state in
            guard state.count > 0 else { return [] }
            var picked: [Record] = [state.records[state.head]]
            var items = picked[0].items
            var index = state.head + 1
            while index < state.records.count {
                let next = state.records[index]
                guard next.stream == picked[0].stream, next.epoch == picked[0].epoch, items + next.items <= maxItems
                else { break }
                picked.append(next)
                items += next.items
                index += 1
            }
            return picked
        }
        guard let first = candidates.first else { return nil }
        var merged = SinkBatch(stream: first.stream, epoch: first.epoch, items: [])
        for record in candidates {
            let descriptor = Foundation.open(segmentPath(record.segment), O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ioError("cannot open \(segmentPath(record.segment))") }
            defer { _ = Foundation.close(descriptor) }
            var bytes = [UInt8](repeating: 0, count: record.length)
            let read = bytes.withUnsafeMutableBytes {
                pread(descriptor, $0.baseAddress!, record.length, off_t(record.offset))
            }
            guard read == record.length else { throw ioError("short read of a spool record") }
            let batch = try Self.decode(payload: Array(bytes[8...]), sink: sink)
            merged.items.append(contentsOf: batch.items)
        }
        return (merged, candidates.count)
    }

    private func removeOnThread(_ count: Int) throws {
        let (obsolete, cursor, empty): ([UInt64], (UInt64, Int)?, Bool) = state.withLock { state in
            let end = min(state.records.count, state.head + count)
            for record in state.records[state.head..<end] {
                let left = (state.perStream[record.stream] ?? 1) - 1
                state.perStream[record.stream] = left > 0 ? left : nil
            }
            state.head = end
            if state.head > 1024 && state.head * 2 > state.records.count {
                state.records.removeFirst(state.head)
                state.head = 0
            }
            if state.count == 0 {
                // Everything drained: start over with no files at all.
                let all = Array(state.segmentSizes.keys)
                if state.tailDescriptor >= 0 { _ = Foundation.close(state.tailDescriptor) }
                state.tailDescriptor = -1
                state.segmentSizes = [:]
                state.records = []
                state.head = 0
                return (all, nil, true)
            }
            let next = state.records[state.head]
            let obsolete = state.segmentSizes.keys.filter { $0 < next.segment }
            for segment in obsolete { state.segmentSizes[segment] = nil }
            return (obsolete, (next.segment, next.offset), false)
        }
        if empty {
            unlink(cursorPath)
        } else if let cursor {
            let text = "\(cursor.0) \(cursor.1)\n"
            try? text.write(toFile: cursorPath, atomically: true, encoding: .utf8)
        }
        for segment in obsolete { unlink(segmentPath(segment)) }
    }

    private func loadMarksOnThread() -> [String: SinkPosition] {
        guard let text = try? String(contentsOfFile: marksPath, encoding: .utf8) else { return [:] }
        var marks: [String: SinkPosition] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 2)
            guard parts.count == 3, let epoch = UInt64(parts[0]), let sequence = UInt64(parts[1]) else { return [:] }
            marks[String(parts[2])] = SinkPosition(epoch: epoch, sequence: sequence)
        }
        return marks
    }

    private func saveMarksOnThread(_ marks: [String: SinkPosition]) throws {
        let text = marks.sorted { $0.key < $1.key }.map { "\($0.value.epoch) \($0.value.sequence) \($0.key)\n" }
            .joined()
        do {
            try text.write(toFile: marksPath, atomically: true, encoding: .utf8)
        } catch {
            throw SinkError(.unavailable, sink: sink, "cannot write \(marksPath): \(error); check the disk")
        }
    }
}

/// CRC-32 (IEEE), to tell a torn or damaged spool record from a complete one.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
