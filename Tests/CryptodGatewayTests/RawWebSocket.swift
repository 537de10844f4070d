import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A minimal WebSocket client over a blocking POSIX socket, for what a client library will not do: stop
/// reading, and show the exact bytes the server sends right after the upgrade. Its receive buffer is tiny, so
/// the server's writes back up quickly.
///
/// Every blocking call runs on a thread of its own: the cooperative pool has as many threads as cores (two
/// here), and the server under test needs them.
final class RawWebSocket: Sendable {
    private let descriptor: Int32

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Connects to `127.0.0.1:port` and completes the upgrade handshake.
    static func connect(port: Int, path: String = "/ws") async throws -> RawWebSocket {
        try await blocking { try RawWebSocket(port: port, path: path) }
    }

    private init(port: Int, path: String) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        var small: Int32 = 4096
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw Failure(description: "connect: \(errno)")
        }
        try write(
            Array(
                ("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8))
        var head: [UInt8] = []
        while !head.ends(with: Array("\r\n\r\n".utf8)) {
            guard let byte = try readExactly(1).first else { throw Failure(description: "handshake cut short") }
            head.append(byte)
        }
        let status = String(decoding: head, as: UTF8.self)
        guard status.hasPrefix("HTTP/1.1 101") else { throw Failure(description: "upgrade refused: \(status)") }
    }

    deinit { close(descriptor) }

    /// Sends one masked text frame (clients must mask).
    func sendText(_ text: String) async throws {
        try await Self.blocking { try self.sendTextNow(text) }
    }

    /// Reads one frame and returns its opcode and payload.
    func readFrame() async throws -> (opcode: UInt8, payload: [UInt8]) {
        try await Self.blocking { try self.readFrameNow() }
    }

    /// Reads and discards everything until the server closes the connection.
    /// - Returns: `true` when the server closed it (EOF or reset), `false` when a read timed out.
    func drainUntilClosed() async -> Bool {
        (try? await Self.blocking { self.drainNow() }) ?? false
    }

    private static func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    private func sendTextNow(_ text: String) throws {
        let payload = Array(text.utf8)
        var frame: [UInt8] = [0x81]
        if payload.count < 126 {
            frame.append(0x80 | UInt8(payload.count))
        } else {
            frame.append(0x80 | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xFF))
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        frame += mask
        frame += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        try write(frame)
    }

    private func readFrameNow() throws -> (opcode: UInt8, payload: [UInt8]) {
        let header = try readExactly(2)
        var length = Int(header[1] & 0x7F)
        if length == 126 {
            let extended = try readExactly(2)
            length = Int(extended[0]) << 8 | Int(extended[1])
        } else if length == 127 {
            length = try readExactly(8).reduce(0) { $0 << 8 | Int($1) }
        }
        return (header[0] & 0x0F, try readExactly(length))
    }

    private func drainNow() -> Bool {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count > 0 { continue }
            if count == 0 { return true }
            if errno == EINTR { continue }
            return errno == ECONNRESET
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes {
                send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL))
            }
            guard written > 0 else { throw Failure(description: "send: \(errno)") }
            offset += written
        }
    }

    private func readExactly(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var offset = 0
        while offset < count {
            let read = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress! + offset, count - offset, 0) }
            guard read > 0 else {
                throw Failure(description: "connection ended while reading (\(read), errno \(errno))")
            }
            offset += read
        }
        return bytes
    }
}

extension Array where Element: Equatable {
    fileprivate func ends(with suffix: [Element]) -> Bool {
        count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix
    }
}
