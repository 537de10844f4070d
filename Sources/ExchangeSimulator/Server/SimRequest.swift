import NIOCore
import NIOHTTP1

/// One HTTP request as venues see it: decoded query, raw query (signatures are computed over it),
/// headers, body, and the client's IP (rate limits are per IP).
package struct SimRequest: Sendable {
    package var method: HTTPMethod
    /// Path without the query, not percent-decoded.
    package var path: String
    /// Query string exactly as sent (without `?`).
    package var rawQuery: String
    /// Decoded query parameters in order (`+` is a space, `%XX` decoded).
    package var query: [(name: String, value: String)]
    package var headers: HTTPHeaders
    package var body: ByteBuffer
    package var clientIP: String

    package init(
        method: HTTPMethod, uri: String, headers: HTTPHeaders, body: ByteBuffer = ByteBuffer(), clientIP: String
    ) {
        self.method = method
        self.headers = headers
        self.body = body
        self.clientIP = clientIP
        if let mark = uri.firstIndex(of: "?") {
            self.path = String(uri[..<mark])
            self.rawQuery = String(uri[uri.index(after: mark)...])
        } else {
            self.path = uri
            self.rawQuery = ""
        }
        self.query = Self.decodeForm(self.rawQuery)
    }

    /// First value of a query parameter.
    package func parameter(_ name: String) -> String? {
        self.query.first { $0.name == name }?.value
    }

    /// How many times a parameter was sent.
    package func count(of name: String) -> Int {
        self.query.reduce(0) { $0 + ($1.name == name ? 1 : 0) }
    }

    /// Body as a string.
    package var bodyText: String { String(buffer: self.body) }

    /// Decodes `application/x-www-form-urlencoded` text.
    package static func decodeForm(_ text: String) -> [(name: String, value: String)] {
        guard !text.isEmpty else { return [] }
        return text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            if let equals = pair.firstIndex(of: "=") {
                return (percentDecode(pair[..<equals]), percentDecode(pair[pair.index(after: equals)...]))
            }
            return (percentDecode(pair), "")
        }
    }

    /// Percent-decodes, treating `+` as a space; malformed escapes are kept literally.
    package static func percentDecode<S: StringProtocol>(_ text: S) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8).makeIterator()
        var pending: [UInt8] = []
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "+") {
                bytes.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%") {
                pending = [byte]
                guard let high = iterator.next() else { bytes.append(contentsOf: pending); break }
                pending.append(high)
                guard let low = iterator.next() else { bytes.append(contentsOf: pending); break }
                pending.append(low)
                if let h = hexValue(high), let l = hexValue(low) {
                    bytes.append(h << 4 | l)
                } else {
                    bytes.append(contentsOf: pending)
                }
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

/// A REST answer. Venues build these; the HTTP layer adds `Content-Length` and connection headers.
package struct SimResponse: Sendable {
    package var status: HTTPResponseStatus
    package var headers: [(String, String)]
    package var body: ByteBuffer
    /// Real milliseconds to wait before answering (latency faults).
    package var delayMs: Int64 = 0
    /// Close the connection after answering.
    package var closeConnection = false
    /// Close the connection without answering at all (connection-drop fault).
    package var dropWithoutAnswer = false
    /// An answer computed later (work on other event loops); the other fields are ignored.
    package var later: EventLoopFuture<SimResponse>?

    package init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: ByteBuffer = ByteBuffer()) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A JSON answer with `Content-Type: application/json;charset=UTF-8` (Binance's spelling).
    package static func json(
        _ status: HTTPResponseStatus = .ok, _ body: ByteBuffer, headers: [(String, String)] = []
    )
        -> SimResponse
    {
        SimResponse(status: status, headers: [("Content-Type", "application/json;charset=UTF-8")] + headers, body: body)
    }

    package static func json(
        _ status: HTTPResponseStatus = .ok, _ value: JSONValue, headers: [(String, String)] = []
    )
        -> SimResponse
    {
        json(status, value.buffer, headers: headers)
    }

    /// An answer that completes later.
    package static func deferred(_ future: EventLoopFuture<SimResponse>) -> SimResponse {
        var response = SimResponse(status: .ok)
        response.later = future
        return response
    }

    package static func text(_ status: HTTPResponseStatus, _ text: String) -> SimResponse {
        var body = ByteBuffer()
        body.writeString(text)
        return SimResponse(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")], body: body)
    }
}
