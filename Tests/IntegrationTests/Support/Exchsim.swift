import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// An exchsim started by a test on ephemeral loopback ports, and a tiny HTTP client for its REST and
/// `/_sim/` admin API.
struct Exchsim {
    let process: TestProcess
    let ports: [String: Int]

    /// Starts exchsim with `arguments` added, waits for its ready file.
    static func start(in sandbox: Sandbox, arguments: [String] = []) async throws -> Exchsim {
        let readyFile = sandbox.root + "/exchsim.ready"
        let process = try sandbox.launch(
            "exchsim",
            ["--port", "binance=0", "--port", "bybit=0", "--port", "whitebit=0", "--ready-file", readyFile] + arguments)
        let ports = try await eventually("exchsim ready file", timeout: .seconds(30)) { () -> [String: Int]? in
            guard process.isRunning else { throw TestFailure("exchsim exited: \(process.errorTail())") }
            guard let data = FileManager.default.contents(atPath: readyFile), !data.isEmpty,
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int]
            else { return nil }
            return object
        }
        return Exchsim(process: process, ports: ports)
    }

    func port(_ venue: String) -> Int { ports[venue] ?? 0 }

    /// GET `path` on `venue`'s port; the body as bytes (status must be 200).
    func get(_ venue: String, _ path: String) throws -> Data {
        let (status, body) = try HTTP.request("GET", port: port(venue), path: path)
        guard status == 200 else {
            throw TestFailure(
                "GET \(path) on \(venue): HTTP \(status): \(String(decoding: body.prefix(300), as: UTF8.self))")
        }
        return body
    }

    func getJSON(_ venue: String, _ path: String) throws -> Any {
        try JSONSerialization.jsonObject(with: get(venue, path))
    }

    @discardableResult
    func post(_ venue: String, _ path: String, json: String) throws -> Data {
        let (status, body) = try HTTP.request("POST", port: port(venue), path: path, body: Data(json.utf8))
        guard (200..<300).contains(status) else { throw TestFailure("POST \(path) on \(venue): HTTP \(status)") }
        return body
    }
}

/// HTTP/1.1 with `Connection: close` over a plain socket: enough for loopback test servers, and no
/// dependency on URLSession's behaviour on Linux.
enum HTTP {
    static func request(
        _ method: String, port: Int, path: String, body: Data = Data(), headers: [String: String] = [:]
    ) throws -> (Int, Data) {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestFailure("socket() failed") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard connected else { throw TestFailure("connect to 127.0.0.1:\(port) failed") }
        var request = Data(
            "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
                .utf8)
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            request.append(Data("\(name): \(value)\r\n".utf8))
        }
        request.append(Data("\r\n".utf8))
        request.append(body)
        _ = request.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
        var response = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let got = recv(descriptor, &buffer, buffer.count, 0)
            if got <= 0 { break }
            response.append(contentsOf: buffer[0..<got])
        }
        guard let headerEnd = response.range(of: Data("\r\n\r\n".utf8)) else {
            throw TestFailure("no HTTP response from port \(port)")
        }
        let head = String(decoding: response[..<headerEnd.lowerBound], as: UTF8.self)
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        var payload = Data(response[headerEnd.upperBound...])
        if head.lowercased().contains("transfer-encoding: chunked") { payload = dechunk(payload) }
        return (status, payload)
    }

    static func dechunk(_ data: Data) -> Data {
        var out = Data()
        var index = data.startIndex
        while index < data.endIndex {
            guard let lineEnd = data[index...].range(of: Data("\r\n".utf8)) else { break }
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            let end = data.index(start, offsetBy: size, limitedBy: data.endIndex) ?? data.endIndex
            out.append(data[start..<end])
            index = data.index(end, offsetBy: 2, limitedBy: data.endIndex) ?? data.endIndex
        }
        return out
    }
}
