/// A TCP listen address written `"HOST:PORT"` or `"[IPv6]:PORT"`, such as `gateway.rest_listen`.
package struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    /// The host without brackets: `127.0.0.1`, `::1`, `localhost`.
    package let host: String
    /// 1-65535.
    package let port: Int

    /// An address from parts (unchecked; ``parse(_:)`` checks).
    package init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Reads `text`, or says what is wrong with it.
    package static func parse(_ text: String) -> Result<ListenAddress, ValueProblem> {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else {
                return .failure(ValueProblem("missing ']' after the IPv6 address"))
            }
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { return .failure(ValueProblem("missing \":PORT\" after \"]\"")) }
            portText = rest.dropFirst()
            guard host.contains(":"), host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                return .failure(ValueProblem("\"\(host)\" is not an IPv6 address"))
            }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return .failure(ValueProblem("missing \":PORT\"")) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            if host.contains(":") {
                return .failure(ValueProblem("IPv6 addresses must be written in brackets, e.g. \"[::1]:8000\""))
            }
            if let problem = Self.hostProblem(host) { return .failure(problem) }
        }
        guard !portText.isEmpty, portText.allSatisfy(\.isASCIIDigit), let port = Int(portText.prefix(6)),
            (1...65535).contains(port)
        else {
            return .failure(ValueProblem("port must be 1-65535"))
        }
        return .success(ListenAddress(host: String(host), port: port))
    }

    /// An IPv4 address must have four parts of 0-255; anything else must look like a host name.
    static func hostProblem(_ host: Substring) -> ValueProblem? {
        if host.isEmpty { return ValueProblem("the host is missing") }
        if host.allSatisfy({ $0.isASCIIDigit || $0 == "." }) {
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            let valid = parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && Int($0)! <= 255 }
            return valid ? nil : ValueProblem("\"\(host)\" is not an IPv4 address")
        }
        let labels = host.split(separator: ".", omittingEmptySubsequences: false)
        let valid = labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63 && !label.hasPrefix("-") && !label.hasSuffix("-")
                && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
        }
        return valid ? nil : ValueProblem("\"\(host)\" is not a valid host name")
    }

    /// True for `0.0.0.0` and `::`, which listen on every address.
    package var isWildcard: Bool { host == "0.0.0.0" || host == "::" }

    /// True when both cannot be bound at once: same port, and the same host or either one a wildcard.
    package func conflicts(with other: ListenAddress) -> Bool {
        port == other.port && (host.lowercased() == other.host.lowercased() || isWildcard || other.isWildcard)
    }

    package var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
