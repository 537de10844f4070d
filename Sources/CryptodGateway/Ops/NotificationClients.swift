import NIOCore
import NIOHTTP1
import NIOPosix

/// Why one delivery attempt failed.
struct DeliveryError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// `http://host[:port]/path` split for the webhook client (the schema allows only http).
struct WebhookTarget: Sendable, Equatable {
    var host: String
    var port: Int
    var path: String

    init?(_ url: String) {
        guard url.lowercased().hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        var authority = rest[..<slash]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        path = slash == rest.endIndex ? "/" : String(rest[slash...])
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            port = after.hasPrefix(":") ? Int(after.dropFirst()) ?? -1 : 80
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = Int(authority[authority.index(after: colon)...]) ?? -1
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }

    var hostHeader: String { (host.contains(":") ? "[\(host)]" : host) + (port == 80 ? "" : ":\(port)") }
}

/// Runs `operation`, failing with ``DeliveryError`` when it takes longer than `limit` (the operation is
/// cancelled; the NIO channel it holds is closed by `executeThenClose`).
func withDeliveryTimeout<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            throw DeliveryError("no answer within \(limit)")
        }
        defer { group.cancelAll() }
        guard let first = try await group.next() else { throw DeliveryError("cancelled") }
        return first
    }
}

/// A one-shot HTTP/1.1 POST on SwiftNIO (ClientBootstrap + NIOHTTP1), non-blocking on NIO's event loops.
enum WebhookClient {
    /// POSTs `body` as JSON and returns the HTTP status code.
    static func post(_ target: WebhookTarget, body: String, connectTimeout: Duration) async throws -> Int {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(
                .nanoseconds(
                    Int64(connectTimeout.components.seconds) * 1_000_000_000
                        + connectTimeout.components.attoseconds / 1_000_000_000)
            )
            .connect(host: target.host, port: target.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let bytes = ByteBuffer(string: body)
            var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: target.path)
            head.headers.add(name: "Host", value: target.hostHeader)
            head.headers.add(name: "Content-Type", value: "application/json")
            head.headers.add(name: "Content-Length", value: "\(bytes.readableBytes)")
            head.headers.add(name: "User-Agent", value: "cryptod-alerts")
            head.headers.add(name: "Connection", value: "close")
            try await outbound.write(.head(head))
            try await outbound.write(.body(.byteBuffer(bytes)))
            try await outbound.write(.end(nil))
            var status: Int?
            for try await part in inbound {
                switch part {
                case .head(let response): status = Int(response.status.code)
                case .body: continue
                case .end: if let status { return status }
                }
            }
            if let status { return status }
            throw DeliveryError("the webhook closed the connection without an answer")
        }
    }
}

/// A minimal SMTP client (RFC 5321: EHLO/HELO, MAIL, RCPT, DATA, QUIT; no TLS, no AUTH) on SwiftNIO.
enum SMTPClient {
    /// Sends `message` (an RFC 5322 text with CRLF line ends) from `from` to `recipients`.
    static func send(
        host: String, port: Int, helo: String, from: String, recipients: [String], message: String,
        connectTimeout: Duration
    ) async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(
                .nanoseconds(
                    Int64(connectTimeout.components.seconds) * 1_000_000_000
                        + connectTimeout.components.attoseconds / 1_000_000_000)
            )
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var reader = SMTPReplyReader(iterator: inbound.makeAsyncIterator())
            func command(_ line: String, expect codes: Set<Int>) async throws -> Int {
                try await outbound.write(ByteBuffer(string: line + "\r\n"))
                let (code, text) = try await reader.reply()
                guard codes.contains(code) else {
                    throw DeliveryError(
                        "the SMTP server answered \(line.split(separator: ":").first ?? "") with \(text)")
                }
                return code
            }
            let (greeting, text) = try await reader.reply()
            guard greeting == 220 else { throw DeliveryError("the SMTP server greeted with \(text)") }
            try await outbound.write(ByteBuffer(string: "EHLO \(helo)\r\n"))
            if try await reader.reply().code != 250 {
                _ = try await command("HELO \(helo)", expect: [250])
            }
            _ = try await command("MAIL FROM:<\(from)>", expect: [250])
            for recipient in recipients { _ = try await command("RCPT TO:<\(recipient)>", expect: [250, 251]) }
            _ = try await command("DATA", expect: [354])
            try await outbound.write(ByteBuffer(string: dotStuffed(message) + ".\r\n"))
            let (accepted, acceptedText) = try await reader.reply()
            guard accepted == 250 else { throw DeliveryError("the SMTP server refused the message: \(acceptedText)") }
            // The message is accepted; a missing 221 does not make it undelivered.
            try? await outbound.write(ByteBuffer(string: "QUIT\r\n"))
            _ = try? await reader.reply()
        }
    }

    /// Lines starting with `.` get another one (RFC 5321 §4.5.2); the text ends with CRLF.
    static func dotStuffed(_ message: String) -> String {
        var lines = message.components(separatedByCRLF: ())
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n") + "\r\n"
    }
}

/// Reads SMTP replies (`250-…` continuation lines, then `250 …`) from the channel's byte stream.
struct SMTPReplyReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var pending: [UInt8] = []

    mutating func line() async throws -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(pending[..<newline])
                pending.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            guard pending.count < 64 << 10 else { throw DeliveryError("the SMTP server sent an overlong line") }
            guard var buffer = try await iterator.next() else {
                throw DeliveryError("the SMTP server closed the connection")
            }
            pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }

    mutating func reply() async throws -> (code: Int, text: String) {
        while true {
            let text = try await line()
            let characters = Array(text)
            guard characters.count >= 3, let code = Int(String(characters[0..<3])) else {
                throw DeliveryError("not an SMTP reply: \(text.prefix(80))")
            }
            if characters.count > 3, characters[3] == "-" { continue }
            return (code, text)
        }
    }
}

extension String {
    /// Splits at CRLF (a lone LF counts too). CRLF is one Character in Swift, so both are separators.
    fileprivate func components(separatedByCRLF _: Void) -> [String] {
        split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\r\n" || $0 == "\n" }).map(String.init)
    }
}
