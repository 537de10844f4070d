/// Small text helpers for the governor: path normalisation and the few numbers it reads from responses.
///
/// Hand-written over UTF-8 so the module needs no Foundation and a hostile header or body can only make a
/// number unreadable, never trap.
enum RateLimitText {
    // MARK: - Paths

    /// The path of `endpoint` without scheme, host, query or fragment, always starting with `/`.
    static func path(of endpoint: String) -> String {
        var text = Substring(endpoint)
        if let colon = text.firstIndex(of: ":"), text[colon...].hasPrefix("://"),
            !text[..<colon].contains("/")
        {
            let host = text[text.index(colon, offsetBy: 3)...]
            text = host.firstIndex(of: "/").map { host[$0...] } ?? ""
        }
        if let end = text.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            text = text[..<end]
        }
        return text.hasPrefix("/") ? String(text) : "/" + text
    }

    /// Whether `prefix` covers `path` on whole segments (`/orderbook` covers `/orderbook/X`, not `/orderbooks`).
    static func matches(prefix: String, path: String) -> Bool {
        guard !prefix.isEmpty else { return true }
        guard path.hasPrefix(prefix) else { return false }
        if prefix.hasSuffix("/") || path.utf8.count == prefix.utf8.count { return true }
        return path.utf8.dropFirst(prefix.utf8.count).first == UInt8(ascii: "/")
    }

    /// `prefix` plus the next path segment of `path` (the endpoint of a per-endpoint rule).
    static func endpoint(prefix: String, path: String) -> String {
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        var start = rest.startIndex
        if start < rest.endIndex, rest[start] == UInt8(ascii: "/") { start = rest.index(after: start) }
        let end = rest[start...].firstIndex(of: UInt8(ascii: "/")) ?? rest.endIndex
        return String(decoding: path.utf8[..<end], as: UTF8.self)
    }

    // MARK: - Numbers in headers and bodies

    /// The value of the first header named `name` (compared case-insensitively), trimmed.
    static func header(_ name: String, in headers: [(String, String)]) -> Substring? {
        for (key, value) in headers where key.lowercased() == name {
            let text = trimmed(value)
            return text.isEmpty ? nil : text
        }
        return nil
    }

    private static func trimmed(_ value: String) -> Substring {
        var text = Substring(value)
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }

    /// A non-negative decimal integer of at most 15 digits (enough for milliseconds until year 33658).
    static func integer(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 15 else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `Retry-After` in milliseconds: delta seconds, a fraction rounded up (an HTTP date is not used by
    /// these exchanges and reads as absent).
    static func retryAfterMilliseconds(_ text: Substring) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let seconds = integer(parts[0]) else { return nil }
        var milliseconds = seconds * 1_000
        if parts.count == 2 {
            guard let fraction = integer(parts[1]) else { return nil }
            if fraction > 0 { milliseconds += 1_000 }
        }
        return milliseconds
    }

    /// The digits following `marker` in `body`, after optional spaces, `:` and `"` (so both
    /// `"retCode":10006` and `banned until 1700000000000` read).
    static func integer(after marker: String, in body: [UInt8]) -> Int64? {
        let needle = Array(marker.utf8)
        guard !needle.isEmpty, body.count >= needle.count else { return nil }
        var index = 0
        while index + needle.count <= body.count {
            if body[index] == needle[0], Array(body[index..<(index + needle.count)]) == needle {
                var cursor = index + needle.count
                while cursor < body.count,
                    [UInt8(ascii: " "), UInt8(ascii: ":"), UInt8(ascii: "\"")].contains(body[cursor])
                {
                    cursor += 1
                }
                var end = cursor
                while end < body.count, end - cursor < 16, body[end] >= UInt8(ascii: "0"),
                    body[end] <= UInt8(ascii: "9")
                {
                    end += 1
                }
                if end > cursor {
                    return integer(Substring(String(decoding: body[cursor..<end], as: UTF8.self)))
                }
            }
            index += 1
        }
        return nil
    }
}
