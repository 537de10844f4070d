/// The parts of a server URL (`redis://:secret@127.0.0.1:6379/0`, `amqp://guest:guest@host:5672/%2f`).
///
/// A small parser of its own instead of Foundation's `URL`, which does not percent-decode the user info the
/// way servers expect and accepts far more than a server address. Shared by the Redis and RabbitMQ sinks.
package struct SinkServerURL: Sendable, Hashable {
    package var scheme: String
    package var user: String?
    package var password: String?
    package var host: String
    package var port: Int?
    /// The path without its leading `/`, percent-decoded (`%2f` → `/`); `nil` when there is none.
    package var path: String?

    /// - Throws: ``SinkError`` with code `configuration` when `text` is not `scheme://[user[:password]@]host[:port][/path]`.
    package init(_ text: String, sink: String, schemes: Set<String>) throws(SinkError) {
        func bad(_ why: String) -> SinkError {
            SinkError(
                .configuration, sink: sink,
                "bad URL (\(why)); expected \(schemes.sorted().joined(separator: "|"))://[user[:password]@]host[:port][/path]"
            )
        }
        guard let schemeEnd = text.firstRange(of: "://") else { throw bad("no scheme") }
        scheme = String(text[..<schemeEnd.lowerBound]).lowercased()
        guard schemes.contains(scheme) else { throw bad("scheme \(scheme)") }
        var rest = Substring(text[schemeEnd.upperBound...])
        path = nil
        if let slash = rest.firstIndex(of: "/") {
            let rawPath = rest[rest.index(after: slash)...]
            path = rawPath.isEmpty ? nil : try Self.percentDecoded(rawPath, or: bad("path encoding"))
            rest = rest[..<slash]
        }
        user = nil
        password = nil
        if let at = rest.lastIndex(of: "@") {
            let info = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                user = try Self.percentDecoded(info[..<colon], or: bad("user encoding"))
                password = try Self.percentDecoded(info[info.index(after: colon)...], or: bad("password encoding"))
            } else {
                user = try Self.percentDecoded(info, or: bad("user encoding"))
            }
            if user?.isEmpty == true { user = nil }
        }
        port = nil
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let value = Int(rest[rest.index(after: colon)...]), (1...65535).contains(value) else {
                throw bad("port")
            }
            port = value
            rest = rest[..<colon]
        }
        if rest.hasPrefix("["), rest.hasSuffix("]") { rest = rest.dropFirst().dropLast() }
        guard !rest.isEmpty else { throw bad("no host") }
        host = String(rest)
    }

    private static func percentDecoded(_ text: Substring, or error: SinkError) throws(SinkError) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "%") else {
                bytes.append(byte)
                continue
            }
            guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                throw error
            }
            bytes.append(high << 4 | low)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
