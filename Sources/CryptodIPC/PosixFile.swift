#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Minimal blocking file I/O over POSIX calls, for spill segments and stream state.
///
/// Never on an event loop. What can wait for the disk (`fsync`, ``replace(_:with:)``) runs on the
/// ``DiskThread``; only `write(2)`s of spilled frames into the page cache and reads of them back run on the
/// producer's or the pump's thread, under the stream's lock (and spilling means the link is down or slow
/// anyway). Sendable: a descriptor and a path, handed to the disk thread to finish a segment.
struct PosixFile: Sendable {
    let descriptor: CInt
    let path: String

    struct Failure: Error, CustomStringConvertible {
        let operation: String
        let path: String
        let code: CInt
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    static func open(_ path: String, flags: CInt, mode: mode_t = 0o600) throws -> PosixFile {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw Failure(operation: "open", path: path, code: errno) }
        return PosixFile(descriptor: fd, path: path)
    }

    func close() { _ = Glibc.close(descriptor) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "write", path: path, code: errno)
            }
            offset += written
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Reads up to `count` bytes at the current offset; fewer only at end of file.
    func read(count: Int) throws -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let got = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + filled, count - filled) }
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(operation: "read", path: path, code: errno)
            }
            if got == 0 { break }
            filled += got
        }
        buffer.removeLast(count - filled)
        return buffer
    }

    func sync() throws {
        guard fsync(descriptor) == 0 else { throw Failure(operation: "fsync", path: path, code: errno) }
    }

    func seek(to offset: Int) throws {
        guard lseek(descriptor, off_t(offset), SEEK_SET) >= 0 else {
            throw Failure(operation: "lseek", path: path, code: errno)
        }
    }

    static func size(of path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    static func remove(_ path: String) { _ = unlink(path) }

    /// Writes `bytes` to `path` atomically (temp file, fsync, rename).
    static func replace(_ path: String, with bytes: [UInt8]) throws {
        let temporary = path + ".tmp"
        let file = try PosixFile.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC)
        defer { file.close() }
        try file.write(bytes)
        try file.sync()
        guard rename(temporary, path) == 0 else { throw Failure(operation: "rename", path: path, code: errno) }
    }

    static func readAll(_ path: String) throws -> [UInt8]? {
        guard let size = size(of: path) else { return nil }
        let file = try PosixFile.open(path, flags: O_RDONLY)
        defer { file.close() }
        return try file.read(count: size)
    }

    /// Creates `path` and missing parents with `mode` (owner-only by default).
    static func makeDirectory(_ path: String, mode: mode_t = 0o700) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, mode) != 0, errno != EEXIST {
                throw Failure(operation: "mkdir", path: current, code: errno)
            }
        }
    }

    static func list(_ directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names
    }
}
