// exchsim benchmark client: opens WebSocket connections to exchsim on loopback, subscribes each to
// its own set of streams, counts the frames received for a fixed time and prints messages/s.
// Plain POSIX sockets and a hand-rolled frame parser, so the client is cheap and never the
// bottleneck. Built by scripts/bench-exchsim with `swiftc -O`.
//
// Usage: exchsim-bench-client PORT CONNECTIONS SECONDS STREAMS_FILE
//   STREAMS_FILE holds one stream name per line; they are dealt round-robin to the connections.
#if canImport(Glibc)
import Glibc
#endif

func fail(_ message: String) -> Never {
    fputs("bench-client: \(message)\n", stderr)
    exit(1)
}

/// `value` with `digits` fraction digits (no Foundation in this client).
func fixed(_ value: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale)
    var fraction = String(scaled % Int(scale))
    while fraction.count < digits { fraction = "0" + fraction }
    return digits == 0 ? String(whole) : "\(whole).\(fraction)"
}

func now() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

let arguments = CommandLine.arguments
guard arguments.count == 5, let port = UInt16(arguments[1]), let connections = Int(arguments[2]),
    let seconds = Double(arguments[3])
else { fail("usage: exchsim-bench-client PORT CONNECTIONS SECONDS STREAMS_FILE") }
guard let file = fopen(arguments[4], "r") else { fail("cannot open \(arguments[4])") }
var streams: [String] = []
var lineBuffer = [CChar](repeating: 0, count: 256)
while fgets(&lineBuffer, 256, file) != nil {
    let line = String(cString: lineBuffer).trimmingSuffix()
    if !line.isEmpty { streams.append(line) }
}
fclose(file)

extension String {
    func trimmingSuffix() -> String {
        var text = self
        while let last = text.last, last == "\n" || last == "\r" || last == " " { text.removeLast() }
        return text
    }
}

/// Connects and performs the WebSocket handshake for `/stream?streams=…`; returns the socket.
func open(streams: [String]) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { fail("socket") }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { fail("connect to 127.0.0.1:\(port)") }
    var size: Int32 = 4 << 20
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    let request = "GET /stream?streams=\(streams.joined(separator: "/")) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n"
    _ = request.withCString { send(fd, $0, strlen($0), 0) }
    // Read the 101 response header byte by byte (it is short), leaving frames in the socket.
    var header: [UInt8] = []
    var byte: UInt8 = 0
    while !(header.count >= 4 && header.suffix(4) == [13, 10, 13, 10]) {
        guard recv(fd, &byte, 1, 0) == 1 else { fail("handshake") }
        header.append(byte)
    }
    let text = String(decoding: header, as: UTF8.self)
    guard text.hasPrefix("HTTP/1.1 101") else { fail("upgrade refused: \(text.prefix(80))") }
    return fd
}

/// Counts complete frames in a byte stream, keeping partial frames between reads.
struct FrameCounter {
    var pending: [UInt8] = []
    var frames = 0
    var bytes = 0

    mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>) {
        self.pending.append(contentsOf: chunk)
        self.bytes += chunk.count
        var offset = 0
        let count = self.pending.count
        self.pending.withUnsafeBufferPointer { data in
            while count - offset >= 2 {
                let opcode = data[offset] & 0x0F
                var length = Int(data[offset + 1] & 0x7F)
                var headerLength = 2
                if length == 126 {
                    guard count - offset >= 4 else { break }
                    length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
                    headerLength = 4
                } else if length == 127 {
                    guard count - offset >= 10 else { break }
                    length = 0
                    for index in 2..<10 { length = length << 8 | Int(data[offset + index]) }
                    headerLength = 10
                }
                guard count - offset >= headerLength + length else { break }
                if opcode == 0x1 || opcode == 0x2 { self.frames += 1 }
                offset += headerLength + length
            }
        }
        self.pending.removeFirst(offset)
    }
}

var groups = [[String]](repeating: [], count: max(1, connections))
for (index, stream) in streams.enumerated() { groups[index % groups.count].append(stream) }
let sockets = groups.map { open(streams: $0) }
var counters = [FrameCounter](repeating: FrameCounter(), count: sockets.count)
var polls = sockets.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
let buffer = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 1 << 20)

// Warm-up: one second, not counted.
let warmUpEnd = now() + 1
var measuring = false
var start = 0.0
var framesAtStart = 0
var bytesAtStart = 0
let deadline = warmUpEnd + seconds
while true {
    let time = now()
    if !measuring && time >= warmUpEnd {
        measuring = true
        start = time
        framesAtStart = counters.reduce(0) { $0 + $1.frames }
        bytesAtStart = counters.reduce(0) { $0 + $1.bytes }
    }
    if time >= deadline { break }
    guard poll(&polls, nfds_t(polls.count), 100) >= 0 else { fail("poll") }
    for index in polls.indices where polls[index].revents & Int16(POLLIN) != 0 {
        let received = recv(polls[index].fd, buffer.baseAddress, buffer.count, 0)
        if received <= 0 { fail("connection \(index) closed") }
        counters[index].feed(UnsafeBufferPointer(rebasing: buffer[0..<received]))
    }
}
let elapsed = now() - start
let frames = counters.reduce(0) { $0 + $1.frames } - framesAtStart
let bytes = counters.reduce(0) { $0 + $1.bytes } - bytesAtStart
print("connections=\(sockets.count) streams=\(streams.count) seconds=\(fixed(elapsed, 2))")
print("messages=\(frames) bytes=\(bytes)")
print("rate_msgs_per_s=\(Int(Double(frames) / elapsed)) rate_MB_per_s=\(fixed(Double(bytes) / elapsed / 1e6, 1))")
for fd in sockets { close(fd) }
